"""``kg validate``: records or RDF files against the shapes."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph

from kg.builder.graph import records_to_graph
from kg.errors import BadInput, UsageError
from kg.pipeline.open import read_graph, read_triples
from kg.pipeline.outputs import gc_paused
from kg.records.load import RECORDS_SUFFIXES, display_name, load_records, record_files
from kg.resources import records_dir
from kg.validate.engines import validate_graph
from kg.validate.report import Report


def validate_paths(
    paths: list[Path],
    fail_on: str = "violation",
    engine: str = "native",
    records: Path | None = None,
) -> Report:
    """Validate records (files or folders of YAML or tables) or RDF files
    against the shapes.

    Records files are read with the records of ``records`` (a folder or file;
    by default, when only files are given, the bundled records), so that their
    references to those records resolve: the report then holds the findings on
    the files' own records, and any other finding that fails the validation.
    """
    if not paths:
        paths = [records or records_dir()]
        records = None
    record_paths = [p for p in paths if p.is_dir() or p.suffix.lower() in RECORDS_SUFFIXES]
    rdf_paths = [p for p in paths if p not in record_paths]
    for p in paths:
        if not p.exists():
            raise BadInput(f"no such file or folder: {p}")
    if record_paths and rdf_paths:
        raise UsageError("validate either records or RDF files, not both at once")
    if records is not None and rdf_paths:
        raise UsageError("--records gives the records that records files refer to, not RDF files")
    if record_paths:
        if records is None and not any(p.is_dir() for p in record_paths):
            records = records_dir()
        return _validate_records(record_paths, records, fail_on, engine)
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


def _validate_records(paths: list[Path], context: Path | None, fail_on: str, engine: str) -> Report:
    """Validate the records of ``paths`` with those of ``context`` (a file of
    both is read once, as one of ``paths``)."""
    files = [f for p in paths for f in record_files(p)]
    mine = {f.resolve() for f in files}
    others = [f for f in record_files(context) if f.resolve() not in mine] if context else []
    with gc_paused():
        built = records_to_graph(load_records([*others, *files]))
        if engine == "native":
            report = validate_graph(built.triples, built.index, fail_on=fail_on, engine=engine)
        else:
            report = validate_graph(built.graph, built.index, fail_on=fail_on, engine=engine)
    return report.within({display_name(f) for f in files}) if others else report
