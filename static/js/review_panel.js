// The review panel's one comment box: required for the moves that need one (request changes,
// a plain comment), optional for the others. Set as the button is pressed, before the browser
// checks the form; the server refuses a missing comment either way.
(function () {
  "use strict";
  var form = document.getElementById("review-form");
  if (!form) return;
  var box = document.getElementById("review-comment");
  var label = document.getElementById("review-comment-label");
  form.querySelectorAll("button[data-comment]").forEach(function (button) {
    button.addEventListener("click", function () {
      var need = button.getAttribute("data-comment");
      box.required = need !== "optional";
      label.textContent = label.getAttribute(
        need === "required" ? "data-required" : need === "comment" ? "data-comment" : "data-optional"
      );
    });
  });
})();
