"""The native query store: Oxigraph (pyoxigraph), in memory or persisted by ``kg build``.

``kg build`` writes ``build/kg.oxigraph/`` next to ``build/kg.ttl``: an
Oxigraph store whose default graph holds the asserted triples and the
ontology's, with the inferred triples (``--reason``) in a named graph, plus a
stamp saying which ``kg.ttl`` it was built with. ``kg query --graph
build/kg.ttl`` opens that store (a few milliseconds) instead of parsing the
Turtle.

Why one default graph rather than a named graph each for the asserted triples
and the ontology: Oxigraph looks every pattern up once per graph a query's
default graph is made of, so each graph more costs every query (measured at 1M
triples, a two-pattern scan: 0.069 s on one graph, 0.094 s on two, 0.164 s on
three; a three-way join 1.8 s, 2.4 s, 3.0 s).

Terms cross between rdflib and pyoxigraph through :func:`to_ox` and
:func:`from_ox`, so the rest of kg (rendering, the reference engines) keeps
working on rdflib terms.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD

from kg.errors import BadInput, write_error
from kg.namespaces import INFERRED_GRAPH, PREFIXES

STORE_DIR = "kg.oxigraph"
STORE_TMP = f".{STORE_DIR}.tmp"  # where StoreWriter fills a new store
STAMP = "kg-store.json"
# The store's layout: a store written in another one is not opened (the build
# that reads it again writes a new one).
LAYOUT = 2
BASE = None  # in NativeGraph.graphs: the store's default graph (asserted + ontology)
_XSD_STRING = str(XSD.string)


def _ox() -> Any:
    import pyoxigraph  # heavy-ish: imported only when used

    return pyoxigraph


class TermConverter:
    """rdflib <-> pyoxigraph terms, with IRIs cached (they repeat a lot)."""

    def __init__(self) -> None:
        ox = _ox()
        self.ox = ox
        self._iris: dict[str, Any] = {}
        self._back: dict[Any, Any] = {}  # pyoxigraph term -> rdflib term (from_ox)

    def iri(self, s: str) -> Any:
        n = self._iris.get(s)
        if n is None:
            n = self._iris[s] = self.ox.NamedNode(s)
        return n

    def to_ox(self, t: Any) -> Any:
        if isinstance(t, URIRef):
            return self.iri(t)
        if isinstance(t, Literal):
            if t.language:
                return self.ox.Literal(str(t), language=t.language)
            if t.datatype is not None:
                return self.ox.Literal(str(t), datatype=self.iri(t.datatype))
            return self.ox.Literal(str(t))
        if isinstance(t, BNode):
            return self.ox.BlankNode(str(t))
        raise TypeError(f"not an RDF term: {t!r}")

    def from_ox(self, t: Any) -> Any:
        if t is None:
            return None
        # Literals are cached too, by the pyoxigraph term (hashed in Rust): large
        # results repeat dates, labels and kinds, and an rdflib Literal costs
        # 2-5 µs to make (a date is parsed); rdflib terms are immutable, so
        # rows may share them. Capped, so one huge result cannot hold everything.
        r = self._back.get(t)
        if r is not None:
            return r
        ox = self.ox
        if isinstance(t, ox.NamedNode):
            r = URIRef(t.value)
        elif isinstance(t, ox.Literal):
            if t.language:
                r = Literal(t.value, lang=t.language)
            else:
                dt = t.datatype.value
                r = Literal(t.value) if dt == _XSD_STRING else Literal(t.value, datatype=URIRef(dt))
        elif isinstance(t, ox.BlankNode):
            return BNode(t.value)
        else:
            raise TypeError(f"not an RDF term: {t!r}")
        if len(self._back) < 1 << 20:
            self._back[t] = r
        return r

    def quads(self, triples: Iterable[tuple], graph: URIRef | None) -> Iterator[Any]:
        """``graph`` None (:data:`BASE`) is the store's default graph."""
        g = self.ox.DefaultGraph() if graph is None else self.iri(graph)
        quad = self.ox.Quad
        conv = self.to_ox
        for s, p, o in triples:
            yield quad(conv(s), conv(p), conv(o), g)


