"""``kg export``, ``kg push`` and ``kg serve``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from kg.cli.app import cli
from kg.cli.options import (
    EXPORT_FORMAT_NAMES,
    SECONDS,
    Choice,
    _emit,
    engine_option,
    graph_options,
    output_option,
    remote_options,
)
from kg.errors import UsageError
from kg.sandbox.limits import PUSH_TIMEOUT
from kg.terms.checks import visible


@cli.command()
@output_option("File to write; the format follows its extension.")
@click.option(
    "--format",
    "fmt",
    type=Choice(EXPORT_FORMAT_NAMES),
    help="An RDF format, or graphml or gexf for the entity network "
    "(default: from the output's extension, else turtle).",
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
    Or its entity network as GraphML or GEXF (for Gephi, Cytoscape, networkx).

    N-Quads, TriG and JSON-LD keep named graphs: one per source (named by the
    source's IRI, holding every triple that source supports), inferred (with
    --reason) and ontology (with --with-ontology). The other formats merge them.
    JSON-LD is compacted with kg's prefixes as its @context.

    The network: people, groups, organisations, events, documents and themes,
    with their labels, kinds and dates, and the relation on each link.

    Examples:

        kg export -o build/kg.trig --reason

        kg export -o build/network.graphml
    """
    from kg.pipeline.export import export as run_export
    from kg.rdfio.formats import NETWORK_FORMATS, format_from_path

    if fmt is None and output is not None:
        fmt = format_from_path(output, kind=("rdf", "network"))
    if fmt in NETWORK_FORMATS:
        if with_ontology:
            raise UsageError("--with-ontology goes with the RDF formats, not the network's")
        from kg.views.netexport import export_network

        net = export_network(output, fmt, graph_file, records, reason=reason, engine=engine)
        if net is not None:
            _emit(net, None)
        else:
            click.echo(visible(f"Wrote {output} ({fmt})"), err=True)
        return
    used, data = run_export(
        output, fmt, graph_file, records, reason=reason, with_ontology=with_ontology,
        engine=engine,
    )  # fmt: skip
    if data is not None:
        _emit(data, None)
    else:
        click.echo(visible(f"Wrote {output} ({used})"), err=True)


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
# An upload waits for the store to clear the graph it replaces and to load the
# new one: at 1M triples on Oxigraph, minutes each (bench/RESULTS.md, push).
@remote_options(timeout=PUSH_TIMEOUT)
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

    FILE is an RDF file to push instead of the records; N-Quads, TriG and
    JSON-LD keep their named graphs. A failed push leaves the target as it
    was: a store whose upload is one transaction (Oxigraph 0.5.10 and later)
    takes one PUT; any other gets a staging graph that one SPARQL Update then
    moves into place. The triple count is then read back and checked. Exit 3
    when the store or the network fails.

    Examples:

        kg push --endpoint http://127.0.0.1:7878/store

        kg push build/kg.trig --endpoint http://127.0.0.1:7878/store --append
    """
    from kg.remote.push import push as run_push

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
        notify=lambda message: click.echo(f"kg push: {message}", err=True),
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
@click.option(
    "--timeout",
    type=SECONDS,
    metavar="SECONDS",
    help="Stop a query that runs longer (0: no limit). Default: 30 or KG_TIMEOUT.",
)
@click.option(
    "--cors",
    is_flag=True,
    help="Let web pages of any origin read the answers (for browser tools such as YASGUI).",
)
@graph_options
def serve(
    port: int,
    timeout: float | None,
    cors: bool,
    graph_file: Path | None,
    records: Path | None,
    reason: bool,
) -> None:
    """Serve the graph read-only as a local SPARQL 1.1 endpoint (Oxigraph).

    Listens on 127.0.0.1 only; point YASGUI or any SPARQL client at the
    printed /query URL. Every query passes kg's SPARQL guard (no SERVICE,
    FROM or update) and is stopped at the time limit (HTTP 504). Ctrl-C stops
    the server and removes its files.

    Example:

        kg serve --port 7878 --reason --timeout 60
    """
    import signal

    from kg.serve.endpoint import serve as run_serve

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    endpoint = run_serve(graph_file, records, reason=reason, port=port, timeout=timeout, cors=cors)
    # SIGINT too: a shell starts background jobs with SIGINT ignored, and the
    # server must still stop (and clean up) on Ctrl-C / kill -INT. SIGHUP (its
    # terminal closed) unless nohup asked to ignore it: else its folder stays.
    stopping = [signal.SIGTERM, signal.SIGINT]
    if getattr(signal, "SIGHUP", None) and signal.getsignal(signal.SIGHUP) != signal.SIG_IGN:
        stopping.append(signal.SIGHUP)
    previous = {sig: signal.signal(sig, stop) for sig in stopping}
    try:
        click.echo(f"Serving {endpoint.triples} triples, read-only, at {endpoint.query_url}")
        limit = f"{endpoint.timeout:g} s" if endpoint.timeout else "none"
        click.echo(
            f"(SPARQL 1.1 Protocol; web page at {endpoint.url}; time limit per query: {limit}; "
            f"CORS {'on' if cors else 'off'}; Ctrl-C stops)",
            err=True,
        )
        endpoint.wait()
    except KeyboardInterrupt:
        click.echo("Stopped.", err=True)
    finally:
        endpoint.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
