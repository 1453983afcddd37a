"""``kg serve``'s front door: the SPARQL 1.1 Protocol on the user's port.

Every query (``GET ?query=``, a form ``POST``, an ``application/sparql-query``
``POST``, on ``/query`` or ``/sparql``) is first read by kg's one SPARQL guard
(:func:`kg.sparql.guard.check_sparql`): a refused one (``SERVICE``, ``FROM``,
an update, too deep) is answered HTTP 400 with the guard's message and reaches
no engine. Updates and Graph Store writes are answered 403. An accepted query
goes to an engine (:mod:`kg.serve.engines`) with a deadline; its whole answer
is read within the deadline before anything is sent, so a query that overruns
gets HTTP 504 (and its engine is killed), never a cut-short 200. Oxigraph's
YASGUI page, its assets, the service description and Graph Store reads are
passed through. ``Access-Control-Allow-Origin`` is sent only with ``cors``.
"""

from __future__ import annotations

import contextlib
import http.client
import shutil
import socketserver
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit

from kg.errors import BadInput, UsageError
from kg.rdfio.formats import RDF_FORMATS, RESULT_FORMATS, negotiate
from kg.sandbox.limits import Limits
from kg.serve.engines import HOST, EnginePool
from kg.sparql.guard import check_sparql
from kg.sparql.rewrite import query_form

QUERY_PATHS = frozenset({"/query", "/sparql"})


PASSED_THROUGH = frozenset({"/", "/yasgui.min.css", "/yasgui.min.js", "/logo.svg"})


#: The protocol's parameters an engine gets; any other is dropped.
DATASET_PARAMS = ("default-graph-uri", "named-graph-uri")


MAX_BODY = 16 * 1024 * 1024  # bytes of a request body (a query, a form)


SPOOL_IN_MEMORY = 8 * 1024 * 1024  # an answer past this size is kept on disk


FORM = "application/x-www-form-urlencoded"


READ_ONLY = "kg serve is read-only: updates and Graph Store writes are refused"


@dataclass(frozen=True)
class Settings:
    """What the front enforces: its port (for the Host check), the time limit
    (0: none), CORS, and the limits the guard reads."""

    port: int
    timeout: float
    cors: bool
    limits: Limits
    spool_dir: Path


@dataclass
class Answer:
    """A response to send: status, type, body (bytes or a file) and its length."""

    status: int
    body: bytes | IO[bytes] = b""
    content_type: str = "text/plain; charset=utf-8"
    length: int = 0  # of a file body
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Upstream:
    """A request to pass on to an engine."""

    method: str
    target: str
    body: bytes | None
    headers: Mapping[str, str]


class Headers(Protocol):
    """A request's headers, looked up by name whatever its case."""

    def get(self, name: str, /) -> str | None: ...


class Refusal(Exception):
    """A request answered by the front itself with an error status."""

    def __init__(self, status: int, message: str, *headers: tuple[str, str]) -> None:
        super().__init__(message)
        self.status, self.headers = status, headers

    def answer(self) -> Answer:
        return Answer(self.status, str(self).encode("utf-8"), headers=self.headers)


class _Overrun(Exception):
    """The engine had not answered in full by the deadline."""


# --- routing: what a request is, and whether it may reach an engine ------------------


def route(
    method: str, target: str, headers: Headers, body: bytes, settings: Settings
) -> Upstream | Answer:
    """Decide a request: an :class:`Upstream` to run, or an :class:`Answer` now;
    raise :class:`Refusal` for one that is refused.

    >>> s = Settings(7878, 30, False, Limits(), Path("/tmp"))
    >>> route("GET", "/query?query=ASK%7B%7D", {"Host": "127.0.0.1:7878"}, b"", s).body
    b'query=ASK%7B%7D'
    >>> route("POST", "/update", {}, b"", s)
    Traceback (most recent call last):
    kg.serve.front.Refusal: kg serve is read-only: updates and Graph Store writes are refused
    """
    _check_host(headers.get("Host"), settings.port)
    url = urlsplit(target)
    if method == "OPTIONS":
        return _options(headers, settings)
    if url.path in QUERY_PATHS:
        return _query(method, url.path, url.query, headers, body, settings)
    store_read = url.path.startswith("/store") and method in ("GET", "HEAD")
    if store_read or (url.path in PASSED_THROUGH and method in ("GET", "HEAD")):
        return Upstream(method, target, None, _engine_headers(headers, settings))
    if url.path == "/update" or url.path.startswith("/store"):
        raise Refusal(403, READ_ONLY)
    if url.path in PASSED_THROUGH:
        raise Refusal(405, f"{method} is not allowed here", ("Allow", "GET, HEAD"))
    raise Refusal(404, f"no such page: {url.path} (queries go to /query)")


