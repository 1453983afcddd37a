"""The bundled ontology, as kg's engines and exports read it."""

from __future__ import annotations

from functools import cache

from rdflib import Graph
from rdflib.namespace import OWL

from kg.resources import ontology_files
from kg.terms.iris import intern
from kg.terms.namespaces import bind_prefixes


def load_ontology() -> Graph:
    """The bundled ontology (all of ``ontology/*.ttl``) as one graph."""
    g = Graph()
    bind_prefixes(g)
    for triple in _ontology_triples():
        g.add(triple)
    return g


def ontology_triples() -> tuple:
    """The bundled ontology's triples (parsed once per process)."""
    return _ontology_triples()


@cache
def _ontology_triples() -> tuple:
    g = Graph()
    for path in ontology_files():
        g.parse(path, format="turtle")
    # Never follow owl:imports: the ontology is self-contained by design.
    g.remove((None, OWL.imports, None))
    # The same IRI objects as the data's, so look-ups in the engines' indexes
    # hit on identity instead of calling rdflib's (Python-level) __eq__.
    return tuple(tuple(intern(t) for t in triple) for triple in g)


def canonical_ontology() -> list[tuple]:
    """The ontology's triples with its blank nodes (OWL lists) labelled from
    their content, so an export that includes it is the same in every run."""
    from rdflib.compare import to_canonical_graph

    return sorted(to_canonical_graph(load_ontology()))
