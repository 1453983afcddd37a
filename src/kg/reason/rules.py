"""The schema kg's OWL RL rules read, and which axioms they implement.

OWL 2 RL restricted to the axioms kg's ontology has (tests/test_equivalence.py
proves it gives owlrl's answer on generated data; docs/performance.md lists
the rules; :mod:`kg.reason.native` runs them). :class:`RuleSchema` holds the
schema (class and property hierarchy, inverses, domains, ranges, transitive
properties, disjoint classes) and the closures read from it: which properties
entail ``owl:sameAs``, which extend a transitive chain. The reasoner and the
incremental build read them here, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache, cached_property
from typing import Any

from rdflib import URIRef
from rdflib.namespace import OWL, RDF, RDFS

from kg.builder.ontology import ontology_triples
from kg.terms.namespaces import ID

# subject -> objects, for one kind of axiom
_Edges = dict[URIRef, set[URIRef]]


class RuleSchema:
    """The axioms kg's rules read from an ontology's triples, closed as they use them.

    * ``sup_c``, ``sup_p``: each class (property) -> its superclasses
      (super-properties), transitively, without itself; an equivalence counts
      both ways, and every ``owl:Class`` is a subclass of ``owl:Thing`` (scm-cls);
    * ``inv``: each property -> its inverses (both ways);
    * ``dom``, ``rng``: each property -> its domains, ranges;
    * ``transitive``: the transitive properties;
    * ``disjoint``: the pairs of disjoint classes, in both orders.

    >>> from rdflib.namespace import OWL, RDFS
    >>> from kg.terms.namespaces import KG
    >>> schema = RuleSchema([(KG.alias, RDFS.subPropertyOf, OWL.sameAs)])
    >>> schema.uses_sameas([(KG.a, KG.alias, KG.b)])
    True
    """

    def __init__(self, onto: Iterable[tuple]) -> None:
        axioms = _Axioms(onto)
        self.sup_c: dict[URIRef, frozenset] = strict_closure(axioms.sub_c)
        self.sup_p: dict[URIRef, frozenset] = strict_closure(axioms.sub_p)
        self.inv = axioms.inv
        self.dom = axioms.dom
        self.rng = axioms.rng
        self.transitive = axioms.transitive
        self.disjoint = axioms.disjoint_pairs()

    @cached_property
    def sameas_properties(self) -> frozenset:
        """``owl:sameAs`` and every property whose triples entail an ``owl:sameAs``
        triple (the eq-* rules then rewrite any triple of the graph)."""
        return self._entailing({OWL.sameAs})

    @cached_property
    def chain_properties(self) -> frozenset:
        """The transitive properties and every property whose triples entail one of
        theirs: the triples that can extend a chain (prp-trp)."""
        return self._entailing(self.transitive)

    @cached_property
    def premise_predicates(self) -> frozenset:
        """The predicates some rule fires on, ``owl:sameAs`` aside: those with a
        super-property, an inverse, a domain or a range, the transitive ones, and
        ``rdf:type`` (classes and disjointness read it)."""
        return frozenset({*self.sup_p, *self.inv, *self.dom, *self.rng, *self.transitive, RDF.type})

    def uses_sameas(self, triples: Iterable[tuple]) -> bool:
        """Whether any of ``triples`` is, or entails, an ``owl:sameAs`` triple."""
        same = self.sameas_properties
        return any(p in same for _s, p, _o in triples)

    def _entailing(self, props: Iterable[URIRef]) -> frozenset:
        """``props`` and every property whose triple ``s p o`` entails ``s q o`` or
        ``o q s`` for a ``q`` among them: through super-properties (prp-spo1) and
        inverses (prp-inv1/2), any number of steps (a sub-property of an inverse of
        a sub-property of ``q``, and so on), to a fixed point."""
        found = set(props)
        candidates = set(self.sup_p) | set(self.inv)
        grew = True
        while grew:
            grew = False
            for p in candidates - found:
                if self.sup_p.get(p, frozenset()) & found or self.inv.get(p, set()) & found:
                    found.add(p)
                    grew = True
        return frozenset(found)


@cache
def ontology_schema() -> RuleSchema:
    """The :class:`RuleSchema` of the bundled ontology (read once per process)."""

    return RuleSchema(ontology_triples())


class _Axioms:
    """The axioms as the ontology states them, before any closure."""

    def __init__(self, onto: Iterable[tuple]) -> None:
        self.sub_c: _Edges = {}
        self.sub_p: _Edges = {}
        self.inv: _Edges = {}
        self.dom: _Edges = {}
        self.rng: _Edges = {}
        self.transitive: set[URIRef] = set()
        self.lists: dict[URIRef, dict[URIRef, URIRef]] = {}
        self.disjoint_sets: list[URIRef] = []
        self.disjoint_with: list[tuple[URIRef, URIRef]] = []
        self._one_way = {RDFS.subClassOf: self.sub_c, RDFS.subPropertyOf: self.sub_p,
                         RDFS.domain: self.dom, RDFS.range: self.rng}  # fmt: skip
        self._both_ways = {OWL.equivalentClass: self.sub_c,
                           OWL.equivalentProperty: self.sub_p, OWL.inverseOf: self.inv}  # fmt: skip
        for s, p, o in onto:
            self._read(s, p, o)

    def _read(self, s: URIRef, p: URIRef, o: URIRef) -> None:
        if p in self._one_way:
            self._one_way[p].setdefault(s, set()).add(o)
        elif p in self._both_ways:
            self._both_ways[p].setdefault(s, set()).add(o)
            self._both_ways[p].setdefault(o, set()).add(s)
        elif p == RDF.type and o == OWL.TransitiveProperty:
            self.transitive.add(s)
        elif p == RDF.type and o == OWL.Class:
            self.sub_c.setdefault(s, set()).add(OWL.Thing)  # scm-cls
        elif p == RDF.first or p == RDF.rest:
            self.lists.setdefault(s, {})[p] = o
        elif p == OWL.members:
            self.disjoint_sets.append(o)
        elif p == OWL.disjointWith:
            self.disjoint_with.append((s, o))

    def disjoint_pairs(self) -> set[tuple[URIRef, URIRef]]:
        """Every ordered pair of distinct disjoint classes (owl:AllDisjointClasses
        lists and owl:disjointWith)."""
        pairs: set[tuple] = set()
        for head in self.disjoint_sets:
            members = self._members(head)
            pairs.update((a, b) for a in members for b in members if a != b)
        for a, b in self.disjoint_with:
            pairs.update(((a, b), (b, a)))
        return pairs

    def _members(self, head: URIRef | None) -> list[URIRef | None]:
        members = []
        node = head
        while node in self.lists and node != RDF.nil:
            members.append(self.lists[node].get(RDF.first))
            node = self.lists[node].get(RDF.rest)
        return members


def strict_closure(edges: Mapping[Any, set[Any]]) -> dict[Any, frozenset]:
    """Each key -> every node reachable from it, without itself."""

    def reach(start: URIRef) -> frozenset:
        seen = {start}
        todo = [start]
        while todo:
            for nxt in edges.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return frozenset(seen)

    return {node: reach(node) - {node} for node in edges}


# The axioms kg's rules read (RuleSchema), wherever they are stated.
_RULE_PREDICATES = frozenset(
    (RDFS.subClassOf, OWL.equivalentClass, RDFS.subPropertyOf, OWL.equivalentProperty,
     OWL.inverseOf, RDFS.domain, RDFS.range, OWL.disjointWith, OWL.members, RDF.first,
     RDF.rest)
)  # fmt: skip


_RULE_TYPES = frozenset((OWL.TransitiveProperty, OWL.Class))


# OWL 2 RL axioms kg's rules do not implement (kg's ontology has none of them).
_OTHER_PREDICATES = frozenset(
    OWL[name]
    for name in (
        "onProperty", "onProperties", "someValuesFrom", "allValuesFrom", "hasValue", "hasSelf",
        "cardinality", "minCardinality", "maxCardinality", "qualifiedCardinality",
        "minQualifiedCardinality", "maxQualifiedCardinality", "onClass", "onDataRange",
        "intersectionOf", "unionOf", "oneOf", "complementOf", "disjointUnionOf",
        "propertyChainAxiom", "hasKey", "differentFrom", "distinctMembers",
        "propertyDisjointWith", "sourceIndividual", "assertionProperty", "targetIndividual",
        "targetValue", "datatypeComplementOf", "withRestrictions",
    )
)  # fmt: skip


_OTHER_TYPES = frozenset(
    OWL[name]
    for name in (
        "SymmetricProperty", "AsymmetricProperty", "FunctionalProperty",
        "InverseFunctionalProperty", "IrreflexiveProperty", "ReflexiveProperty", "Restriction",
        "AllDifferent", "AllDisjointProperties", "NegativePropertyAssertion", "Nothing",
    )
)  # fmt: skip


def data_schema(data: Iterable[tuple]) -> list[tuple] | None:
    """The schema axioms stated in ``data`` that kg's rules implement, to be read
    with the ontology's; None when it states one they do not, or one about a node
    kg mints (owlrl then infers triples about that node itself). Declarations,
    annotations and an ``owl:Ontology`` header change nothing and are ignored.
    kg's records state none."""
    rule_p, rule_t, other_p, other_t = (
        _RULE_PREDICATES,
        _RULE_TYPES,
        _OTHER_PREDICATES,
        _OTHER_TYPES,
    )
    rdf_type, prefix = str(RDF.type), str(ID)
    starts, eq = str.startswith, str.__eq__
    found: list[tuple] = []
    for t in data:
        s, p, o = t
        typed = eq(p, rdf_type)
        if p in rule_p or (typed and o in rule_t):
            if starts(s, prefix):
                return None
            found.append(t)
        elif p in other_p or (typed and o in other_t):
            return None
    return found
