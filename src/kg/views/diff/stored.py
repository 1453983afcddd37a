"""Two kg builds compared through what ``kg build`` persisted: each ``kg.ttl``
with the store beside it (trusted by the digest in its stamp:
:func:`kg.store.persist.trusted_stamp`), never the lines of either side nor
an rdflib graph of either in memory. The set differences come from the two
files as kg writes them (sorted subject blocks under the same prefixes): only
the blocks that differ are parsed (:func:`_block_differences`); putting the
changes into words asks each store for the few triples around the changed
entities (:class:`StoreIndex`).

A store's default graph holds its ``kg.ttl`` and the ontology. Before a store
stands for its ``kg.ttl``, the ontology's part is found by the ontology's
subjects (and the blank nodes they lead to) and the stamp's count must be
``kg.ttl``'s triples (:func:`_count`) and that part; else (a
store of another ontology, a file not laid out as kg writes it) the two sides
are read as lines (:func:`kg.views.diff.sides.open_side`), as before. Either
way the output is the same, byte for byte (tests/test_diff_stored.py).

At 1M triples the lines of two builds and the index over them held 0.9 GiB
(bench/RESULTS.md, ``kg diff``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from rdflib import BNode, URIRef
from rdflib.namespace import PROV, RDF

from kg.builder.ontology import ontology_triples
from kg.errors import BadInput
from kg.pipeline.outputs import GRAPH_FILE
from kg.rdfio.read import read_input
from kg.rdfio.write import PIECE
from kg.store.persist import STORE_DIR, stamp_triples, trusted_stamp
from kg.terms.convert import TermConverter, oxigraph
from kg.terms.namespaces import ID, KG
from kg.views.diff.sides import Side, blank_node_error, open_side
from kg.views.diff.support import Fact, Lookups, SideIndex, line

# The predicates the look-ups follow (:data:`kg.views.diff.support.BOOKKEEPING`'s and
# reification's), by the names StoreIndex asks for them.
_PREDICATES = {
    "subject": RDF.subject,
    "predicate": RDF.predicate,
    "object": RDF.object,
    "citation": KG.citation,
    "corrects": KG.corrects,
    "qualifier": KG.qualifier,
    "derived": PROV.wasDerivedFrom,
}


@dataclass
class StoredSide:
    """A side that is a kg build: its ``kg.ttl`` (``path``, its bytes ``data``),
    the read-only store beside it and the stamp's count of the store's default
    graph. ``size`` (``kg.ttl``'s triples) and ``own`` (its triples about the
    ontology's subjects) are known once :func:`differences` has streamed it."""

    name: str
    kind: str  # "build" (a folder) or "rdf" (its kg.ttl named), as open_side says
    path: Path
    data: bytes
    store: Any
    default: int
    size: int = 0
    own: set = field(default_factory=set)


AnySide = Side | StoredSide


def open_build(arg: str) -> StoredSide | None:
    """The build ``arg`` names (a build folder or its ``kg.ttl``) with its store,
    if the store was built from that very file and counted; else None (never
    an error: :func:`open_side` says what is wrong with ``arg``).

    >>> open_build("no/such/build") is None
    True
    """
    path = Path(arg)
    graph_file, kind = (path / GRAPH_FILE, "build") if path.is_dir() else (path, "rdf")
    if graph_file.name != GRAPH_FILE or not graph_file.is_file():
        return None
    try:
        data = read_input(graph_file)
    except BadInput:
        return None
    stamp = trusted_stamp(graph_file, data)
    default = stamp_triples(stamp, False) if stamp is not None else None
    if default is None:
        return None
    try:
        store = oxigraph().Store.read_only(str(graph_file.parent / STORE_DIR))
    except OSError:
        return None
    return StoredSide(arg, kind, graph_file, data, store, default)


def open_sides(old: str, new: str, records: Path | None = None) -> tuple[AnySide, AnySide]:
    """The two sides: by their stores when both are kg builds, else as lines
    (:func:`open_side`, in order, so the first bad side is the one named)."""
    a = open_build(old)
    b = open_build(new) if a is not None else None
    if a is not None and b is not None:
        return a, b
    return open_side(old, records), open_side(new, records)


@cache
def _ontology_subjects() -> frozenset:
    """The ontology's subjects that are IRIs, as pyoxigraph terms."""
    ox = oxigraph()
    return frozenset(ox.NamedNode(str(s)) for s, _, _ in ontology_triples() if type(s) is URIRef)


@cache
def _blank_patterns() -> frozenset:
    """The predicate and object (None for a blank node) of each of the
    ontology's triples whose subject is a blank node (a list, a set of
    disjoint classes): how the blank nodes no IRI leads to are found."""
    ox = oxigraph()
    return frozenset(
        (ox.NamedNode(str(p)), None if type(o) is BNode else TermConverter().to_ox(o))
        for s, p, o in ontology_triples()
        if type(s) is BNode
    )


def differences(old: AnySide, new: AnySide) -> tuple[AnySide, AnySide, frozenset, frozenset]:
    """The sides (as lines when they cannot be compared by their stores), the
    triples NEW no longer has and those it has that OLD had not, as N-Triples lines."""
    if isinstance(old, StoredSide) and isinstance(new, StoredSide):
        found = _by_stores(old, new)
        if found is not None:
            return old, new, *found
    old, new = _lines(old), _lines(new)
    return old, new, old.triples - new.triples, new.triples - old.triples


def _lines(side: AnySide) -> Side:
    return open_side(side.name) if isinstance(side, StoredSide) else side


def _by_stores(old: StoredSide, new: StoredSide) -> tuple[frozenset, frozenset] | None:
    subjects = _ontology_subjects()
    pa, pb = _blocks(old.data), _blocks(new.data)
    if pa is None or pb is None:
        return None
    try:
        if not (_count(old, subjects, pa) and _count(new, subjects, pb)):
            return None
        if not (_accounted(old) and _accounted(new)):
            return None
        return _block_differences(pa, pb)
    except SyntaxError:  # not kg's Turtle after all: the lines path says what is wrong
        return None


# A string literal as Oxigraph writes it in Turtle: on one line, quotes and backslashes escaped.
_STRING = re.compile(rb'"[^"\\\n]*(?:\\.[^"\\\n]*)*"')


_ID_PREFIX = f"@prefix id: <{ID}> .".encode()


def _count(side: StoredSide, subjects: frozenset, blocks: tuple[bytes, set[bytes]]) -> bool:
    """Count ``side``'s triples and keep those about the ontology's subjects
    (``side.own``); refuse blank nodes as :func:`open_side` does.

    Why not Oxigraph's parser for all of it: at 1M triples it took 5 s a side.
    kg's Turtle has a line per subject and predicate, its objects separated by
    `` , `` outside the strings (Oxigraph escapes line breaks in them), so the
    lines and the separators outside strings count the triples (0.9 s); the
    count must agree with the store's (:func:`_accounted`), else the sides are
    read as lines. Only the blocks outside the records' namespace (``id:``,
    where no ontology term is) are parsed, for the ontology's subjects."""
    head, parts = blocks
    if b"_:" in side.data or _ID_PREFIX not in head or any(s.value in ID for s in subjects):
        return _scan(side, subjects)
    data = side.data
    # The lines less the prefixes' and the empty ones (a run of them miscounts,
    # and falls back), and the separators outside strings, a piece at a time
    # (the whole file's copy without its strings peaked at 130 MB at 1M triples).
    lines = data.count(b"\n") + (not data.endswith(b"\n")) - data.count(b"\n\n")
    side.size = lines - head.count(b"@prefix")
    pos = 0
    while pos < len(data):
        end = data.find(b"\n", pos + PIECE) + 1 or len(data)
        side.size += _STRING.sub(b'""', data[pos:end]).count(b" , ")
        pos = end
    ox = oxigraph()
    others = b"\n".join(b for b in parts if not b.startswith((b"id:", b"@prefix")))
    quads = ox.parse(head + others, format=ox.RdfFormat.TURTLE)
    side.own = {q.triple for q in quads if q.subject in subjects}
    return True


def _scan(side: StoredSide, subjects: frozenset) -> bool:
    """Count ``side``'s triples and keep those about the ontology's subjects
    (``side.own``), through Oxigraph's parser; refuse blank nodes as
    :func:`open_side` does. False if the file is not Turtle after all."""
    ox = oxigraph()
    blank = ox.BlankNode
    n = bnodes = 0
    side.own = set()
    try:
        for q in ox.parse(side.data, format=ox.RdfFormat.TURTLE):
            n += 1
            s = q.subject
            if type(s) is blank or type(q.object) is blank:
                bnodes += 1
            elif s in subjects:
                side.own.add(q.triple)
    except SyntaxError:
        return False
    if bnodes:
        raise blank_node_error(side.name, bnodes)
    side.size = n
    return True


def _accounted(side: StoredSide) -> bool:
    """Whether the store's default graph is ``kg.ttl`` and the triples about the
    ontology's subjects and its blank nodes (found by :func:`_blank_patterns`,
    and those they lead to), as the stamp counts them: then any other triple is
    in the store if and only if in ``kg.ttl``."""
    ox = oxigraph()
    g, blank, store = ox.DefaultGraph(), ox.BlankNode, side.store
    seen = {
        q.subject
        for p, o in _blank_patterns()
        for q in store.quads_for_pattern(None, p, o, g)
        if type(q.subject) is blank
    }
    todo, found = [*_ontology_subjects(), *seen], 0
    while todo:
        for q in store.quads_for_pattern(todo.pop(), None, None, g):
            found += 1
            o = q.object
            if type(o) is blank and o not in seen:
                seen.add(o)
                todo.append(o)
    return side.default == side.size + found - len(side.own)


# Where a subject's block starts in kg's Turtle (:func:`kg.rdfio.write.turtle_bytes`:
# sorted, a block's other lines start with a tab, no literal spans lines).
_BLOCK = re.compile(rb"\n(?=[^\t\n])")


def _blocks(data: bytes) -> tuple[bytes, set[bytes]] | None:
    """kg's Turtle ``data`` as its prefixes and its subjects' blocks; None if
    it has no prefixes, as kg always writes."""
    start = data.find(b"\n\n") + 2
    if start < 2:
        return None
    # The prefixes' lines are blocks too (the same in both files when the prefixes are):
    # splitting the whole file copies it once, not three times.
    return data[:start], set(_BLOCK.split(data))


def _block_differences(
    pa: tuple[bytes, set[bytes]], pb: tuple[bytes, set[bytes]]
) -> tuple[frozenset, frozenset] | None:
    """The triples of one file of kg's Turtle not in another and those of the
    other not in the first, as N-Triples lines. Both written with the same prefixes, a block
    that is the same bytes in both holds the same triples: only the other
    blocks are parsed (at 1M triples, looking every triple up in the other
    build's store took 12 s a side, a parse of the file 5 s; comparing the
    blocks as a set of each file's, under 1 s). Exact however the files are
    cut, as long as no triple is written twice (kg writes a set): a triple in
    a block that is in both files is in both. ``pa`` and ``pb``: the two files'
    :func:`_blocks`. None if their prefixes differ."""
    if pa[0] != pb[0]:
        return None
    ol, nl = _nt_of(pa[0], pa[1] - pb[1]), _nt_of(pa[0], pb[1] - pa[1])
    return ol - nl, nl - ol


def _nt_of(head: bytes, blocks: set[bytes]) -> frozenset[str]:
    """The triples of Turtle ``blocks`` under the prefixes ``head``, as N-Triples lines."""
    if not blocks:
        return frozenset()
    ox = oxigraph()
    quads = ox.parse(head + b"\n".join(blocks), format=ox.RdfFormat.TURTLE)
    return frozenset(ox.serialize(quads, format=ox.RdfFormat.N_TRIPLES).decode().splitlines())


def index_of(side: AnySide) -> Lookups:
    return StoreIndex(side) if isinstance(side, StoredSide) else SideIndex(side.triples)


class StoreIndex(Lookups):
    """A build's look-ups answered by its store's indexes, one pattern each,
    over ``kg.ttl``'s triples only (the ontology's part left out, as
    :func:`_accounted` found it). Terms in and out are N-Triples, as lines
    write them (pyoxigraph prints a term as its N-Triples serialiser does)."""

    def __init__(self, side: StoredSide) -> None:
        self.ox = ox = oxigraph()
        self.side = side
        self._graph = ox.DefaultGraph()
        self._other = (frozenset(_ontology_subjects()), ox.BlankNode)
        self._statements: dict[str, Fact | None] = {}
        self._p = {k: ox.NamedNode(str(v)) for k, v in _PREDICATES.items()}

    def _term(self, text: str) -> Any:
        if text.startswith("<"):
            return self.ox.NamedNode(text[1:-1])
        data = f"<x:s> <x:p> {text} .".encode()
        return next(iter(self.ox.parse(data, format=self.ox.RdfFormat.N_TRIPLES))).object

    def _match(self, s: str | None, p: str, o: str | None) -> Iterator[Any]:
        """The triples of ``kg.ttl`` that match (None: any), as pyoxigraph triples."""
        if s is not None and not s.startswith("<"):
            return  # a literal is nobody's subject
        subjects, blank = self._other
        st, ot = (None if x is None else self._term(x) for x in (s, o))
        for q in self.side.store.quads_for_pattern(st, self._p[p], ot, self._graph):
            subj = q.subject
            if (subj in subjects or type(subj) is blank) and q.triple not in self.side.own:
                continue
            yield q.triple

    def _objects(self, s: str, p: str) -> list[str]:
        return [str(t.object) for t in self._match(s, p, None)]

    def _subjects(self, p: str, o: str) -> list[str]:
        return [str(t.subject) for t in self._match(None, p, o)]

    def statement(self, node: str) -> Fact | None:
        if node not in self._statements:
            parts = [self._objects(node, p) for p in ("subject", "predicate", "object")]
            whole = all(parts)
            self._statements[node] = (parts[0][-1], parts[1][-1], parts[2][-1]) if whole else None
        return self._statements[node]

    def corrected(self, node: str) -> str | None:
        found = self._objects(node, "corrects")
        return found[-1] if found else None

    def citer(self, node: str) -> str | None:
        found = self._subjects("citation", node)
        return found[-1] if found else None

    def statements_of(self, fact: Fact) -> list[str]:
        return [st for st in self._subjects("subject", fact[0]) if self.statement(st) == fact]

    def derived_of(self, node: str) -> set[str]:
        return set(self._objects(node, "derived"))

    def qualifiers_of(self, node: str) -> set[str]:
        return set(self._objects(node, "qualifier"))

    def has_subject(self, node: str) -> bool:
        return any(True for _ in self._all(node))

    def has(self, fact: Fact) -> bool:
        t = self.ox.Triple(*(self._term(x) for x in fact))
        if t.subject in self._other[0]:
            return t in self.side.own
        return self.ox.Quad(t.subject, t.predicate, t.object, self._graph) in self.side.store

    def parts_of(self, node: str) -> list[str]:
        out = self._objects(node, "citation") + self._subjects("corrects", node)
        return out + [st for st in self._subjects("subject", node) if self.statement(st)]

    def lines_of(self, node: str) -> list[str]:
        return [line((str(t.subject), str(t.predicate), str(t.object))) for t in self._all(node)]

    def _all(self, node: str) -> Iterator[Any]:
        if not node.startswith("<"):
            return iter(())
        subjects = self._other[0]
        s = self._term(node)
        own = self.side.own
        quads = self.side.store.quads_for_pattern(s, None, None, self._graph)
        return (q.triple for q in quads if s not in subjects or q.triple in own)
