// The overview's charts: draws each figure from its JSON block, and turns a click on a bar into
// the filtered page (or, on the timeline, into the project's page).
(function () {
  "use strict";
  if (!window.Plotly) { return; }

  // Danish month and day names and number format for plotly's date axes and tooltips.
  window.Plotly.register({
    moduleType: "locale",
    name: "da",
    dictionary: {},
    format: {
      days: ["søndag", "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag"],
      shortDays: ["søn", "man", "tir", "ons", "tor", "fre", "lør"],
      months: ["januar", "februar", "marts", "april", "maj", "juni", "juli", "august",
        "september", "oktober", "november", "december"],
      shortMonths: ["jan.", "feb.", "mar.", "apr.", "maj", "jun.", "jul.", "aug.", "sep.",
        "okt.", "nov.", "dec."],
      periods: ["AM", "PM"],
      dateTime: "%A %e %B %Y kl. %X",
      date: "%d-%m-%Y",
      time: "%H:%M:%S",
      decimal: ",",
      thousands: ".",
      grouping: [3],
      currency: ["", " kr."]
    }
  });
  var locale = document.documentElement.lang === "da" ? "da" : "en";

  // The current URL with the clicked segment's filter: its keys replace the same keys.
  function filtered(query) {
    var params = new URLSearchParams(window.location.search);
    var clicked = new URLSearchParams(query);
    clicked.forEach(function (value, key) { params.delete(key); });
    clicked.forEach(function (value, key) { params.append(key, value); });
    return window.location.pathname + "?" + params.toString();
  }

  function isLocalPath(path) {
    return typeof path === "string" && path.charAt(0) === "/" && path.charAt(1) !== "/";
  }

  function onClick(box, event) {
    var point = event && event.points && event.points[0];
    var data = point && point.customdata;
    if (!data) { return; }
    var mode = box.getAttribute("data-click");
    if (mode === "filter") {
      window.location.assign(filtered(data));
    } else if (mode === "link" && isLocalPath(data)) {
      window.location.assign(data);
    }
  }

  var boxes = Array.prototype.slice.call(document.querySelectorAll(".chart[data-figure]"));
  boxes.forEach(function (box) {
    var source = document.getElementById(box.getAttribute("data-figure"));
    if (!source) { return; }
    var figure = JSON.parse(source.textContent);
    var clickable = box.getAttribute("data-click") !== "none";
    window.Plotly.newPlot(box, figure.data, figure.layout, {
      locale: locale,
      responsive: true,
      displayModeBar: false,
      scrollZoom: false,
      doubleClick: false,
      showTips: false
    }).then(function () {
      if (clickable) {
        box.on("plotly_click", function (event) { onClick(box, event); });
        box.on("plotly_hover", function () { box.classList.add("pointing"); });
        box.on("plotly_unhover", function () { box.classList.remove("pointing"); });
      }
    });
  });

  // Printing on A4 landscape: redraw at the paper's width (two charts abreast), then back.
  var PRINT_WIDTH = 1000;
  function drawn() {
    return boxes.filter(function (box) { return box.classList.contains("js-plotly-plot"); });
  }
  window.addEventListener("beforeprint", function () {
    drawn().forEach(function (box) {
      var wide = box.closest(".chart-wide") !== null;
      window.Plotly.relayout(box, { width: wide ? PRINT_WIDTH : PRINT_WIDTH / 2 - 12 });
    });
  });
  window.addEventListener("afterprint", function () {
    drawn().forEach(function (box) { window.Plotly.relayout(box, { width: null, autosize: true }); });
  });
}());
