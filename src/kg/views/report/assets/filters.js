/* kg report: the filters of the timeline and the entity list. The page lists every
   row with data- attributes written by `kg report` (space-separated record ids);
   this hides the rows that do not match and keeps the filters in the URL
   (timeline.html?theme=theme-cyber-defence&from=2013&to=2015), so a filtered view
   is a link one can share. */
(function () {
  "use strict";
  var YEARS = { from: true, to: true };

  function matches(row, filters) {
    return Object.keys(filters).every(function (name) {
      var want = filters[name];
      if (name === "from") return Number(row.dataset.to) >= Number(want);
      if (name === "to") return Number(row.dataset.from) <= Number(want);
      return (row.dataset[name] || "").split(" ").indexOf(want) >= 0;
    });
  }
  function current(form) {
    var filters = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name && el.value) filters[el.name] = el.value;
    });
    return filters;
  }
  function apply(form) {
    var filters = current(form);
    var rows = document.querySelectorAll(form.dataset.rows);
    var shown = 0;
    Array.prototype.forEach.call(rows, function (row) {
      var ok = matches(row, filters);
      row.hidden = !ok;
      if (ok) shown++;
    });
    /* The timeline's year strip: the dots of hidden rows fade. */
    Array.prototype.forEach.call(document.querySelectorAll("svg [data-event]"), function (dot) {
      var row = document.getElementById(dot.dataset.event);
      dot.classList.toggle("dim", !!row && row.hidden);
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-group]"), function (group) {
      group.hidden = !group.querySelector(form.dataset.rows.split(" ").pop() + ":not([hidden])");
    });
    var status = document.querySelector(".filter-status");
    var total = status.dataset.total;
    status.textContent = Object.keys(filters).length ?
      shown + " of " + total + " shown." : total + " in all.";
    /* The filters in the form's order, after any other parameter. */
    var params = new URLSearchParams(location.search);
    var named = Array.prototype.filter.call(form.elements, function (el) { return el.name; });
    named.forEach(function (el) { params.delete(el.name); });
    named.forEach(function (el) { if (el.value) params.append(el.name, el.value); });
    var query = params.toString();
    history.replaceState(null, "", location.pathname + (query ? "?" + query : "") + location.hash);
  }
  function start() {
    var form = document.querySelector("form.filters");
    if (!form) return;
    var params = new URLSearchParams(location.search);
    var unknown = [];
    params.forEach(function (value, name) {
      var el = form.elements[name];
      if (!el) return;
      el.value = value;
      if (!(name in YEARS) && el.value !== value) unknown.push(name + "=" + value);
    });
    form.addEventListener("input", function () { apply(form); });
    form.addEventListener("change", function () { apply(form); });
    form.addEventListener("reset", function () { setTimeout(function () { apply(form); }, 0); });
    apply(form);
    if (unknown.length) {
      document.querySelector(".filter-status").textContent += " No such value: " + unknown.join(", ") + ".";
    }
  }
  document.addEventListener("DOMContentLoaded", start);
})();
