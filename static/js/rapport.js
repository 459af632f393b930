// Kvalitetsberättelse: print buttons, and the progress of a Word/PDF file being made.
(function () {
  "use strict";

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  var box = document.querySelector("[data-job-status]");
  if (!box) { return; }
  var url = box.getAttribute("data-job-status");
  var bar = box.querySelector(".progress");
  var fill = box.querySelector(".progress-bar");
  var message = box.querySelector("[data-job-message]");
  var ready = document.querySelector("[data-job-ready]");
  var link = document.querySelector("[data-job-link]");
  var failed = document.querySelector("[data-job-error]");

  function show(state) {
    var percent = Math.max(0, Math.min(100, state.percent || 0));
    bar.setAttribute("aria-valuenow", String(percent));
    fill.style.width = percent + "%";
    fill.textContent = percent + " %";
    message.textContent = state.message || "";
    if (state.state === "done" && state.url) {
      link.setAttribute("href", state.url);
      ready.hidden = false;
      box.hidden = true;
      link.focus();
      return true;
    }
    if (state.state === "error") {
      failed.hidden = false;
      failed.querySelector("[data-job-error-text]").textContent = state.message || "";
      box.hidden = true;
      return true;
    }
    return false;
  }

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (state) { if (!show(state)) { window.setTimeout(poll, 1000); } })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  poll();
})();
