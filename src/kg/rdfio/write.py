"""Writing RDF: Oxigraph's serialisers on sorted triples (the same graph always
gives the same bytes), rdflib's where the data has blank nodes of its own,
and kg's Turtle layout (one block per subject) that the store loader and
the incremental build rely on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator, Iterable, Iterator
from typing import Any

from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.store import Store

from kg.errors import BadInput
from kg.rdfio.formats import RDF_FORMATS
from kg.terms.checks import iri_problem, language_tag_problem
from kg.terms.convert import TermConverter
from kg.terms.namespaces import PREFIXES


def serialize(graph: Graph | Dataset, fmt: str) -> bytes:
    """Serialise to bytes in a stable, prefixed form."""
    rdflib_fmt = RDF_FORMATS[fmt].rdflib
    if fmt == "nt" or fmt == "nquads":
        # rdflib writes N-Triples/N-Quads in store order; sort lines so the same
        # graph always gives the same bytes.
        data = graph.serialize(format=rdflib_fmt, encoding="utf-8")
        lines = sorted(set(data.splitlines(keepends=True)))
        return b"".join(line for line in lines if line.strip())
    if fmt == "jsonld":
        return jsonld_bytes(graph)
    if fmt == "xml":  # every RDF/XML kg writes, whatever path asks (rdf_bytes too)
        check_xml_predicates(graph.predicates(unique=True))
    return graph.serialize(format=rdflib_fmt, encoding="utf-8")


def jsonld_bytes(graph: Graph | Dataset) -> bytes:
    """JSON-LD compacted with kg's prefixes as its ``@context`` (``"kg:Person"``,
    not the full IRI), by rdflib's serialiser, in a stable order: keys sorted,
    and every array but an ``@list`` sorted by its items' ``@id`` and JSON text (JSON-LD's
    arrays are sets; rdflib writes them in hash order, which changes from
    process to process), indented.

    >>> g = Graph()
    >>> _ = g.add((URIRef("https://w3id.org/kg-nj/id/a"), URIRef(str(PREFIXES["rdfs"]) + "label"),
    ...            Literal("A")))
    >>> print(jsonld_bytes(g).decode().split("},\\n", 1)[1])
      "@id": "id:a",
      "rdfs:label": "A"
    }
    <BLANKLINE>
    """
    from rdflib.plugins.serializers.jsonld import Converter
    from rdflib.plugins.shared.jsonld.context import Context

    context = {k: str(v) for k, v in sorted(PREFIXES.items())}
    # rdflib's serialiser (its from_rdf) writes native JSON numbers and booleans
    # whenever a context is active, whatever use_native_types says: "+5" and
    # "007"^^xsd:integer became 5 and 7, "1"^^xsd:boolean true (the lexical
    # form is lost; tests/hostile/test_integrity.py). Its converter, told not to:
    converter = Converter(Context(context), False, False)
    converter.use_native_types = False
    doc = converter.convert(graph)
    if isinstance(doc, list):
        doc = {"@graph": doc}
    doc["@context"] = context
    doc = _jsonld_sorted(doc)
    return json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=True).encode() + b"\n"


def _jsonld_sorted(node: Any, key: str = "") -> Any:
    if isinstance(node, dict):
        return {k: _jsonld_sorted(v, k) for k, v in node.items()}
    if isinstance(node, list):
        items = [_jsonld_sorted(v) for v in node]
        if key == "@list":  # an RDF list: its order is its meaning
            return items
        return sorted(items, key=_jsonld_key)
    return node


def _jsonld_key(item: Any) -> tuple[str, str]:
    """A node by its ``@id`` (a named graph too), then by its JSON text."""
    name = item.get("@id", "") if isinstance(item, dict) else ""
    return str(name), json.dumps(item, sort_keys=True, ensure_ascii=False)


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
    try:
        ox_triples = [ox.Triple(to(s), to(p), to(o)) for s, p, o in ordered]
    except ValueError:
        raise BadInput(_not_writable(ordered, "turtle")) from None
    return _prefixed(ox, ox_triples, ox.RdfFormat.TURTLE)


def rdf_bytes(quads: Iterable[tuple], fmt: str, conv: TermConverter | None = None) -> bytes:
    """``quads`` ((s, p, o, graph IRI or None) in rdflib terms) in the RDF format
    ``fmt`` (kg's name, :data:`kg.rdfio.formats.RDF_FORMATS`), by Oxigraph's serialiser, in a
    stable order: sorted by graph then triple, with kg's prefixes in sorted
    order; N-Triples and N-Quads sorted line by line (as kg has always written
    them); JSON-LD indented. The triple formats drop the graph, so the caller
    gives each triple once. Blank nodes keep their labels: the same input
    gives the same bytes only if those are stable (kg's data has none; the
    ontology's are canonical)."""
    conv = conv or TermConverter()
    ox = conv.ox
    to = conv.to_ox
    dataset = RDF_FORMATS[fmt].dataset
    ordered: Iterable[tuple] = quads
    if fmt in ("nt", "nquads"):
        pass  # their lines are sorted below
    elif dataset:
        ordered = sorted(quads, key=lambda q: f"{q[3] or ''}\0{_sort_key(q)}")
    else:
        ordered = sorted(quads, key=_sort_key)  # (it reads the first three terms)
    try:
        if dataset:
            default = ox.DefaultGraph()
            items: list = [
                ox.Quad(to(s), to(p), to(o), default if g is None else conv.iri(g))
                for s, p, o, g in ordered
            ]
        else:
            items = [ox.Triple(to(s), to(p), to(o)) for s, p, o, _g in ordered]
    except ValueError:
        raise BadInput(_not_writable(quads, fmt)) from None
    if fmt == "xml":
        check_xml_predicates({p for _s, p, _o, _g in quads})
    if fmt == "jsonld":  # compacted: rdflib's serialiser (Oxigraph's writes full IRIs)
        return jsonld_bytes(_dataset(quads))
    return _oxigraph_bytes(ox, items, fmt)


def _oxigraph_bytes(ox: Any, items: list, fmt: str) -> bytes:
    """``items`` (pyoxigraph triples or quads, in order) in ``fmt`` by Oxigraph."""
    form = getattr(ox.RdfFormat, RDF_FORMATS[fmt].oxigraph)
    if fmt in ("nt", "nquads"):
        lines = ox.serialize(items, format=form).splitlines(keepends=True)
        return b"".join(sorted(lines))
    if fmt in ("turtle", "trig"):
        return _prefixed(ox, items, form)
    prefixes = {k: str(v) for k, v in sorted(PREFIXES.items())}
    return bytes(ox.serialize(items, format=form, prefixes=prefixes))


def store_rdf_bytes(quads: Iterable[tuple], fmt: str, conv: TermConverter) -> bytes:
    """:func:`rdf_bytes` for quads of pyoxigraph terms (as read from a store; the
    graph a ``NamedNode`` or None), without making rdflib terms (but for
    JSON-LD, which rdflib's serialiser compacts): the same quads give the same
    bytes by either function."""
    ox = conv.ox
    if fmt == "jsonld":
        f = conv.from_ox
        return jsonld_bytes(_dataset((f(s), f(p), f(o), f(g)) for s, p, o, g in quads))
    dataset = RDF_FORMATS[fmt].dataset
    ordered: Iterable[tuple] = quads
    if fmt not in ("nt", "nquads"):  # (their lines are sorted)
        keys = {q: _ox_sort_key(q, ox) for q in quads}
        if dataset:
            keys = {q: f"{'' if q[3] is None else q[3].value}\0{k}" for q, k in keys.items()}
        ordered = sorted(keys, key=keys.__getitem__)
    if dataset:
        default = ox.DefaultGraph()
        items = [ox.Quad(s, p, o, default if g is None else g) for s, p, o, g in ordered]
    else:
        items = [ox.Triple(s, p, o) for s, p, o, _g in ordered]
    if fmt == "xml":
        check_xml_predicates({URIRef(q[1].value) for q in quads})
    return _oxigraph_bytes(ox, items, fmt)


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def _ox_sort_key(t: tuple, ox: Any) -> str:
    """:func:`_sort_key` of the same triple in pyoxigraph terms (a plain or
    language-tagged literal has no datatype in rdflib's terms)."""
    o = t[2]
    if isinstance(o, ox.Literal):
        lang = o.language or ""
        dt = o.datatype.value
        dt = "" if lang or dt == _XSD_STRING else dt
        return f"{t[0].value}\0{t[1].value}\0{o.value}\0{lang}\0{dt}\0L"
    kind = "I" if isinstance(o, ox.NamedNode) else "B"
    return f"{t[0].value}\0{t[1].value}\0{o.value}\0\0\0{kind}"


def _dataset(quads: Iterable[tuple]) -> Dataset:
    """``quads`` (graph None: the default graph) as an rdflib Dataset."""
    ds = Dataset()
    graphs: dict[Any, Graph] = {}
    for s, p, o, g in quads:
        if g is None:
            ds.add((s, p, o))
        else:
            if g not in graphs:
                graphs[g] = ds.graph(g)
            graphs[g].add((s, p, o))
    return ds


WRITTEN_BY_RDFLIB = ("jsonld",)
"""The formats :func:`rdf_bytes` writes with rdflib's serialiser (read back by Oxigraph)."""


def _not_writable(quads: Iterable[tuple], fmt: str) -> str:
    """Which term RDF does not allow (rdflib holds IRIs and language tags that
    Oxigraph refuses, such as a second "#" or a subtag of nine letters), by
    the rules of :mod:`kg.terms.checks`, which every reader applies too."""
    for quad in quads:
        for term in quad:
            if isinstance(term, URIRef):
                problem = iri_problem(str(term))
                what = f"{str(term)!r} is not an IRI"
            elif isinstance(term, Literal) and term.language:
                problem = language_tag_problem(term.language)
                what = f"{term.language!r} is not a language tag"
            else:
                continue
            if problem is not None:
                return f"cannot write {fmt}: {what} ({problem})"
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


# --- reading back what was written ---------------------------------------------------

WRITERS = ("oxigraph", "rdflib")
"""The libraries whose serialisers kg writes RDF with; each is checked by the other."""


def read_back(data: bytes, fmt: str, writer: str = "oxigraph", name: str = "the output") -> None:
    """Parse ``data``, written in the RDF format ``fmt`` by ``writer``'s serialiser,
    in full with the *other* library's parser (rdflib for Oxigraph, Oxigraph
    for rdflib), keeping nothing: :class:`kg.errors.BadInput`, naming ``name``,
    if it does not read. A writer's own parser shares its blind spots
    (Oxigraph reads back the NUL it writes raw into RDF/XML; expat does not).

    >>> read_back(b'<http://example.org/s> <http://example.org/p> "v" .\\n', "nt")
    >>> read_back(b'<http://example.org/s> <http://example.org/p> "v .\\n', "nt", name="x.nt")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    kg.errors.BadInput: cannot write x.nt: the N-Triples kg wrote does not read back (rdflib: ...
    """
    from kg.sandbox.offline import offline

    parse = _parse_with_oxigraph if writer == "rdflib" else _parse_with_rdflib
    try:
        with offline(strict=True):  # the parser reads these bytes and nothing else
            parse(data, fmt)
    except Exception as exc:  # whatever a parser raises: the bytes do not read
        why = " ".join(str(exc).split())[:300] or type(exc).__name__
        parser = "Oxigraph" if writer == "rdflib" else "rdflib"
        raise BadInput(
            f"cannot write {name}: the {RDF_FORMATS[fmt].label} kg wrote does not read back "
            f"({parser}: {why})"
        ) from None


def _parse_with_oxigraph(data: bytes, fmt: str) -> None:
    import pyoxigraph as ox

    for _quad in ox.parse(data, format=getattr(ox.RdfFormat, RDF_FORMATS[fmt].oxigraph)):
        pass


def _parse_with_rdflib(data: bytes, fmt: str) -> None:
    # Into a store that keeps nothing: indexing 1M triples would double the
    # parse's time and take a gigabyte, and only whether it reads is asked.
    if fmt in ("nt", "nquads") and len(data) > LONG_LINE:
        data = _long_lines_apart(data, fmt)
    Dataset(store=_Discard()).parse(data=data, format=RDF_FORMATS[fmt].rdflib)


LONG_LINE = 1 << 16
"""N-Triples and N-Quads lines longer than this are read back by rdflib's Turtle
and TriG readers: its N-Triples reader is quadratic in a line's length (a 1 MB
literal 10 s, 4 MB 75 s), its Turtle reader linear (0.03 s for 1 MB), and the
line is a Turtle statement as written (N-Triples is a subset of Turtle)."""

_GRAPH_AT_END = re.compile(rb"^(.*) (<[^<>\s]*>|_:\S+) \.\s*$", re.S)


def _long_lines_apart(data: bytes, fmt: str) -> bytes:
    """``data`` without its lines longer than :data:`LONG_LINE`, which are read
    back here, each as Turtle (a triple) or TriG (a quad: ``g { s p o . }``)."""
    short: list[bytes] = []
    long_: list[bytes] = []
    for line in data.splitlines(keepends=True):
        (long_ if len(line) > LONG_LINE else short).append(line)
    for line in long_:
        m = _GRAPH_AT_END.match(line) if fmt == "nquads" else None
        if m is None:
            Dataset(store=_Discard()).parse(data=line, format="turtle")
        else:
            doc = m.group(2) + b" { " + m.group(1) + b" . }\n"
            Dataset(store=_Discard()).parse(data=doc, format="trig")
    return b"".join(short)


class _Discard(Store):
    """An rdflib store that accepts every triple and keeps none."""

    context_aware = True
    formula_aware = True
    graph_aware = True

    def add(self, triple: Any, context: Any, quoted: bool = False) -> None:
        pass

    def addN(self, quads: Iterable[Any]) -> None:
        for _quad in quads:
            pass

    def remove(self, triple: Any, context: Any = None) -> None:
        pass

    def add_graph(self, graph: Any) -> None:
        pass

    def remove_graph(self, graph: Any) -> None:
        pass

    def bind(self, prefix: str, namespace: Any, override: bool = True) -> None:
        pass

    def namespace(self, prefix: str) -> None:
        return None

    def prefix(self, namespace: Any) -> None:
        return None

    def namespaces(self) -> Iterator[Any]:
        return iter(())

    def triples(self, pattern: Any, context: Any = None) -> Iterator[Any]:
        return iter(())

    def contexts(self, triple: Any = None) -> Generator[Graph, None, None]:
        yield from ()

    def __len__(self, context: Any = None) -> int:
        return 0
