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

  // A narrow chart (a phone, or 200 % zoom): the category labels beside horizontal bars wrap
  // onto short lines (the timeline's project names are shortened; the full name is in the
  // tooltip and the table), the value axis gets fewer ticks, and no text is smaller than 12 px.
  var NARROW = 480;
  var LINE = 14; // characters on a wrapped label's line
  var SHORT = 16; // characters of a timeline row's name
  var MIN_FONT = 12;

  function wrapped(text, limit) {
    limit = limit || LINE;
    // "39 %" and "10 (24 %)" keep their number and unit together.
    return String(text).replace(/ (%|kr\.)/g, "\u00a0$1").split("<br>").map(function (line) {
      var lines = [];
      var current = "";
      line.split(" ").forEach(function (word) {
        if (current && (current + " " + word).length > limit) {
          lines.push(current);
          current = word;
        } else {
          current = current ? current + " " + word : word;
        }
      });
      lines.push(current);
      return lines.join("<br>");
    }).join("<br>");
  }

  function shortened(text) {
    text = String(text);
    return text.length <= SHORT ? text : text.slice(0, SHORT - 1).trim() + "…";
  }

  function atLeast(font, size) {
    var copy = Object.assign({}, font || {});
    copy.size = Math.max(copy.size || size, size);
    return copy;
  }

  // Columns over a category axis (a waterfall's steps, bars per department) stand side by side,
  // and on a narrow screen their labels would only fit turned on their side: there they lie
  // down, a category a row, its label level beside it.
  function standing(trace, layout) {
    return (trace.type === "waterfall" || trace.type === "bar") && trace.orientation !== "h" &&
      (layout.xaxis || {}).type === "category";
  }

  function laidDown(trace) {
    // The amounts at the bars' ends go into the right margin that fitted() makes for them.
    var copy = Object.assign({}, trace, { orientation: "h", cliponaxis: false });
    copy.y = (trace.x || []).map(function (label) { return wrapped(label); });
    copy.x = trace.y;
    return copy;
  }

  // `count` of a category axis's labels spread over it: the first, the last, and between.
  function someOf(values, count) {
    if (values.length <= count) { return values.slice(); }
    var picked = [];
    for (var i = 0; i < count; i += 1) {
      var value = values[Math.round(i * (values.length - 1) / (count - 1))];
      if (picked.indexOf(value) < 0) { picked.push(value); }
    }
    return picked;
  }

  function fitted(figure, width) {
    var layout = JSON.parse(JSON.stringify(figure.layout));
    if (!width || width >= NARROW) { return layout; }
    var columns = figure.data.filter(function (t) { return standing(t, layout); });
    if (columns.length) { // the value axis goes across, the categories down, the first on top
      var values = layout.yaxis || {};
      layout.yaxis = Object.assign({}, layout.xaxis || {}, { autorange: "reversed" });
      layout.xaxis = Object.assign({}, values);
      var rows = Math.max.apply(null, columns.map(function (t) { return (t.x || []).length; }));
      layout.height = Math.max(layout.height || 0, 110 + rows * 48);
      layout.margin = Object.assign({}, layout.margin || {}, { r: 96 });
    }
    var bars = figure.data.filter(function (t) { return t.type === "bar" && t.orientation === "h"; });
    var yaxis = layout.yaxis = layout.yaxis || {};
    var xaxis = layout.xaxis = layout.xaxis || {};
    if (bars.length && yaxis.type !== "date") {
      var keys = yaxis.tickvals || yaxis.categoryarray;
      if (!keys) {
        keys = [];
        bars.forEach(function (trace) {
          (trace.y || []).forEach(function (y) { if (keys.indexOf(y) < 0) { keys.push(y); } });
        });
      }
      // A timeline (a date axis, a row per project or department): one short line a row.
      var named = Boolean(yaxis.ticktext) || xaxis.type === "date";
      var texts = (yaxis.ticktext || keys).map(function (t) { return named ? shortened(t) : wrapped(t); });
      yaxis.tickmode = "array";
      yaxis.tickvals = keys;
      yaxis.ticktext = texts;
      if (!named && layout.height && keys.length) {
        // Room for the wrapped lines: about 18 px a line and a gap between the bars.
        var lines = Math.max.apply(null, texts.map(function (t) { return t.split("<br>").length; }));
        var slot = (layout.height - 110) / keys.length;
        layout.height = Math.round(110 + keys.length * Math.max(slot, lines * 18 + 16));
      }
    }
    if (xaxis.type === "category") { // a line over months: a few of them, written level
      var months = [];
      figure.data.forEach(function (trace) {
        (trace.x || []).forEach(function (x) { if (months.indexOf(x) < 0) { months.push(x); } });
      });
      xaxis.tickmode = "array";
      xaxis.tickvals = someOf(months, 3);
      xaxis.ticktext = xaxis.tickvals;
    } else if (xaxis.type === "date") { // "nov. 2026" is wider than an amount
      xaxis.nticks = Math.max(2, Math.floor(width / 130));
    } else {
      xaxis.nticks = 3; // amounts across: three ticks fit level
    }
    xaxis.tickangle = 0;
    xaxis.tickfont = atLeast(xaxis.tickfont, MIN_FONT);
    yaxis.tickfont = atLeast(yaxis.tickfont, MIN_FONT);
    layout.font = atLeast(layout.font, MIN_FONT + 1);
    if (layout.title && typeof layout.title.text === "string") { // a chart's own long title wraps
      var title = wrapped(layout.title.text, 2 * LINE);
      var extra = title.split("<br>").length - 1;
      layout.title = Object.assign({}, layout.title, { text: title });
      if (extra && layout.margin) { layout.margin = Object.assign({}, layout.margin, { t: (layout.margin.t || 80) + 20 * extra }); }
    }
    if (layout.uniformtext) { layout.uniformtext.minsize = Math.max(layout.uniformtext.minsize || 0, MIN_FONT); }
    return layout;
  }

  // A label beside a line (the timelines' "I dag 03-12-2026", centred on it): where it would run
  // past the chart's edge, it is read from the line inwards instead.
  function keepNotesInside(box) {
    var edge = box.getBoundingClientRect();
    var update = {};
    Array.prototype.forEach.call(box.querySelectorAll("g.annotation[data-index]"), function (note) {
      var shown = note.getBoundingClientRect();
      var key = "annotations[" + note.getAttribute("data-index") + "].xanchor";
      if (shown.left < edge.left - 1) { update[key] = "left"; }
      if (shown.right > edge.right + 1) { update[key] = "right"; }
    });
    return Object.keys(update).length ? window.Plotly.relayout(box, update) : null;
  }

  // A chart speaks the language of the part of the page it is in: the Danish pack on the
  // English meeting page keeps Danish numbers and month names.
  function configFor(box, extra) {
    var marked = box.closest("[lang]");
    var lang = marked ? marked.getAttribute("lang") : locale;
    return Object.assign({}, CONFIG, { locale: lang === "da" ? "da" : "en" }, extra || {});
  }

  var CONFIG = {
    locale: locale,
    responsive: true,
    displayModeBar: false,
    scrollZoom: false,
    doubleClick: false,
    showTips: false
  };

  // The traces, their long legend names ("Skred ud over oprindelig slutdato") wrapped when narrow.
  function fittedData(figure, width) {
    if (!width || width >= NARROW) { return figure.data; }
    return figure.data.map(function (trace) {
      var copy = standing(trace, figure.layout) ? laidDown(trace) : Object.assign({}, trace);
      if (typeof copy.name === "string") { copy.name = wrapped(copy.name, 2 * LINE); }
      return copy;
    });
  }

  function isNarrow(box) { return box.clientWidth < NARROW; }

  var boxes = Array.prototype.slice.call(document.querySelectorAll(".chart[data-figure]"));
  var figures = [];
  boxes.forEach(function (box) {
    var source = document.getElementById(box.getAttribute("data-figure"));
    if (!source) { return; }
    var figure = JSON.parse(source.textContent);
    figures.push({ box: box, figure: figure, narrow: isNarrow(box) });
    var clickable = box.getAttribute("data-click") !== "none";
    window.Plotly.newPlot(box, fittedData(figure, box.clientWidth), fitted(figure, box.clientWidth), configFor(box)).then(function () {
      keepNotesInside(box);
      if (clickable) {
        box.on("plotly_click", function (event) { onClick(box, event); });
        box.on("plotly_hover", function () { box.classList.add("pointing"); });
        box.on("plotly_unhover", function () { box.classList.remove("pointing"); });
      }
    });
  });

  // A window made narrower or wider (zooming in or out): the labels follow across NARROW.
  var pending = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(function () {
      figures.forEach(function (drawnFigure) {
        var narrow = isNarrow(drawnFigure.box);
        if (narrow === drawnFigure.narrow || !drawnFigure.box.classList.contains("js-plotly-plot")) { return; }
        drawnFigure.narrow = narrow;
        var figure = drawnFigure.figure;
        var width = drawnFigure.box.clientWidth;
        window.Plotly.react(drawnFigure.box, fittedData(figure, width), fitted(figure, width), configFor(drawnFigure.box))
          .then(function () { keepNotesInside(drawnFigure.box); });
      });
    }, 150);
  });

  // Printing on A4 landscape: redraw at the paper's width (two charts abreast, print.css), and
  // print a tall chart (data-print-rows: the timeline) in parts of that many rows, one a page,
  // each with its own date axis on top. Printing is told by beforeprint (a browser's print
  // dialog) and by the print media query (also a PDF printed headless); afterwards, back.
  var PRINT_WIDTH = 1000;
  var printing = false;
  function drawn() {
    return figures.filter(function (entry) { return entry.box.classList.contains("js-plotly-plot"); });
  }

  function printWidth(box) {
    var page = box.closest(".chart-page");
    var wide = page ? box.hasAttribute("data-print-rows") : box.closest(".chart-wide") !== null;
    return wide ? PRINT_WIDTH : PRINT_WIDTH / 2 - 12;
  }

  function printParts(entry) {
    var box = entry.box;
    var rows = parseInt(box.getAttribute("data-print-rows") || "0", 10);
    var layout = entry.figure.layout;
    var keys = (layout.yaxis && (layout.yaxis.tickvals || layout.yaxis.categoryarray)) || [];
    if (!rows || keys.length <= rows) { return; }
    var rowPx = (layout.height - 150) / keys.length; // charts.timeline_chart: 150 + ROW_PX a row
    var after = box;
    for (var start = 0; start < keys.length; start += rows) {
      var count = Math.min(rows, keys.length - start);
      var part = document.createElement("div");
      part.className = "chart-print-part";
      if (start > 0) {
        var heading = document.createElement("h3");
        heading.textContent = box.getAttribute("data-continued") || "";
        part.appendChild(heading);
      }
      var plot = document.createElement("div");
      plot.className = "chart-part";
      part.appendChild(plot);
      after.parentNode.insertBefore(part, after.nextSibling);
      after = part;
      var partLayout = JSON.parse(JSON.stringify(layout));
      partLayout.width = PRINT_WIDTH;
      partLayout.height = Math.round(150 + rowPx * count);
      partLayout.yaxis.autorange = false;
      partLayout.yaxis.range = [start + count - 0.5, start - 0.5]; // reversed: first row on top
      if (partLayout.legend && partLayout.legend.y < 0) {
        partLayout.legend.y = -40 / (rowPx * count);
      }
      window.Plotly.newPlot(plot, entry.figure.data, partLayout,
        configFor(box, { responsive: false, staticPlot: true }));
    }
    box.classList.add("printing");
  }

  function toPaper() {
    if (printing) { return; }
    printing = true;
    drawn().forEach(function (entry) {
      window.Plotly.relayout(entry.box, { width: printWidth(entry.box) });
      printParts(entry);
    });
  }

  function toScreen() {
    if (!printing) { return; }
    printing = false;
    Array.prototype.forEach.call(document.querySelectorAll(".chart-print-part"), function (part) {
      window.Plotly.purge(part.querySelector(".chart-part"));
      part.parentNode.removeChild(part);
    });
    drawn().forEach(function (entry) {
      entry.box.classList.remove("printing");
      window.Plotly.relayout(entry.box, { width: null, autosize: true });
    });
  }

  window.addEventListener("beforeprint", toPaper);
  window.addEventListener("afterprint", toScreen);
  var printMedia = window.matchMedia ? window.matchMedia("print") : null;
  if (printMedia && printMedia.addEventListener) {
    printMedia.addEventListener("change", function (event) {
      if (event.matches) { toPaper(); } else { toScreen(); }
    });
  }
}());
