"""The ``kg`` command: a thin shell over the library.

Each command reads its options, calls one library function, and renders the
result. Errors the library expects are turned into ``Error: …`` and an exit
code in one place (:class:`KgGroup`); tracebacks only with ``--debug``.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from kg import __version__
from kg.errors import EXIT_BAD_INPUT, KgError, UsageError

RDF_FORMAT_NAMES = ["turtle", "nt", "nquads", "trig", "jsonld", "xml"]
RESULT_FORMAT_NAMES = ["table", "csv", "tsv", "json", "xml"]
SEVERITY_NAMES = ["violation", "warning", "info"]


class KgGroup(click.Group):
    """Maps kg's exceptions to exit codes, for every command."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KgError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except RecursionError:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo("Error: input nested too deeply to process", err=True)
            ctx.exit(EXIT_BAD_INPUT)


def graph_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--graph / --records / --reason: which graph a read command works on."""

    @click.option(
        "--graph",
        "graph_file",
        type=click.Path(path_type=Path, dir_okay=False),
        help="An RDF file to use (e.g. build/kg.ttl) instead of the records.",
    )
    @click.option(
        "--records",
        type=click.Path(path_type=Path),
        help="A records folder or file to build from. Default: the bundled NATO–Japan records.",
    )
    @click.option("--reason", is_flag=True, help="Add the OWL RL entailments (owlrl).")
    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return f(*args, **kwargs)

    return wrapper


def _emit(text: str | bytes, out: Path | None) -> None:
    from kg.rdfio import atomic_write

    data = text.encode("utf-8") if isinstance(text, str) else text
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        atomic_write(out, lambda fh: fh.write(data))


@click.group(cls=KgGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kg")
@click.option("--debug", is_flag=True, help="Show a traceback on errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """kg: a knowledge graph of NATO–Japan relations, from curated records.

    Exit codes: 0 success (or conforms), 1 data does not conform, 2 bad input
    or usage error, 3 remote store or network failure.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


@cli.command()
@click.argument("records", required=False, type=click.Path(path_type=Path))
@click.option(
    "-o", "--output", "out_dir", type=click.Path(path_type=Path, file_okay=False),
    default=Path("build"), show_default=True, help="Folder to write kg.ttl into.",
)
@click.option("--reason", is_flag=True, help="Also write OWL RL entailments to kg-inferred.ttl.")
@click.option("--no-validate", is_flag=True, help="Skip SHACL validation (not recommended).")
@click.option(
    "--fail-on", type=click.Choice(SEVERITY_NAMES), default="violation", show_default=True,
    help="Lowest severity that fails the build.",
)
def build(
    records: Path | None, out_dir: Path, reason: bool, no_validate: bool, fail_on: str
) -> None:
    """Build the graph from records, validate it and write Turtle.

    RECORDS is a records folder or file (default: the bundled records). A graph
    that does not conform fails the build (exit 1) and nothing is written.

    Example:

        kg build -o build --reason
    """
    from kg.pipeline import build as run_build

    result = run_build(records, out_dir, reason=reason, validate=not no_validate, fail_on=fail_on)
    n = len(result.built.graph)
    click.echo(f"Built {len(result.built.records)} records into {n} triples.")
    if result.report is not None:
        click.echo(f"Validation: {result.report.summary()}")
    if result.inferred is not None:
        click.echo(f"Reasoning: {len(result.inferred)} inferred triples.")
    for path in result.written:
        click.echo(f"Wrote {path}")


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(["text", "turtle", "json"]), default="text",
    show_default=True, help="Report format (turtle = the SHACL report graph).",
)
@click.option(
    "--fail-on", type=click.Choice(SEVERITY_NAMES), default="violation", show_default=True,
    help="Lowest severity that makes the exit code 1.",
)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the report to a file instead of standard output.")
def validate(paths: tuple[Path, ...], fmt: str, fail_on: str, output: Path | None) -> None:
    """Check records or RDF files against the SHACL shapes.

    PATHS are records files or folders (YAML) or RDF files (format from the
    extension); default: the bundled records. Exit 0 conforms, 1 does not.

    Example:

        kg validate records/ --fail-on warning
    """
    from kg.pipeline import validate_paths

    report = validate_paths(list(paths), fail_on=fail_on)
    _emit(report.render(fmt), output)
    if not report.conforms:
        sys.exit(1)


