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
      showError(xhr.responseText);
    });
    xhr.addEventListener("error", function () { say(status.getAttribute("data-failed")); });
    xhr.send(new FormData(form));
  });

  // The server answered with this page again and its error summary (or another page, such as
  // "Filen er for stor"): that summary is put above the form and gets the focus, so a screen
  // reader reads it and the user can pick another file at once. The page itself stays.
  function showError(html) {
    var answer = new DOMParser().parseFromString(html || "", "text/html");
    var summary = answer.getElementById("upload-error");
    if (summary) {
      summary = document.importNode(summary, true);
    } else {
      summary = document.createElement("div");
      summary.className = "error-summary";
      summary.id = "upload-error";
      summary.setAttribute("role", "alert");
      var heading = document.createElement("h2");
      var found = answer.querySelector("main h1");
      heading.textContent = found ? found.textContent : status.getAttribute("data-failed");
      summary.appendChild(heading);
      var lead = answer.querySelector("main .lead");
      if (lead) {
        var text = document.createElement("p");
        text.textContent = lead.textContent;
        summary.appendChild(text);
      }
    }
    summary.setAttribute("tabindex", "-1");
    var old = document.getElementById("upload-error");
    if (old) {
      old.parentNode.replaceChild(summary, old);
    } else {
      form.parentNode.insertBefore(summary, form);
    }
    box.hidden = true;
    bar.value = 0;
    say("");
    summary.focus();
  }
}());
