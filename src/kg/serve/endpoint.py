"""A local, read-only SPARQL 1.1 Protocol endpoint over the graph, on a real engine.

The graph ``kg query`` reads (records or an RDF file, plus the ontology, plus
OWL RL entailments with ``reason``) is bulk-loaded into a fresh Oxigraph
database in a temporary folder, and the Oxigraph server (the ``oxigraph``
binary of the ``oxigraph`` package) serves it read-only on 127.0.0.1:

* ``http://127.0.0.1:PORT/query``: SPARQL 1.1 Protocol (GET, form POST, or
  ``application/sparql-query`` POST), JSON/XML/CSV/TSV results;
* ``http://127.0.0.1:PORT/``: Oxigraph's YASGUI page.

Updates and Graph Store writes are refused (HTTP 403). Stopping removes the
temporary database.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from kg.errors import RemoteError, UsageError

HOST = "127.0.0.1"


DEFAULT_PORT = 7878


def oxigraph_binary() -> str:
    """Path of the Oxigraph server binary: ``$KG_OXIGRAPH``, else the one the
    ``oxigraph`` package installed beside this Python, else ``oxigraph`` on PATH.

    >>> Path(oxigraph_binary()).name
    'oxigraph'
    """
    override = os.environ.get("KG_OXIGRAPH")
    if override:
        return override
    beside = Path(sysconfig.get_path("scripts")) / "oxigraph"
    if beside.exists():
        return str(beside)
    found = shutil.which("oxigraph")
    if found is None:
        raise UsageError("the Oxigraph server is not installed: pip install oxigraph")
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _check_port(port: int) -> None:
    if not 0 < port < 65536:
        raise UsageError(f"--port must be between 1 and 65535, got {port}")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        # As the server will: a port held only by closed connections is free.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            raise UsageError(
                f"port {port} on {HOST} is in use; choose another with --port"
            ) from None


@dataclass
class LocalEndpoint:
    """A running read-only Oxigraph server over a temporary copy of the graph."""

    port: int
    triples: int
    folder: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """The server's root (Oxigraph's YASGUI page)."""
        return f"http://{HOST}:{self.port}/"

    @property
    def query_url(self) -> str:
        """The SPARQL 1.1 Protocol query endpoint."""
        return f"http://{HOST}:{self.port}/query"

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait(self, poll: float = 0.5) -> None:
        """Block until the server stops; raise if it stops on its own."""
        while self.running():
            time.sleep(poll)
        if self.process is not None:
            code = self.process.returncode
            log = _tail(self.folder / "server.log")
            self.stop()
            raise RemoteError(f"the SPARQL server stopped unexpectedly (exit {code}): {log}")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s) and remove its files."""
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> LocalEndpoint:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _tail(path: Path, n: int = 400) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return "(no log)"
    return " ".join(text[-n:].split()) or "(empty log)"


def serve(
    graph_file: Path | None = None,
    records: Path | None = None,
    *,
    reason: bool = False,
    port: int = DEFAULT_PORT,
    ready_timeout: float = 60.0,
) -> LocalEndpoint:
    """Load the graph into a fresh Oxigraph database and serve it read-only.

    ``port=0`` picks a free port. Returns once the endpoint answers queries;
    call :meth:`LocalEndpoint.stop` (or use ``with``) to stop it.

    >>> with serve(port=0) as ep:  # doctest: +SKIP
    ...     requests.get(ep.query_url, params={"query": "ASK {}"}).json()
    {'head': {}, 'boolean': True}
    """
    from kg.pipeline.export import export_bytes

    binary = oxigraph_binary()
    if port == 0:
        port = _free_port()
    else:
        _check_port(port)
    folder = Path(tempfile.mkdtemp(prefix="kg-serve-"))
    try:
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
        log = folder / "server.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [binary, "serve-read-only", "--location", str(db), "--bind", f"{HOST}:{port}"],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches kg, which stops the server in order
            )
        endpoint = LocalEndpoint(port, triples, folder, proc)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    try:
        _wait_ready(endpoint, ready_timeout)
    except BaseException:
        endpoint.stop()
        raise
    return endpoint


def _wait_ready(endpoint: LocalEndpoint, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not endpoint.running():
            code = endpoint.process.returncode if endpoint.process else None
            raise RemoteError(
                f"the SPARQL server did not start (exit {code}): "
                f"{_tail(endpoint.folder / 'server.log')}"
            )
        with contextlib.suppress(requests.RequestException):
            r = requests.get(endpoint.query_url, params={"query": "ASK {}"}, timeout=2)
            if r.ok:
                return
        time.sleep(0.1)
    raise RemoteError(f"the SPARQL server did not answer within {timeout:g} s")
