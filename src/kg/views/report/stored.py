"""The report's inputs from the store ``kg build`` persisted: no rdflib graph of
the whole data.

At a million triples the rdflib path (parse into a Graph, pySHACL, rdflib's
SPARQL for the canned queries) took tens of minutes and most of the memory;
here the pages read the store by index (:func:`kg.store.view.store_graph`), the
canned queries run on Oxigraph, and validation is kg's native engine, which
gives the findings pySHACL gives (:func:`kg.validate.engines.validate_graph`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph

from kg.builder.ontology import load_ontology
from kg.pipeline.stored import open_stored
from kg.store.native import BASE, NativeGraph
from kg.store.view import store_graph
from kg.terms.convert import TermConverter
from kg.terms.namespaces import INFERRED_GRAPH
from kg.validate.engines import validate_graph
from kg.validate.report import Report


@dataclass
class StoreInputs:
    """What :func:`kg.views.report.site.build_site` renders, read from a store."""

    data: Graph  # the asserted triples and the ontology, read by index
    ontology: Graph
    query: NativeGraph  # what the canned queries run on (with the entailments on --reason)
    validation: Report
    triples: int  # asserted triples


def store_inputs(graph_file: Path, reason: bool) -> StoreInputs | None:
    """The inputs for ``graph_file`` when it is a kg build with its store; else None.

    The build is opened as every command that reads one opens it
    (:func:`kg.pipeline.stored.open_stored`: trusted by digest, the inferred
    triples asked for with ``reason``). The asserted triples, which validation
    needs, are ``kg.ttl``'s, parsed by Oxigraph (several times faster than a scan
    of the store, which also holds the ontology); the pages read the store's
    default graph (the asserted triples and the ontology) by index, and the
    canned queries run on it with the entailments on ``reason``.
    """
    stored = open_stored(graph_file, reason=reason)
    if stored is None:
        return None
    conv = TermConverter()
    base = NativeGraph(stored.store, [BASE], conv)
    query = NativeGraph(stored.store, [BASE, INFERRED_GRAPH] if reason else [BASE], conv)
    f = conv.from_ox
    asserted = [(f(q.subject), f(q.predicate), f(q.object)) for q in stored.asserted()]
    validation = validate_graph(asserted, engine="native", store=base)
    return StoreInputs(store_graph(base), load_ontology(), query, validation, len(asserted))
