// Shows the "Edit" link of a public page in a browser where an editor signed in to the admin
// (the tracker_editor cookie, set at sign-in, cleared at sign-out). The page itself is the same
// for every visitor, so a cache may keep it; the admin still asks for the session.
(function () {
  "use strict";
  if (!/(?:^|;\s*)tracker_editor=1(?:;|$)/.test(document.cookie)) return;
  document.querySelectorAll("[data-edit-link]").forEach(function (element) {
    element.hidden = false;
  });
})();
