/* kg report: live queries in the browser, on the graph shipped with the site
   (data/graph-*.js), with Oxigraph's WebAssembly build (live/oxigraph.js).
   A canned query's page binds its parameters as `kg query NAME -p ...` does:
   the texts kg's front door prepares are in the page (one per set of optional
   parameters given), each parameter a placeholder term; the value a user gives
   becomes its RDF term by the rules of kg.sparql.canned.to_term (their patterns
   are exported in live/rules.js) and Oxigraph's N-Triples writes it in. */
(function () {
  "use strict";
  const R = globalThis.kgRules;
  const XSD = "http://www.w3.org/2001/XMLSchema#";
  const FORMS = ["SELECT", "ASK", "CONSTRUCT", "DESCRIBE"];

  class Refused extends Error {}

  let opened = null;
  function open() {
    if (opened === null) {
      opened = globalThis.kgOxigraph.then(function (ox) {
        const store = new ox.Store();
        for (const piece of globalThis.kgGraph || []) {
          store.load(piece, { format: "text/turtle" });
        }
        return { ox: ox, store: store };
      });
    }
    return opened;
  }

  // --- parameter values: kg.sparql.canned.to_term -------------------------------------------
  function codePoint(ch) {
    return "U+" + ch.codePointAt(0).toString(16).toUpperCase().padStart(4, "0");
  }

  function realDate(y, m, d) {
    const t = new Date(Date.UTC(2000, m - 1, d));
    t.setUTCFullYear(y);
    return y >= 1 && t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
  }

  function dateDatatype(text) {
    const m = new RegExp(R.patterns.date).exec(text);
    if (!m) return null;
    if (m[3] !== undefined) return realDate(+m[1], +m[2], +m[3]) ? "date" : null;
    if (m[2] !== undefined) return +m[2] >= 1 && +m[2] <= 12 ? "gYearMonth" : null;
    return "gYear";
  }

  function isIri(ox, text) {
    try {
      ox.namedNode(text);
    } catch (e) {
      return false;
    }
    return true;
  }

  // kg.terms.checks.is_absolute_iri: Oxigraph's IRI, with an authority (or urn:)
  // and a port that is a number up to 65535.
  function isAbsoluteIri(ox, text) {
    if (!isIri(ox, text)) return false;
    const m = /^([A-Za-z][A-Za-z0-9+.-]*):(?:\/\/([^/?#]*))?/.exec(text);
    if (!m) return false;
    if (m[2] === undefined || m[2] === "") return m[1].toLowerCase() === "urn";
    const host = m[2].slice(m[2].lastIndexOf("@") + 1);
    const port = /:([^\]:]*)$/.exec(host);
    if (port && port[1] !== "" && !(/^[0-9]+$/.test(port[1]) && +port[1] <= 65535)) return false;
    return true;
  }

  function isLanguageTag(ox, text) {
    try {
      ox.literal("", text);
    } catch (e) {
      return false;
    }
    return new RegExp(R.patterns.language_subtag).test(text);
  }

  // The value as the CLI's messages quote it (Python's repr of a string; the
  // control characters it escapes are refused first).
  function repr(text) {
    const q = text.includes("'") && !text.includes('"') ? '"' : "'";
    const body = text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t");
    return q + (q === "'" ? body.replace(/'/g, "\\'") : body) + q;
  }

  function toTerm(ox, p, raw) {
    const bad = new RegExp(R.patterns.control).exec(raw);
    const quoted = repr(raw);
    if (bad) throw new Refused("parameter '" + p.name + "': control character " + codePoint(bad[0]) + " in " + quoted);
    const value = raw.trim();
    if (p.type === "iri") {
      if (new RegExp(R.patterns.record_id).test(value)) return ox.namedNode(R.record_base + value).toString();
      let iri = value;
      const at = value.indexOf(":");
      if (at >= 0) {
        const prefix = value.slice(0, at), local = value.slice(at + 1);
        if (Object.prototype.hasOwnProperty.call(R.prefixes, prefix) && !local.startsWith("//")) {
          iri = R.prefixes[prefix] + local;
        }
      }
      if (!isAbsoluteIri(ox, iri)) throw new Refused("parameter '" + p.name + "': " + quoted + " is not a record id, prefixed name or IRI");
      return ox.namedNode(iri).toString();
    }
    if (p.type === "date") {
      const dt = dateDatatype(value);
      if (!dt) throw new Refused("parameter '" + p.name + "': " + quoted + ' is not a date "YYYY-MM-DD", "YYYY-MM" or "YYYY"');
      return ox.literal(value, ox.namedNode(XSD + dt)).toString();
    }
    if (p.type === "integer") {
      if (!new RegExp(R.patterns.signed_integer).test(value)) throw new Refused("parameter '" + p.name + "': " + quoted + " is not a whole number");
      return ox.literal(value, ox.namedNode(XSD + "integer")).toString();
    }
    if (p.type === "lang") {
      if (!isLanguageTag(ox, value)) throw new Refused("parameter '" + p.name + "': " + quoted + " is not a language tag");
      return ox.literal(value.toLowerCase()).toString();
    }
    return ox.literal(raw).toString();
  }

  // The text to run: the template for the optional parameters given, each
  // placeholder replaced by its term (kg.views.report.live.fill).
  function prepared(ox, spec, values) {
    const terms = {}, given = [];
    for (const p of spec.params) {
      let raw = Object.prototype.hasOwnProperty.call(values, p.name) ? values[p.name] : null;
      if (raw === null) raw = p.default;
      if (raw === null && p.optional) continue;
      if (raw === null) throw new Refused("query '" + spec.name + "' needs -p " + p.name + "=VALUE (" + p.description + ")");
      terms[p.name] = toTerm(ox, p, raw);
      if (p.optional && p.default === null) given.push(p.name);
    }
    let text = spec.templates[given.sort().join(",")];
    for (const name of Object.keys(terms)) text = text.split(spec.placeholders[name]).join(terms[name]);
    return text;
  }

  // --- the guard: kg.sparql.guard's rules (live/rules.js) ------------------------------------
  const TOKEN = new RegExp(
    [
      "#[^\\n\\r]*",                                   // a comment
      '"""[\\s\\S]*?"""', "'''[\\s\\S]*?'''",           // long strings
      '"(?:[^"\\\\\\n\\r]|\\\\.)*"', "'(?:[^'\\\\\\n\\r]|\\\\.)*'",  // strings
      "<[^<>\"{}|^`\\\\\\x00-\\x20]*>",                 // an IRI
      "[?$][^\\s(){}\\[\\],;.<>=!|&+*/^\"']+",          // a variable
      "[A-Za-z_\\u00c0-\\uffff][\\w\\u00b7\\u00c0-\\uffff.\\\\-]*(?::[^\\s(){}\\[\\],;\"'<>]*)?|:[^\\s(){}\\[\\],;\"'<>]*",
      "[\\s\\S]",
    ].join("|"),
    "g"
  );

  function guard(text) {
    const words = R.guard.words;
    const hidden = new RegExp(R.guard.service_in_iri, "is");
    const dots = new RegExp(R.guard.dots, "g");
    for (const m of text.matchAll(TOKEN)) {
      const t = m[0];
      if (t[0] === "<" && t.length > 1 && t[t.length - 1] === ">") {
        if (hidden.test(t)) throw new Refused(t.slice(0, 80) + " is refused: an engine may read its '<' as a comparison and what follows its ')' as a SERVICE call; write '<' with a space after it");
        continue;
      }
      if (!/^[A-Za-z_:\u00c0-\uffff]/.test(t)) continue;
      const colon = t.indexOf(":");
      if (colon >= 0) {
        const prefix = t.slice(0, colon), local = t.slice(colon + 1);
        if ((local.match(dots) || []).length > 1 || (prefix.match(dots) || []).length > 1) {
          throw new Refused(t.slice(0, 80) + " is refused: engines split a prefixed name with two dots differently; write its dots as '\\.' or the full <IRI>");
        }
        continue;
      }
      const word = t.toUpperCase();
      const inside = words.find(function (w) { return word.includes(w) && w !== word; });
      if (inside) throw new Refused(t.slice(0, 80) + " is refused: an engine reads " + inside + " at its start or inside it; write " + inside + " as a word of its own");
      if (word === "SERVICE") throw new Refused("SERVICE is refused: kg queries only its own graph");
      if (word === "FROM") throw new Refused("FROM is refused: kg queries only the graph it was given");
      if (words.includes(word)) throw new Refused("SPARQL update (" + word + ") is refused: kg query only reads the graph");
    }
  }

  // kg's prefixes, as the CLI's engine knows them (kg.sparql.rewrite.with_prefixes
  // declares those a text uses; declaring them all is the same to a parser).
  function withPrefixes(text) {
    const declared = new Set();
    for (const m of text.matchAll(/PREFIX\s+([A-Za-z][\w.-]*)?:/gi)) declared.add(m[1] || "");
    let head = "";
    for (const [prefix, ns] of Object.entries(R.prefixes)) {
      if (!declared.has(prefix)) head += "PREFIX " + prefix + ": <" + ns + ">\n";
    }
    return head + text;
  }

  function formOf(text) {
    for (const m of text.matchAll(TOKEN)) {
      const word = m[0].toUpperCase();
      if (FORMS.includes(word)) return word;
    }
    throw new Refused("not a SPARQL query: SELECT, ASK, CONSTRUCT or DESCRIBE");
  }

  // --- running and showing -------------------------------------------------------------------
  function run(env, text, form) {
    const t0 = performance.now();
    if (form === "CONSTRUCT" || form === "DESCRIBE") {
      const graph = env.store.query(text, { results_format: "text/turtle" });
      return { form: form, graph: graph, ms: performance.now() - t0 };
    }
    const json = JSON.parse(env.store.query(text, { results_format: "application/sparql-results+json" }));
    if (form === "ASK") return { form: form, boolean: json.boolean, ms: performance.now() - t0 };
    const vars = json.head.vars;
    const rows = json.results.bindings.map(function (b) {
      return vars.map(function (v) { return b[v] || null; });
    });
    return { form: form, vars: vars, rows: rows, ms: performance.now() - t0 };
  }

  // kg query --format csv (kg.sparql.render): Python's csv writer, "\r\n" line ends,
  // an apostrophe before a cell a spreadsheet would run as a formula.
  function csvField(text) {
    return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  function csvCell(cell) {
    if (cell === null) return "";
    const text = cell.value;
    return R.formula_start.some(function (s) { return text.startsWith(s); }) ? "'" + text : text;
  }

  function csvRow(cells) {
    if (cells.length === 1 && cells[0] === "") return '""';
    return cells.map(csvField).join(",");
  }

  function csv(result) {
    if (result.form === "ASK") return "boolean\r\n" + (result.boolean ? "true" : "false") + "\r\n";
    const lines = [csvRow(result.vars)];
    for (const row of result.rows) lines.push(csvRow(row.map(csvCell)));
    return lines.join("\r\n") + "\r\n";
  }

  function compact(iri) {
    let best = null;
    for (const [prefix, ns] of Object.entries(R.prefixes)) {
      if (iri.startsWith(ns) && (best === null || ns.length > R.prefixes[best].length)) best = prefix;
    }
    return best === null ? iri : best + ":" + iri.slice(R.prefixes[best].length);
  }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function cellNode(cell, root) {
    const td = el("td");
    if (cell === null) return td;
    if (cell.type === "uri") {
      const id = cell.value.startsWith(R.record_base) ? cell.value.slice(R.record_base.length) : null;
      if (id !== null && new RegExp(R.patterns.record_id).test(id) && (globalThis.kgPages || {})[id]) {
        td.appendChild(el("a", { href: root + "entity/" + id + ".html" }, globalThis.kgPages[id]));
      } else {
        td.textContent = compact(cell.value);
      }
    } else {
      td.textContent = cell.value;
      if (cell["xml:lang"]) td.setAttribute("lang", cell["xml:lang"]);
    }
    return td;
  }

  function show(out, result, name, root) {
    out.replaceChildren();
    const timing = " · " + Math.round(result.ms) + " ms in your browser";
    if (result.form === "ASK") {
      out.appendChild(el("p", { class: "value" }, result.boolean ? "true" : "false"));
      out.appendChild(el("p", { class: "muted" }, "ASK" + timing));
    } else if (result.graph !== undefined) {
      out.appendChild(el("pre", { class: "code" }, result.graph));
      out.appendChild(el("p", { class: "muted" }, result.form + timing));
    } else {
      const n = result.rows.length;
      out.appendChild(el("p", { class: "muted live-count" }, n + " row" + (n === 1 ? "" : "s") + timing));
      const table = el("table", { class: "data results" });
      const head = el("tr");
      for (const v of result.vars) head.appendChild(el("th", { scope: "col" }, v));
      table.appendChild(el("thead")).appendChild(head);
      const body = table.appendChild(el("tbody"));
      for (const row of result.rows) {
        const tr = body.appendChild(el("tr"));
        for (const cell of row) tr.appendChild(cellNode(cell, root));
      }
      out.appendChild(el("div", { class: "scroll" })).appendChild(table);
    }
    const text = result.graph !== undefined ? result.graph : csv(result);
    const type = result.graph !== undefined ? "text/turtle" : "text/csv";
    const file = name + (result.graph !== undefined ? ".ttl" : ".csv");
    const link = el("a", { class: "download", download: file }, "Download " + file);
    link.href = URL.createObjectURL(new Blob([text], { type: type + ";charset=utf-8" }));
    out.appendChild(el("p")).appendChild(link);
    out.kgText = text; // what the download holds (for tests and the console)
  }

  function fail(out, error) {
    out.replaceChildren(el("p", { class: "error", role: "alert" }, error instanceof Refused ? error.message : "SPARQL error: " + String(error.message || error).split("\n")[0]));
    out.kgText = "";
    if (!(error instanceof Refused)) console.warn(error);
  }

  function setStatus(form, text) {
    const status = form.querySelector(".live-status");
    if (status) status.textContent = text;
  }

  function shareable(values) {
    try {
      const url = new URL(location.href);
      url.search = new URLSearchParams(values).toString();
      history.replaceState(null, "", url.href);
    } catch (e) {
      /* a browser that refuses it leaves the address as it was */
    }
  }

  // A canned query's page: its form, run on submit and on load when the
  // address names a parameter (`?date=2013-06-25`) or says `run`.
  function cannedPage(form) {
    const spec = JSON.parse(document.getElementById("kg-query-spec").textContent);
    const out = document.getElementById("live-results");
    const root = form.dataset.root;
    const url = new URLSearchParams(location.search);
    for (const p of spec.params) {
      if (url.has(p.name)) form.elements[p.name].value = url.get(p.name);
    }
    function go() {
      const values = {};
      for (const p of spec.params) {
        const v = form.elements[p.name].value;
        if (v !== "" || !(p.optional && p.default === null)) values[p.name] = v;
      }
      setStatus(form, "Running…");
      out.dataset.state = "running";
      return open().then(function (env) {
        shareable(values);
        show(out, run(env, prepared(env.ox, spec, values), spec.form), spec.name, root);
        const fixed = document.getElementById("default-results");
        if (fixed) fixed.hidden = true;
      }).catch(function (e) { fail(out, e); }).finally(function () {
        setStatus(form, "");
        out.dataset.state = "done";
      });
    }
    form.addEventListener("submit", function (ev) { ev.preventDefault(); go(); });
    const asked = spec.params.some(function (p) { return url.has(p.name); }) || url.has("run");
    if (asked) go();
  }

  // The SPARQL box: any read-only query, past the guard's rules.
  function sparqlBox(form) {
    const out = document.getElementById("live-results");
    const box = form.elements.sparql;
    const url = new URLSearchParams(location.search);
    if (url.has("sparql")) box.value = url.get("sparql");
    function go() {
      const text = box.value;
      setStatus(form, "Running…");
      out.dataset.state = "running";
      return open().then(function (env) {
        guard(text);
        shareable({ sparql: text });
        show(out, run(env, withPrefixes(text), formOf(text)), "results", form.dataset.root);
      }).catch(function (e) { fail(out, e); }).finally(function () {
        setStatus(form, "");
        out.dataset.state = "done";
      });
    }
    form.addEventListener("submit", function (ev) { ev.preventDefault(); go(); });
    if (url.has("sparql")) go();
  }

  globalThis.kgLive = { guard: guard, toTerm: toTerm, prepared: prepared, csv: csv, open: open, Refused: Refused };
  document.addEventListener("DOMContentLoaded", function () {
    const canned = document.getElementById("live-form");
    if (canned) cannedPage(canned);
    const adhoc = document.getElementById("sparql-form");
    if (adhoc) sparqlBox(adhoc);
  });
})();
