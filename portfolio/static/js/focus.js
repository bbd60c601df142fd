// Moves the focus to the confirmation a page marks with data-focus-on-load (a static file:
// the CSP allows no inline script), so a screen reader reads it and the keyboard goes on there.
(function () {
  "use strict";
  function focusConfirmation() {
    var target = document.querySelector("[data-focus-on-load]");
    if (target) {
      target.focus();
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusConfirmation);
  } else {
    focusConfirmation();
  }
})();
