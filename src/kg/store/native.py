"""An Oxigraph store and the graphs that make a query's default graph.

Why one default graph rather than a named graph each for the asserted triples
and the ontology: Oxigraph looks every pattern up once per graph a query's
default graph is made of, so each graph more costs every query (measured at 1M
triples, a two-pattern scan: 0.069 s on one graph, 0.094 s on two, 0.164 s on
three; a three-way join 1.8 s, 2.4 s, 3.0 s).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rdflib import URIRef

from kg.terms.convert import TermConverter
from kg.terms.namespaces import INFERRED_GRAPH, PREFIXES

BASE = None  # in NativeGraph.graphs: the store's default graph (asserted + ontology)


@dataclass
class NativeGraph:
    """An Oxigraph store and which of its graphs form the default graph of a
    query: :data:`BASE` (the store's default graph) and named graphs."""

    store: Any
    graphs: list[URIRef | None] = field(default_factory=lambda: [BASE])
    conv: TermConverter = field(default_factory=TermConverter)
    # The number of triples of the default graph when known already (a built
    # store's stamp, :func:`kg.store.persist.open_persisted`): counting them
    # took most of ``kg serve``'s start at 1M triples.
    triples: int | None = None

    def __len__(self) -> int:
        return self.count() if self.triples is None else self.triples

    def count(self) -> int:
        """Count the default graph's triples with Oxigraph."""
        q = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
        sol = next(iter(self.store.query(q, default_graph=self.default_graph())))
        return int(sol["n"].value)

    def default_graph(self) -> list[Any] | None:
        """The graphs for Oxigraph's ``default_graph`` (None: the store's own)."""
        if self.graphs == [BASE]:
            return None
        ox = self.conv.ox
        return [ox.DefaultGraph() if g is BASE else self.conv.iri(g) for g in self.graphs]

    def select(self, text: str) -> Any:
        """Run ``text`` (any query form) on the graphs that make the default
        graph, kg's prefixes declared. The text is run as it is: a query from
        outside kg comes through :func:`kg.sparql.door.prepare` first."""
        return self.store.query(
            text,
            prefixes={k: str(v) for k, v in PREFIXES.items()},
            default_graph=self.default_graph(),
        )


def memory_graph(
    asserted: Iterable[tuple],
    inferred: Iterable[tuple] = (),
    ontology: Iterable[tuple] = (),
) -> NativeGraph:
    """An in-memory store holding the given triples, laid out as the persisted one."""
    conv = TermConverter()
    store = conv.ox.Store()
    store.bulk_extend(conv.quads(asserted, BASE))
    store.bulk_extend(conv.quads(ontology, BASE))
    graphs: list[URIRef | None] = [BASE]
    inferred = list(inferred)
    if inferred:
        store.bulk_extend(conv.quads(inferred, INFERRED_GRAPH))
        graphs.append(INFERRED_GRAPH)
    return NativeGraph(store, graphs, conv)
