// "Copy citation": the button stays hidden without JavaScript (the text can still be selected).
(function () {
  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    var status = button.parentNode.querySelector(".copy-status");
    if (!source) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = source.textContent.trim();
      var done = function (ok) {
        // The words are the page's (data-copied, data-copy-failed: in its language).
        var said = ok
          ? button.getAttribute("data-copied") || "Copied."
          : button.getAttribute("data-copy-failed") || "Select the text above to copy it.";
        if (status) status.textContent = said;
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(false); });
      } else {
        done(false);
      }
    });
  });
})();
