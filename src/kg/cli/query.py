"""``kg query``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from kg.cli.app import cli
from kg.cli.options import (
    QUERY_FORMAT_NAMES,
    RESULT_FORMAT_NAMES,
    Choice,
    _emit,
    _parse_params,
    engine_option,
    graph_options,
    output_option,
    remote_options,
)
from kg.errors import BadInput, UsageError
from kg.rdfio.formats import format_from_path
from kg.terms.checks import visible

TABLE_ROWS = 50  # rows a table shows unless --limit says otherwise


def _complete_name(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """The canned query names that start with what was typed (shell completion)."""
    from kg.sparql.canned import catalog

    return [n for n in sorted(catalog()) if n.startswith(incomplete)]


def _complete_param(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """``NAME=`` for each parameter of the query named before ``-p`` (shell completion)."""
    from kg.errors import KgError
    from kg.sparql.canned import get_query

    # With `-p` last and no value yet, click's resilient parse stops early and
    # leaves the query's name among the unparsed arguments.
    name = ctx.params.get("name") or next((a for a in ctx.args if a[:1] != "-"), None)
    try:
        params = get_query(name).params if name else ()
    except KgError:  # no such query: nothing to offer
        return []
    return [f"{p.name}=" for p in params if f"{p.name}=".startswith(incomplete)]


@cli.command()
@click.argument("name", required=False, shell_complete=_complete_name)
@click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    shell_complete=_complete_param,
    help="A parameter of the canned query (repeatable).",
)
@click.option("-e", "--execute", "sparql", metavar="SPARQL", help="Run this SPARQL text.")
@click.option(
    "--file",
    "query_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Run the SPARQL in this file.",
)
@click.option("--list", "list_", is_flag=True, help="List the canned queries.")
@click.option("--show", is_flag=True, help="Print the canned query's SPARQL instead of running it.")
@click.option(
    "--format",
    "fmt",
    type=Choice(QUERY_FORMAT_NAMES),
    help=f"SELECT/ASK: {', '.join(RESULT_FORMAT_NAMES)} (SPARQL results); CONSTRUCT/DESCRIBE: "
    "an RDF format (xml: RDF/XML). Default: from -o's extension, else table (Turtle for a graph).",
)
@output_option("Write the results to this file.")
@graph_options
@click.option(
    "--endpoint",
    metavar="URL",
    help="Query this SPARQL 1.1 endpoint (e.g. http://127.0.0.1:7878/query) instead.",
)
@click.option(
    "--default-graph-uri",
    "default_graph_uris",
    multiple=True,
    metavar="IRI",
    help="With --endpoint: the store graph(s) to query as the default graph.",
)
@remote_options
@click.option(
    "--allow-service",
    "allow_service",
    multiple=True,
    metavar="HOST",
    help="Let SERVICE clauses reach this host (repeatable). Default: SERVICE is refused.",
)
@click.option(
    "--max-rows",
    type=click.IntRange(min=0),
    metavar="N",
    help="Refuse results of more than N rows (0: no limit). Default: 100000 or KG_MAX_ROWS.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    metavar="N",
    help=f"Show at most N rows (0: all). Default: {TABLE_ROWS} in a table (which says how "
    "many more there are), every row in csv, tsv, json and xml.",
)
@engine_option
def query(
    name: str | None,
    params: tuple[str, ...],
    sparql: str | None,
    query_file: Path | None,
    list_: bool,
    show: bool,
    fmt: str | None,
    output: Path | None,
    graph_file: Path | None,
    records: Path | None,
    reason: bool,
    endpoint: str | None,
    default_graph_uris: tuple[str, ...],
    conn: Any,
    allow_service: tuple[str, ...],
    max_rows: int | None,
    limit: int | None,
    engine: str,
) -> None:
    """Run a canned query by NAME, or ad-hoc SPARQL with -e or --file.

    Parameters are bound as RDF terms: ids (shinzo-abe), prefixed names
    (id:shinzo-abe), IRIs, dates ("2013-06-25") or language tags (fr).

    Examples:

        kg query --list

        kg query timeline

        kg query roles-at-date -p date=2013-06-25 --format csv

        kg query timeline -o timeline.csv

        kg query -e 'SELECT ?p WHERE { ?p a kg:Person }'

        kg query timeline --endpoint http://127.0.0.1:7878/query
    """
    from kg.sandbox.limits import limits
    from kg.sparql.canned import catalog
    from kg.sparql.guard import check_sparql
    from kg.sparql.render import default_format, render

    if list_:
        if fmt not in (None, "table", "json"):
            raise UsageError("--list writes a table or json (--format json)")
        listing = _catalog_json(catalog()) if fmt == "json" else _render_catalog(catalog())
        _emit(listing, output)
        return
    text, bindings = _text_and_bindings(name, sparql, query_file, params, show)
    if show and name is not None:  # --show prints a canned query's SPARQL
        _emit(text, output)
        return
    with limits(timeout=conn.timeout, max_rows=max_rows, allow_service=allow_service):
        # The front door's guard, before a graph is opened for nothing: a refused
        # query costs no build. run_query and remote_query pass it again, in
        # kg.sparql.door.prepare, which binds the parameters the same way for both.
        check_sparql(text)
        if endpoint is not None:
            if graph_file is not None or records is not None or reason:
                raise UsageError(
                    "--endpoint queries the store: drop --graph, --records and --reason"
                )
            result = _remote(endpoint, text, bindings, default_graph_uris, conn)
        else:
            rows_fmt = fmt or format_from_path(output, "table", "results") if output else fmt
            # Only what -p gave: a canned query's default names a bundled record.
            given = _parse_params(params)
            asked = {k: v for k, v in bindings.items() if k in given}
            result = _local(
                text, bindings, graph_file, records, reason, engine, rows_fmt, limit, output, asked
            )
            if result is None:  # written already, by Oxigraph
                return
    used = fmt or default_format(result, output)
    result = result.first(TABLE_ROWS if limit is None and used == "table" else limit or 0)
    graph = None if result.graph is None else ("turtle" if used == "table" else used)
    _emit(render(result, used), output, rdf=graph)


def _text_and_bindings(
    name: str | None,
    sparql: str | None,
    query_file: Path | None,
    params: tuple[str, ...],
    show: bool,
) -> tuple[str, dict[str, Any]]:
    """The query's text and its parameters as RDF terms (none for ad-hoc SPARQL)."""
    from kg.sparql.canned import bind_params, get_query

    if sum(x is not None for x in (name, sparql, query_file)) != 1:
        raise UsageError("give a canned query NAME, or -e SPARQL, or --file F.rq (exactly one)")
    if name is not None:
        canned = get_query(name)
        return canned.text, {} if show else bind_params(canned, _parse_params(params))
    if params:
        raise UsageError("-p parameters go with canned queries; write values into your SPARQL")
    if query_file is None:
        return sparql or "", {}
    from kg.sandbox.inputs import read_input

    data = read_input(query_file, what="query file")
    try:
        return data.decode("utf-8-sig"), {}  # a BOM, as editors on Windows save
    except UnicodeDecodeError as exc:
        raise BadInput(
            f"{query_file}: not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save the file as UTF-8"
        ) from None


