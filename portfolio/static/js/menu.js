// The header's menu on a narrow screen (or at 200 % zoom): folded behind the "Menu" button.
// Loaded in <head>, not deferred: it marks <html> with "js-menu" before the first paint, and
// only then does layout.css fold the menu; without JavaScript the whole menu stays in view.
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js-menu");

  function setUp() {
    var button = document.querySelector(".menu-toggle");
    var menu = document.getElementById("site-menu");
    // No menu links (the login page): nothing to fold.
    if (!button || !menu || !menu.querySelector(".nav a")) {
      root.classList.remove("js-menu");
      return;
    }
    button.hidden = false;
    function show(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("open", open);
    }
    button.addEventListener("click", function () {
      show(button.getAttribute("aria-expanded") !== "true");
    });
    // Escape closes the open menu and gives the focus back to its button.
    menu.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true" &&
          button.offsetParent !== null) {
        show(false);
        button.focus();
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
