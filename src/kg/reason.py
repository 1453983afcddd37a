"""OWL RL reasoning with owlrl, kept apart from the asserted graph.

The closure is computed over the data plus the ontology; what is returned is
only what is new about the data's own nodes (subjects minted by kg), so the
asserted graph stays clean and the inferred file holds facts an analyst can
use: inverse properties, super-classes, transitive part-of chains.
Left out by design, as engine conventions rather than knowledge about the
data: owlrl's reflexive ``x owl:sameAs x`` triples, axiomatic triples, and
triples whose subject is a literal or an ontology term.
"""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from kg.builder import load_ontology
from kg.errors import NotConforming
from kg.namespaces import ID, bind_prefixes

# owlrl reports inconsistencies (e.g. a member of two disjoint classes) as
# `[] a err:ErrorMessage ; err:error "..."` in the closure (owlrl/Closure.py).
OWLRL_ERR = Namespace("http://www.daml.org/2002/03/agents/agent-ont#")


ENGINES = ("native", "reference")


def infer(data: Graph, ontology: Graph | None = None, engine: str = "reference") -> Graph:
    """Return the OWL RL entailments about the data's nodes that are not asserted.

    ``engine="native"`` computes the same triples with :func:`infer_data` (or
    :func:`infer_triples` with the ``ontology`` given): only the rules the
    axioms can fire; ``"reference"`` runs owlrl.

    Raises :class:`NotConforming` when the closure shows an inconsistency.

    >>> from kg.builder import build_graph
    >>> from kg.namespaces import KG
    >>> inferred = infer(build_graph())
    >>> any(inferred.triples((None, KG.holdsRole, None)))
    True
    """
    if engine == "native":
        g = Graph()
        bind_prefixes(g)
        for t in infer_triples(data, ontology) if ontology is not None else infer_data(data):
            g.add(t)
        return g
    import owlrl  # heavy: imported only when reasoning

    ontology = ontology if ontology is not None else load_ontology()
    work = Graph()
    for t in data:
        work.add(t)
    for t in ontology:
        work.add(t)
    from rdflib import term

    # owlrl swaps in its own lexical-to-value converters while it runs and
    # does not put all of rdflib's back: afterwards "--06-25"^^xsd:gMonthDay
    # reads as ill-typed in the whole process. Restore rdflib's own.
    converters = dict(term._toPythonMapping)
    try:
        owlrl.DeductiveClosure(
            owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False
        ).expand(work)
    finally:
        term._toPythonMapping.clear()
        term._toPythonMapping.update(converters)
    errors = sorted(
        str(work.value(e, OWLRL_ERR.error)) for e in work.subjects(RDF.type, OWLRL_ERR.ErrorMessage)
    )
    if errors:
        raise NotConforming(
            "OWL RL reasoning found the graph inconsistent with the ontology:\n  "
            + "\n  ".join(errors)
        )
    prefix = str(ID)
    inferred = Graph()
    bind_prefixes(inferred)
    for s, p, o in work:
        if not str(s).startswith(prefix) or isinstance(s, Literal):
            continue
        if p == OWL.sameAs and s == o:
            continue
        if (s, p, o) in data:
            continue
        inferred.add((s, p, o))
    return inferred


def infer_data(data: Iterable[tuple]) -> list[tuple]:
    """:func:`infer_triples` for data that may come from any RDF file, which can
    state schema axioms of its own (an ontology editor's export, or kg's with
    ``--with-ontology``): those kg's rules implement are read with the
    ontology's; for any other (:func:`data_schema` gives None), owlrl's triples."""
    extra = data_schema(data)
    if extra is None:
        g = Graph()
        for t in data:
            g.add(t)
        return list(infer(g, engine="reference"))
    if not extra:
        return infer_triples(data)
    from kg.builder import ontology_triples

    return infer_triples(data, (*ontology_triples(), *extra))


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


def infer_triples(data: Iterable[tuple], ontology: Iterable[tuple] | None = None) -> list[tuple]:
    """The OWL RL entailments about the data's nodes that are not asserted, natively.

    The same triples :func:`infer` gets from owlrl, with the same conventions (no
    reflexive ``owl:sameAs``, no axiomatic triples, subjects minted by kg only),
    each once, in the order they were derived (which depends on string hashing:
    sort them for a stable order). Raises :class:`NotConforming` when a node is
    in two disjoint classes.

    ``data`` is best a dict or list in the order the triples were made (the
    builder's ``BuiltGraph.triples``): the passes over it then read memory in
    order, where a set's hash order reads it at random (at 1M triples, 0.05 s
    against 0.7 s to pick the premises).

    >>> from kg.builder import build_graph
    >>> from kg.namespaces import KG
    >>> inferred = infer_triples(build_graph())
    >>> any(p == KG.holdsRole for _s, p, _o in inferred)
    True
    """
    from kg.builder import ontology_triples

    onto = ontology_triples() if ontology is None else tuple(ontology)
    schema = _Schema(onto)
    asserted = data if isinstance(data, (set, dict)) else dict.fromkeys(data)
    premises = _premises(asserted, schema)
    known = set(premises)
    known.update(onto)
    derived: list = []
    _saturate(known, [*premises, *onto], schema, derived)
    del known
    prefix = str(ID)
    errors = _clashes((premises, onto, derived), schema)
    if errors:
        raise NotConforming(
            "OWL RL reasoning found the graph inconsistent with the ontology:\n  "
            + "\n  ".join(errors)
        )
    # str's own methods: rdflib's URIRef.__eq__ and .startswith are Python
    # code, and this runs over every derived triple. Each derived triple is
    # new when derived, so the list has no duplicates.
    starts, eq, uri, same = str.startswith, str.__eq__, URIRef, OWL.sameAs
    return [
        t
        for t in derived
        if (type(t[0]) is uri or not isinstance(t[0], Literal))
        and starts(t[0], prefix)
        and not (eq(t[1], same) and t[0] == t[2])
        and t not in asserted
    ]


