"""One store's HTTP session: credentials, timeouts, retries and error mapping.

Failures raise :class:`~kg.errors.RemoteError` (the network or the store
failed; exit code 3) or :class:`~kg.errors.BadInput` (the store refused the
request as malformed, HTTP 400; exit code 2), each with a one-line message
that never contains a password.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import IO, Any, Self
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import BaseHTTPResponse
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import ReadTimeoutError
from urllib3.util import Retry

from kg.errors import BadInput, RemoteError, UsageError

#: Status codes worth retrying (idempotent requests only): the store or a
#: proxy in front of it is briefly unavailable. urllib3 also retries 413 and
#: 429 when they come with ``Retry-After``. Not 504: a gateway that gave up
#: waiting (``kg serve`` stopping a query at its time limit) would give up
#: again, each retry costing the whole time limit.
TRANSIENT_STATUS = frozenset({502, 503})


DEFAULT_TIMEOUT = 30.0


#: Seconds to wait for a connection (at most ``--timeout``). Not for a request
#: that streams a file: urllib3 sends the body under the connect timeout, and a
#: store may take none of it for long (Oxigraph clears the old graph before it
#: reads the new one: a 170k-triple re-push had its connection cut after 10 s,
#: reported as closed by the store), so an upload gets ``--timeout`` for both.
CONNECT_TIMEOUT = 10.0


DEFAULT_RETRIES = 3


#: Redirects followed within the store's origin before giving up (requests
#: allows 30): a trailing-slash or http-to-same-port move takes one.
MAX_REDIRECTS = 5


MAX_BACKOFF = 8.0


# --- connection settings and HTTP ---------------------------------------------------


class NoAnswer(RemoteError):
    """The request went out but no answer came back (timeout, dropped
    connection): the store may or may not have applied it."""


class Refused(RemoteError):
    """The store answered that it will not do the request (HTTP 4xx other than
    400: credentials, rights, no such endpoint): asking again will not help."""


@dataclass(frozen=True)
class Connection:
    """How to reach a store: credentials, timeout and retry policy.

    The password never appears in ``repr()``, messages or logs.

    >>> c = Connection(user="dba", password="secret", auth="digest")
    >>> "secret" in repr(c)
    False
    """

    user: str | None = None
    password: str | None = field(default=None, repr=False)
    auth: str = "basic"  # or "digest"
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    backoff: float = 0.5

    @classmethod
    def from_env(cls, **kwargs: Any) -> Connection:
        """Fill a missing user or password from ``KG_USER`` / ``KG_PASSWORD``."""
        kwargs.setdefault("user", None)
        kwargs.setdefault("password", None)
        if kwargs["user"] is None:
            kwargs["user"] = os.environ.get("KG_USER") or None
        if kwargs["password"] is None:
            kwargs["password"] = os.environ.get("KG_PASSWORD")
        return cls(**kwargs)

    def __post_init__(self) -> None:
        if self.auth not in ("basic", "digest"):
            raise UsageError(f"unknown authentication {self.auth!r}; use basic or digest")
        if self.timeout <= 0:
            raise UsageError("--timeout must be a positive number of seconds")
        if self.retries < 0:
            raise UsageError("--retries must be 0 or more")
        if self.password is not None and not self.user:
            raise UsageError("a password was given without a user (--user or KG_USER)")

    def requests_auth(self) -> requests.auth.AuthBase | None:
        if not self.user:
            return None
        password = self.password or ""
        if self.auth == "digest":
            return requests.auth.HTTPDigestAuth(self.user, password)
        return requests.auth.HTTPBasicAuth(self.user, password)


def redact(url: str) -> str:
    """A URL fit for a message: no user or password, no query string.

    >>> redact("http://bob:pw@example.org:8890/sparql?query=SELECT")
    'http://example.org:8890/sparql'
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:  # not a URL (a bad port, an unclosed IPv6 host): no credentials shown
        return url.split("?", 1)[0].rpartition("@")[2]
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{port}" if port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def origin(url: str) -> tuple[str, str, int | None]:
    """A URL's origin: scheme, host and port (the scheme's default port if none
    is written).

    >>> origin("HTTP://Example.org/sparql") == origin("http://example.org:80/x")
    True
    >>> origin("https://example.org/") == origin("http://example.org:443/")
    False
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


def endpoint_host(url: str, what: str = "--endpoint") -> str:
    """The host of the store URL ``url`` (checked as every request's is), for the
    offline scope that lets kg reach that host only."""
    return urlsplit(_check_url(url, what)).hostname or ""


def _check_url(url: str, what: str) -> str:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises for a port past 65535 or not a number
    except ValueError as exc:  # an unclosed IPv6 host, a bad port
        raise UsageError(f"{what} is not a URL ({exc}): {redact(url)!r}") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"{what} must be an http:// or https:// URL, got {redact(url)!r}")
    return url


def _body_excerpt(resp: requests.Response, limit: int = 200) -> str:
    """The start of an error body on one line (an HTML page's title and text)."""
    try:
        text = resp.text or ""
    except Exception:  # a body that cannot even be decoded says nothing useful
        return ""
    if "html" in resp.headers.get("Content-Type", "").lower() or re.match(
        r"\s*<(!doctype html|html)", text, re.IGNORECASE
    ):
        title = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
        text = re.sub(r"(?is)<head.*?</head>", " ", text)
        text = (title.group(1) + " " if title else "") + re.sub(r"(?s)<[^>]*>", " ", text)
    text = " ".join(text.split())
    return text[:limit] + ("…" if len(text) > limit else "")


def _virtuoso_default_graph(resp: requests.Response) -> bool:
    """Did Virtuoso refuse a request on the default graph (which its Graph
    Store and MOVE … TO DEFAULT do not support)?"""
    if "virtuoso" not in resp.headers.get("Server", "").lower():
        return False
    req = resp.request
    body = req.body.decode("ascii", "replace") if isinstance(req.body, bytes) else req.body
    return bool(re.search(r"[?&]default(&|$)", req.url or "")) or "TO+DEFAULT" in str(body)


class _Retry(Retry):
    """urllib3's :class:`~urllib3.util.Retry`, with two rules of kg's own
    that its settings cannot say.

    A read timeout is never retried: a slow store would cost a timeout per
    attempt, and a query it is still running would be sent again (urllib3
    counts it with dropped connections, which are retried). And the first
    retry waits ``backoff_factor`` too, where urllib3 retries at once: a
    store that refused the connection or answered 503 is rarely back within
    milliseconds (waits 0.5, 1, 2 … s, as kg's own loop waited).
    """

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        if isinstance(error, ReadTimeoutError):
            raise error.with_traceback(_stacktrace)
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def get_backoff_time(self) -> float:
        if len(self.history) == 1:
            return float(min(self.backoff_max, self.backoff_factor))
        return super().get_backoff_time()


class _OneOriginSession(requests.Session):
    """requests' session, following redirects only within the origin (scheme,
    host, port) of the request that was redirected.

    A redirect elsewhere is not followed: its 3xx answer is returned as it is,
    and :meth:`Client.request` refuses it. So neither the request's body (an
    upload, an update) nor its credentials ever reach a host the user did not
    name: requests drops an ``Authorization`` header when the host changes,
    but digest authentication answers the new host's challenge, and the body
    of a 307 or 308 goes along. Within the origin requests' own rules apply
    (the method and body kept on 307 and 308, a GET after 301, 302 or 303).
    """

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        target = super().get_redirect_target(resp)
        if target is None or origin(urljoin(resp.url, target)) != origin(resp.url):
            return None
        return target


class Client:
    """One store's HTTP session: timeouts always, bounded retries, error mapping.

    Only requests marked ``idempotent`` (PUT, GET, and SPARQL queries, which
    the protocol defines as safe whatever the verb) are retried, by urllib3's
    :class:`~urllib3.util.Retry`, and only on transient failures: no
    connection, or HTTP 502/503 (and 413/429 that carry ``Retry-After``).
    A ``Retry-After`` is waited for, up to ``timeout`` seconds; otherwise each
    retry waits twice as long as the one before (``backoff`` seconds first,
    at most 8 s). A read timeout is not retried, so a slow store costs one
    timeout. Redirects are followed only within the origin they come from
    (:class:`_OneOriginSession`); one to another origin is an error.
    """

    def __init__(self, conn: Connection | None = None) -> None:
        self.conn = conn or Connection()
        retry = _Retry(
            total=self.conn.retries,
            allowed_methods=None,  # any verb: idempotent requests only reach it
            status_forcelist=TRANSIENT_STATUS,
            backoff_factor=self.conn.backoff,
            backoff_max=MAX_BACKOFF,
            retry_after_max=math.ceil(self.conn.timeout),
            raise_on_status=False,  # the last answer is reported, with its body
        )
        # Two sessions: urllib3 decides by verb, kg by request (a query sent as
        # a form POST is retried, a SPARQL Update POST never).
        self.session = self._session(HTTPAdapter(max_retries=retry))
        self.once = self._session(HTTPAdapter())  # requests' default: no retry

    def _session(self, adapter: HTTPAdapter) -> requests.Session:
        session = _OneOriginSession()
        session.max_redirects = MAX_REDIRECTS
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers["User-Agent"] = "kg (SPARQL 1.1 client)"
        session.auth = self.conn.requests_auth()
        return session

    def close(self) -> None:
        self.session.close()
        self.once.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        idempotent: bool,
        what: str,
        data: bytes | IO[bytes] | Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send one request; return the 2xx response or raise a kg error.

        ``what`` names the operation for messages ("upload", "query", ...).
        A file body (``data``) is streamed, and rewound before each retry.
        """
        session = self.session if idempotent else self.once
        connect = min(CONNECT_TIMEOUT, self.conn.timeout)
        if hasattr(data, "read"):
            connect = self.conn.timeout
        where = f"{method} {redact(url)}"
        try:
            resp = session.request(
                method, url, data=data, timeout=(connect, self.conn.timeout), stream=True, **kwargs
            )
        except requests.exceptions.RequestException as exc:
            raise self._failure(exc, what, where, idempotent, connect) from None
        if resp.status_code >= 400:
            raise _http_error(resp, what, where, self.conn)
        if resp.status_code >= 300:
            raise _redirect_error(resp, what, where)
        return resp

    def _failure(
        self,
        exc: requests.exceptions.RequestException,
        what: str,
        where: str,
        idempotent: bool,
        connect: float,
    ) -> RemoteError:
        """The error for a request that got no answer, every attempt spent."""
        if isinstance(exc, requests.exceptions.ReadTimeout):
            return NoAnswer(
                f"{what} failed: the store did not answer {where} within "
                f"{self.conn.timeout:g} s (--timeout)"
            )
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            failure, unsure = f"could not connect within {connect:g} s", False
        elif isinstance(exc, requests.exceptions.ConnectionError) and "timed out" in str(exc):
            # urllib3's send timed out: the store stopped taking the request's body.
            failure = f"the store took no more of the request for {connect:g} s (--timeout)"
            unsure = True
        elif isinstance(exc, requests.exceptions.ConnectionError):
            failure, unsure = _connection_failure(exc)
        elif isinstance(exc, requests.exceptions.TooManyRedirects):
            return RemoteError(
                f"{what} failed: {where}: redirected more than {MAX_REDIRECTS} times"
            )
        else:
            return RemoteError(f"{what} failed: {where}: {type(exc).__name__}")
        attempts = 1 + (self.conn.retries if idempotent else 0)
        tries = f" (after {attempts} attempts)" if attempts > 1 else ""
        error = NoAnswer if unsure else RemoteError
        return error(f"{what} failed: {where}: {failure}{tries}")


def _connection_failure(exc: BaseException) -> tuple[str, bool]:
    """A short reason, and whether the request may have reached the store."""
    text = str(exc)
    if "Connection refused" in text or "ECONNREFUSED" in text:
        return "connection refused (is the store running?)", False
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "unknown host", False
    if "RemoteDisconnected" in text or "Connection aborted" in text:
        return "the store closed the connection without answering", True
    if "Connection reset" in text:
        return "the connection was reset", True
    return "cannot connect", True


def _redirect_error(resp: requests.Response, what: str, where: str) -> RemoteError:
    """The error for a redirect kg did not follow: it names where the store
    wanted the request to go, without credentials or query string."""
    status = f"HTTP {resp.status_code} {resp.reason}".rstrip()
    resp.close()
    location = resp.headers.get("Location")
    if not location:
        return RemoteError(f"{what} failed: {where}: {status} without a Location")
    return RemoteError(
        f"{what} failed: {where}: {status} to {redact(urljoin(resp.url, location))}, "
        "another origin: kg sent nothing there (it follows redirects only within one "
        "scheme, host and port; give that URL if it is the store)"
    )


def _http_error(
    resp: requests.Response, what: str, where: str, conn: Connection
) -> RemoteError | BadInput:
    code = resp.status_code
    status = f"HTTP {code} {resp.reason}".rstrip()
    detail = _body_excerpt(resp)
    tail = f": {detail}" if detail else ""
    if code == 401:
        challenge = resp.headers.get("WWW-Authenticate", "")
        if not conn.user:
            hint = "give --user and --password (or set KG_USER and KG_PASSWORD)"
        else:
            hint = f"the store refused the credentials of user {conn.user!r}"
        if challenge.lower().startswith("digest") and conn.auth != "digest":
            hint += "; the store asks for digest authentication (--auth digest)"
        elif challenge.lower().startswith("basic") and conn.auth != "basic":
            hint += "; the store asks for basic authentication (--auth basic)"
        return Refused(f"{what} failed: {where}: {status}: {hint}")
    if code == 403:
        return Refused(
            f"{what} failed: {where}: {status}: the store forbids this request "
            f"(read-only store, or an account without the right){tail}"
        )
    if _virtuoso_default_graph(resp):
        tail += " (Virtuoso keeps pushed triples in named graphs only: use --graph IRI)"
    if code == 400:
        return BadInput(f"{what} refused by the store: {where}: {status}{tail}")
    if code == 404:
        return Refused(f"{what} failed: {where}: {status}: no such endpoint or graph{tail}")
    error = Refused if code < 500 else RemoteError
    return error(f"{what} failed: {where}: {status}{tail}")
