"""The persisted store read through rdflib's Graph API, one indexed look-up per pattern.

Code written for an rdflib Graph (``kg describe``'s views) asks for a few
patterns around one node: an rdflib :class:`~rdflib.store.Store` whose
``triples`` is Oxigraph's ``quads_for_pattern`` answers each from the store's
indexes, so nothing reads the whole data (at 1M triples, an rdflib graph of
it took 30 s and 1 GiB to describe one entity). Read-only.

>>> from kg.store.native import memory_graph
>>> from rdflib import URIRef
>>> a, p = URIRef("https://example.org/a"), URIRef("https://example.org/p")
>>> g = store_graph(memory_graph([(a, p, a)]))
>>> g.value(a, p) == a, (a, p, None) in g, len(list(g.objects(p, p)))
(True, True, 0)
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

from rdflib import Graph
from rdflib.store import Store

from kg.store.native import BASE, NativeGraph
from kg.terms.namespaces import bind_prefixes


class _Indexed(Store):
    """An rdflib Store answering each triple pattern from Oxigraph's indexes."""

    def __init__(self, native: NativeGraph) -> None:
        super().__init__()
        self.native = native
        conv = native.conv
        self._graphs = [conv.ox.DefaultGraph() if g is BASE else conv.iri(g) for g in native.graphs]

    def triples(self, triple_pattern: Any, context: Any = None) -> Iterator[Any]:  # type: ignore[override]
        conv = self.native.conv
        s, p, o = (None if t is None else conv.to_ox(t) for t in triple_pattern)
        seen: set[tuple] = set()
        for graph in self._graphs:
            for q in self.native.store.quads_for_pattern(s, p, o, graph):
                t = (conv.from_ox(q.subject), conv.from_ox(q.predicate), conv.from_ox(q.object))
                if len(self._graphs) > 1:  # a triple both asserted and inferred: once
                    if t in seen:
                        continue
                    seen.add(t)
                yield t, iter(())

    def __len__(self, context: Any = None) -> int:
        return len(self.native)

    def contexts(self, triple: Any = None) -> Generator[Graph, None, None]:
        yield from ()


def store_graph(native: NativeGraph) -> Graph:
    """``native``'s graphs (its query default graph) as a read-only rdflib Graph
    whose every look-up is one pattern on the store's indexes."""
    g = Graph(store=_Indexed(native))
    bind_prefixes(g)
    return g
