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
  var first = document.querySelector("[data-autofocus]");
  if (first) { first.focus(); }
})();
