"""The report's search index: MiniSearch's serialised form, built here, in shards.

Every record is a document: its labels in every language and its alternative
labels (``name``), its id (``id``) and the text of its details (a statement's
words, a source's title, notes: ``text``). The index is MiniSearch's own
serialised form (``serializationVersion`` 2, what ``MiniSearch.loadJS`` reads),
so the browser runs the vendored library on it without indexing anything.

Terms are folded the same way here and in ``kg-search.js`` (lower case, NFKD,
combining marks dropped: ``Tōkyō`` finds ``tokyo``); runs of CJK characters
become character bigrams (``安倍晋三`` -> ``安倍 倍晋 晋三``), so a Japanese
word matches inside a longer one without a dictionary.

The index comes in pieces so a page loads only what a query needs: a shard
(``search/L-KEY.js``) holds the terms whose first L characters give its key
(L is 1, or 2 when a shard would hold more than :data:`SHARD_POSTINGS`
postings, and so on), with the lengths of the documents those terms occur in.
Document counts and average field lengths are the whole index's (in
``search/meta.js``), so the shards a query loads, merged, score exactly as the
whole index would. What a result shows (title, address, kind, other labels) is
in ``search/docs-K.js``, 1000 records a file, loaded for the results shown.

>>> tokens("Tōkyō: NATO–Japan 安倍晋三")
['tokyo', 'nato', 'japan', '安倍', '倍晋', '晋三']
>>> shard_key("安倍", 1), shard_key("kiuchi", 2)
('u5b', 'ki')
"""

from __future__ import annotations

import json
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from kg.views.model import Description
from kg.views.report.vendored import asset, vendored_package

FIELDS = ("name", "id", "text")
DOCS_PER_FILE = 1000  # records shown in results: search/docs-K.js holds 1000 of them
SHARD_POSTINGS = 20_000  # a shard above this is split by one more character of its key
CJK = (
    (0x3005, 0x3007),
    (0x3040, 0x30FF),
    (0x31F0, 0x31FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xAC00, 0xD7AF),
    (0xF900, 0xFAFF),
    (0x20000, 0x2FFFF),
)


