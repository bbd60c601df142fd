// The meeting page: say that a PDF or Word pack is being made, since it takes a few seconds.
(function () {
  "use strict";
  var status = document.getElementById("export-status");
  if (!status) { return; }
  Array.prototype.forEach.call(document.querySelectorAll("a[data-busy]"), function (link) {
    link.addEventListener("click", function () {
      status.textContent = link.getAttribute("data-busy") + " " + link.textContent;
    });
  });
})();
