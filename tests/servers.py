"""Real servers on 127.0.0.1 for the remote tests, each with a fresh data
folder and a free port, and tiny fault servers for the failure tests.

* :class:`OxigraphServer`: ``oxigraph serve`` from the ``oxigraph`` package
  (Graph Store at ``/store``, queries at ``/query``, updates at ``/update``).
* :class:`VirtuosoServer`: Debian's ``virtuoso-t`` with its own ini file,
  database folder and ports (install with ``.ci/install-virtuoso``).
* :class:`FaultServer`: an ``http.server`` on 127.0.0.1 that plays one
  failing store (401, 403, 500, slow, truncated, HTML page, ...). A test
  double for the *remote* side only; kg's own code is never mocked.

Loaded as a pytest plugin by the test modules (``pytest_plugins``), which
also import its helpers, hence PYTEST_DONT_REWRITE (it has no asserts).
"""

from __future__ import annotations

import contextlib
import http.server
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from kg.errors import UsageError
from kg.serve import engines
from kg.serve.engines import HOST, die_with_parent, free_port


def oxigraph_binary() -> str | None:
    """The ``oxigraph`` server binary kg serve would run, or None if not installed."""
    try:
        return engines.oxigraph_binary()
    except UsageError:
        return None


def _wait_until(
    ready: Callable[[], bool],
    proc: subprocess.Popen[bytes],
    what: str,
    log: Path,
    timeout: float = 60.0,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}: {_tail(log)}")
        with contextlib.suppress(requests.RequestException):
            if ready():
                return
        time.sleep(0.1)
    raise RuntimeError(f"{what} not ready after {timeout:g} s: {_tail(log)}")


def _tail(log: Path, n: int = 2000) -> str:
    try:
        return log.read_text(errors="replace")[-n:]
    except OSError:
        return "(no log)"


def _stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


class OxigraphServer:
    """``oxigraph serve --location DIR --bind 127.0.0.1:PORT``, started and stopped."""

    def __init__(self, location: Path, port: int | None = None) -> None:
        self.location = location
        self.port = port or free_port()
        self.base = f"http://{HOST}:{self.port}"
        self.store = f"{self.base}/store"
        self.query = f"{self.base}/query"
        self.update = f"{self.base}/update"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> OxigraphServer:
        binary = oxigraph_binary()
        if binary is None:
            raise RuntimeError("the oxigraph server binary is not installed (pip install oxigraph)")
        self.location.mkdir(parents=True, exist_ok=True)
        log = self.location.parent / f"oxigraph-{self.port}.log"
        self.log = log
        self.proc = subprocess.Popen(
            [binary, "serve", "--location", str(self.location), "--bind", f"{HOST}:{self.port}"],
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent(),  # a killed pytest leaves no server behind
        )
        _wait_until(
            lambda: requests.get(self.query, params={"query": "ASK {}"}, timeout=2).ok,
            self.proc,
            "oxigraph",
            log,
        )
        return self

    def stop(self) -> None:
        if self.proc is not None:
            _stop(self.proc)
            self.proc = None

    def __enter__(self) -> OxigraphServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- Virtuoso ------------------------------------------------------------------------

VIRTUOSO_INI = """\
[Database]
DatabaseFile       = {dir}/virtuoso.db
ErrorLogFile       = {dir}/virtuoso.log
LockFile           = {dir}/virtuoso.lck
TransactionFile    = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = {dir}/virtuoso-temp.db
TransactionFile    = {dir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort           = {host}:{sql_port}
DisableUnixSocket    = 1
DisableTcpSocket     = 0
MaxClientConnections = 10
CheckpointInterval   = 60
CaseMode             = 2
DirsAllowed          = ., {dir}
NumberOfBuffers      = 10000
MaxDirtyBuffers      = 6000

[HTTPServer]
ServerPort           = {host}:{http_port}
ServerRoot           = {dir}/vsp
MaxClientConnections = 10
ServerThreads        = 10
Charset              = UTF-8
EnabledDavVSP        = 0

[SPARQL]
ResultSetMaxRows           = {max_rows}
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime      = 60
"""


def virtuoso_binaries() -> tuple[str, str] | None:
    server, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt")
    return (server, isql) if server and isql else None


