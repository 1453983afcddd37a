"""The operations behind the commands: build, validate, open a graph, export.

Each is a plain function the CLI calls; none of them prints or exits.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import Dataset, Graph

from kg.build import BuiltGraph, load_ontology, record_iri, records_to_graph
from kg.errors import BadInput, NotConforming, UsageError
from kg.namespaces import ASSERTED_GRAPH, INFERRED_GRAPH, ONTOLOGY_GRAPH, bind_prefixes
from kg.rdfio import RDF_FORMATS, format_from_path, is_dataset_format, parse_rdf, write_rdf
from kg.records import load_records
from kg.resources import records_dir
from kg.validate import Report, validate_graph

GRAPH_FILE = "kg.ttl"
INFERRED_FILE = "kg-inferred.ttl"


@dataclass
class BuildResult:
    built: BuiltGraph
    report: Report | None
    inferred: Graph | None
    written: list[Path]


def load(records: Path | None = None) -> BuiltGraph:
    """Load and check records (the bundled ones by default) and build the graph."""
    return records_to_graph(load_records(records or records_dir()))


def build(
    records: Path | None = None,
    out_dir: Path = Path("build"),
    *,
    reason: bool = False,
    validate: bool = True,
    fail_on: str = "violation",
) -> BuildResult:
    """Records -> validated graph -> ``out_dir/kg.ttl`` (and ``kg-inferred.ttl``).

    Nothing is written unless the records load and (when validating) the graph
    conforms; each file is written atomically.
    """
    built = load(records)
    report = None
    if validate:
        report = validate_graph(built.graph, built.index, fail_on=fail_on)
        if not report.conforms:
            raise NotConforming(report.render("text").rstrip())
    inferred = None
    if reason:
        from kg.reason import infer

        inferred = infer(built.graph)
    written = [out_dir / GRAPH_FILE]
    write_rdf(built.graph, written[0], "turtle")
    if inferred is not None:
        written.append(out_dir / INFERRED_FILE)
        write_rdf(inferred, written[1], "turtle")
    return BuildResult(built, report, inferred, written)


def validate_paths(paths: list[Path], fail_on: str = "violation") -> Report:
    """Validate records (files or folders of YAML) or RDF files against the shapes."""
    if not paths:
        paths = [records_dir()]
    record_paths = [p for p in paths if p.is_dir() or p.suffix in (".yaml", ".yml")]
    rdf_paths = [p for p in paths if p not in record_paths]
    for p in paths:
        if not p.exists():
            raise BadInput(f"no such file or folder: {p}")
    if record_paths and rdf_paths:
        raise UsageError("validate either records or RDF files, not both at once")
    if record_paths:
        built = records_to_graph(load_records(record_paths))
        return validate_graph(built.graph, built.index, fail_on=fail_on)
    data = Graph()
    for p in rdf_paths:
        data += read_graph(p)
    return validate_graph(data, fail_on=fail_on)


def read_graph(path: Path) -> Graph:
    """All triples of an RDF file (any format kg reads), named graphs merged."""
    g = Graph()
    bind_prefixes(g)
    for s, p, o, _ctx in parse_rdf(path).quads((None, None, None, None)):
        g.add((s, p, o))
    return g


def open_graph(
    graph_file: Path | None = None,
    records: Path | None = None,
    *,
    reason: bool = False,
    with_ontology: bool = True,
) -> Graph:
    """The graph a read command works on: an RDF file, or records (bundled by default).

    The ontology is merged in so queries can use class and property labels.
    """
    if graph_file is not None and records is not None:
        raise UsageError("give either --graph or --records, not both")
    g = read_graph(graph_file) if graph_file is not None else load(records).graph
    if reason:
        from kg.reason import infer

        for t in infer(g):
            g.add(t)
    if with_ontology:
        for t in load_ontology():
            g.add(t)
    return g


def export_dataset(
    graph_file: Path | None = None,
    records: Path | None = None,
    *,
    reason: bool = False,
    with_ontology: bool = False,
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
        from kg.reason import infer

        gi = ds.graph(INFERRED_GRAPH)
        for t in infer(asserted):
            gi.add(t)
    if with_ontology:
        go = ds.graph(ONTOLOGY_GRAPH)
        for t in load_ontology():
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
) -> tuple[str, bytes | None]:
    """Serialise the graph; write ``out`` atomically, or return the bytes for stdout."""
    from kg.rdfio import serialize

    fmt = fmt or (format_from_path(out) if out is not None else "turtle")
    if fmt not in RDF_FORMATS:
        raise UsageError(f"unknown format {fmt!r}; use one of {', '.join(RDF_FORMATS)}")
    ds = export_dataset(graph_file, records, reason=reason, with_ontology=with_ontology)
    target: Graph | Dataset
    if is_dataset_format(fmt):
        target = ds
    else:
        target = Graph()
        bind_prefixes(target)
        for s, p, o, _g in ds.quads((None, None, None, None)):
            target.add((s, p, o))
    if out is None:
        return fmt, serialize(target, fmt)
    write_rdf(target, out, fmt)
    return fmt, None