def _parse_params(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for v in values:
        name, sep, value = v.partition("=")
        if not sep or not name:
            raise UsageError(f"-p takes name=value, got {v!r}")
        out[name.strip()] = value
    return out


@cli.command()
@click.argument("name", required=False)
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE",
              help="A parameter of the canned query (repeatable).")
@click.option("-e", "--execute", "sparql", metavar="SPARQL", help="Run this SPARQL text.")
@click.option("--file", "query_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Run the SPARQL in this file.")
@click.option("--list", "list_", is_flag=True, help="List the canned queries.")
@click.option("--show", is_flag=True, help="Print the canned query's SPARQL instead of running it.")
@click.option(
    "--format", "fmt", default="table", show_default=True,
    type=click.Choice(RESULT_FORMAT_NAMES + [f for f in RDF_FORMAT_NAMES if f != "xml"]),
    help="Result format: table, csv, tsv, json, xml (SPARQL results); RDF formats for CONSTRUCT.",
)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the results to a file instead of standard output.")
@graph_options
def query(
    name: str | None,
    params: tuple[str, ...],
    sparql: str | None,
    query_file: Path | None,
    list_: bool,
    show: bool,
    fmt: str,
    output: Path | None,
    graph_file: Path | None,
    records: Path | None,
    reason: bool,
) -> None:
    """Run a canned query by NAME, or ad-hoc SPARQL with -e or --file.

    Parameters are bound as RDF terms: ids (shinzo-abe), prefixed names
    (id:shinzo-abe), IRIs, dates ("2013-06-25") or language tags (fr).

    Examples:

        kg query --list

        kg query timeline

        kg query roles-at-date -p date=2013-06-25 --format csv

        kg query -e 'SELECT ?p WHERE { ?p a kg:Person }'
    """
    from kg import query as q

    if list_:
        _emit(_render_catalog(q.catalog()), output)
        return
    given = sum(x is not None for x in (name, sparql, query_file))
    if given != 1:
        raise UsageError("give a canned query NAME, or -e SPARQL, or --file F.rq (exactly one)")
    bindings: dict[str, Any] = {}
    if name is not None:
        canned = q.get_query(name)
        if show:
            _emit(canned.text, output)
            return
        text = canned.text
        bindings = q.bind_params(canned, _parse_params(params))
    else:
        if params:
            raise UsageError("-p parameters go with canned queries; write values into your SPARQL")
        if query_file is not None:
            try:
                text = query_file.read_text(encoding="utf-8")
            except FileNotFoundError:
                raise UsageError(f"no such query file: {query_file}") from None
        else:
            text = sparql or ""
    from kg.pipeline import open_graph

    graph = open_graph(graph_file, records, reason=reason)
    result = q.run_query(graph, text, bindings)
    _emit(q.render(result, fmt), output)


def _render_catalog(queries: dict[str, Any]) -> str:
    lines = []
    width = max((len(n) for n in queries), default=4)
    for qname, cq in sorted(queries.items()):
        params = " ".join(
            f"[-p {p.name}=…]" if not p.required else f"-p {p.name}=…" for p in cq.params
        )
        lines.append(f"{qname.ljust(width)}  {cq.title}" + (f"  {params}" if params else ""))
    lines.append(f"({len(queries)} queries; `kg query NAME --show` prints one's SPARQL)")
    return "\n".join(lines) + "\n"


@cli.command()
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="File to write; the format follows its extension. Default: standard output.")
@click.option("--format", "fmt", type=click.Choice(RDF_FORMAT_NAMES),
              help="RDF format (default: from the output's extension, else turtle).")
@click.option("--with-ontology", is_flag=True, help="Include the ontology.")
@graph_options
def export(
    output: Path | None,
    fmt: str | None,
    with_ontology: bool,
    graph_file: Path | None,
    records: Path | None,
    reason: bool,
) -> None:
    """Write the graph as Turtle, N-Triples, N-Quads, TriG, JSON-LD or RDF/XML.

    TriG, N-Quads and JSON-LD keep named graphs: one per source (named by the
    source's IRI, holding every triple that source supports), inferred (with
    --reason) and ontology (with --with-ontology). The other formats merge them.

    Example:

        kg export -o build/kg.trig --reason
    """
    from kg.pipeline import export as run_export

    used, data = run_export(
        output, fmt, graph_file, records, reason=reason, with_ontology=with_ontology
    )
    if data is not None:
        _emit(data, None)
    else:
        click.echo(f"Wrote {output} ({used})", err=True)


def main() -> None:
    cli(obj={})


if __name__ == "__main__":
    main()