def _premises(data: Iterable[tuple], schema: _Schema) -> list[tuple]:
    """The data triples the rules can start from: all of them when ``owl:sameAs``
    is used (its rules rewrite any triple), else those whose predicate has a
    rule, and every ``rdf:type`` (classes, and disjointness, read them).

    A triple left out can only be derived again, never derive: it then joins
    the closure as if new, and the final ``not in data`` drops it. At 1M
    triples this halves the work (labels, quotes, dates fire nothing).
    """
    same, rdf_type = OWL.sameAs, RDF.type
    # Properties whose triples are or imply owl:sameAs (itself, its
    # sub-properties, its inverses' sub-properties).
    sames = {same} | {p for p, sup in schema.sup_p.items() if same in sup}
    sames |= {p for p, inv in schema.inv.items() if inv & sames}
    sames |= {p for p, sup in schema.sup_p.items() if sup & sames}
    if any(p in sames for _s, p, _o in data):
        return list(data)
    firing = set(schema.sup_p) | set(schema.inv) | set(schema.dom) | set(schema.rng)
    firing |= schema.transitive
    firing.add(rdf_type)
    return [t for t in data if t[1] in firing]


def _saturate(known: set, agenda: list, schema: _Schema, derived: list) -> None:
    """Close ``known`` under the rules (in place); what was added is appended
    to ``derived`` too, so callers need not scan the whole closure for it."""
    rdf_type, same = RDF.type, OWL.sameAs
    eq = str.__eq__  # predicates are IRIs: C string equality, not rdflib's __eq__
    uri = URIRef
    sup_c, sup_p, inv, dom, rng = schema.sup_c, schema.sup_p, schema.inv, schema.dom, schema.rng
    transitive = schema.transitive
    succ: dict = {p: {} for p in transitive}
    pred: dict = {p: {} for p in transitive}
    for s, p, o in known:
        if p in transitive:
            succ[p].setdefault(s, set()).add(o)
            pred[p].setdefault(o, set()).add(s)
    while True:
        while agenda:
            new: list = []
            add = new.append
            for t in agenda:
                s, p, o = t
                if eq(p, rdf_type):
                    for d in sup_c.get(o, ()):
                        c = (s, rdf_type, d)
                        if c not in known:
                            known.add(c)
                            add(c)
                    continue
                cands = []
                for q in sup_p.get(p, ()):
                    cands.append((s, q, o))
                for q in inv.get(p, ()):
                    cands.append((o, q, s))
                for c in dom.get(p, ()):
                    cands.append((s, rdf_type, c))
                if type(o) is uri or not isinstance(o, Literal):  # (isinstance is slow here)
                    for c in rng.get(p, ()):
                        cands.append((o, rdf_type, c))
                if p in transitive:
                    for z in tuple(succ[p].get(o, ())):
                        cands.append((s, p, z))
                    for z in tuple(pred[p].get(s, ())):
                        cands.append((z, p, o))
                for c in cands:
                    if c not in known:
                        known.add(c)
                        add(c)
                        cp = c[1]
                        if cp in transitive:
                            succ[cp].setdefault(c[0], set()).add(c[2])
                            pred[cp].setdefault(c[2], set()).add(c[0])
            derived.extend(new)
            agenda = new
        # owl:sameAs: merge each class of equal nodes, then saturate again.
        pairs = [(s, o) for s, p, o in known if eq(p, same) and s != o]
        if not pairs:
            return
        parent: dict = {}

        def find(x: object, parent: dict = parent) -> object:
            while parent.get(x, x) != x:
                x = parent[x]
            return x

        for a, b in pairs:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[ra] = rb
        classes: dict = {}
        for x in list(parent):
            classes.setdefault(find(x), set()).add(x)
        for root in list(classes):
            classes[root].add(root)
        members = {x: classes[find(x)] for x in parent}
        for root in classes:
            members[root] = classes[root]
        new = []
        for s, p, o in list(known):
            ss = members.get(s, (s,))
            ps = members.get(p, (p,))
            os_ = members.get(o, (o,))
            if len(ss) == 1 and len(ps) == 1 and len(os_) == 1:
                continue
            for s2 in ss:
                for p2 in ps:
                    for o2 in os_:
                        c = (s2, p2, o2)
                        if c not in known:
                            known.add(c)
                            new.append(c)
                            if p2 in transitive:
                                succ[p2].setdefault(s2, set()).add(o2)
                                pred[p2].setdefault(o2, set()).add(s2)
        if not new:
            return
        derived.extend(new)
        agenda = new


def _clashes(closure: Iterable[Iterable[tuple]], schema: _Schema) -> list[str]:
    """cax-dw / cax-adc over the closure, given as the parts it was made of
    (lists read in order rather than one set read in hash order)."""
    if not schema.disjoint:
        return []
    types: dict = {}
    classes = {a for a, _ in schema.disjoint}
    rdf_type, eq = RDF.type, str.__eq__
    for part in closure:
        for s, p, o in part:
            if eq(p, rdf_type) and o in classes:
                types.setdefault(s, set()).add(o)
    errors = set()
    for s, cs in types.items():
        for a in cs:
            for b in cs:
                if (a, b) in schema.disjoint and str(a) < str(b):
                    errors.add(f"Disjoint classes {a} and {b} have a common individual {s}")
    return sorted(errors)
