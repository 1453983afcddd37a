"""One side's bookkeeping, read in one pass over its N-Triples lines: which
node a reified statement, a citation or a correction belongs to, and the
qualifiers and sources of each node; and the few triples that putting its
changed facts into words needs, as rdflib terms.

Nodes here are N-Triples terms (``<https://…>``, ``"text"@en``), as the lines
of :class:`kg.views.diff.sides.Side` hold them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Set

from rdflib import Graph
from rdflib.namespace import PROV, RDF
from rdflib.term import Node

from kg.terms.convert import TermConverter
from kg.terms.namespaces import KG, bind_prefixes

Fact = tuple[str, str, str]  # subject, predicate, object: N-Triples terms


def split(line: str) -> Fact:
    """An N-Triples line (as Oxigraph writes it) as its three terms.

    >>> split('<http://e.org/s> <http://e.org/p> "a b"@en .')
    ('<http://e.org/s>', '<http://e.org/p>', '"a b"@en')
    """
    s, p, rest = line.split(" ", 2)
    return s, p, rest[:-2]


def line(fact: Fact) -> str:
    return f"{fact[0]} {fact[1]} {fact[2]} ."


def nt(iri: str) -> str:
    return f"<{iri}>"


# What each bookkeeping predicate is to the index: one dict look-up per line.
_ROLE = {
    nt(RDF.subject): 0,
    nt(RDF.predicate): 1,
    nt(RDF.object): 2,
    nt(KG.citation): 3,
    nt(KG.corrects): 4,
    nt(KG.qualifier): 5,
    nt(PROV.wasDerivedFrom): 6,
}

BOOKKEEPING = frozenset({nt(KG.citation), nt(PROV.wasDerivedFrom), nt(KG.qualifier)})


class Lookups:
    """What :mod:`kg.views.diff.compare` asks of one side, on a few look-ups
    each index answers in its own way (:class:`SideIndex` from dicts of the
    side's lines, :class:`kg.views.diff.stored.StoreIndex` from a build's
    store): the rules that read them are here, once."""

    def statement(self, node: str) -> Fact | None:
        """The fact the reified statement ``node`` is about (None: not one)."""
        raise NotImplementedError

    def corrected(self, node: str) -> str | None:
        """The record the correction ``node`` corrects (None: not one)."""
        raise NotImplementedError

    def citer(self, node: str) -> str | None:
        """The node that cites the citation ``node`` (None: not one)."""
        raise NotImplementedError

    def statements_of(self, fact: Fact) -> list[str]:
        """The reified statements about ``fact``."""
        raise NotImplementedError

    def derived_of(self, node: str) -> set[str]:
        """The sources of ``node`` (its ``prov:wasDerivedFrom``)."""
        raise NotImplementedError

    def qualifiers_of(self, node: str) -> set[str]:
        raise NotImplementedError

    def has_subject(self, node: str) -> bool:
        raise NotImplementedError

    def has(self, fact: Fact) -> bool:
        raise NotImplementedError

    def parts_of(self, node: str) -> list[str]:
        """``node``'s statements, citations and corrections."""
        raise NotImplementedError

    def lines_of(self, node: str) -> list[str]:
        """The lines whose subject is ``node``."""
        raise NotImplementedError

    def anchor(self, node: str) -> tuple[str, Fact | str | None]:
        """The entity ``node`` belongs to, and what of it: the fact a reified
        statement (or its citation) is about, ``"correction"``, ``"citation"``
        (the entity's own), or None (``node`` is the entity)."""
        what: str | None = None
        for _hop in range(8):  # citation -> statement -> record at most; no loop runs away
            fact = self.statement(node)
            if fact is not None:
                return fact[0], fact
            record = self.corrected(node)
            if record is not None:
                return record, "correction"
            citer = self.citer(node)
            if citer is None:
                break
            node, what = citer, "citation"
        return node, what

    def entity_of(self, node: str) -> str:
        return self.anchor(node)[0]

    def support(self, fact: Fact) -> tuple[set[str], set[str]]:
        """The sources and qualifiers of ``fact``: its reified statements', or
        (none reified) the sources of the record stating it."""
        sources: set[str] = set()
        quals: set[str] = set()
        for st in self.statements_of(fact):
            sources |= self.derived_of(st)
            quals |= self.qualifiers_of(st)
        if not sources:
            sources = set(self.derived_of(fact[0]))
        return sources, quals

    def is_fact(self, fact: Fact) -> bool:
        """Whether ``fact`` states something about a thing (not its bookkeeping:
        a citation, a source or a qualifier, nor a statement's or citation's own)."""
        return fact[1] not in BOOKKEEPING and self.anchor(fact[0])[1] is None

    def neighbourhood(self, entities: set[str], conv: TermConverter) -> Graph:
        """The triples of ``entities`` (their statements, citations and corrections
        included) and of every node those triples name: what describing their
        facts reads (labels, kinds, the values a sentence quotes). Found through
        the index, in time proportional to what it holds, not to the graph."""
        nodes, todo = set(entities), list(entities)
        while todo:
            for part in self.parts_of(todo.pop()):
                if part not in nodes:
                    nodes.add(part)
                    todo.append(part)
        mine = [text for n in nodes for text in self.lines_of(n)]
        named = {o for o in (split(text)[2] for text in mine) if o.startswith("<")} - nodes
        mine += [text for n in named for text in self.lines_of(n)]
        g = Graph()
        bind_prefixes(g)
        for t in rdf_triples(mine, conv):
            g.add(t)
        return g


