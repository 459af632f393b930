/* Small behaviours that used to be inline handlers (the Content-Security-Policy forbids inline
   script): [data-print] prints the page, [data-select-on-focus] selects its text on focus,
   [data-autofocus] takes focus when the page loads (the error summary of a form). */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) { event.preventDefault(); window.print(); }
  });
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("[data-select-on-focus]")) { event.target.select(); }
  });
  /* A scroll container (a wide table on a phone) can be scrolled by keyboard: it takes
     focus and is named by its table's caption or the heading before it (WCAG 2.1.1). */
  Array.prototype.forEach.call(document.querySelectorAll(".table-responsive"), function (box) {
    if (!box.hasAttribute("tabindex")) { box.setAttribute("tabindex", "0"); }
    if (!box.hasAttribute("role")) { box.setAttribute("role", "region"); }
    if (!box.hasAttribute("aria-label") && !box.hasAttribute("aria-labelledby")) {
      var caption = box.querySelector("caption");
      var heading = null;
      for (var el = box.previousElementSibling; el && !heading; el = el.previousElementSibling) {
        if (/^H[1-6]$/.test(el.tagName)) { heading = el; }
      }
      var name = (caption && caption.textContent.trim()) || (heading && heading.textContent.trim()) || "Tabell";
      box.setAttribute("aria-label", name);
    }
  });
  var first = document.querySelector("[data-autofocus]");
  if (first) { first.focus(); }
})();