class VirtuosoServer:
    """``virtuoso-t +foreground +configfile DIR/virtuoso.ini`` on loopback ports.

    A fresh database has the login dba/dba; :meth:`start` grants anonymous
    SPARQL updates (``GRANT SPARQL_UPDATE TO "SPARQL"`` and default graph
    permissions for ``nobody``) through ``isql-vt``.
    """

    user = "dba"
    password = "dba"

    def __init__(self, location: Path, max_rows: int = 1_000_000) -> None:
        self.location = location
        self.max_rows = max_rows
        self.sql_port = free_port()
        self.http_port = free_port()
        self.base = f"http://{HOST}:{self.http_port}"
        self.crud = f"{self.base}/sparql-graph-crud"
        self.crud_auth = f"{self.base}/sparql-graph-crud-auth"
        self.sparql = f"{self.base}/sparql"
        self.sparql_auth = f"{self.base}/sparql-auth"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> VirtuosoServer:
        found = virtuoso_binaries()
        if found is None:
            raise RuntimeError("virtuoso-t / isql-vt not installed (run .ci/install-virtuoso)")
        server, self.isql_binary = found
        d = self.location
        (d / "vsp").mkdir(parents=True, exist_ok=True)
        ini = d / "virtuoso.ini"
        ini.write_text(
            VIRTUOSO_INI.format(
                dir=d,
                host=HOST,
                sql_port=self.sql_port,
                http_port=self.http_port,
                max_rows=self.max_rows,
            )
        )
        log = d / "virtuoso-stdout.log"
        self.proc = subprocess.Popen(
            [server, "+foreground", "+configfile", str(ini)],
            cwd=d,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent(),  # a killed pytest leaves no server behind
        )
        _wait_until(
            lambda: requests.get(self.sparql, params={"query": "ASK {}"}, timeout=2).ok,
            self.proc,
            "virtuoso-t",
            log,
            timeout=120,
        )
        self.isql('GRANT SPARQL_UPDATE TO "SPARQL"')
        self.isql("DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 7)")
        return self

    def isql(self, statement: str) -> str:
        out = subprocess.run(
            [
                self.isql_binary,
                f"{HOST}:{self.sql_port}",
                self.user,
                self.password,
                f"exec={statement};",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if out.returncode != 0 or "*** Error" in out.stdout + out.stderr:
            raise RuntimeError(f"isql-vt {statement!r} failed: {out.stdout}{out.stderr}")
        return out.stdout

    def stop(self) -> None:
        if self.proc is not None:
            # Virtuoso checkpoints and exits on SIGTERM; SIGKILL after 15 s.
            _stop(self.proc)
            self.proc = None

    def answering(self, timeout: float = 5.0) -> bool:
        """Whether the server still answers ``ASK {}`` within ``timeout`` seconds."""
        try:
            return requests.get(self.sparql, params={"query": "ASK {}"}, timeout=timeout).ok
        except requests.RequestException:
            return False

    def restart(self) -> VirtuosoServer:
        """Kill the server and start it again on an empty database (same ports).

        For a server a query has wedged: Virtuoso 7.2 then answers neither HTTP
        nor SQL (docs/triple-stores.md). SIGKILL, as its database is dropped.
        """
        if self.proc is not None:
            _stop(self.proc, signal.SIGKILL)
            self.proc = None
        for f in self.location.glob("virtuoso*"):
            if f.suffix in (".db", ".trx", ".lck", ".pxa", ".log"):
                f.unlink()
        return self.start()

    def __enter__(self) -> VirtuosoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def require_virtuoso() -> None:
    """Skip when Virtuoso is not installed, except on CI (CI=true), where it must be."""
    if virtuoso_binaries() is not None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(
            "CI=true but virtuoso-t/isql-vt are missing: .ci/run must call .ci/install-virtuoso",
            pytrace=False,
        )
    pytest.skip("Virtuoso is not installed (virtuoso-t, isql-vt); run .ci/install-virtuoso")


# --- fault servers -------------------------------------------------------------------

Handler = Callable[[http.server.BaseHTTPRequestHandler], None]


class FaultServer:
    """An HTTP server on 127.0.0.1 whose every request is answered by ``handler``.

    It records the requests it saw (method, path, headers, body) so tests can
    check what kg sent, e.g. that no password leaked or that a POST was not
    retried.
    """

    def __init__(self, handler: Handler) -> None:
        outer = self
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []

        class _Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                outer.requests.append((self.command, self.path, dict(self.headers), body))
                self.body = body
                handler(self)

            do_GET = do_POST = do_PUT = do_DELETE = _any

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.errors: list[BaseException | None] = []

        class _Server(http.server.ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                # Kept, not printed: socketserver prints to sys.stderr, which is
                # the output CliRunner is capturing for the test's assertion
                # (e.g. when kg closes a kept-alive connection the handler
                # still writes to).
                outer.errors.append(sys.exc_info()[1])

        self.httpd = _Server((HOST, 0), _Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = f"http://{HOST}:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FaultServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def reply(
    status: int,
    body: bytes = b"",
    content_type: str = "text/plain",
    headers: dict[str, str] | None = None,
    length: int | None = None,
) -> Handler:
    """A handler answering ``status`` with ``body``; ``length`` may lie
    (a Content-Length larger than the body, then the connection closes)."""

    def handle(h: http.server.BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body) if length is None else length))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        if length is not None and length != len(body):
            h.send_header("Connection", "close")
            h.close_connection = True
        h.end_headers()
        h.wfile.write(body)
        h.wfile.flush()

    return handle


def slow(seconds: float, then: Handler) -> Handler:
    """A handler that sleeps before answering (a store past the client's timeout)."""

    def handle(h: http.server.BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        with contextlib.suppress(OSError):
            then(h)

    return handle


def forward(base: str) -> Handler:
    """A handler passing the request on to the server at ``base`` (a real
    store) and relaying its answer: a proxy, to put a fault in front of it."""

    def handle(h: http.server.BaseHTTPRequestHandler) -> None:
        sent = {k: v for k, v in h.headers.items() if k.lower() in ("accept", "content-type")}
        resp = requests.request(
            h.command, base + h.path, data=getattr(h, "body", b""), headers=sent, timeout=60
        )
        reply(resp.status_code, resp.content, resp.headers.get("Content-Type", "text/plain"))(h)

    return handle


def cut(body: bytes) -> Handler:
    """Send 200 and part of ``body`` without Content-Length, then hang up."""

    def handle(h: http.server.BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/sparql-results+json")
        h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.write(body)
        h.wfile.flush()
        h.close_connection = True

    return handle


# --- fixtures -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def oxigraph() -> Iterator[OxigraphServer]:
    """One Oxigraph server for the session, on a fresh folder and a free port."""
    if oxigraph_binary() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but the oxigraph server binary is missing", pytrace=False)
        pytest.skip("the oxigraph server binary is not installed (pip install oxigraph)")
    with (
        tempfile.TemporaryDirectory(prefix="kg-oxigraph-") as tmp,
        OxigraphServer(Path(tmp) / "data") as server,
    ):
        yield server


@pytest.fixture(scope="session")
def virtuoso() -> Iterator[VirtuosoServer]:
    """One Virtuoso server for the session, on a fresh database and free ports."""
    require_virtuoso()
    with (
        tempfile.TemporaryDirectory(prefix="kg-virtuoso-") as tmp,
        VirtuosoServer(Path(tmp)) as server,
    ):
        yield server


@pytest.fixture
def fault() -> Iterator[Callable[[Handler], FaultServer]]:
    """Start fault servers: ``fault(reply(500, b"boom"))`` → a running FaultServer."""
    started: list[FaultServer] = []

    def start(handler: Handler) -> FaultServer:
        server = FaultServer(handler).__enter__()
        started.append(server)
        return server

    yield start
    for s in started:
        s.__exit__(None, None, None)


def kg_subprocess(*args: str, **kwargs: object) -> subprocess.Popen[str]:
    """Run ``python -m kg ARGS`` as a separate process (for ``kg serve``)."""
    return subprocess.Popen(  # type: ignore[call-overload,no-any-return]
        [sys.executable, "-m", "kg", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


__all__ = [
    "FaultServer",
    "OxigraphServer",
    "VirtuosoServer",
    "cut",
    "forward",
    "free_port",
    "kg_subprocess",
    "reply",
    "slow",
]


class SocketStore:
    """A fake store on 127.0.0.1 speaking just enough HTTP: each connection is
    given to :meth:`handle` in turn, in a thread (set what ``handle`` uses
    before calling ``__init__``: the thread starts there)."""

    def __init__(self) -> None:
        self.sock = socket.create_server((HOST, 0))
        self.url = f"http://{HOST}:{self.sock.getsockname()[1]}/store"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:  # closed: the test is over
                return
            with conn:
                self.handle(conn)

    def handle(self, conn: socket.socket) -> None:
        raise NotImplementedError


def read_head(conn: socket.socket, at_least: int = 0) -> bytes:
    """What a client sent, up to its headers' end and at least ``at_least`` bytes
    (or until it stops sending)."""
    got = b""
    while b"\r\n\r\n" not in got or len(got) < at_least:
        chunk = conn.recv(65536)
        if not chunk:
            break
        got += chunk
    return got