@dataclass
class NativeGraph:
    """An Oxigraph store and which of its graphs form the default graph of a
    query: :data:`BASE` (the store's default graph) and named graphs."""

    store: Any
    graphs: list[URIRef | None] = field(default_factory=lambda: [BASE])
    conv: TermConverter = field(default_factory=TermConverter)

    def __len__(self) -> int:
        q = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
        sol = next(iter(self.store.query(q, default_graph=self.default_graph())))
        return int(sol["n"].value)

    def default_graph(self) -> list[Any] | None:
        """The graphs for Oxigraph's ``default_graph`` (None: the store's own)."""
        if self.graphs == [BASE]:
            return None
        ox = self.conv.ox
        return [ox.DefaultGraph() if g is BASE else self.conv.iri(g) for g in self.graphs]

    def select(self, text: str, bindings: dict[str, Any] | None = None) -> Any:
        ox = self.conv.ox
        subs = {ox.Variable(k): self.conv.to_ox(v) for k, v in (bindings or {}).items()}
        return self.store.query(
            text,
            prefixes={k: str(v) for k, v in PREFIXES.items()},
            default_graph=self.default_graph(),
            substitutions=subs or None,
        )


def memory_graph(
    asserted: Iterable[tuple],
    inferred: Iterable[tuple] = (),
    ontology: Iterable[tuple] = (),
) -> NativeGraph:
    """An in-memory store holding the given triples, laid out as the persisted one."""
    conv = TermConverter()
    store = conv.ox.Store()
    store.bulk_extend(conv.quads(asserted, BASE))
    store.bulk_extend(conv.quads(ontology, BASE))
    graphs: list[URIRef | None] = [BASE]
    inferred = list(inferred)
    if inferred:
        store.bulk_extend(conv.quads(inferred, INFERRED_GRAPH))
        graphs.append(INFERRED_GRAPH)
    return NativeGraph(store, graphs, conv)


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class StoreWriter:
    """Writes a fresh ``out_dir/kg.oxigraph`` store in a background thread.

    Oxigraph's bulk loader parses and indexes without holding the GIL, so the
    store fills while the build validates and reasons on the main thread (at
    1M triples that hides most of the store's cost). :meth:`ready` finishes it
    under a temporary name, for the caller to put in place together with the
    files of the same build; :meth:`abort` removes it, leaving the old store
    untouched. ``out_dir`` exists already (kg build's ``output_folder``).
    """

    def __init__(self, out_dir: Path) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.ox = _ox()
        self.out_dir = out_dir
        self.tmp = out_dir / STORE_TMP
        try:
            if self.tmp.exists():
                shutil.rmtree(self.tmp)
            self.store: Any = self.ox.Store(str(self.tmp))
        except BaseException as exc:
            shutil.rmtree(self.tmp, ignore_errors=True)
            if isinstance(exc, OSError):
                raise write_error(out_dir / STORE_DIR, exc) from exc
            raise
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kg-store")
        self._jobs: list[Any] = []

    def load_turtle(self, data: bytes, graph: URIRef | None) -> None:
        """Queue Turtle ``data`` (as :func:`turtle_bytes` writes it) for ``graph``
        (None, :data:`BASE`: the default graph)."""
        ox = self.ox
        to = ox.DefaultGraph() if graph is None else ox.NamedNode(graph)

        def load() -> None:
            for piece in turtle_pieces(data):
                self.store.bulk_load(piece, ox.RdfFormat.TURTLE, to_graph=to)

        self._jobs.append(self._pool.submit(load))

    def load_triples(
        self, triples: Iterable[tuple], graph: URIRef | None, conv: TermConverter
    ) -> None:
        """Queue a few rdflib triples (converted here, on the calling thread)."""
        quads = list(conv.quads(triples, graph))
        self._jobs.append(self._pool.submit(self.store.bulk_extend, quads))

    def graph(self, conv: TermConverter) -> Any:
        """A Future of the store's default graph (a :class:`NativeGraph`), done
        once the loads queued so far are: kg build's SPARQL-based constraints
        run on it rather than on a second, in-memory copy of the data (at 1M
        triples that copy took 2.5 s of CPU beside the build, and 0.9 GiB)."""
        jobs = list(self._jobs)

        def loaded() -> NativeGraph:
            try:
                for job in jobs:  # done already (one worker, in order); re-raises
                    job.result()
            except OSError as exc:
                raise write_error(self.out_dir / STORE_DIR, exc) from exc
            return NativeGraph(self.store, [BASE], conv)

        return self._pool.submit(loaded)

    def _wait(self) -> None:
        try:
            for job in self._jobs:
                job.result()
        finally:
            self._pool.shutdown(wait=True)

    def abort(self) -> None:
        """Drop the new store (whether or not :meth:`ready` finished it); the old
        store stays as it was."""
        # The build failed already: its error is the one to report.
        with contextlib.suppress(Exception):
            self._wait()
        self.store = None  # closes it: RocksDB keeps files open until then
        shutil.rmtree(self.tmp, ignore_errors=True)

    def ready(self, graph_file: Path, data: bytes, inferred: bool) -> Path:
        """Wait for the loads, close the store and stamp it with the size and
        digest of ``graph_file``, whose bytes are ``data`` (so a stale store is
        never used); return its folder, to be renamed to ``out_dir/kg.oxigraph``."""
        try:
            self._wait()
            self.store.optimize()
            self.store.flush()
            self.store = None
            stamp = {
                "layout": LAYOUT,
                "graph": graph_file.name,
                "sha256": hashlib.sha256(data).hexdigest(),
                "inferred": inferred,
                "size": len(data),
            }
            (self.tmp / STAMP).write_text(json.dumps(stamp, indent=1) + "\n", encoding="utf-8")
        except OSError as exc:  # a full disk, mostly: the store is the largest output
            raise write_error(self.out_dir / STORE_DIR, exc) from exc
        return self.tmp


