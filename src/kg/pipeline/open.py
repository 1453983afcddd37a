"""The graph a read command works on: records (bundled by default) or an RDF
file, as an rdflib graph or in the native store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rdflib import Graph

from kg.builder.graph import BuiltGraph, records_to_graph
from kg.builder.ontology import load_ontology, ontology_triples
from kg.engines import check_engine
from kg.errors import UsageError
from kg.pipeline.outputs import GRAPH_FILE, gc_paused
from kg.rdfio.read import parse_rdf, quiet_literals, read_input, refuse_ill_typed
from kg.reason.engines import infer, infer_data
from kg.records.load import load_records
from kg.resources import records_dir
from kg.store.native import memory_graph
from kg.store.persist import open_persisted, read_stamp, trusted_stamp
from kg.terms.convert import TermConverter, rdf11_term
from kg.terms.iris import intern
from kg.terms.namespaces import bind_prefixes


def load(records: Path | None = None) -> BuiltGraph:
    """Load and check records (the bundled ones by default) and build the graph."""
    with gc_paused():
        return records_to_graph(load_records(records or records_dir()))


def read_graph(path: Path) -> Graph:
    """All triples of an RDF file (any format kg reads), named graphs merged.

    ``"x"^^xsd:string`` is stored as the plain literal ``"x"``.
    """
    g = Graph()
    bind_prefixes(g)
    add = g.add
    for s, p, o, _ctx in parse_rdf(path).quads((None, None, None, None)):
        # RDF 1.1 makes "x" and "x"^^xsd:string one literal, and Oxigraph holds
        # them as one; rdflib keeps two terms, so a file with both would count
        # twice in DISTINCT, COUNT and len() on the reference engine only.
        add((s, p, rdf11_term(o)))
    return g


def open_graph(
    graph_file: Path | None = None,
    records: Path | None = None,
    *,
    reason: bool = False,
    with_ontology: bool = True,
    engine: str = "native",
) -> Graph:
    """The graph a read command works on: an RDF file, or records (bundled by default).

    The ontology is merged in so queries can use class and property labels.
    ``reason`` adds the OWL RL entailments of ``engine``'s reasoner (native:
    :func:`kg.reason.engines.infer_data`; reference: owlrl; the same triples). The
    native engine reads a file with :func:`read_triples` (a built ``kg.ttl``
    by Oxigraph), the reference engine with rdflib.
    """
    check_engine(engine)
    if graph_file is not None and records is not None:
        raise UsageError("give either --graph or --records, not both")
    if graph_file is None:
        g = load(records).graph
    elif engine == "native":
        g = as_graph(read_triples(graph_file))
    else:
        g = read_graph(graph_file)
    if reason:
        for t in infer(g, engine=engine):
            g.add(t)
    if with_ontology:
        for t in load_ontology():
            g.add(t)
    return g


def open_native(
    graph_file: Path | None = None,
    records: Path | None = None,
    *,
    reason: bool = False,
) -> Any:
    """The graph a query runs on, in the native store (:class:`kg.store.native.NativeGraph`).

    For ``--graph build/kg.ttl`` the store ``kg build`` persisted next to it is
    opened (instantly) when it matches the file; otherwise the graph is loaded
    into an in-memory store. The ontology is included, as in :func:`open_graph`.
    """

    if graph_file is not None and records is not None:
        raise UsageError("give either --graph or --records, not both")
    if graph_file is not None:
        if graph_file.name == GRAPH_FILE and graph_file.is_file():
            opened = open_persisted(graph_file, reason=reason)
            if opened is not None:
                return opened
        triples: Any = read_triples(graph_file)
    else:
        triples = load(records).triples
    inferred: Any = ()
    if reason:
        inferred = infer_data(triples)
    return memory_graph(triples, inferred, ontology_triples())


def read_triples(path: Path) -> Any:
    """The triples of an RDF file, as :func:`read_graph` reads them.

    A ``kg.ttl`` that the store ``kg build`` wrote beside it was built from
    (the same SHA-256: :func:`kg.store.persist.trusted_stamp`) is in kg's own
    Turtle, which Oxigraph parses about 50 times faster than rdflib: it is read
    that way, under the same checks (the input size limit, ill-typed literals
    refused; Oxigraph's parser refuses malformed IRIs itself). Any other file
    is read by :func:`read_graph`.
    """
    if path.name != GRAPH_FILE or read_stamp(path) is None:
        return read_graph(path)
    data = read_input(path)
    if trusted_stamp(path, data) is None:
        return read_graph(path)

    conv = TermConverter()
    ox, f = conv.ox, conv.from_ox
    try:
        with quiet_literals():
            # kg's one object per IRI: the reasoner's look-ups then hit on identity.
            triples = dict.fromkeys(
                (f(t.subject), intern(f(t.predicate)), intern(f(t.object)))
                for t in ox.parse(data, format=ox.RdfFormat.TURTLE)
            )
    except SyntaxError:  # not kg's Turtle after all: read it the usual way
        return read_graph(path)
    refuse_ill_typed(triples, path)
    return triples


def as_graph(triples: Any) -> Graph:
    """``triples`` (what :func:`read_triples` gives) as an rdflib Graph."""
    if isinstance(triples, Graph):
        return triples
    g = Graph()
    bind_prefixes(g)
    add = g.add
    with gc_paused():
        for t in triples:
            add(t)
    return g
