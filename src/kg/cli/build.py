"""``kg build`` and ``kg validate``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kg.cli.app import cli
from kg.cli.options import (
    SEVERITY_NAMES,
    Choice,
    _emit,
    engine_option,
    output_option,
    records_option,
)
from kg.terms.checks import visible


@cli.command()
@click.argument("records", required=False, type=click.Path(path_type=Path))
@records_option("records")
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("build"),
    show_default=True,
    help="Folder to write kg.ttl into.",
)
@click.option("--reason", is_flag=True, help="Also write OWL RL entailments to kg-inferred.ttl.")
@click.option("--no-validate", is_flag=True, help="Skip SHACL validation (not recommended).")
@click.option(
    "--fail-on",
    type=Choice(SEVERITY_NAMES),
    default="violation",
    show_default=True,
    help="Lowest severity that fails the build.",
)
@engine_option
@click.option(
    "--full",
    is_flag=True,
    help="Rebuild everything, not only what the records changed since the last build affect.",
)
def build(
    records: Path | None,
    out_dir: Path,
    reason: bool,
    no_validate: bool,
    fail_on: str,
    engine: str,
    full: bool,
) -> None:
    """Build the graph from records, validate it and write Turtle.

    RECORDS (or --records) is a records folder or file (default: the bundled records). A graph
    that does not conform fails the build (exit 1) and nothing is written.
    A later build into the same folder redoes only what the changed record
    files affect (state in OUT/.kg-state/), with the same outputs; --full
    rebuilds everything.

    Example:

        kg build -o build --reason
    """
    from kg.pipeline.build import build as run_build

    result = run_build(
        records,
        out_dir,
        reason=reason,
        validate=not no_validate,
        fail_on=fail_on,
        engine=engine,
        full=full,
    )
    n = result.triples
    click.echo(f"Built {result.record_count} records into {n} triples.")
    if result.report is not None:
        click.echo(f"Validation: {result.report.summary()}")
    if result.inferred_count is not None:
        click.echo(f"Reasoning: {result.inferred_count} inferred triples.")
    for path in result.written:
        click.echo(visible(f"Wrote {path}"))


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=Choice(["text", "turtle", "json"]),
    default="text",
    show_default=True,
    help="Report format (turtle = the SHACL report graph).",
)
@click.option(
    "--fail-on",
    type=Choice(SEVERITY_NAMES),
    default="violation",
    show_default=True,
    help="Lowest severity that makes the exit code 1.",
)
@click.option(
    "--show",
    type=Choice(SEVERITY_NAMES),
    default="warning",
    show_default=True,
    help="Lowest severity listed in the text report (the summary counts every finding).",
)
@click.option(
    "--records",
    type=click.Path(path_type=Path),
    help="The records that the records files of PATHS refer to (a folder or file). "
    "Default, when PATHS are files: the bundled records.",
)
@output_option("Write the report to this file.")
@engine_option
def validate(
    paths: tuple[Path, ...],
    fmt: str,
    fail_on: str,
    show: str,
    records: Path | None,
    output: Path | None,
    engine: str,
) -> None:
    """Check records or RDF files against the SHACL shapes.

    PATHS are records files or folders (YAML, CSV or TSV) or RDF files (format
    from the extension); default: the bundled records, or those of --records.
    Records files are read with the records they refer to (--records), and
    the report is about theirs. Exit 0 conforms, 1 does not.

    Example:

        kg validate records/ --fail-on warning
        kg validate new-source.yaml --records records/
    """
    from kg.pipeline.check import validate_paths

    report = validate_paths(list(paths), fail_on=fail_on, engine=engine, records=records)
    # Whatever fails the run is always listed.
    if SEVERITY_NAMES.index(fail_on) > SEVERITY_NAMES.index(show):
        show = fail_on
    _emit(report.render(fmt, show=show), output, rdf="turtle" if fmt == "turtle" else None)
    if not report.conforms:
        sys.exit(1)