def _check_host(host: str | None, port: int) -> None:
    # A web page that rebinds its own host name to 127.0.0.1 would otherwise be
    # able to read the answers without CORS; its requests carry its own name.
    if host is not None and host.lower() not in (f"{HOST}:{port}", f"localhost:{port}"):
        raise Refusal(421, f"kg serve answers requests for {HOST}:{port} or localhost:{port} only")


def _options(headers: Headers, settings: Settings) -> Answer:
    allow = (("Allow", "GET, HEAD, POST, OPTIONS"),)
    if not settings.cors:
        return Answer(204, headers=allow)
    asked = headers.get("Access-Control-Request-Headers") or "Content-Type, Accept"
    return Answer(
        204,
        headers=(
            *allow,
            ("Access-Control-Allow-Methods", "GET, HEAD, POST, OPTIONS"),
            ("Access-Control-Allow-Headers", asked),
            ("Access-Control-Max-Age", "600"),
        ),
    )


def _query(
    method: str, path: str, qs: str, headers: Headers, body: bytes, settings: Settings
) -> Upstream:
    if method in ("GET", "HEAD") and not qs:  # the service description
        return Upstream(method, path, None, _engine_headers(headers, settings))
    params = _params(method, qs, headers, body)
    if any(k == "update" for k, _ in params):
        raise Refusal(403, READ_ONLY)
    texts = [v for k, v in params if k == "query"]
    if len(texts) != 1:
        raise Refusal(
            400, "give the query once: a 'query' parameter or an application/sparql-query body"
        )
    try:
        check_sparql(texts[0], settings.limits, options=False)
        media = _answer_type(texts[0], headers.get("Accept"))
    except BadInput as exc:
        raise Refusal(400, str(exc)) from None
    form = [("query", texts[0]), *((k, v) for k, v in params if k in DATASET_PARAMS)]
    engine_headers = {**_engine_headers(headers, settings), "Accept": media, "Content-Type": FORM}
    return Upstream("POST", path, urlencode(form).encode("ascii"), engine_headers)


# The formats an answer comes in, from kg's format registry, the first the default:
# the same as ``kg query --format`` offers (its own ``table`` aside).
_RESULTS_OFFERED = tuple(RESULT_FORMATS[n] for n in ("json", "xml", "csv", "tsv"))
_GRAPHS_OFFERED = tuple(RDF_FORMATS[n] for n in ("turtle", "nt", "xml", "jsonld", "trig", "nquads"))


def _answer_type(text: str, accept: str | None) -> str:
    """The media type to answer ``text`` in, as ``Accept`` asks among the formats
    kg offers for the query's form (HTTP 406 if none)."""
    offers = _RESULTS_OFFERED if query_form(text) in ("SELECT", "ASK") else _GRAPHS_OFFERED
    chosen = negotiate(accept, offers)
    if chosen is None:
        types = ", ".join(f.media_type for f in offers)
        raise Refusal(406, f"this query's answer comes as one of: {types}; not {accept}")
    return chosen[1]


def _params(method: str, qs: str, headers: Headers, body: bytes) -> list[tuple[str, str]]:
    """The protocol's parameters from the URL and, for a POST, the body."""
    try:
        params = parse_qsl(qs, keep_blank_values=True, errors="strict")
        if method in ("GET", "HEAD"):
            return params
        if method != "POST":
            raise Refusal(405, f"{method} is not allowed here", ("Allow", "GET, HEAD, POST"))
        media = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if media == FORM:
            return params + parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict")
        if media == "application/sparql-query":
            return [*params, ("query", body.decode("utf-8"))]
        if media == "application/sparql-update":
            raise Refusal(403, READ_ONLY)
    except UnicodeDecodeError:
        raise Refusal(400, "the request is not valid UTF-8") from None
    raise Refusal(
        415, f"a query POST is {FORM} or application/sparql-query, not {media or 'untyped'}"
    )


def _engine_headers(headers: Headers, settings: Settings) -> dict[str, str]:
    # The engine builds the base IRI and the service description from Host.
    return {
        "Host": headers.get("Host") or f"{HOST}:{settings.port}",
        "Accept": headers.get("Accept") or "*/*",
    }


# --- forwarding: an engine's whole answer, within the deadline -----------------------


def forward(pool: EnginePool, up: Upstream, settings: Settings) -> Answer:
    """Run ``up`` on an idle engine and return its answer, read in full within
    the time limit; an engine that overruns is killed and replaced (HTTP 504)."""
    limit = settings.timeout or None
    engine = pool.acquire(limit)
    if engine is None:
        raise Refusal(
            503, f"all {pool.size} query engines are busy; try again later", ("Retry-After", "5")
        )
    deadline = None if limit is None else time.monotonic() + limit
    try:
        answer = _exchange(engine.port, up, deadline, settings.spool_dir)
    except _Overrun:
        pool.discard(engine)
        raise Refusal(
            504,
            f"the query ran past kg serve's time limit of {limit:g} s (--timeout) and was stopped",
        ) from None
    except (OSError, http.client.HTTPException) as exc:
        out_of_memory = pool.ran_out_of_memory(engine)
        pool.discard(engine)
        if out_of_memory:
            raise Refusal(
                500,
                "the query needed more memory than kg allows (KG_MAX_QUERY_MEMORY) and was "
                "stopped; make it narrower",
            ) from None
        raise Refusal(502, f"the query engine failed ({type(exc).__name__}); restarted") from None
    pool.release(engine)
    return answer


