"""A local, read-only SPARQL 1.1 Protocol endpoint over the graph, on a real engine.

The graph ``kg query`` reads (records or an RDF file, plus the ontology, plus
OWL RL entailments with ``reason``) is bulk-loaded into a fresh Oxigraph
database in a temporary folder. Oxigraph servers (``oxigraph serve-read-only``,
:mod:`kg.serve.engines`) answer on private ports, behind kg's front door on
127.0.0.1:PORT (:mod:`kg.serve.front`):

* ``http://127.0.0.1:PORT/query`` (and ``/sparql``): SPARQL 1.1 Protocol (GET,
  form POST, or ``application/sparql-query`` POST), JSON/XML/CSV/TSV results;
  every query is checked by kg's SPARQL guard first and stopped at the time limit;
* ``http://127.0.0.1:PORT/``: Oxigraph's YASGUI page.

Updates and Graph Store writes are refused (HTTP 403). Stopping removes the
temporary database.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from kg.errors import RemoteError, UsageError
from kg.pipeline.export import export_bytes
from kg.pipeline.outputs import GRAPH_FILE
from kg.sandbox.limits import current_limits
from kg.serve.engines import HOST, EnginePool, oxigraph_binary
from kg.serve.front import FrontServer, Settings
from kg.serve.scratch import ServeFolder, sweep
from kg.store.persist import STORE_DIR, open_persisted

DEFAULT_PORT = 7878


def default_engines() -> int:
    """How many queries run at once: one engine per core, at least 2 (so a query
    at its time limit never holds up the others) and at most 4.

    >>> 2 <= default_engines() <= 4
    True
    """
    return min(4, max(2, os.cpu_count() or 2))


@dataclass
class LocalEndpoint:
    """A running read-only endpoint over a temporary copy of the graph."""

    port: int
    triples: int
    scratch: ServeFolder
    timeout: float
    front: FrontServer | None = field(default=None, repr=False)
    pool: EnginePool | None = field(default=None, repr=False)

    @property
    def folder(self) -> Path:
        """The temporary folder holding the database, removed on :meth:`stop`."""
        return self.scratch.path

    @property
    def url(self) -> str:
        """The server's root (Oxigraph's YASGUI page)."""
        return f"http://{HOST}:{self.port}/"

    @property
    def query_url(self) -> str:
        """The SPARQL 1.1 Protocol query endpoint."""
        return f"http://{HOST}:{self.port}/query"

    def running(self) -> bool:
        return (
            self.front is not None
            and self.front.running()
            and self.pool is not None
            and self.pool.failure is None
        )

    def wait(self, poll: float = 0.5) -> None:
        """Block until the endpoint stops; raise if it stops on its own."""
        while self.running():
            time.sleep(poll)
        if self.front is not None:
            why = (self.pool.failure if self.pool else None) or "the front door stopped"
            self.stop()
            raise RemoteError(f"the SPARQL server stopped unexpectedly: {why}")

    def stop(self) -> None:
        """Stop answering, kill the engines and remove the database."""
        front, self.front = self.front, None
        pool, self.pool = self.pool, None
        if front is not None:
            front.close()
        if pool is not None:
            pool.stop()
        self.scratch.remove()

    def __enter__(self) -> LocalEndpoint:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(
    graph_file: Path | None = None,
    records: Path | None = None,
    *,
    reason: bool = False,
    port: int = DEFAULT_PORT,
    timeout: float | None = None,
    cors: bool = False,
    engines: int | None = None,
    ready_timeout: float = 60.0,
) -> LocalEndpoint:
    """Load the graph into a fresh Oxigraph database and serve it read-only.

    ``port=0`` picks a free port. ``timeout`` is the seconds one query may run
    (default: kg's limit, ``KG_TIMEOUT`` or 30; 0: none). Returns once the
    endpoint answers queries; call :meth:`LocalEndpoint.stop` (or use ``with``).

    >>> with serve(port=0) as ep:  # doctest: +SKIP
    ...     requests.get(ep.query_url, params={"query": "ASK {}"}).json()
    {'head': {}, 'boolean': True}
    """
    if not 0 <= port < 65536:
        raise UsageError(f"--port must be between 1 and 65535, got {port}")
    lim = current_limits()
    timeout = lim.timeout if timeout is None else timeout
    if timeout < 0:
        raise UsageError(f"--timeout must be 0 (no limit) or more seconds, got {timeout:g}")
    binary = oxigraph_binary()
    front = FrontServer(port)  # a port in use fails here, before any work
    sweep()  # the folders of servers killed before they could remove them
    scratch = ServeFolder()
    folder = scratch.path
    endpoint = LocalEndpoint(front.port, 0, scratch, timeout, front)
    try:
        persisted = _persisted(folder, graph_file, reason)
        if persisted is not None:
            endpoint.triples, db = persisted
        else:
            endpoint.triples, db = _load(binary, folder, graph_file, records, reason)
        endpoint.pool = EnginePool(
            binary,
            db,
            folder / "server.log",
            engines or default_engines(),
            lim.max_query_memory,
            union=persisted is not None and reason,
        )
        endpoint.pool.start(ready_timeout)
        # SERVICE is refused whatever the environment allows kg query.
        guard = replace(lim, timeout=timeout, allow_service=frozenset())
        front.open(endpoint.pool, Settings(front.port, timeout, cors, guard, folder))
    except BaseException:
        endpoint.stop()
        raise
    return endpoint


def _persisted(folder: Path, graph_file: Path | None, reason: bool) -> tuple[int, Path] | None:
    """The store ``kg build`` persisted beside ``graph_file``, when it was built from
    that very file (:func:`kg.store.persist.open_persisted`): its triple count (the
    build's stamp's; counted only when the stamp has none, as counting was most
    of the start at 1M triples) and a read-only copy of it in ``folder`` (hard
    links: instant, and a build that replaces the store meanwhile changes
    nothing here), or the store itself where links cannot be made. At 1M
    triples, reloading the data took 12 s.

    Served as it is, the store keeps the inferred triples of a ``--reason``
    build in their named graph: with ``reason``, every query's default graph
    is the union of its graphs (the asserted, the ontology's and the inferred
    triples, as :func:`_load` merges them); without, the inferred graph is left
    out of the default graph but can be named in ``GRAPH``.
    """
    if graph_file is None or graph_file.name != GRAPH_FILE:
        return None
    native = open_persisted(graph_file, reason=reason)
    if native is None:
        return None
    triples = len(native)
    native.store = None  # closes it before the engines open it
    store = graph_file.parent / STORE_DIR
    copy = folder / "db"
    try:
        shutil.copytree(store, copy, copy_function=os.link)
    except OSError:  # another file system: serve it where it is (read-only)
        shutil.rmtree(copy, ignore_errors=True)
        return triples, store
    return triples, copy


def _load(
    binary: str, folder: Path, graph_file: Path | None, records: Path | None, reason: bool
) -> tuple[int, Path]:
    """Bulk-load the graph into ``folder/db``; return its triple count and path."""

    # N-Triples made natively (Oxigraph's serialiser, kg's reasoner): at 1M
    # triples seconds, where an rdflib graph took minutes.
    nt = export_bytes("nt", graph_file, records, reason=reason, with_ontology=True)
    triples = nt.count(b"\n")
    data = folder / "graph.nt"
    data.write_bytes(nt)
    del nt
    db = folder / "db"
    load = subprocess.run(
        [binary, "load", "--location", str(db), "--file", str(data)],
        capture_output=True,
        text=True,
        check=False,
    )
    if load.returncode != 0:
        raise RemoteError(f"oxigraph load failed: {' '.join(load.stderr.split())[-400:]}")
    data.unlink()
    return triples, db


__all__ = ["DEFAULT_PORT", "LocalEndpoint", "oxigraph_binary", "serve"]