class SideIndex(Lookups):
    """Look-ups over one side's lines, built in one linear pass."""

    def __init__(self, lines: Set[str]) -> None:
        self.lines = lines
        parts: dict[str, list[str | None]] = defaultdict(lambda: [None, None, None])
        self.cited_by: dict[str, str] = {}  # a citation -> the node that cites it
        self.corrects: dict[str, str] = {}  # a correction -> the record it corrects
        self.qualifiers: dict[str, set[str]] = defaultdict(set)
        self.derived: dict[str, set[str]] = defaultdict(set)  # prov:wasDerivedFrom
        self.by_subject: dict[str, list[str]] = defaultdict(list)  # a node -> its lines
        self.parts: dict[str, list[str]] = defaultdict(list)  # its citations and corrections
        role_of = _ROLE.get
        for text in lines:
            s, p, rest = text.split(" ", 2)
            self.by_subject[s].append(text)
            role = role_of(p)
            if role is None:
                continue
            o = rest[:-2]
            if role < 3:
                parts[s][role] = o
            elif role == 3:
                self.cited_by[o] = s
                self.parts[s].append(o)
            elif role == 4:
                self.corrects[s] = o
                self.parts[o].append(s)
            elif role == 5:
                self.qualifiers[s].add(o)
            else:
                self.derived[s].add(o)
        self.statements: dict[str, Fact] = {}  # a reified statement -> its fact
        self.about: dict[Fact, list[str]] = defaultdict(list)
        for st, (ss, pp, oo) in parts.items():
            if ss is not None and pp is not None and oo is not None:
                self.statements[st] = (ss, pp, oo)
                self.about[(ss, pp, oo)].append(st)
                self.parts[ss].append(st)

    def statement(self, node: str) -> Fact | None:
        return self.statements.get(node)

    def corrected(self, node: str) -> str | None:
        return self.corrects.get(node)

    def citer(self, node: str) -> str | None:
        return self.cited_by.get(node)

    def statements_of(self, fact: Fact) -> list[str]:
        return self.about.get(fact, [])

    def derived_of(self, node: str) -> set[str]:
        return self.derived.get(node, set())

    def qualifiers_of(self, node: str) -> set[str]:
        return self.qualifiers.get(node, set())

    def has_subject(self, node: str) -> bool:
        return node in self.by_subject

    def has(self, fact: Fact) -> bool:
        return line(fact) in self.lines

    def parts_of(self, node: str) -> list[str]:
        return self.parts.get(node, [])

    def lines_of(self, node: str) -> list[str]:
        return self.by_subject.get(node, [])


def rdf_triples(lines: Iterable[str], conv: TermConverter) -> list[tuple[Node, Node, Node]]:
    """N-Triples lines as rdflib triples, in order (Oxigraph parses them)."""
    ox, f = conv.ox, conv.from_ox
    data = "\n".join(lines).encode("utf-8")
    return [
        (f(q.subject), f(q.predicate), f(q.object))
        for q in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)
    ]