def _exchange(port: int, up: Upstream, deadline: float | None, spool_dir: Path) -> Answer:
    # The answer owns the spool; the handler closes it once it is sent.
    spool = tempfile.SpooledTemporaryFile(SPOOL_IN_MEMORY, "w+b", dir=str(spool_dir))  # noqa: SIM115
    try:
        status, media = _fetch(port, up, deadline, spool)
        if deadline is not None and time.monotonic() > deadline:
            raise _Overrun
    except BaseException:
        spool.close()
        raise
    length = spool.tell()
    spool.seek(0)
    return Answer(status, spool, media, length)


def _fetch(port: int, up: Upstream, deadline: float | None, out: IO[bytes]) -> tuple[int, str]:
    """Send ``up`` to the engine on ``port`` and copy its whole body to ``out``."""
    conn = http.client.HTTPConnection(HOST, port)
    try:
        conn.timeout = _left(deadline)
        conn.request(up.method, up.target, body=up.body, headers=dict(up.headers))
        sock = conn.sock  # the response reads from it even once conn lets it go
        resp = conn.getresponse()
        while True:
            if sock is not None:
                sock.settimeout(_left(deadline))
            chunk = resp.read1(65536)
            if not chunk:
                return resp.status, resp.getheader("Content-Type") or "application/octet-stream"
            out.write(chunk)
    except TimeoutError:
        raise _Overrun from None
    finally:
        conn.close()


def _left(deadline: float | None) -> float | None:
    if deadline is None:
        return None
    left = deadline - time.monotonic()
    if left <= 0:
        raise _Overrun
    return left


# --- the HTTP server ---------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kg-serve"
    sys_version = ""
    timeout = 60  # seconds a client connection may stay silent
    server: FrontServer

    def _any(self) -> None:
        settings = self.server.settings
        try:
            body = self._body()
            step = route(self.command, self.path, self.headers, body, settings)
            answer = step if isinstance(step, Answer) else forward(self.server.pool, step, settings)
        except Refusal as refusal:
            answer = refusal.answer()
        self._send(answer, settings.cors)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _any

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            raise Refusal(411, "send the request body with a Content-Length")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self.close_connection = True
            raise Refusal(413, f"a request body may hold at most {MAX_BODY} bytes")
        return self.rfile.read(length) if length else b""

    def _send(self, answer: Answer, cors: bool) -> None:
        body = answer.body
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            length = len(body) if isinstance(body, bytes) else answer.length
            self.send_header("Content-Length", str(length))
            for name, value in answer.headers:
                self.send_header(name, value)
            if cors:
                self.send_header("Access-Control-Allow-Origin", "*")
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                if isinstance(body, bytes):
                    self.wfile.write(body)
                else:
                    shutil.copyfileobj(body, self.wfile, 65536)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client left; nothing to tell it
        finally:
            if not isinstance(body, bytes):
                body.close()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # no access log on the terminal


class FrontServer(ThreadingHTTPServer):
    """The front door on 127.0.0.1:``port``, bound at once (a port in use is a
    usage error before any work), answering once :meth:`open` gives it engines."""

    daemon_threads = True
    pool: EnginePool
    settings: Settings

    def __init__(self, port: int) -> None:
        super().__init__((HOST, port), _Handler, bind_and_activate=False)
        try:
            self.server_bind()
        except OSError:
            self.server_close()
            raise UsageError(
                f"port {port} on {HOST} is in use; choose another with --port"
            ) from None
        self.port = int(self.server_address[1])
        # Polled every 50 ms (not 0.5 s) so that stopping does not wait half a second.
        self._thread = threading.Thread(
            target=self.serve_forever, args=(0.05,), name="kg-serve", daemon=True
        )

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host name up (getfqdn); 127.0.0.1 needs none.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = HOST, int(self.server_address[1])

    def open(self, pool: EnginePool, settings: Settings) -> None:
        """Start listening and answering."""
        self.pool, self.settings = pool, settings
        self.server_activate()
        self._thread.start()

    def running(self) -> bool:
        return self._thread.is_alive()

    def close(self) -> None:
        """Stop answering and release the port."""
        if self._thread.is_alive():
            self.shutdown()
            self._thread.join(timeout=10)
        with contextlib.suppress(OSError):
            self.server_close()