def fold(text: str) -> str:
    """Lower case, compatibility-decomposed, without combining marks."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.category(c).startswith("M"))


def _is_cjk(c: str) -> bool:
    cp = ord(c)
    return any(lo <= cp <= hi for lo, hi in CJK)


def tokens(text: str) -> list[str]:
    """The terms of a text: words of letters and digits, CJK runs as bigrams.

    ``kg-search.js`` has the same function for queries: change both together.
    """
    out: list[str] = []
    run: list[str] = []
    cjk = False

    def flush() -> None:
        if cjk and len(run) > 1:
            out.extend(run[i] + run[i + 1] for i in range(len(run) - 1))
        elif run:
            out.append("".join(run))
        run.clear()

    for c in fold(text):
        if _is_cjk(c):
            if not cjk:
                flush()
            cjk = True
            run.append(c)
        elif unicodedata.category(c)[0] in "LN":
            if cjk:
                flush()
            cjk = False
            run.append(c)
        else:
            flush()
    flush()
    return out


def shard_key(term: str, length: int) -> str:
    """The key of the shard holding ``term`` when keys are ``length`` characters:
    ASCII letters and digits as they are, any other character as ``u`` and its
    block of 256 code points in hex."""
    return "".join(c if c.isascii() and c.isalnum() else f"u{ord(c) >> 8:x}" for c in term[:length])


@dataclass
class SearchIndex:
    """The index's files: ``meta`` (options, counts, shard keys), the shards, and
    what a result shows of each record (title, address, kind, other labels), by
    MiniSearch's id (1, 2, …)."""

    meta: dict[str, object]
    shards: dict[str, dict[str, object]]
    shown: list[dict[str, str]]

    def files(self) -> dict[str, bytes]:
        """``search/meta.js``, ``search/L-KEY.js`` and ``search/docs-K.js`` (records
        ``K*1000+1`` to ``(K+1)*1000``): JSON in a script, so pages opened from disk
        (where ``fetch`` is refused) load them with a ``<script>`` tag."""
        out = {"search/meta.js": _script("kgSearchMeta", self.meta)}
        for key, shard in self.shards.items():
            out[f"search/{key}.js"] = _script("kgSearchShard", shard, key)
        for k in range(0, len(self.shown), DOCS_PER_FILE):
            part = self.shown[k : k + DOCS_PER_FILE]
            out[f"search/docs-{k // DOCS_PER_FILE}.js"] = _script(
                "kgSearchDocs", part, str(k // DOCS_PER_FILE)
            )
        return out


def _script(name: str, data: object, key: str | None = None) -> bytes:
    """``window.NAME = DATA;``, or ``window.NAME[KEY] = DATA;`` for one of many."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    body = body.replace("<", "\\u003c")  # "<" only occurs in strings: no "</script>" in a file
    if key is None:
        return f"window.{name} = {body};\n".encode()
    init = f"window.{name} = window.{name} || {{}};\n"
    return f"{init}window.{name}[{json.dumps(key)}] = {body};\n".encode()


def document(d: Description) -> tuple[dict[str, str], dict[str, str]]:
    """A record's fields to index and the fields shown in a result."""
    names = [x for labels in (d.labels, d.alt_labels) for ls in labels.values() for x in ls]
    names = list(dict.fromkeys([d.label, *names]))
    text = " ".join(f.text for f in d.details)
    others = ", ".join(n for n in names if n != d.label)
    stored = {"t": d.label, "u": f"entity/{d.id}.html", "k": d.kind_title, "o": others[:160]}
    return {"name": " ".join(names), "id": d.id or "", "text": text}, stored


class SearchBuilder:
    """The index built one record at a time, in the order of their ids, so no
    record's description is kept: only its terms' postings and what a result
    shows of it (a million-triple graph's descriptions took most of the report's
    memory when they were all kept for the index).

    >>> b = SearchBuilder()
    >>> b.add("a", {"name": "Tokyo", "id": "a", "text": ""}, {"t": "Tokyo"})
    >>> b.index().meta["documentCount"]
    1
    """

    def __init__(self) -> None:
        self.postings: dict[str, dict[int, dict[int, int]]] = defaultdict(dict)  # term-field-doc
        self.lengths: dict[int, list[int]] = {}
        self.shown: list[dict[str, str]] = []
        self.last = ""

    def add(self, rid: str, fields: dict[str, str], shown: dict[str, str]) -> None:
        """Index one record; records come in the order of their ids."""
        if rid <= self.last and self.shown:
            raise ValueError(f"records out of order: {rid!r} after {self.last!r}")
        self.last = rid
        self.shown.append(shown)
        short = len(self.shown)
        self.lengths[short] = []
        for fid, name in enumerate(FIELDS):
            terms = tokens(fields[name])
            self.lengths[short].append(len(set(terms)))
            for t in terms:
                per_doc = self.postings[t].setdefault(fid, {})
                per_doc[short] = per_doc.get(short, 0) + 1

    def add_description(self, d: Description) -> None:
        if d.id:
            self.add(d.id, *document(d))

    def index(self) -> SearchIndex:
        postings, lengths, n = self.postings, self.lengths, len(self.shown)
        meta: dict[str, object] = {
            "documentCount": n,
            "nextId": n + 1,
            "fieldIds": {name: i for i, name in enumerate(FIELDS)},
            "averageFieldLength": [
                sum(lengths[s][i] for s in lengths) / n if n else 0 for i in range(len(FIELDS))
            ],
            "docsPerFile": DOCS_PER_FILE,
            "serializationVersion": 2,
        }
        groups = _split(sorted(postings), postings, 1)
        meta["shards"] = [[length, key] for length, key in sorted(groups)]
        shards = {
            f"{length}-{key}": _shard(terms, postings, lengths)
            for (length, key), terms in sorted(groups.items())
        }
        return SearchIndex(meta, shards, self.shown)


def build_search_index(descriptions: Iterable[Description]) -> SearchIndex:
    """MiniSearch's serialised index of the records, in shards (see the module)."""
    builder = SearchBuilder()
    for d in sorted((d for d in descriptions if d.id), key=lambda d: d.id or ""):
        builder.add_description(d)
    return builder.index()


def _split(
    terms: list[str], postings: dict[str, dict[int, dict[int, int]]], length: int
) -> dict[tuple[int, str], list[str]]:
    """Terms by shard (key length in characters, key); a key whose postings
    exceed the bound splits one character further (its terms no longer than the key
    stay under the key itself)."""
    groups: dict[str, list[str]] = defaultdict(list)
    for t in terms:
        groups[shard_key(t, length)].append(t)
    out: dict[tuple[int, str], list[str]] = {}
    for key, group in groups.items():
        size = sum(len(docs) for t in group for docs in postings[t].values())
        longer = [t for t in group if len(t) > length]
        if size <= SHARD_POSTINGS or len(longer) <= 1:
            out[length, key] = group
            continue
        short = [t for t in group if len(t) <= length]
        if short:
            out[length, key] = short
        out.update(_split(longer, postings, length + 1))
    return out


def _shard(
    terms: list[str],
    postings: dict[str, dict[int, dict[int, int]]],
    lengths: dict[int, list[int]],
) -> dict[str, object]:
    """The terms of one shard with the lengths of the records they occur in (their
    ids are MiniSearch's own numbers: what a result shows is in search/docs-K.js)."""
    present = sorted({doc for t in terms for per in postings[t].values() for doc in per})
    index = [
        [t, {str(f): {str(d): c for d, c in sorted(per.items())} for f, per in postings[t].items()}]
        for t in terms
    ]
    return {
        "documentIds": {str(s): s for s in present},
        "fieldLength": {str(s): lengths[s] for s in present},
        "index": index,
    }


def search_files(index: SearchIndex | Iterable[Description]) -> dict[str, bytes]:
    """The site's scripts but the pages: MiniSearch, the index, ``search.js`` (for
    ``search.html``) and ``filters.js`` (the timeline's and entity list's filters)."""
    if not isinstance(index, SearchIndex):
        index = build_search_index(index)
    files = vendored_package("minisearch")
    files.update(index.files())
    files["search.js"] = asset("search.js")
    files["filters.js"] = asset("filters.js")
    return files
