/* kg report: the link chart (network.html), drawn with Cytoscape.js from
   network/data.js. Filters and the focus are in the address, so a chart is a
   link: network.html?focus=shinzo-abe&depth=2&from=2013&to=2015&theme=...&kind=person,event */
(function () {
  "use strict";
  const D = globalThis.kgNetwork;
  const FONT = 12; // label size on screen, in pixels, whatever the zoom
  const byId = new Map(D.nodes.map(function (n) { return [n.id, n]; }));
  const links = new Map(D.nodes.map(function (n) { return [n.id, []]; }));
  for (const e of D.edges) {
    links.get(e.source).push(e.target);
    links.get(e.target).push(e.source);
  }

  function readState(params) {
    const kinds = params.get("kind");
    const depth = params.get("depth") === "2" ? 2 : 1;
    const focus = params.get("focus");
    return {
      focus: focus && byId.has(focus) ? focus : "",
      depth: depth,
      from: params.get("from") || "",
      to: params.get("to") || "",
      theme: params.get("theme") || "",
      kinds: kinds ? kinds.split(",") : D.kinds.map(function (k) { return k.name; }),
      unknownFocus: focus && !byId.has(focus) ? focus : "",
    };
  }

  // Events and documents have dates and themes and answer the period and theme
  // filters; people, organisations and groups have none and stay when a kept
  // node links them.
  function passes(n, s) {
    if (s.from || s.to) {
      if (!n.start) return null;
      if (s.from && (n.end || n.start) < s.from) return false;
      if (s.to && n.start.slice(0, s.to.length) > s.to) return false;
    }
    if (s.theme) {
      if (!n.start && n.themes.length === 0) return null;
      if (!n.themes.includes(s.theme)) return false;
    }
    return true;
  }

  function kept(s) {
    const kinds = new Set(s.kinds);
    const keep = new Set(), context = [];
    for (const n of D.nodes) {
      if (!kinds.has(n.kind)) continue;
      const ok = passes(n, s);
      if (ok) keep.add(n.id);
      else if (ok === null) context.push(n.id);
    }
    const filtered = s.from || s.to || s.theme;
    for (const id of context) {
      if (!filtered || links.get(id).some(function (o) { return keep.has(o); })) keep.add(id);
    }
    if (!s.focus) return keep;
    // The ego network: the focus and what it reaches in `depth` links among the kept nodes.
    const ego = new Set([s.focus]);
    let ring = [s.focus];
    for (let d = 0; d < s.depth; d++) {
      const next = [];
      for (const id of ring) {
        for (const o of links.get(id)) {
          if (keep.has(o) && !ego.has(o)) { ego.add(o); next.push(o); }
        }
      }
      ring = next;
    }
    return ego;
  }

  function elements(ids, s) {
    const out = [];
    for (const id of ids) {
      const n = byId.get(id);
      out.push({
        group: "nodes",
        data: { id: id, label: n.label, short: n.short, kind: n.kind, degree: n.degree },
        position: { x: n.x, y: n.y },
        classes: "kind-" + n.kind + (id === s.focus ? " focus" : ""),
      });
    }
    D.edges.forEach(function (e, i) {
      if (ids.has(e.source) && ids.has(e.target)) {
        out.push({ group: "edges", data: { id: "e" + i, source: e.source, target: e.target, relation: e.relation } });
      }
    });
    return out;
  }

  function style(font) {
    const maxDegree = Math.max(1, ...D.nodes.map(function (n) { return n.degree; }));
    const rules = [
      {
        selector: "node",
        style: {
          width: "mapData(degree, 0, " + maxDegree + ", 10, 38)",
          height: "mapData(degree, 0, " + maxDegree + ", 10, 38)",
          "border-width": 1,
          "border-color": "#ffffff",
          label: "data(short)",
          "font-family": font,
          "font-size": function () { return FONT / (cy ? cy.zoom() : 1); },
          "text-valign": "bottom",
          "text-margin-y": function () { return 2 / (cy ? cy.zoom() : 1); },
          "text-opacity": 0,
          color: "#14213d",
          "text-background-color": "#ffffff",
          "text-background-opacity": 0,
          "text-background-padding": function () { return 1.5 / (cy ? cy.zoom() : 1); },
        },
      },
      {
        selector: "node.labelled, node.hover, node.focus",
        style: { "text-opacity": 1, "text-background-opacity": 0.8, "z-index": 10 },
      },
      { selector: "node.hover", style: { "z-index": 20, "border-color": "#14213d", "border-width": 2 } },
      { selector: "node.focus", style: { "border-color": "#14213d", "border-width": 3 } },
      {
        selector: "edge",
        style: { width: 1.2, "line-color": "#b8c0cc", "curve-style": "straight", opacity: 0.8 },
      },
      { selector: "edge.hover", style: { width: 3, "line-color": "#14213d", opacity: 1 } },
    ];
    for (const k of D.kinds) {
      rules.push({ selector: "node.kind-" + k.name, style: { "background-color": k.colour } });
    }
    return rules;
  }

  // Labels that do not overlap: the focus first, then by number of links; a
  // label is shown when its box meets none shown before. Run again after a zoom
  // (labels keep their size on screen, so zooming in makes room for more).
  let cy = null;
  function placeLabels() {
    cy.nodes().removeClass("labelled");
    const order = cy.nodes().toArray().sort(function (a, b) {
      return (b.hasClass("focus") - a.hasClass("focus")) || (b.data("degree") - a.data("degree")) ||
        (a.id() < b.id() ? -1 : 1);
    });
    const shown = [];
    const pad = 2 / cy.zoom();
    const apart = function (a, b) {
      return a.x2 + pad < b.x1 || b.x2 + pad < a.x1 || a.y2 + pad < b.y1 || b.y2 + pad < a.y1;
    };
    // A label covers no other node's dot either.
    const dots = order.map(function (n) {
      return { n: n, bb: n.boundingBox({ includeLabels: false, includeOverlays: false }) };
    });
    for (const n of order) {
      const bb = n.boundingBox({ includeNodes: false, includeEdges: false, includeLabels: true });
      if (!(bb.w > 0)) continue;
      const clear = shown.every(function (o) { return apart(bb, o); }) &&
        dots.every(function (d) { return d.n === n || apart(bb, d.bb); });
      if (clear) { shown.push(bb); n.addClass("labelled"); }
    }
  }

  function draw(s, container, status) {
    const ids = kept(s);
    cy.elements().remove();
    cy.add(elements(ids, s));
    if (cy.nodes().length > 1) {
      // Spread from the static picture's positions (no random start: the same chart each time).
      cy.layout({ name: "cose", randomize: false, animate: false, fit: false, nodeRepulsion: function () { return 90000; },
        idealEdgeLength: function () { return 90; }, nodeOverlap: 20, gravity: 0.4, numIter: 1500 }).run();
    }
    cy.fit(undefined, 30);
    cy.style().update();
    placeLabels();
    const n = cy.nodes().length, m = cy.edges().length;
    status.textContent = (s.unknownFocus ? "No " + s.unknownFocus + " in the chart. " : "") +
      n + " node" + (n === 1 ? "" : "s") + ", " + m + " link" + (m === 1 ? "" : "s") + " shown.";
  }

  function writeState(form, s) {
    form.elements.focus.value = s.focus;
    form.elements.depth.value = String(s.depth);
    form.elements.from.value = s.from;
    form.elements.to.value = s.to;
    form.elements.theme.value = s.theme;
    for (const box of form.querySelectorAll("input[name=kind]")) box.checked = s.kinds.includes(box.value);
  }

  function formState(form) {
    const params = new URLSearchParams();
    const focus = form.elements.focus.value.trim();
    if (focus) { params.set("focus", focus); params.set("depth", form.elements.depth.value); }
    for (const k of ["from", "to", "theme"]) {
      const v = form.elements[k].value.trim();
      if (v) params.set(k, v);
    }
    const kinds = Array.from(form.querySelectorAll("input[name=kind]:checked")).map(function (b) { return b.value; });
    if (kinds.length !== D.kinds.length) params.set("kind", kinds.join(","));
    return params;
  }

  function start() {
    const container = document.getElementById("chart");
    const form = document.getElementById("chart-form");
    const status = document.getElementById("chart-status");
    const tip = document.getElementById("chart-tip");
    const root = container.dataset.root;
    document.documentElement.classList.add("chart-on");
    cy = cytoscape({
      container: container,
      style: style(getComputedStyle(document.body).fontFamily),
      minZoom: 0.15,
      maxZoom: 5,
      layout: { name: "preset" },
    });
    let state = readState(new URLSearchParams(location.search));
    writeState(form, state);
    draw(state, container, status);
    let timer = null;
    cy.on("zoom", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { cy.style().update(); placeLabels(); }, 120);
    });
    cy.on("tap", "node", function (ev) {
      location.href = root + "entity/" + encodeURIComponent(ev.target.id()) + ".html";
    });
    function showTip(ev, text) {
      tip.textContent = text;
      tip.hidden = false;
      const p = ev.renderedPosition;
      tip.style.left = p.x + 12 + "px";
      tip.style.top = p.y + 12 + "px";
    }
    cy.on("mouseover", "node", function (ev) {
      ev.target.addClass("hover");
      container.style.cursor = "pointer";
      const kind = D.kinds.find(function (k) { return k.name === ev.target.data("kind"); });
      showTip(ev, ev.target.data("label") + (kind ? " · " + kind.title : "") + " · " + ev.target.data("degree") + " links");
    });
    cy.on("mouseover", "edge", function (ev) {
      const e = ev.target;
      e.addClass("hover");
      e.connectedNodes().addClass("hover");
      showTip(ev, e.source().data("label") + " — " + e.data("relation") + " — " + e.target().data("label"));
    });
    cy.on("mouseout", "node, edge", function (ev) {
      ev.target.removeClass("hover");
      if (ev.target.isEdge()) ev.target.connectedNodes().removeClass("hover");
      container.style.cursor = "";
      tip.hidden = true;
    });
    form.addEventListener("submit", function (ev) { ev.preventDefault(); });
    form.addEventListener("change", function () {
      const params = formState(form);
      try {
        const url = new URL(location.href);
        url.search = params.toString();
        history.replaceState(null, "", url.href);
      } catch (e) { /* the address stays as it was */ }
      state = readState(params);
      draw(state, container, status);
    });
    globalThis.kgChart = cy;
  }

  document.addEventListener("DOMContentLoaded", start);
})();
