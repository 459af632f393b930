/* Live personnummer warning: while a person types in a text field (or picks a file), ask the
   server's guard (POST /pii-kontroll, the same check that refuses the text on save) and show
   the warning next to the field. Fields opt out with data-pii-skip. */
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var script = document.currentScript;
  var endpoint = (script && script.getAttribute("data-pii-url")) || "/pii-kontroll";
  if (!meta || !window.fetch) { return; }
  var token = meta.getAttribute("content");
  var selector = 'form textarea, form input[type="text"], form input:not([type]), ' +
    'form input[type="search"], form input[type="file"]';
  var counter = 0;

  function warningFor(field) {
    var id = field.getAttribute("data-pii-warning");
    if (id) { return document.getElementById(id); }
    counter += 1;
    id = (field.id || "falt-" + counter) + "-pnr-varning";
    var box = document.createElement("div");
    box.id = id;
    box.className = "pii-warning invalid-feedback d-block";
    box.setAttribute("aria-live", "polite");
    field.insertAdjacentElement("afterend", box);
    field.setAttribute("data-pii-warning", id);
    var described = field.getAttribute("aria-describedby");
    field.setAttribute("aria-describedby", described ? described + " " + id : id);
    return box;
  }

  function textOf(field) {
    if (field.type === "file") {
      return Array.prototype.map.call(field.files || [], function (f) { return f.name; }).join("\n");
    }
    return field.value;
  }

  function check(field) {
    var text = textOf(field);
    var box = warningFor(field);
    if (!/\d/.test(text) && !/[\u0660-\u0669\u06f0-\u06f9\u0966-\u096f\uff10-\uff19]/.test(text)) {
      show(field, box, "");
      return;
    }
    fetch(endpoint, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify({ text: text })
    }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (answer) {
        if (answer && textOf(field) === text) { show(field, box, answer.found ? answer.message : ""); }
      })
      .catch(function () { /* the check on save still applies */ });
  }

  function show(field, box, message) {
    box.textContent = message;
    if (message) { field.classList.add("is-invalid"); field.setAttribute("aria-invalid", "true"); }
    else if (box.getAttribute("data-shown") === "1") {
      field.classList.remove("is-invalid"); field.removeAttribute("aria-invalid");
    }
    box.setAttribute("data-shown", message ? "1" : "0");
  }

  var timers = new WeakMap();
  function schedule(event) {
    var field = event.target;
    if (!field.matches || !field.matches(selector) || field.hasAttribute("data-pii-skip")) { return; }
    clearTimeout(timers.get(field));
    timers.set(field, setTimeout(function () { check(field); }, field.type === "file" ? 0 : 400));
  }
  document.addEventListener("input", schedule);
  document.addEventListener("change", schedule);
})();
