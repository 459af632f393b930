/* Unit pickers (templates/macros.html unit_picker): a search box that hides the checkboxes
   whose label does not match, and "Välj alla/inga" for the boxes shown. Progressive
   enhancement: without this script the picker is a plain, labelled list of checkboxes. */
(function () {
  "use strict";
  function fold(text) {
    return text.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/\s+/g, " ").trim();
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-unit-picker]"), function (picker) {
    var tools = picker.querySelector("[data-unit-tools]");
    var filter = picker.querySelector("[data-unit-filter]");
    var status = picker.querySelector("[data-unit-status]");
    var options = Array.prototype.slice.call(picker.querySelectorAll("[data-unit-option]"));
    if (!tools || !filter) { return; }
    tools.hidden = false;
    function shown() { return options.filter(function (o) { return !o.hidden; }); }
    function box(option) { return option.querySelector("input[type=checkbox]"); }
    function report() {
      var chosen = options.filter(function (o) { return box(o).checked; }).length;
      var visible = shown().length;
      status.textContent = chosen + " valda" + (visible < options.length ? ", " + visible + " av " + options.length + " visas" : "");
    }
    filter.addEventListener("input", function () {
      var wanted = fold(filter.value);
      options.forEach(function (o) { o.hidden = wanted !== "" && fold(o.textContent).indexOf(wanted) === -1; });
      report();
    });
    /* Enter in the search box must not submit the form the picker is in. */
    filter.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); }
    });
    picker.querySelector("[data-unit-all]").addEventListener("click", function () {
      shown().forEach(function (o) { box(o).checked = true; });
      report();
    });
    picker.querySelector("[data-unit-none]").addEventListener("click", function () {
      shown().forEach(function (o) { box(o).checked = false; });
      report();
    });
    picker.addEventListener("change", report);
    report();
  });
})();
