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


class KgCommand(click.Command):
    """A command that runs offline (:func:`kg.guard.offline`) unless it talks
    to a store or serves by design; those open only their own hosts."""

    ONLINE = frozenset({"push", "serve"})

    def invoke(self, ctx: click.Context) -> Any:
        if self.name in self.ONLINE:
            return super().invoke(ctx)
        from kg.guard import offline

        with offline():
            return super().invoke(ctx)


class KgGroup(click.Group):
    """Maps kg's exceptions to exit codes, for every command."""

    command_class = KgCommand

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
    @click.option("--reason", is_flag=True, help="Add the OWL RL entailments.")
    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return f(*args, **kwargs)

    return wrapper


def engine_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """--engine native|reference: Oxigraph and kg's native reasoner and validator, or
    the reference engines (rdflib SPARQL, owlrl, pySHACL). Same answers."""
    return click.option(
        "--engine",
        type=click.Choice(["native", "reference"]),
        default="native",
        show_default=True,
        help="native: Oxigraph store, native OWL RL and SHACL (fast); "
        "reference: rdflib, owlrl, pySHACL. Both give the same answers.",
    )(f)


def remote_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--user / --password / --auth / --timeout / --retries, passed on as ``conn``
    (a :class:`kg.remote.Connection`) to a command that talks to a store."""

    @click.option("--user", envvar="KG_USER", show_envvar=True, help="User name for the store.")
    @click.option(
        "--password",
        envvar="KG_PASSWORD",
        show_envvar=True,
        help="Password (prefer the environment variable: options show in process lists).",
    )
    @click.option(
        "--auth",
        "auth_type",
        type=click.Choice(["basic", "digest"]),
        default="basic",
        show_default=True,
        help="HTTP authentication scheme (Virtuoso's -auth endpoints: digest).",
    )
    @click.option(
        "--timeout",
        type=float,
        default=30.0,
        show_default=True,
        metavar="SECONDS",
        help="Give up on a request the store has not answered (kg query: a query) in this time.",
    )
    @click.option(
        "--retries",
        type=int,
        default=3,
        show_default=True,
        help="Retries (exponential backoff) of PUT/GET and queries on transient failures.",
    )
    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from kg.remote import Connection

        kwargs["conn"] = Connection(
            user=kwargs.pop("user") or None,
            password=kwargs.pop("password"),
            auth=kwargs.pop("auth_type"),
            timeout=kwargs.pop("timeout"),
            retries=kwargs.pop("retries"),
        )
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

    Exit codes: 0 success (or conforms), 1 data does not conform, 2 bad input,
    usage error or an output that could not be written, 3 remote store or
    network failure.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


@cli.command()
@click.argument("records", required=False, type=click.Path(path_type=Path))
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
    type=click.Choice(SEVERITY_NAMES),
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

    RECORDS is a records folder or file (default: the bundled records). A graph
    that does not conform fails the build (exit 1) and nothing is written.
    A later build into the same folder redoes only what the changed record
    files affect (state in OUT/.kg-state/), with the same outputs; --full
    rebuilds everything.

    Example:

        kg build -o build --reason
    """
    from kg.pipeline import build as run_build

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
        click.echo(f"Wrote {path}")


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "turtle", "json"]),
    default="text",
    show_default=True,
    help="Report format (turtle = the SHACL report graph).",
)
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITY_NAMES),
    default="violation",
    show_default=True,
    help="Lowest severity that makes the exit code 1.",
)
@click.option(
    "--show",
    type=click.Choice(SEVERITY_NAMES),
    default="warning",
    show_default=True,
    help="Lowest severity listed in the text report (the summary counts every finding).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the report to a file instead of standard output.",
)
@engine_option
def validate(
    paths: tuple[Path, ...],
    fmt: str,
    fail_on: str,
    show: str,
    output: Path | None,
    engine: str,
) -> None:
    """Check records or RDF files against the SHACL shapes.

    PATHS are records files or folders (YAML) or RDF files (format from the
    extension); default: the bundled records. Exit 0 conforms, 1 does not.

    Example:

        kg validate records/ --fail-on warning
    """
    from kg.pipeline import validate_paths

    report = validate_paths(list(paths), fail_on=fail_on, engine=engine)
    # Whatever fails the run is always listed.
    if SEVERITY_NAMES.index(fail_on) > SEVERITY_NAMES.index(show):
        show = fail_on
    _emit(report.render(fmt, show=show), output)
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
@click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
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
    default="table",
    show_default=True,
    type=click.Choice(RESULT_FORMAT_NAMES + [f for f in RDF_FORMAT_NAMES if f != "xml"]),
    help="Result format: table, csv, tsv, json, xml (SPARQL results); RDF formats for CONSTRUCT.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the results to a file instead of standard output.",
)
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
@engine_option
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
    endpoint: str | None,
    default_graph_uris: tuple[str, ...],
    conn: Any,
    allow_service: tuple[str, ...],
    max_rows: int | None,
    engine: str,
) -> None:
    """Run a canned query by NAME, or ad-hoc SPARQL with -e or --file.

    Parameters are bound as RDF terms: ids (shinzo-abe), prefixed names
    (id:shinzo-abe), IRIs, dates ("2013-06-25") or language tags (fr).

    Examples:

        kg query --list

        kg query timeline

        kg query roles-at-date -p date=2013-06-25 --format csv

        kg query -e 'SELECT ?p WHERE { ?p a kg:Person }'

        kg query timeline --endpoint http://127.0.0.1:7878/query
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
    from kg import guard

    with guard.limits(timeout=conn.timeout, max_rows=max_rows, allow_service=allow_service):
        # Refused before anything runs, whatever engine would run it.
        guard.check_sparql(text)
        if endpoint is not None:
            if graph_file is not None or records is not None or reason:
                raise UsageError(
                    "--endpoint queries the store: drop --graph, --records and --reason"
                )
            from urllib.parse import urlsplit

            from kg.remote import remote_query

            with guard.offline(allow_hosts=[urlsplit(endpoint).hostname or ""]):
                result = remote_query(
                    endpoint, text, bindings, default_graph_uris=default_graph_uris, conn=conn
                )
        else:
            from kg.pipeline import open_graph, open_native

            if engine == "native":
                graph: Any = open_native(graph_file, records, reason=reason)
            else:
                graph = open_graph(graph_file, records, reason=reason, engine=engine)
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
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="File to write; the format follows its extension. Default: standard output.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(RDF_FORMAT_NAMES),
    help="RDF format (default: from the output's extension, else turtle).",
)
@click.option("--with-ontology", is_flag=True, help="Include the ontology.")
@graph_options
@engine_option
def export(
    output: Path | None,
    fmt: str | None,
    with_ontology: bool,
    graph_file: Path | None,
    records: Path | None,
    reason: bool,
    engine: str,
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
        output, fmt, graph_file, records, reason=reason, with_ontology=with_ontology,
        engine=engine,
    )  # fmt: skip
    if data is not None:
        _emit(data, None)
    else:
        click.echo(f"Wrote {output} ({used})", err=True)


@cli.command()
@click.argument("file", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--endpoint",
    required=True,
    metavar="URL",
    help="The store's Graph Store endpoint, e.g. http://127.0.0.1:7878/store.",
)
@click.option(
    "--graph",
    "graph_iri",
    metavar="IRI",
    help="Write this named graph. Default: the store's default graph.",
)
@click.option(
    "--replace/--append",
    default=True,
    show_default=True,
    help="Replace the graph's content (PUT semantics) or add to it (POST).",
)
@click.option(
    "--direct",
    is_flag=True,
    help="Write the target graph directly, not through a staging graph (not atomic).",
)
@click.option(
    "--query-endpoint",
    metavar="URL",
    help="SPARQL query endpoint for the count check. Default: derived from --endpoint.",
)
@click.option(
    "--update-endpoint",
    metavar="URL",
    help="SPARQL update endpoint for the staging MOVE. Default: derived from --endpoint.",
)
@click.option("--no-verify", is_flag=True, help="Skip reading the triple count back.")
@click.option(
    "--records",
    type=click.Path(path_type=Path),
    help="A records folder or file to build from. Default: the bundled records.",
)
@click.option("--reason", is_flag=True, help="Add the OWL RL entailments.")
@click.option("--no-ontology", is_flag=True, help="Do not merge the ontology into the graph.")
@remote_options
def push(
    file: Path | None,
    endpoint: str,
    graph_iri: str | None,
    replace: bool,
    direct: bool,
    query_endpoint: str | None,
    update_endpoint: str | None,
    no_verify: bool,
    records: Path | None,
    reason: bool,
    no_ontology: bool,
    conn: Any,
) -> None:
    """Upload the graph to a triple store (SPARQL 1.1 Graph Store Protocol).

    FILE is an RDF file to push instead of the records; TriG and N-Quads
    keep their named graphs. The upload goes to a staging graph that one
    SPARQL Update then moves into place, so a failed push leaves the target
    as it was; the triple count is then read back and checked. Exit 3 when
    the store or the network fails.

    Examples:

        kg push --endpoint http://127.0.0.1:7878/store

        kg push build/kg.trig --endpoint http://127.0.0.1:7878/store --append
    """
    from kg.remote import push as run_push

    result = run_push(
        endpoint,
        file,
        records,
        graph=graph_iri,
        replace=replace,
        atomic=not direct,
        verify=not no_verify,
        reason=reason,
        with_ontology=not no_ontology,
        query_endpoint=query_endpoint,
        update_endpoint=update_endpoint,
        conn=conn,
    )
    for line in result.summary():
        click.echo(line)


@cli.command()
@click.option(
    "--port",
    type=int,
    default=7878,
    show_default=True,
    help="Port on 127.0.0.1 (0: any free port).",
)
@graph_options
def serve(port: int, graph_file: Path | None, records: Path | None, reason: bool) -> None:
    """Serve the graph read-only as a local SPARQL 1.1 endpoint (Oxigraph).

    Listens on 127.0.0.1 only; point YASGUI or any SPARQL client at the
    printed /query URL. Ctrl-C stops the server and removes its files.

    Example:

        kg serve --port 7878 --reason
    """
    import signal

    from kg.serve import serve as run_serve

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    endpoint = run_serve(graph_file, records, reason=reason, port=port)
    # SIGINT too: a shell starts background jobs with SIGINT ignored, and the
    # server must still stop (and clean up) on Ctrl-C / kill -INT.
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        click.echo(f"Serving {endpoint.triples} triples, read-only, at {endpoint.query_url}")
        click.echo(f"(SPARQL 1.1 Protocol; web page at {endpoint.url}; Ctrl-C stops)", err=True)
        endpoint.wait()
    except KeyboardInterrupt:
        click.echo("Stopped.", err=True)
    finally:
        endpoint.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


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
    from kg.report import generate

    result = generate(out_dir, graph_file, records, reason=reason)
    click.echo(
        f"Wrote {len(result.pages)} pages ({result.entities} entity pages, {result.queries} "
        f"query pages), {result.bytes / 1e6:.1f} MB, to {result.out_dir} "
        f"in {result.seconds:.1f} s."
    )
    click.echo(f"Open {result.out_dir / 'index.html'}")


@cli.command()
@click.argument("thing")
@graph_options
def describe(thing: str, graph_file: Path | None, records: Path | None, reason: bool) -> None:
    """Print what the graph says about THING, with the source of every fact.

    THING is an IRI, a prefixed name (id:shinzo-abe), a record id or a name in
    any language ("Shinzo Abe", "安倍晋三"), matched without regard to case. A name
    several things carry lists them (exit 2).

    Examples:

        kg describe "Shinzo Abe"

        kg describe joint-political-declaration-2013
    """
    from kg.describe import describe_thing, render_text
    from kg.pipeline import open_graph

    graph = open_graph(graph_file, records, reason=reason, with_ontology=False)
    click.echo(render_text(describe_thing(graph, thing)), nl=False)


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
        f"Wrote {summary.records} records ({summary.events} events, "
        f"{summary.violations} violation(s) injected) in {len(summary.files)} file(s) "
        f"to {out_dir}"
    )


def main() -> None:
    cli(obj={})


if __name__ == "__main__":
    main()
