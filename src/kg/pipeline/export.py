"""``kg export``: the graph (one named graph per source, plus inferred and
ontology) in any RDF format.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rdflib import BNode, Dataset, Graph

from kg.builder.ontology import canonical_ontology
from kg.engines import check_engine
from kg.errors import UsageError
from kg.pipeline.open import load, read_graph, read_triples
from kg.pipeline.outputs import gc_paused
from kg.pipeline.stored import Stored, ontology_triples, open_stored
from kg.rdfio.atomic import atomic_write
from kg.rdfio.formats import RDF_FORMATS, format_from_path, is_dataset_format
from kg.rdfio.readback import ReadBack
from kg.rdfio.write import WRITTEN_BY_RDFLIB, rdf_bytes, serialize, store_rdf_bytes
from kg.reason.engines import infer, infer_data
from kg.terms.convert import TermConverter
from kg.terms.iris import record_iri
from kg.terms.namespaces import ASSERTED_GRAPH, INFERRED_GRAPH, ONTOLOGY_GRAPH, bind_prefixes


def export_dataset(
    graph_file: Path | None = None,
    records: Path | None = None,
    *,
    reason: bool = False,
    with_ontology: bool = False,
    engine: str = "native",
) -> Dataset:
    """The graph as a dataset: one named graph per source, plus inferred and ontology.

    Built from records, every asserted triple goes into the named graph of each
    source that supports it (the graph is named by the source's IRI, so the
    source's own description sits with what it supports); a triple no source
    supports goes into the ``asserted`` graph. From an RDF file, where that is
    not known, all triples go into the ``asserted`` graph.
    """
    if graph_file is not None and records is not None:
        raise UsageError("give either --graph or --records, not both")
    ds = Dataset()
    bind_prefixes(ds)
    if graph_file is not None:
        asserted = read_graph(graph_file)
        by_source: dict[str, list[tuple]] = {}
    else:
        built = load(records)
        asserted, by_source = built.graph, built.by_source
    placed = set()
    for src, triples in by_source.items():
        named = ds.graph(record_iri(src))
        for t in triples:
            named.add(t)
            placed.add(t)
    rest = ds.graph(ASSERTED_GRAPH)
    for t in asserted:
        if t not in placed:
            rest.add(t)
    if reason:
        gi = ds.graph(INFERRED_GRAPH)
        for t in infer(asserted, engine=engine):
            gi.add(t)
    if with_ontology:
        go = ds.graph(ONTOLOGY_GRAPH)
        for t in canonical_ontology():
            go.add(t)
    return ds


def export(
    out: Path | None,
    fmt: str | None,
    graph_file: Path | None = None,
    records: Path | None = None,
    *,
    reason: bool = False,
    with_ontology: bool = False,
    engine: str = "native",
) -> tuple[str, bytes | None]:
    """Serialise the graph; write ``out`` atomically, or return the bytes for stdout.

    Either way the bytes are first read back by the parser of the library that
    did not write them (:mod:`kg.rdfio.readback`): bytes that do not read are
    :class:`kg.errors.BadInput`, and ``out`` stays as it was.
    """
    fmt = fmt or (format_from_path(out) if out is not None else "turtle")
    data, writer = _written(
        fmt, graph_file, records, reason=reason, with_ontology=with_ontology, engine=engine
    )
    with ReadBack() as rb:
        if out is None:
            rb.start(data, fmt, writer, "standard output")()
            return fmt, data

        def check(tmp: Path) -> None:  # the file as written, from the disk, before the rename
            rb.start(tmp.read_bytes(), fmt, writer, str(out))()

        atomic_write(out, lambda fh: fh.write(data), check)
    return fmt, None


def export_bytes(
    fmt: str,
    graph_file: Path | None = None,
    records: Path | None = None,
    *,
    reason: bool = False,
    with_ontology: bool = False,
    engine: str = "native",
) -> bytes:
    """The graph (the dataset of :func:`export_dataset`) in RDF format ``fmt``.

    The native engine (default) gathers the triples without rdflib graphs and
    reasons with kg's reasoner; the reference engine builds the rdflib dataset
    and reasons with owlrl. Either way Oxigraph's serialiser writes them,
    sorted, so the same graph gives the same bytes in every run (rdflib's
    JSON-LD and RDF/XML serialisers write in hash order, which changes from
    process to process). Data with blank nodes, whose labels are new at each
    parse, is written by rdflib's serialisers (Turtle inlines them).
    """
    return _written(
        fmt, graph_file, records, reason=reason, with_ontology=with_ontology, engine=engine
    )[0]


def _written(
    fmt: str,
    graph_file: Path | None,
    records: Path | None,
    *,
    reason: bool,
    with_ontology: bool,
    engine: str,
) -> tuple[bytes, str]:
    """:func:`export_bytes`, and which library's serialiser wrote them
    (:data:`kg.rdfio.write.WRITERS`)."""
    if fmt not in RDF_FORMATS:
        raise UsageError(f"unknown format {fmt!r}; use one of {', '.join(RDF_FORMATS)}")
    check_engine(engine)
    ds = None
    with gc_paused():  # millions of objects that all live to the end (see build)
        if engine == "native" and records is None:
            stored = open_stored(graph_file, reason=reason)
            data = _stored_bytes(stored, fmt, with_ontology) if stored is not None else None
            if data is not None:
                return data, _writer(fmt)
        if engine == "native":
            quads = _native_quads(
                fmt, graph_file, records, reason=reason, with_ontology=with_ontology
            )
        else:
            ds = export_dataset(
                graph_file, records, reason=reason, with_ontology=with_ontology, engine=engine
            )
            quads = _dataset_quads(ds, is_dataset_format(fmt))
        if quads is not None:
            return rdf_bytes(quads, fmt), _writer(fmt)
    if ds is None:
        ds = export_dataset(
            graph_file, records, reason=reason, with_ontology=with_ontology, engine=engine
        )
    target: Graph | Dataset
    if is_dataset_format(fmt):
        target = ds
    else:
        target = Graph()
        bind_prefixes(target)
        for s, p, o, _g in ds.quads((None, None, None, None)):
            target.add((s, p, o))
    return serialize(target, fmt), "rdflib"


def _writer(fmt: str) -> str:
    return "rdflib" if fmt in WRITTEN_BY_RDFLIB else "oxigraph"


def _stored_bytes(stored: Stored, fmt: str, with_ontology: bool) -> bytes | None:
    """:func:`_native_quads`' graph from a kg build (:mod:`kg.pipeline.stored`),
    written as :func:`rdf_bytes` writes it: ``kg.ttl`` parsed into Oxigraph's
    terms, the inferred triples from the store, without reasoning again or
    making rdflib terms (but for JSON-LD: rdflib's serialiser compacts it).
    None when ``kg.ttl`` has blank nodes (see :func:`_native_quads`)."""
    conv = TermConverter()
    blank = conv.ox.BlankNode
    dataset = is_dataset_format(fmt)
    asserted, inferred, onto = (
        conv.iri(g) if dataset else None for g in (ASSERTED_GRAPH, INFERRED_GRAPH, ONTOLOGY_GRAPH)
    )
    quads: dict[tuple, None] = {}
    for q in stored.asserted():
        s, o = q.subject, q.object
        if isinstance(s, blank) or isinstance(o, blank):
            return None
        quads[(s, q.predicate, o, asserted)] = None
    if stored.inferred:
        quads.update(
            ((q.subject, q.predicate, q.object, inferred), None) for q in stored.inferred_triples()
        )
    if with_ontology:
        quads.update(((*t, onto), None) for t in ontology_triples(conv))
    return store_rdf_bytes(quads, fmt, conv)


def _native_quads(
    fmt: str,
    graph_file: Path | None,
    records: Path | None,
    *,
    reason: bool,
    with_ontology: bool,
) -> dict[tuple, None] | None:
    """The quads (s, p, o, graph; graph None for a triple format) of
    :func:`export_dataset`, gathered natively; None when the data has blank nodes."""
    if graph_file is not None and records is not None:
        raise UsageError("give either --graph or --records, not both")
    dataset = is_dataset_format(fmt)
    by_source: dict[str, list[tuple]] = {}
    triples: Any
    if graph_file is not None:
        triples = read_triples(graph_file)
    else:
        built = load(records)
        triples = built.triples
        if dataset:
            by_source = built.by_source
    if _has_bnode(triples):
        return None
    inferred: list[tuple] = []
    if reason:
        inferred = infer_data(triples)
        if _has_bnode(inferred):
            return None
    onto = canonical_ontology() if with_ontology else []
    quads: dict[tuple, None] = {}
    if dataset:
        placed: set[tuple] = set()
        for src, src_triples in by_source.items():
            g = record_iri(src)
            for t in src_triples:
                quads[(*t, g)] = None
                placed.add(t)
        quads.update(((*t, ASSERTED_GRAPH), None) for t in triples if t not in placed)
        quads.update(((*t, INFERRED_GRAPH), None) for t in inferred)
        quads.update(((*t, ONTOLOGY_GRAPH), None) for t in onto)
    else:
        for part in (triples, inferred, onto):
            quads.update(((s, p, o, None), None) for s, p, o in part)
    return quads


def _dataset_quads(ds: Dataset, dataset: bool) -> dict[tuple, None] | None:
    """``ds``'s quads as :func:`_native_quads` gives them; None when a blank node
    is outside the ontology's graph (the ontology's are labelled canonically)."""
    quads: dict[tuple, None] = {}
    for s, p, o, g in ds.quads((None, None, None, None)):
        name = getattr(g, "identifier", g)
        if (isinstance(s, BNode) or isinstance(o, BNode)) and name != ONTOLOGY_GRAPH:
            return None
        quads[(s, p, o, name if dataset else None)] = None
    return quads


def _has_bnode(triples: Any) -> bool:
    return any(isinstance(s, BNode) or isinstance(o, BNode) for s, _p, o in triples)