def _remote(
    endpoint: str, text: str, bindings: dict[str, Any], graphs: tuple[str, ...], conn: Any
) -> Any:
    from kg.remote.http import endpoint_host
    from kg.remote.protocol import remote_query
    from kg.sandbox.offline import offline

    with offline(allow_hosts=[endpoint_host(endpoint)]):
        return remote_query(endpoint, text, bindings, default_graph_uris=graphs, conn=conn)


def _local(
    text: str,
    bindings: dict[str, Any],
    graph_file: Path | None,
    records: Path | None,
    reason: bool,
    engine: str,
    fmt: str | None,
    limit: int | None,
    output: Path | None,
    asked: dict[str, Any],
) -> Any:
    """The result of the query on the local graph; None when a SELECT's rows were
    written already (the native engine's own writer: every row, in ``fmt``).
    A parameter in ``asked`` naming nothing in the graph is warned about."""
    from kg.pipeline.open import open_graph, open_native
    from kg.pipeline.query import absent_terms
    from kg.sparql.run import run_query
    from kg.sparql.stream import STREAMED, first_rows

    if engine != "native":
        graph = open_graph(graph_file, records, reason=reason, engine=engine)
        _warn(absent_terms(graph, asked))
        return run_query(graph, text, bindings)
    native = open_native(graph_file, records, reason=reason)
    _warn(absent_terms(native, asked))
    if fmt in STREAMED and not limit:
        return _streamed(native, text, bindings, fmt, output)
    return first_rows(native, text, bindings, TABLE_ROWS if limit is None else limit)


def _warn(lines: list[str]) -> None:
    for line in lines:
        click.echo(visible(f"Warning: {line}; the query runs as asked"), err=True)


def _streamed(
    native: Any, text: str, bindings: dict[str, Any], fmt: str, output: Path | None
) -> Any:
    """Run the query on the native store; a SELECT's rows are written to
    ``output`` (atomically) or standard output by Oxigraph's writer, through a
    temporary file (the row limit is checked before anything is written): None.
    Otherwise (another form, or a CSV cell that needs kg's formula guard) the
    result, for the caller to render."""
    import shutil
    import sys
    import tempfile

    from kg.rdfio.atomic import atomic_write
    from kg.sparql.run import run_query
    from kg.sparql.stream import stream_select

    with tempfile.TemporaryFile(prefix="kg-query-") as rows:
        outcome = stream_select(native, text, bindings, fmt, rows.fileno())
        if outcome is None:
            return run_query(native, text, bindings)
        if not isinstance(outcome, int):
            return outcome

        def copy(fh: Any) -> None:
            rows.seek(0)
            shutil.copyfileobj(rows, fh, 1 << 20)

        if output is None:
            copy(sys.stdout.buffer)
            sys.stdout.flush()
        else:
            atomic_write(output, copy)
    return None


def _catalog_json(queries: dict[str, Any]) -> str:
    """The canned queries for a program: name, title, description and parameters."""
    import json

    listing = [
        {
            "name": qname,
            "title": cq.title,
            "description": cq.description,
            "form": cq.form,
            "parameters": [
                {
                    "name": p.name,
                    "type": p.type,
                    "description": p.description,
                    "default": p.default,
                    "required": p.required,
                    "optional": p.optional,
                }
                for p in cq.params
            ],
        }
        for qname, cq in sorted(queries.items())
    ]
    return json.dumps(listing, indent=2, ensure_ascii=False) + "\n"


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
