"""One side's bookkeeping, read in one pass: which node a reified statement,
a citation or a correction belongs to, and the qualifiers and sources of
each node; and the few triples that putting its changed facts into words needs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Set

from rdflib import Graph, Literal
from rdflib.namespace import PROV, RDF
from rdflib.term import Node

from kg.terms.namespaces import KG, bind_prefixes

Triple = tuple[Node, Node, Node]

# What each bookkeeping predicate is to the index; one dict look-up per triple
# (comparing each predicate with five IRIs in turn took twice as long at 100k triples).
_ROLE = {
    RDF.subject: 0,
    RDF.predicate: 1,
    RDF.object: 2,
    KG.citation: 3,
    KG.corrects: 4,
    KG.qualifier: 5,
    PROV.wasDerivedFrom: 6,
}


class SideIndex:
    """Look-ups over one side's triples, built in one linear pass."""

    def __init__(self, triples: Set[Triple]) -> None:
        self.triples = triples
        parts: dict[Node, list[Node | None]] = defaultdict(lambda: [None, None, None])
        self.cited_by: dict[Node, Node] = {}  # a citation -> the node that cites it
        self.corrects: dict[Node, Node] = {}  # a correction -> the record it corrects
        self.qualifiers: dict[Node, set[Node]] = defaultdict(set)
        self.derived: dict[Node, set[Node]] = defaultdict(set)  # prov:wasDerivedFrom
        self.subjects: set[Node] = set()
        add_subject, role_of = self.subjects.add, _ROLE.get
        for s, p, o in triples:
            add_subject(s)
            role = role_of(p)
            if role is None:
                continue
            if role < 3:
                parts[s][role] = o
            elif role == 3:
                self.cited_by[o] = s
            elif role == 4:
                self.corrects[s] = o
            elif role == 5:
                self.qualifiers[s].add(o)
            else:
                self.derived[s].add(o)
        self.statement: dict[Node, Triple] = {}  # a reified statement -> its fact
        self.statements_of: dict[Triple, list[Node]] = defaultdict(list)
        for st, (ss, pp, oo) in parts.items():
            if ss is not None and pp is not None and oo is not None:
                self.statement[st] = (ss, pp, oo)
                self.statements_of[(ss, pp, oo)].append(st)

    def anchor(self, node: Node) -> tuple[Node, Triple | str | None]:
        """The entity ``node`` belongs to, and what of it: the fact a reified
        statement (or its citation) is about, ``"correction"``, ``"citation"``
        (the entity's own), or None (``node`` is the entity)."""
        seen = 0
        what: str | None = None
        while seen < 8:  # citation -> statement -> record at most; no loop runs away
            seen += 1
            if node in self.statement:
                return self.statement[node][0], self.statement[node]
            if node in self.corrects:
                return self.corrects[node], "correction"
            if node in self.cited_by:
                node, what = self.cited_by[node], "citation"
                continue
            break
        return node, what

    def entity_of(self, node: Node) -> Node:
        return self.anchor(node)[0]

    def support(self, fact: Triple) -> tuple[set[Node], set[Node]]:
        """The sources and qualifiers of ``fact``: its reified statements', or
        (none reified) the sources of the record stating it."""
        sources: set[Node] = set()
        quals: set[Node] = set()
        for st in self.statements_of.get(fact, ()):
            sources |= self.derived.get(st, set())
            quals |= self.qualifiers.get(st, set())
        if not sources:
            sources = set(self.derived.get(fact[0], set()))
        return sources, quals

    def neighbourhood(self, entities: set[Node]) -> Graph:
        """The triples of ``entities`` (their statements, citations and corrections
        included) and of every node those triples name: what describing their
        facts reads (labels, kinds, the values a sentence quotes). Two passes."""
        g = Graph()
        bind_prefixes(g)
        named: set[Node] = set()
        kept = (self.statement, self.corrects, self.cited_by)
        for t in self.triples:
            s = t[0]
            if s in entities or (any(s in m for m in kept) and self.entity_of(s) in entities):
                g.add(t)
                if not isinstance(t[2], Literal):
                    named.add(t[2])
        named -= entities
        for t in self.triples:
            if t[0] in named:
                g.add(t)
        return g


def is_entity_triple(index: SideIndex, t: Triple) -> bool:
    """Whether ``t`` states a fact of a thing (not its bookkeeping: a citation,
    a source or a qualifier, nor a statement's or citation's own triples)."""
    s, p, _o = t
    if p in (KG.citation, PROV.wasDerivedFrom, KG.qualifier):
        return False
    return index.anchor(s)[1] is None
