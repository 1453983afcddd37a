/* kg report: search.html. The index is MiniSearch's serialised form, written by
   `kg report` in shards (search/L-KEY.js); this loads the shards a query's terms
   need by adding script elements (pages opened from disk may not fetch), merges them and
   lets MiniSearch search. fold() and tokens() are kg/views/report/search.py's:
   change both together. */
(function () {
  "use strict";
  var CJK = [[0x3005, 0x3007], [0x3040, 0x30ff], [0x31f0, 0x31ff], [0x3400, 0x4dbf],
    [0x4e00, 0x9fff], [0xac00, 0xd7af], [0xf900, 0xfaff], [0x20000, 0x2ffff]];
  var WORD = /^[\p{L}\p{N}]$/u;

  function fold(text) {
    return text.toLowerCase().normalize("NFKD").replace(/\p{M}/gu, "");
  }
  function isCjk(c) {
    var cp = c.codePointAt(0);
    return CJK.some(function (r) { return cp >= r[0] && cp <= r[1]; });
  }
  function tokens(text) {
    var out = [], run = [], cjk = false;
    function flush() {
      if (cjk && run.length > 1) {
        for (var i = 0; i + 1 < run.length; i++) out.push(run[i] + run[i + 1]);
      } else if (run.length) {
        out.push(run.join(""));
      }
      run = [];
    }
    Array.from(fold(text)).forEach(function (c) {
      if (isCjk(c)) {
        if (!cjk) flush();
        cjk = true; run.push(c);
      } else if (WORD.test(c)) {
        if (cjk) flush();
        cjk = false; run.push(c);
      } else {
        flush();
      }
    });
    flush();
    return out;
  }
  function shardKey(term, length) {
    return Array.from(term).slice(0, length).map(function (c) {
      return /^[a-z0-9]$/.test(c) ? c : "u" + (c.codePointAt(0) >> 8).toString(16);
    }).join("");
  }
  /* The shards that can hold a term starting with `term` (prefix search). */
  function shardsFor(term, meta) {
    var n = Array.from(term).length;
    return meta.shards.filter(function (s) {
      var length = s[0], key = s[1];
      return n >= length ? shardKey(term, length) === key : key.indexOf(shardKey(term, n)) === 0;
    }).map(function (s) { return s[0] + "-" + s[1]; });
  }
  /* Loads search/PREFIX+KEY.js for each key that window[global] does not hold yet. */
  function load(global, prefix, names, done) {
    window[global] = window[global] || {};
    var missing = names.filter(function (n) { return !(n in window[global]); });
    var left = missing.length;
    if (!left) return done();
    missing.forEach(function (name) {
      var s = document.createElement("script");
      s.src = "search/" + prefix + name + ".js";
      s.onload = s.onerror = function () { if (--left === 0) done(); };
      document.head.appendChild(s);
    });
  }
  function merged(names, meta) {
    var js = {
      documentCount: meta.documentCount, nextId: meta.nextId, fieldIds: meta.fieldIds,
      averageFieldLength: meta.averageFieldLength, serializationVersion: meta.serializationVersion,
      documentIds: {}, fieldLength: {}, storedFields: {}, index: [], dirtCount: 0
    };
    names.forEach(function (name) {
      var s = window.kgSearchShard[name];
      if (!s) return;
      Object.assign(js.documentIds, s.documentIds);
      Object.assign(js.fieldLength, s.fieldLength);
      js.index = js.index.concat(s.index);
    });
    return js;
  }
  function search(query, done) {
    var meta = window.kgSearchMeta;
    var terms = tokens(query);
    if (!terms.length) return done([], 0);
    var names = [];
    terms.forEach(function (t) {
      shardsFor(t, meta).forEach(function (n) { if (names.indexOf(n) < 0) names.push(n); });
    });
    load("kgSearchShard", "", names, function () {
      var options = {
        fields: Object.keys(meta.fieldIds),
        tokenize: tokens, processTerm: function (t) { return t; },
        searchOptions: {
          combineWith: "AND", prefix: true, boost: { name: 3, id: 2 },
          fuzzy: function (term) { return term.length > 4 ? 0.2 : false; }
        }
      };
      var found = MiniSearch.loadJS(merged(names, meta), options).search(query);
      shown(found.slice(0, 200), meta.docsPerFile, function (records) { done(records, found.length); });
    });
  }
  /* What the results show (title, address, kind, other labels), from search/docs-K.js. */
  function shown(results, per, done) {
    var files = [];
    results.forEach(function (r) {
      var key = String(Math.floor((r.id - 1) / per));
      if (files.indexOf(key) < 0) files.push(key);
    });
    load("kgSearchDocs", "docs-", files, function () {
      done(results.map(function (r) {
        return window.kgSearchDocs[String(Math.floor((r.id - 1) / per))][(r.id - 1) % per];
      }));
    });
  }
  function show(query, results, total) {
    var list = document.getElementById("results");
    var status = document.getElementById("status");
    list.textContent = "";
    results.forEach(function (r) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = r.u; a.textContent = r.t;
      var kind = document.createElement("span");
      kind.className = "muted"; kind.textContent = " " + r.k;
      li.appendChild(a); li.appendChild(kind);
      if (r.o) {
        var other = document.createElement("span");
        other.className = "other-labels"; other.textContent = r.o;
        li.appendChild(other);
      }
      list.appendChild(li);
    });
    status.textContent = !query ? "Type words to search for." :
      total + (total === 1 ? " record matches " : " records match ") +
      "\u201c" + query + "\u201d" + (total > results.length ? " (the first 200 shown)." : ".");
  }
  function run() {
    var input = document.getElementById("q");
    var query = new URLSearchParams(location.search).get("q") || "";
    input.value = query;
    search(query, function (results, total) { show(query, results, total); });
    document.getElementById("search-form").addEventListener("submit", function (e) {
      e.preventDefault();
      var q = input.value.trim();
      var url = new URL(location.href);
      if (q) url.searchParams.set("q", q); else url.searchParams.delete("q");
      history.replaceState(null, "", url.href);
      search(q, function (results, total) { show(q, results, total); });
    });
  }
  window.kgSearch = { fold: fold, tokens: tokens, shardKey: shardKey, search: search };
  document.addEventListener("DOMContentLoaded", run);
})();
