"""Reasoning again about only the nodes a change touches."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rdflib import URIRef
from rdflib.namespace import RDF

from kg.pipeline.incremental.revalidate import asserted
from kg.pipeline.incremental.state import ID_PREFIX, MAX_AFFECTED, Fallback
from kg.reason.native import infer_triples
from kg.reason.rules import ontology_schema
from kg.terms.convert import TermConverter
from kg.terms.namespaces import INFERRED_GRAPH


@dataclass
class InferredDelta:
    """The inferred triples a change removes and adds, and the new inferred
    triples of each subject whose entailments it can change."""

    removed: set[tuple]
    added: set[tuple]
    by_subject: dict[Any, list[tuple]]

    @property
    def subjects(self) -> set:
        """The subjects whose inferred triples changed."""
        return {t[0] for t in self.removed} | {t[0] for t in self.added}


def reason_delta(store: Any, conv: TermConverter, delta: set[tuple]) -> InferredDelta:
    """What the asserted ``delta`` (removed and added triples, ``store`` holding
    the new asserted graph) changes in the entailments.

    kg's rules derive each triple about a node from triples mentioning it,
    except along transitive properties: the entailments about the nodes the
    delta mentions, and the nodes chained to them, are computed again from
    the asserted triples mentioning those nodes.
    """

    nodes = _chained(store, conv, _mentioned(delta))
    new = {t for t in infer_triples(_mentioning(store, conv, nodes)) if t[0] in nodes}
    old = _inferred_about(store, conv, nodes)
    by_subject: dict[Any, list[tuple]] = {}
    for t in new:
        by_subject.setdefault(t[0], []).append(t)
    return InferredDelta(old - new, new - old, by_subject)


def _mentioned(delta: set[tuple]) -> set:
    """The nodes the delta's triples are about or point at."""
    nodes: set = set()
    for s, p, o in delta:
        nodes.add(s)
        # A class named by rdf:type gains nothing (rdf:type has no range or inverse).
        if isinstance(o, URIRef) and (o.startswith(ID_PREFIX) or p != RDF.type):
            nodes.add(o)
    return nodes


def _chained(store: Any, conv: TermConverter, nodes: set) -> set:
    """``nodes`` and the records' nodes linked to them, either way, by chains of
    the properties that extend transitive ones."""
    chain = [conv.iri(p) for p in ontology_schema().chain_properties]
    chain_names = {c.value for c in chain}
    ox = conv.ox
    nodes = set(nodes)
    frontier = [n for n in nodes if n.startswith(ID_PREFIX)]
    while frontier:
        nxt = []
        for x in frontier:
            xo = conv.to_ox(x)
            found = [
                q.object
                for q in asserted(store, xo, None, None)
                if q.predicate.value in chain_names and isinstance(q.object, ox.NamedNode)
            ]
            for p in chain:
                found.extend(q.subject for q in asserted(store, None, p, xo))
            for y in found:
                y = conv.from_ox(y)
                if y not in nodes:
                    nodes.add(y)
                    nxt.append(y)
        if len(nodes) > MAX_AFFECTED:
            raise Fallback("the change reaches too many nodes")
        frontier = nxt
    return nodes


def _mentioning(store: Any, conv: TermConverter, nodes: set) -> set[tuple]:
    """The asserted triples whose subject or object is one of ``nodes``."""
    local: set[tuple] = set()
    f = conv.from_ox
    for x in nodes:
        xo = conv.to_ox(x)
        for q in (*asserted(store, xo, None, None), *asserted(store, None, None, xo)):
            local.add((f(q.subject), f(q.predicate), f(q.object)))
    return local


def _inferred_about(store: Any, conv: TermConverter, nodes: set) -> set[tuple]:
    """The inferred triples the store holds about the records' nodes among ``nodes``."""
    gi = conv.iri(INFERRED_GRAPH)
    old: set[tuple] = set()
    for x in nodes:
        if x.startswith(ID_PREFIX):
            for q in store.quads_for_pattern(conv.to_ox(x), None, None, gi):
                old.add((x, conv.from_ox(q.predicate), conv.from_ox(q.object)))
    return old
