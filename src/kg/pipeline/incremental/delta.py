"""Reasoning again about only the nodes a change touches."""

from __future__ import annotations

from typing import Any

from rdflib import URIRef
from rdflib.namespace import RDF

from kg.pipeline.incremental.revalidate import _asserted
from kg.pipeline.incremental.state import _ID, MAX_AFFECTED, Fallback
from kg.reason.rules import ontology_schema
from kg.terms.namespaces import INFERRED_GRAPH


def _reason_delta(store: Any, conv: Any, delta: set) -> tuple[set, set, dict]:
    """The inferred triples to remove and to add, and the new inferred triples by
    subject, for the subjects whose entailments ``delta`` can change."""
    from kg.reason.native import infer_triples

    ox = conv.ox
    nodes: set = set()
    for s, p, o in delta:
        nodes.add(s)
        # A class named by rdf:type gains nothing (rdf:type has no range or inverse).
        if isinstance(o, URIRef) and (o.startswith(_ID) or p != RDF.type):
            nodes.add(o)
    chain = [conv.iri(p) for p in ontology_schema().chain_properties]
    chain_names = {c.value for c in chain}
    frontier = [n for n in nodes if n.startswith(_ID)]
    while frontier:
        nxt = []
        for x in frontier:
            xo = conv.to_ox(x)
            found = [
                q.object
                for q in _asserted(store, xo, None, None)
                if q.predicate.value in chain_names and isinstance(q.object, ox.NamedNode)
            ]
            for p in chain:
                found.extend(q.subject for q in _asserted(store, None, p, xo))
            for y in found:
                y = conv.from_ox(y)
                if y not in nodes:
                    nodes.add(y)
                    nxt.append(y)
        if len(nodes) > MAX_AFFECTED:
            raise Fallback("the change reaches too many nodes")
        frontier = nxt
    local: set = set()
    for x in nodes:
        xo = conv.to_ox(x)
        for q in (
            *_asserted(store, xo, None, None),
            *_asserted(store, None, None, xo),
        ):
            local.add((conv.from_ox(q.subject), conv.from_ox(q.predicate), conv.from_ox(q.object)))
    new = {t for t in infer_triples(local) if t[0] in nodes}
    gi = conv.iri(INFERRED_GRAPH)
    old = set()
    for x in nodes:
        if x.startswith(_ID):
            for q in store.quads_for_pattern(conv.to_ox(x), None, None, gi):
                old.add((x, conv.from_ox(q.predicate), conv.from_ox(q.object)))
    by_subject: dict = {}
    for t in new:
        by_subject.setdefault(t[0], []).append(t)
    return old - new, new - old, by_subject
