"""``kg validate``: records or RDF files against the shapes."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph

from kg.builder.graph import records_to_graph
from kg.errors import BadInput, UsageError
from kg.pipeline.open import read_graph, read_triples
from kg.pipeline.outputs import gc_paused
from kg.records.load import RECORDS_SUFFIXES, load_records
from kg.resources import records_dir
from kg.validate.engines import validate_graph
from kg.validate.report import Report


def validate_paths(paths: list[Path], fail_on: str = "violation", engine: str = "native") -> Report:
    """Validate records (files or folders of YAML) or RDF files against the shapes."""
    if not paths:
        paths = [records_dir()]
    record_paths = [p for p in paths if p.is_dir() or p.suffix.lower() in RECORDS_SUFFIXES]
    rdf_paths = [p for p in paths if p not in record_paths]
    for p in paths:
        if not p.exists():
            raise BadInput(f"no such file or folder: {p}")
    if record_paths and rdf_paths:
        raise UsageError("validate either records or RDF files, not both at once")
    if record_paths:
        with gc_paused():
            built = records_to_graph(load_records(record_paths))
            if engine == "native":
                return validate_graph(built.triples, built.index, fail_on=fail_on, engine=engine)
        return validate_graph(built.graph, built.index, fail_on=fail_on, engine=engine)
    if engine == "native":
        with gc_paused():
            triples: dict[tuple, None] = {}
            for p in rdf_paths:
                triples.update(dict.fromkeys(read_triples(p)))
            return validate_graph(triples, fail_on=fail_on, engine=engine)
    data = Graph()
    for p in rdf_paths:
        data += read_graph(p)
    return validate_graph(data, fail_on=fail_on, engine=engine)
