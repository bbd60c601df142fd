// Project lists shown as cards on a narrow screen (table.cards, layout.css): each cell gets its
// column's name from the header (data-label), written once here rather than in every row by
// the server; the cards show only once the table is labelled.
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("table.cards"), function (table) {
    var names = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      var mark = th.querySelector(".sort-mark");
      var text = th.textContent;
      return (mark ? text.replace(mark.textContent, "") : text).trim();
    });
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        Array.prototype.forEach.call(row.cells, function (cell, i) {
          if (cell.tagName === "TD" && names[i]) { cell.setAttribute("data-label", names[i]); }
        });
      });
    });
    table.classList.add("labelled");
  });
})();

// Tables wider than their place (data_table in templates/_macros.html): the hint above says
// that the table scrolls sideways, and the scroll region stays a tab stop (so the keyboard can
// scroll it) only while it overflows. Without JavaScript every region is a tab stop and no hint
// shows. Followed on resize and zoom.
(function () {
  "use strict";
  var regions = Array.prototype.slice.call(document.querySelectorAll(".table-wrap[role=region]"));
  if (!regions.length) { return; }

  function update(region) {
    var overflowing = region.scrollWidth > region.clientWidth + 1;
    var hint = region.previousElementSibling;
    if (hint && hint.classList.contains("scroll-hint")) { hint.hidden = !overflowing; }
    region.classList.toggle("overflowing", overflowing);
    if (overflowing) {
      region.setAttribute("tabindex", "0");
    } else if (document.activeElement !== region) {
      region.removeAttribute("tabindex");
    }
  }

  function updateAll() { regions.forEach(update); }

  if (window.ResizeObserver) {
    var observer = new window.ResizeObserver(function (entries) {
      entries.forEach(function (entry) { update(entry.target.closest(".table-wrap")); });
    });
    regions.forEach(function (region) {
      observer.observe(region);
      // A table that grows (a <details> opened inside it) changes the region's scroll width only.
      var table = region.querySelector("table");
      if (table) { observer.observe(table); }
    });
  } else {
    window.addEventListener("resize", updateAll);
  }
  updateAll();
})();
