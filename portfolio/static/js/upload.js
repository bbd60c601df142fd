// Import upload: drag-and-drop onto the file field, and progress while sending and reading.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form) { return; }
  var input = document.getElementById("file");
  var zone = document.getElementById("dropzone");
  var box = document.getElementById("upload-progress");
  var bar = document.getElementById("progress-bar");
  var status = document.getElementById("progress-status");
  var limit = parseInt(form.getAttribute("data-limit"), 10) || 0;

  function say(text) { status.textContent = text; }

  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.add("dragging");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function () { zone.classList.remove("dragging"); });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      input.dispatchEvent(new Event("change"));
    }
  });

  form.addEventListener("submit", function (event) {
    if (!input.files || !input.files.length || !window.FormData) { return; }
    event.preventDefault();
    box.hidden = false;
    if (limit && input.files[0].size > limit) {
      say(status.getAttribute("data-too-big"));
      return;
    }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || window.location.href);
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) { bar.value = Math.round((e.loaded / e.total) * 100); }
    });
    xhr.upload.addEventListener("load", function () {
      bar.removeAttribute("value");  // indeterminate while the server reads the sheet
      say(status.getAttribute("data-reading"));
    });
    xhr.addEventListener("load", function () {
      if (xhr.responseURL && xhr.responseURL !== window.location.href && xhr.status < 400) {
        window.location.assign(xhr.responseURL);
        return;
      }
      document.open();
      document.write(xhr.responseText);
      document.close();
    });
    xhr.addEventListener("error", function () { say(status.getAttribute("data-failed")); });
    xhr.send(new FormData(form));
  });
}());
