"""``kg report``, ``kg describe``, ``kg diff`` and ``kg generate``."""

from __future__ import annotations

from pathlib import Path

import click

from kg.cli.app import cli
from kg.cli.options import _emit, graph_options, output_option
from kg.errors import EXIT_DIFFERENT, EXIT_OK
from kg.terms.checks import visible
from kg.views.diff import DIFF_FORMATS


@cli.command()
@click.option(
    "-o", "--output", "out_dir", type=click.Path(path_type=Path, file_okay=False),
    default=Path("build/report"), show_default=True,
    help="Folder to write the site into (replaced as a whole if it holds a kg report).",
)  # fmt: skip
@graph_options
def report(out_dir: Path, graph_file: Path | None, records: Path | None, reason: bool) -> None:
    """Write a static HTML site about the graph: timeline, network, entity pages,
    query results, ontology documentation and validation findings.

    The site needs no network to be viewed (open index.html from the folder).
    --reason adds the OWL RL entailments to the graph the canned queries run on.

    Example:

        kg report -o build/report
    """
    from kg.views.report.site import generate

    result = generate(out_dir, graph_file, records, reason=reason)
    click.echo(
        visible(
            f"Wrote {len(result.pages)} pages ({result.entities} entity pages, "
            f"{result.queries} query pages), {result.bytes / 1e6:.1f} MB, to {result.out_dir} "
            f"in {result.seconds:.1f} s."
        )
    )
    click.echo(visible(f"Open {result.out_dir / 'index.html'}"))


@cli.command()
@click.argument("thing")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for a person; json: the same facts structured, for a program.",
)
@graph_options
def describe(
    thing: str, fmt: str, graph_file: Path | None, records: Path | None, reason: bool
) -> None:
    """Print what the graph says about THING, with the source of every fact.

    THING is an IRI, a prefixed name (id:shinzo-abe), a record id or a name in
    any language ("Shinzo Abe", "安倍晋三"), matched without regard to case. A name
    several things carry lists them (exit 2).

    Examples:

        kg describe "Shinzo Abe"

        kg describe joint-political-declaration-2013

        kg describe shinzo-abe --format json
    """
    from kg.pipeline.open import open_native
    from kg.store.view import store_graph
    from kg.views.describe import describe_indexed
    from kg.views.jsonview import render_json
    from kg.views.text import render_text

    # The store kg build persisted (or the graph loaded into one), read by index:
    # a description never reads the whole graph.
    graph = store_graph(open_native(graph_file, records, reason=reason))
    d = describe_indexed(graph, thing)
    click.echo(render_json(d) if fmt == "json" else render_text(d), nl=False)


@cli.command()
@click.option(
    "--events",
    type=click.IntRange(min=1),
    required=True,
    help="Number of events; records and triples grow linearly with it (~45 triples each).",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Random seed: the same seed gives byte-identical files.",
)
@click.option(
    "--violations",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Inject exactly this many SHACL violations (for testing validation).",
)
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Folder to write the records (generated-*.yaml) into.",
)
def generate(events: int, seed: int, violations: int, out_dir: Path) -> None:
    """Write synthetic records (invented names and sources) for benchmarks and tests.

    The records use the curated format and conform to the shapes, unless
    --violations asks for known faults (end dates before start dates, labels in
    a language the shapes refuse).

    Example:

        kg generate --events 20000 --seed 1 -o /tmp/kg-1m && kg build /tmp/kg-1m --reason
    """
    from kg.generate import generate_records

    summary = generate_records(out_dir, events, seed=seed, violations=violations)
    click.echo(
        visible(
            f"Wrote {summary.records} records ({summary.events} events, "
            f"{summary.violations} violation(s) injected) in {len(summary.files)} file(s) "
            f"to {out_dir}"
        )
    )


@cli.command()
@click.argument("old")
@click.argument("new")
@click.option(
    "--records",
    type=click.Path(path_type=Path, file_okay=False),
    help="The records folder whose git revisions OLD and NEW name. "
    "Default: the bundled records, in the repository that holds them.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(DIFF_FORMATS),
    help="text (default), json, or an RDF changeset: the removed and the added triples "
    "as two named graphs (trig, nquads, jsonld). Default: from -o's extension, else text.",
)
@output_option("Write the differences to this file.")
@click.pass_context
def diff(
    ctx: click.Context,
    old: str,
    new: str,
    records: Path | None,
    fmt: str | None,
    output: Path | None,
) -> None:
    """Compare two graphs as facts: what NEW adds, removes or changes from OLD.

    OLD and NEW are each a build folder (kg build's output), an RDF file, a
    records folder or file, or a git revision of the records (HEAD~1). Facts
    are grouped by the thing they are about, in the words kg describe uses,
    each with the sources behind it on each side. Exit 0: the same triples;
    1: they differ; 2: bad input (as diff does).

    Examples:

        kg diff build records

        kg diff HEAD~1 HEAD

        kg diff old/kg.ttl new/kg.ttl -o changes.trig
    """
    from kg.views.diff.compare import compare
    from kg.views.diff.render import format_for, render
    from kg.views.diff.stored import open_sides

    fmt = format_for(fmt, output)
    result = compare(*open_sides(old, new, records))
    _emit(render(result, fmt), output)
    ctx.exit(EXIT_OK if result.same else EXIT_DIFFERENT)
