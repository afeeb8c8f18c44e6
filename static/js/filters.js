// Progressive enhancement: the filter form works without this; with it, ticking a facet or
// changing the sort applies at once, and the URL stays the one source of the view's state.
(function () {
  var form = document.getElementById("filters");
  if (!form) return;
  // Wide screens show the filter panel open by CSS (::details-content); a browser without it
  // gets it opened here, and without JavaScript keeps the summary to open it by.
  var panel = form.closest("details.filters-panel");
  var wide = window.matchMedia("(min-width: 52.0625rem)");
  var supported = window.CSS && CSS.supports && CSS.supports("selector(::details-content)");
  if (panel && !supported && wide.matches) {
    panel.open = true;
  }
  form.addEventListener("change", function (event) {
    var target = event.target;
    // A sort chosen now is chosen for the search in the box now (see chosen_sort()).
    if (target.name === "sort" && form.elements.sort_for && form.elements.q) {
      form.elements.sort_for.value = form.elements.q.value;
    }
    // In the folded panel of a narrow screen, a reload per tick would fold it again under the
    // visitor's thumb: there, several choices are made and applied with the button.
    if (panel && !wide.matches) return;
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
