"""kg's own OWL RL reasoner: the instance rules, run semi-naively over Python sets::

cax-sco/cax-eqc  x a C, C ⊑ D            => x a D
prp-spo1/eqp     s p o, p ⊑ q            => s q o
prp-inv1/2       s p o, p inverseOf q    => o q s
prp-dom/rng      s p o, p domain/range C => s a C / o a C
prp-trp          s p o, o p z, p transitive => s p z
eq-sym/trans/rep-s/p/o  owl:sameAs
cax-adc/cax-dw   disjoint classes sharing a member => inconsistent
"""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import Literal, URIRef
from rdflib.namespace import OWL, RDF

from kg.builder.ontology import ontology_triples
from kg.errors import NotConforming
from kg.reason.rules import RuleSchema, ontology_schema
from kg.terms.namespaces import ID


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

    >>> from kg.builder.graph import build_graph
    >>> from kg.terms.namespaces import KG
    >>> inferred = infer_triples(build_graph())
    >>> any(p == KG.holdsRole for _s, p, _o in inferred)
    True
    """

    if ontology is None:
        onto, schema = ontology_triples(), ontology_schema()
    else:
        onto = tuple(ontology)
        schema = RuleSchema(onto)
    asserted = data if isinstance(data, (set, dict)) else dict.fromkeys(data)
    premises = _premises(asserted, schema)
    derived = _closure(premises, onto, schema)
    errors = _clashes((premises, onto, derived), schema)
    if errors:
        raise NotConforming(
            "OWL RL reasoning found the graph inconsistent with the ontology:\n  "
            + "\n  ".join(errors)
        )
    return _about_data(derived, asserted)


def _premises(data: Iterable[tuple], schema: RuleSchema) -> list[tuple]:
    """The data triples the rules can start from: all of them when ``owl:sameAs``
    is used (its rules rewrite any triple), else those whose predicate has a
    rule (:attr:`RuleSchema.premise_predicates`).

    A triple left out can only be derived again, never derive: it then joins
    the closure as if new, and the final ``not in data`` drops it. At 1M
    triples this halves the work (labels, quotes, dates fire nothing).
    """
    if schema.uses_sameas(data):
        return list(data)
    firing = schema.premise_predicates
    return [t for t in data if t[1] in firing]


def _closure(premises: list[tuple], onto: Iterable[tuple], schema: RuleSchema) -> list[tuple]:
    """What the rules derive from the premises and the ontology, each triple once,
    in the order derived."""
    known = set(premises)
    known.update(onto)
    derived: list = []
    _saturate(known, [*premises, *onto], schema, derived)
    return derived


def _about_data(derived: list[tuple], asserted: set | dict) -> list[tuple]:
    """The derived triples kg reports: about a node kg minted, not asserted, and no
    reflexive ``owl:sameAs``."""
    # str's own methods: rdflib's URIRef.__eq__ and .startswith are Python
    # code, and this runs over every derived triple. Each derived triple is
    # new when derived, so the list has no duplicates.
    prefix = str(ID)
    starts, eq, uri, same = str.startswith, str.__eq__, URIRef, OWL.sameAs
    return [
        t
        for t in derived
        if (type(t[0]) is uri or not isinstance(t[0], Literal))
        and starts(t[0], prefix)
        and not (eq(t[1], same) and t[0] == t[2])
        and t not in asserted
    ]


class _Chains:
    """The triples of the transitive properties, indexed both ways (prp-trp)."""

    def __init__(self, transitive: set, known: Iterable[tuple]) -> None:
        self.transitive = transitive
        self.succ: dict = {p: {} for p in transitive}
        self.pred: dict = {p: {} for p in transitive}
        for s, p, o in known:
            if p in transitive:
                self.add(s, p, o)

    def add(self, s: object, p: object, o: object) -> None:
        self.succ[p].setdefault(s, set()).add(o)
        self.pred[p].setdefault(o, set()).add(s)


def _saturate(known: set, agenda: list, schema: RuleSchema, derived: list) -> None:
    """Close ``known`` under the rules (in place); what was added is appended
    to ``derived`` too, so callers need not scan the whole closure for it.

    The instance rules run to a fixed point, then ``owl:sameAs`` rewrites the
    triples of equal nodes, and the rules run again on what that added.
    """
    chains = _Chains(schema.transitive, known)
    while agenda:
        while agenda:
            agenda = _rule_round(agenda, known, schema, chains)
            derived.extend(agenda)
        agenda = _sameas_round(known, chains)
        derived.extend(agenda)


def _rule_round(agenda: list, known: set, schema: RuleSchema, chains: _Chains) -> list:
    """One semi-naive round: what the instance rules derive from ``agenda`` (the
    triples new in the last round) that ``known`` lacks, added to it."""
    # Locals, and str's own __eq__ (predicates are IRIs: C string equality, not
    # rdflib's Python-level __eq__): this loop runs over every derived triple.
    rdf_type, eq, uri = RDF.type, str.__eq__, URIRef
    sup_c, sup_p, inv, dom, rng = schema.sup_c, schema.sup_p, schema.inv, schema.dom, schema.rng
    transitive, succ, pred = schema.transitive, chains.succ, chains.pred
    new: list = []
    add = new.append
    for s, p, o in agenda:
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
        for cls in dom.get(p, ()):
            cands.append((s, rdf_type, cls))
        if type(o) is uri or not isinstance(o, Literal):  # (isinstance is slow here)
            for cls in rng.get(p, ()):
                cands.append((o, rdf_type, cls))
        if p in transitive:
            for z in tuple(succ[p].get(o, ())):
                cands.append((s, p, z))
            for z in tuple(pred[p].get(s, ())):
                cands.append((z, p, o))
        for c in cands:
            if c not in known:
                known.add(c)
                add(c)
                if c[1] in transitive:
                    chains.add(*c)
    return new


def _sameas_round(known: set, chains: _Chains) -> list:
    """eq-sym, eq-trans, eq-rep-s/p/o: every triple written with each member of
    its nodes' classes of equal nodes; what ``known`` lacks is added to it and
    returned (nothing when no ``owl:sameAs`` triple relates two nodes)."""
    eq, same = str.__eq__, OWL.sameAs
    members = _equal_nodes([(s, o) for s, p, o in known if eq(p, same) and s != o])
    if not members:
        return []
    transitive = chains.transitive
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
                            chains.add(s2, p2, o2)
    return new


def _equal_nodes(pairs: list[tuple]) -> dict:
    """Each node of ``pairs`` -> the set of nodes equal to it (itself included),
    the pairs read as an equivalence (union-find)."""
    parent: dict = {}

    def find(x: object) -> object:
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
    for root in classes:
        classes[root].add(root)
    members = {x: classes[find(x)] for x in parent}
    members.update(classes)
    return members


def _clashes(closure: Iterable[Iterable[tuple]], schema: RuleSchema) -> list[str]:
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
