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
from typing import Any

from rdflib import BNode, Graph

from kg.builder.ontology import load_ontology, ontology_triples
from kg.pipeline.outputs import GRAPH_FILE
from kg.store.native import BASE, NativeGraph
from kg.store.persist import open_persisted
from kg.store.view import store_graph
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

    The store's default graph holds the asserted triples and the ontology (the
    entailments are a named graph): the asserted ones are those that are not
    the ontology's, which records never restate. Records make no blank nodes,
    and the ontology's (its OWL lists) have the store's own labels, so triples
    holding one are the ontology's too.
    """
    if graph_file.name != GRAPH_FILE or not graph_file.is_file():
        return None
    query = open_persisted(graph_file, reason=reason)
    if query is None:
        return None
    base = NativeGraph(query.store, [BASE], query.conv)
    data = store_graph(base)
    onto = set(ontology_triples())
    asserted: list[tuple[Any, Any, Any]] = [
        t
        for t, _ in data.store.triples((None, None, None))
        if t not in onto and not any(isinstance(x, BNode) for x in t)
    ]
    validation = validate_graph(asserted, engine="native", store=base)
    return StoreInputs(data, load_ontology(), query, validation, len(asserted))
