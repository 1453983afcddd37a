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

from kg.errors import NotConforming
from kg.reason.rules import _Schema
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
    from kg.builder.ontology import ontology_triples

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