def read_stamp(graph_file: Path) -> dict | None:
    """The stamp of the store next to ``graph_file`` when it is in this layout and
    names that file (``size``, ``sha256``, ``inferred``); else None."""
    try:
        stamp = json.loads((graph_file.parent / STORE_DIR / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict):
        return None
    if stamp.get("layout") != LAYOUT or stamp.get("graph") != graph_file.name:
        return None
    return stamp


def open_persisted(graph_file: Path, reason: bool = False) -> NativeGraph | None:
    """The store ``kg build`` wrote next to ``graph_file``, if it matches it.

    The check is by size and modification time of the Turtle file first and
    its digest only when the file is newer than the stamp, so opening is instant.
    """
    stamp = read_stamp(graph_file)
    if stamp is None or (reason and not stamp.get("inferred")):
        return None
    try:
        st = graph_file.stat()
        newer = st.st_mtime_ns > (graph_file.parent / STORE_DIR / STAMP).stat().st_mtime_ns
    except OSError:
        return None
    if stamp.get("size") != st.st_size:
        return None
    if newer and stamp.get("sha256") != file_digest(graph_file):
        return None
    target = graph_file.parent / STORE_DIR
    conv = TermConverter()
    try:
        store = conv.ox.Store.read_only(str(target))
    except OSError:
        return None
    graphs: list[URIRef | None] = [BASE, INFERRED_GRAPH] if reason else [BASE]
    return NativeGraph(store, graphs, conv)


# Oxigraph's bulk loader into the disk store grows faster than the data when
# given one large document: 1M triples of kg.ttl and kg-inferred.ttl took
# 12.2 s in one piece each, 8.2 s in pieces of 1 MB, and 100k triples 0.79 s
# and 0.80 s (optimize(), which StoreWriter.ready runs anyway, merges the
# pieces' files; a scan reads as fast after it). Into the in-memory store,
# pieces are slower (3.3 s against 2.4 s whole at 1M), so only the disk store
# loads in pieces.
PIECE = 1 << 20


def turtle_pieces(data: bytes, size: int | None = None) -> Iterator[bytes]:
    """``data`` (Turtle as :func:`turtle_bytes` writes it) as documents of about
    ``size`` bytes (:data:`PIECE`), each the prefixes and whole subject blocks; whole when it
    has blank node labels, which name one node only within one document."""
    size = max(1, size or PIECE)
    start = data.find(b"\n\n") + 2  # the prefixes, a blank line, the blocks
    if len(data) <= size or not 2 <= start < len(data) or b"_:" in data:
        yield data
        return
    head, pos, n = data[:start], start, len(data)
    while pos < n:
        end = block_at(data, pos + size) if pos + size < n else n
        yield head + data[pos:end]
        pos = end


def block_at(data: bytes, pos: int) -> int:
    """The offset of the first subject block of ``data`` (kg's Turtle, see
    :func:`turtle_bytes`) starting at or after ``pos`` (``len(data)`` if none);
    ``pos`` is past the prefixes. A block's first line starts with its subject,
    its other lines with a tab; no literal spans lines (Oxigraph escapes line
    breaks)."""
    n = len(data)
    if pos >= n:
        return n
    if data[pos - 1] != 0x0A:  # inside a line: go to the next one
        nl = data.find(b"\n", pos)
        pos = n if nl < 0 else nl + 1
    while pos < n and data[pos] == 0x09:  # a line of the same block
        nl = data.find(b"\n", pos)
        pos = n if nl < 0 else nl + 1
    return pos


def _sort_key(t: tuple) -> str:
    # Subject, predicate, object, language, datatype as one string joined by
    # NUL (which sorts below every character an IRI or literal has): the order
    # of the 5-tuple of strings, but one allocation per triple, and sorting
    # compares plain strings in C (3 times faster at 1M triples).
    # The kind of the object last, for ties only: "v" and <v> under one subject
    # and predicate would otherwise come out in the input's (hash) order.
    o = t[2]
    if isinstance(o, Literal):
        return f"{t[0]}\0{t[1]}\0{o}\0{o.language or ''}\0{o.datatype or ''}\0L"
    return f"{t[0]}\0{t[1]}\0{o}\0\0\0{'B' if type(o) is BNode else 'I'}"


def turtle_bytes(triples: Iterable[tuple], conv: TermConverter | None = None) -> bytes:
    """Turtle for ``triples``, sorted, with kg's prefixes: the same triples always give
    the same bytes (Oxigraph's serialiser, about 50 times faster than rdflib's)."""
    conv = conv or TermConverter()
    ox = conv.ox
    to = conv.to_ox
    ordered = sorted(triples, key=_sort_key)
    ox_triples = [ox.Triple(to(s), to(p), to(o)) for s, p, o in ordered]
    return _prefixed(ox, ox_triples, ox.RdfFormat.TURTLE)


# kg's format names (kg.rdfio.RDF_FORMATS) and Oxigraph's.
OX_FORMATS = {
    "turtle": "TURTLE",
    "nt": "N_TRIPLES",
    "nquads": "N_QUADS",
    "trig": "TRIG",
    "jsonld": "JSON_LD",
    "xml": "RDF_XML",
}
_DATASET_FORMATS = ("nquads", "trig", "jsonld")


def rdf_bytes(quads: Iterable[tuple], fmt: str, conv: TermConverter | None = None) -> bytes:
    """``quads`` ((s, p, o, graph IRI or None) in rdflib terms) in the RDF format
    ``fmt`` (kg's name, :data:`OX_FORMATS`), by Oxigraph's serialiser, in a
    stable order: sorted by graph then triple, with kg's prefixes in sorted
    order; N-Triples and N-Quads sorted line by line (as kg has always written
    them); JSON-LD indented. The triple formats drop the graph, so the caller
    gives each triple once. Blank nodes keep their labels: the same input
    gives the same bytes only if those are stable (kg's data has none; the
    ontology's are canonical)."""
    conv = conv or TermConverter()
    ox = conv.ox
    to = conv.to_ox
    form = getattr(ox.RdfFormat, OX_FORMATS[fmt])
    ordered: Iterable[tuple] = quads
    if fmt in ("nt", "nquads"):
        pass  # their lines are sorted below
    elif fmt in _DATASET_FORMATS:
        ordered = sorted(quads, key=lambda q: f"{q[3] or ''}\0{_sort_key(q)}")
    else:
        ordered = sorted(quads, key=_sort_key)  # (it reads the first three terms)
    try:
        if fmt in _DATASET_FORMATS:
            default = ox.DefaultGraph()
            items: list = [
                ox.Quad(to(s), to(p), to(o), default if g is None else conv.iri(g))
                for s, p, o, g in ordered
            ]
        else:
            items = [ox.Triple(to(s), to(p), to(o)) for s, p, o, _g in ordered]
    except ValueError:
        raise BadInput(_not_writable(quads, conv, fmt)) from None
    if fmt == "xml":
        check_xml_predicates({p for _s, p, _o, _g in quads})
    if fmt in ("nt", "nquads"):
        lines = ox.serialize(items, format=form).splitlines(keepends=True)
        return b"".join(sorted(lines))
    if fmt in ("turtle", "trig"):
        return _prefixed(ox, items, form)
    prefixes = {k: str(v) for k, v in sorted(PREFIXES.items())}
    data = ox.serialize(items, format=form, prefixes=prefixes)
    if fmt == "jsonld":  # one line from Oxigraph: indented, so diffs show what changed
        data = json.dumps(json.loads(data), indent=2, ensure_ascii=False).encode() + b"\n"
    return bytes(data)


def _not_writable(quads: Iterable[tuple], conv: TermConverter, fmt: str) -> str:
    """Which term Oxigraph refused (rdflib reads IRIs and language tags that RDF
    does not allow, such as a second "#" or a subtag of nine letters)."""
    for quad in quads:
        for term in quad:
            if term is None:
                continue
            try:
                conv.to_ox(term)
            except ValueError as exc:
                return f"cannot write {fmt}: {term.n3()} is not valid RDF ({exc})"
    return f"cannot write {fmt}: a term is not valid RDF"


def check_xml_predicates(predicates: Iterable[Any]) -> None:
    """RDF/XML writes a predicate as an element name, which needs an XML name
    after its namespace (``<http://ex/p/>`` and ``<http://ex/1>`` have none), and
    some RDF terms (``rdf:about``, ``rdf:li``) cannot be predicates there:
    Oxigraph would fail or write what no reader takes, so such a graph is
    refused. Each predicate is written in a one-triple document and read back."""
    import xml.parsers.expat

    conv = TermConverter()
    ox = conv.ox
    s, o = ox.NamedNode("http://example.org/s"), ox.Literal("v")
    for p in sorted(set(predicates), key=str):
        triple = ox.Triple(s, conv.to_ox(p), o)
        try:
            data = ox.serialize([triple], format=ox.RdfFormat.RDF_XML)
            # Namespace-aware XML first: Oxigraph reads back its "<oxprefix:>".
            xml.parsers.expat.ParserCreate(namespace_separator=" ").Parse(data, True)
            back = list(ox.parse(data, format=ox.RdfFormat.RDF_XML))
            ok = [(q.subject, q.predicate, q.object) for q in back] == [(s, triple.predicate, o)]
        except (OSError, SyntaxError, ValueError, xml.parsers.expat.ExpatError):
            ok = False
        if not ok:
            raise BadInput(
                f"cannot write xml: the predicate <{p}> cannot be written in RDF/XML (it needs "
                "an XML name after its namespace); use another format (Turtle, N-Triples, "
                "JSON-LD, …)"
            )


def _prefixed(ox: Any, items: list, form: Any) -> bytes:
    """Turtle or TriG of ``items`` by Oxigraph, with kg's prefixes in sorted order."""
    prefixes = {k: str(v) for k, v in sorted(PREFIXES.items())}
    body = ox.serialize(items, format=form, prefixes=prefixes)
    # Oxigraph writes the prefixes in hash order: write them sorted instead.
    lines = body.split(b"\n")
    n = 0
    while n < len(lines) and lines[n].startswith(b"@prefix "):
        n += 1
    head = "".join(f"@prefix {k}: <{v}> .\n" for k, v in prefixes.items()).encode()
    return head + b"\n" + b"\n".join(lines[n:])
