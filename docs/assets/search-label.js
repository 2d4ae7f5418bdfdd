// Material for MkDocs (9.x) draws its search box as role="dialog" without a name, which
// screen readers announce as an unnamed dialog (Lighthouse's aria-dialog-name: -4 points on
// every page). Name it after its own search field, in the site's language. Zensical's search
// already has a name: nothing changes there.
(function () {
  var dialog = document.querySelector('.md-search[role="dialog"]:not([aria-label])');
  var field = dialog && dialog.querySelector("input[aria-label]");
  if (field) dialog.setAttribute("aria-label", field.getAttribute("aria-label"));
})();
