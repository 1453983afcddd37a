"""The schema kg's OWL RL rules read, and which axioms they implement.

OWL 2 RL restricted to the axioms kg's ontology has (tests/test_equivalence.py
proves it gives owlrl's answer on generated data; docs/performance.md lists
the rules). The schema (class and property hierarchy, inverses, domains,
ranges, transitive properties, disjoint classes) is read from the ontology
once.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from rdflib.namespace import OWL, RDF, RDFS

from kg.terms.namespaces import ID


def _sameas_props(schema: Any) -> set:
    """owl:sameAs and every property that entails it (the reasoner's eq-* rules)."""
    props = {OWL.sameAs}
    for p, sups in schema.sup_p.items():
        if OWL.sameAs in sups:
            props.add(p)
    for p, invs in schema.inv.items():
        if invs & props:
            props.add(p)
    return props


@cache
def _reasoner_schema() -> Any:
    from kg.builder.ontology import ontology_triples

    return _Schema(ontology_triples())


# --- reasoning -----------------------------------------------------------------------


def _chain_props(schema: Any) -> set:
    """Properties whose triples can extend a chain of a transitive property."""
    chain = set(schema.transitive)
    props = set(schema.sup_p) | set(schema.inv)
    grew = True
    while grew:
        grew = False
        for p in props - chain:
            if schema.sup_p.get(p, frozenset()) & chain or schema.inv.get(p, set()) & chain:
                chain.add(p)
                grew = True
    return chain


# The axioms kg's rules read (_Schema), wherever they are stated.
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


# --- the native engine ---------------------------------------------------------------
#
# OWL 2 RL restricted to the axioms kg's ontology has (tests/test_equivalence.py
# proves it gives owlrl's answer on generated data; docs/performance.md lists the
# rules). The schema (class and property hierarchy, inverses, domains, ranges,
# transitive properties, disjoint classes) is read from the ontology once; the
# instance rules run semi-naively over Python sets:
#   cax-sco/cax-eqc  x a C, C ⊑ D            => x a D
#   prp-spo1/eqp     s p o, p ⊑ q            => s q o
#   prp-inv1/2       s p o, p inverseOf q    => o q s
#   prp-dom/rng      s p o, p domain/range C => s a C / o a C
#   prp-trp          s p o, o p z, p transitive => s p z
#   eq-sym/trans/rep-s/p/o  owl:sameAs
#   cax-adc/cax-dw   disjoint classes sharing a member => inconsistent


class _Schema:
    def __init__(self, onto: Iterable[tuple]) -> None:
        from rdflib import BNode, URIRef
        from rdflib.namespace import RDFS

        sub_c: dict = {}
        sub_p: dict = {}
        inv: dict = {}
        dom: dict = {}
        rng: dict = {}
        self.transitive: set = set()
        lists: dict = {}
        disjoint_sets: list = []
        disjoint_pairs: list = []
        for s, p, o in onto:
            if p == RDFS.subClassOf:
                sub_c.setdefault(s, set()).add(o)
            elif p == OWL.equivalentClass:
                sub_c.setdefault(s, set()).add(o)
                sub_c.setdefault(o, set()).add(s)
            elif p == RDFS.subPropertyOf:
                sub_p.setdefault(s, set()).add(o)
            elif p == OWL.equivalentProperty:
                sub_p.setdefault(s, set()).add(o)
                sub_p.setdefault(o, set()).add(s)
            elif p == OWL.inverseOf:
                inv.setdefault(s, set()).add(o)
                inv.setdefault(o, set()).add(s)
            elif p == RDFS.domain:
                dom.setdefault(s, set()).add(o)
            elif p == RDFS.range:
                rng.setdefault(s, set()).add(o)
            elif p == RDF.type and o == OWL.TransitiveProperty:
                self.transitive.add(s)
            elif p == RDF.type and o == OWL.Class:
                # scm-cls: every class is a subclass of owl:Thing.
                sub_c.setdefault(s, set()).add(OWL.Thing)
            elif p == RDF.first or p == RDF.rest:
                lists.setdefault(s, {})[p] = o
            elif p == OWL.members:
                disjoint_sets.append(o)
            elif p == OWL.disjointWith:
                disjoint_pairs.append((s, o))

        def reach(graph: dict, start: object) -> frozenset:
            seen = {start}
            todo = [start]
            while todo:
                for nxt in graph.get(todo.pop(), ()):
                    if nxt not in seen:
                        seen.add(nxt)
                        todo.append(nxt)
            return frozenset(seen)

        # Superclasses and super-properties, each without itself.
        self.sup_c = {c: reach(sub_c, c) - {c} for c in sub_c}
        self.sup_p = {p: reach(sub_p, p) - {p} for p in sub_p}
        self.inv = inv
        self.dom = dom
        self.rng = rng
        self.disjoint: set = set()
        for head in disjoint_sets:
            members = []
            node = head
            while node in lists and node != RDF.nil:
                members.append(lists[node].get(RDF.first))
                node = lists[node].get(RDF.rest)
            for a in members:
                for b in members:
                    if a != b:
                        self.disjoint.add((a, b))
        for a, b in disjoint_pairs:
            self.disjoint.add((a, b))
            self.disjoint.add((b, a))
        self._bnode, self._uri = BNode, URIRef
