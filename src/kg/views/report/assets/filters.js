/* kg report: the filters of the timeline and the entity list. The page lists every
   row with data- attributes written by `kg report` (space-separated record ids);
   this hides the rows that do not match and keeps the filters in the URL
   (timeline.html?theme=theme-cyber-defence&from=2013&to=2015), so a filtered view
   is a link one can share. A list in pages (data-pages on the form) filters every
   page: the rows of each are in a script (data-row-scripts + K + ".js", loaded by a
   script element so that a page opened from disk can load them), and the rows that
   match, from every page, are shown in a list of their own. */
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
  var everyPage = null; /* the rows of every page of a paged list, once loaded */
  var waiting = null; /* what waits for them while they load */

  function loadEveryPage(form, done) {
    if (everyPage) return done(everyPage);
    if (waiting) return waiting.push(done);
    waiting = [done];
    var count = Number(form.dataset.pages), left = count;
    for (var k = 1; k <= count; k++) {
      var script = document.createElement("script");
      script.src = form.dataset.rowScripts + k + ".js";
      script.onload = function () {
        if (--left) return;
        everyPage = [];
        for (var n = 1; n <= count; n++) {
          window.kgRows[n].forEach(function (html) {
            var t = document.createElement("template");
            t.innerHTML = html.trim();
            everyPage.push(t.content.firstElementChild);
          });
        }
        waiting.forEach(function (f) { f(everyPage); });
        waiting = null;
      };
      script.onerror = function () {
        document.querySelector(".filter-status").textContent = "Could not load the other pages' rows.";
      };
      document.head.appendChild(script);
    }
  }
  /* Where the rows of every page that match are shown: a list like the page's own,
     after the filters' status (an <ol> or a table of its own, so that the form's
     selector of the page's rows does not take them in). */
  function matchesList(form) {
    var list = document.querySelector(".every-page");
    if (list) return list;
    var first = document.querySelector(form.dataset.rows);
    if (first && first.tagName === "TR") {
      list = document.createElement("table");
      list.className = "data timeline-rows every-page";
      list.appendChild(document.createElement("tbody"));
    } else {
      list = document.createElement("ol");
      list.className = "entity-list every-page";
    }
    var status = document.querySelector(".filter-status");
    status.parentNode.insertBefore(list, status.nextSibling);
    return list;
  }
  function apply(form) {
    var filters = current(form);
    if (Number(form.dataset.pages || 1) > 1 && Object.keys(filters).length) {
      loadEveryPage(form, function (rows) {
        /* the form may have changed while the rows were loading */
        show(form, current(form), Object.keys(current(form)).length ? rows : null);
      });
    } else {
      show(form, filters, null);
    }
  }
  function show(form, filters, every) {
    var rows = document.querySelectorAll(form.dataset.rows);
    var shown = 0, matched = null;
    Array.prototype.forEach.call(rows, function (row) {
      var ok = !every && matches(row, filters);
      row.hidden = !ok;
      if (ok) shown++;
    });
    var list = every || document.querySelector(".every-page") ? matchesList(form) : null;
    if (list) {
      var body = list.tBodies ? list.tBodies[0] : list;
      while (body.firstChild) body.removeChild(body.firstChild);
      list.hidden = !every;
      if (every) {
        matched = {};
        every.forEach(function (row) {
          if (!matches(row, filters)) return;
          var copy = row.cloneNode(true);
          matched[copy.id] = true;
          copy.removeAttribute("id"); /* the page's own row keeps its id */
          body.appendChild(copy);
          shown++;
        });
      }
    }
    Array.prototype.forEach.call(document.querySelectorAll(".pager"), function (p) {
      p.hidden = !!every;
    });
    /* The timeline's year strip: the dots of hidden rows fade. */
    Array.prototype.forEach.call(document.querySelectorAll("svg [data-event]"), function (dot) {
      var row = document.getElementById(dot.dataset.event);
      dot.classList.toggle("dim", matched ? !matched[dot.dataset.event] : !!row && row.hidden);
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-group]"), function (group) {
      group.hidden = !group.querySelector(form.dataset.rows.split(" ").pop() + ":not([hidden])");
    });
    var status = document.querySelector(".filter-status");
    var total = status.dataset.total;
    status.textContent = Object.keys(filters).length ?
      shown + " of " + total + " shown" + (every ? ", from every page." : ".") : total + " in all.";
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
    /* entities.html#person on a paged list: the list of people starts on another page,
       which this page's table of contents links to (its link carries the id). */
    var target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (target && target.tagName === "A" && !location.search) {
      location.replace(target.href);
      return;
    }
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
