// The admin's export page: the "select all" box, which django-import-export wires up with an
// inline onchange="" attribute that the Content-Security-Policy blocks. Same behaviour as its
// onSelectToggleChange: every field box follows the toggle.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".select-toggle").forEach(function (toggle) {
    toggle.addEventListener("change", function (event) {
      var checked = event.target.checked;
      document
        .querySelectorAll('.selectable-field-export-row input[type="checkbox"]')
        .forEach(function (checkbox) {
          checkbox.checked = checked;
        });
    });
  });
});
