// Progressive enhancement: the filter form works without this; with it, ticking a facet or
// changing the sort applies at once, and the URL stays the one source of the view's state.
(function () {
  var form = document.getElementById("filters");
  if (!form) return;
  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.type === "checkbox" || target.tagName === "SELECT") {
      form.requestSubmit ? form.requestSubmit() : form.submit();
    }
  });
  // Leave empty fields out of the URL, so shared links stay short and readable.
  form.addEventListener("submit", function () {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name && (el.type === "search" || el.type === "number" || el.type === "text") && !el.value) {
        el.disabled = true;
      }
    });
  });
})();
