"""Talk to any SPARQL 1.1 triple store: push graphs, run queries remotely.

Two W3C protocols, spoken with ``requests``:

* the `SPARQL 1.1 Graph Store HTTP Protocol`_ to upload a graph
  (:func:`push`): ``PUT`` replaces a graph, ``POST`` adds to it, on
  ``STORE?default`` or ``STORE?graph=IRI``;
* the `SPARQL 1.1 Protocol`_ to query (:func:`remote_query`) and update:
  ``GET`` for short queries and a form-encoded ``POST`` for long ones (never
  a direct ``application/sparql-query`` POST, on which some stores hang).

Remote results are the same :class:`kg.query.QueryResult` the local graph
gives, so :func:`kg.query.render` prints both identically. Canned-query
parameters stay RDF terms: they are sent as ``VALUES`` blocks written from
the terms' N-Triples form, never pasted into the query text as strings.

Failures raise :class:`~kg.errors.RemoteError` (the network or the store
failed; exit code 3) or :class:`~kg.errors.BadInput` (the store refused the
request as malformed, HTTP 400; exit code 2), each with a one-line message
that never contains a password.

.. _SPARQL 1.1 Graph Store HTTP Protocol: https://www.w3.org/TR/sparql11-http-rdf-update/
.. _SPARQL 1.1 Protocol: https://www.w3.org/TR/sparql11-protocol/
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import requests
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import RDF, XSD

from kg.errors import BadInput, KgError, RemoteError, UsageError
from kg.namespaces import GRAPH, PREFIXES, bind_prefixes
from kg.query import QueryResult, construct_where_in_full, query_form, star_in_full
from kg.rdfio import plain_strings

#: Longest URL-encoded query sent with GET; longer ones go as a form POST.
#: 2,000 characters keeps the whole URL under the 8 KiB many proxies allow.
GET_QUERY_MAX = 2000
#: Status codes worth retrying (idempotent requests only): the store or a
#: proxy in front of it is briefly unavailable.
TRANSIENT_STATUS = frozenset({502, 503, 504})
DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 3
MAX_BACKOFF = 8.0
#: Where staging graphs are minted: a fresh IRI per push, never reused.
STAGING = GRAPH["staging/"]

RESULTS_JSON = "application/sparql-results+json"
RDF_ACCEPT = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"
_RDF_MEDIA = {
    "application/n-triples": "nt",
    "text/plain": "nt",
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/rdf+xml": "xml",
    "application/n-quads": "nquads",
    "application/trig": "trig",
    "application/ld+json": "json-ld",
}


# --- connection settings and HTTP ---------------------------------------------------


class NoAnswer(RemoteError):
    """The request went out but no answer came back (timeout, dropped
    connection): the store may or may not have applied it."""


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
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _check_url(url: str, what: str) -> str:
    parts = urlsplit(url)
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


class Client:
    """One store's HTTP session: timeouts always, bounded retries, error mapping.

    Only requests marked ``idempotent`` (PUT, GET, and SPARQL queries, which
    the protocol defines as safe whatever the verb) are retried, and only on
    transient failures: no connection, or HTTP 502/503/504. Each retry waits
    twice as long as the one before (``backoff`` seconds first, at most
    8 s); a read timeout is not retried, so a slow store costs one timeout.
    """

    def __init__(self, conn: Connection | None = None) -> None:
        self.conn = conn or Connection()
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "kg (SPARQL 1.1 client)"
        self.session.auth = self.conn.requests_auth()
        self.sleep = time.sleep

    def close(self) -> None:
        self.session.close()

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
        attempts = 1 + (self.conn.retries if idempotent else 0)
        timeout = (min(10.0, self.conn.timeout), self.conn.timeout)
        where = f"{method} {redact(url)}"
        for attempt in range(1, attempts + 1):
            rewind = getattr(data, "seek", None)
            if rewind is not None:
                rewind(0)
            try:
                resp = self.session.request(
                    method, url, data=data, timeout=timeout, stream=True, **kwargs
                )
            except requests.exceptions.ConnectTimeout:
                failure, unsure = f"could not connect within {timeout[0]:g} s", False
            except requests.exceptions.ReadTimeout:
                raise NoAnswer(
                    f"{what} failed: the store did not answer {where} within "
                    f"{self.conn.timeout:g} s (--timeout)"
                ) from None
            except requests.exceptions.ConnectionError as exc:
                failure, unsure = _connection_failure(exc)
            except requests.exceptions.RequestException as exc:
                raise RemoteError(f"{what} failed: {where}: {type(exc).__name__}") from None
            else:
                if resp.status_code not in TRANSIENT_STATUS or attempt == attempts:
                    if resp.status_code >= 400:
                        raise _http_error(resp, what, where, self.conn)
                    return resp
                resp.close()
                failure, unsure = f"HTTP {resp.status_code} {resp.reason}", False
            if attempt == attempts:
                tries = f" (after {attempts} attempts)" if attempts > 1 else ""
                error = NoAnswer if unsure else RemoteError
                raise error(f"{what} failed: {where}: {failure}{tries}")
            self.sleep(min(MAX_BACKOFF, self.conn.backoff * 2 ** (attempt - 1)))
        raise AssertionError("unreachable")  # pragma: no cover


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
        return RemoteError(f"{what} failed: {where}: {status}: {hint}")
    if code == 403:
        return RemoteError(
            f"{what} failed: {where}: {status}: the store forbids this request "
            f"(read-only store, or an account without the right){tail}"
        )
    if _virtuoso_default_graph(resp):
        tail += " (Virtuoso keeps pushed triples in named graphs only: use --graph IRI)"
    if code == 400:
        return BadInput(f"{what} refused by the store: {where}: {status}{tail}")
    if code == 404:
        return RemoteError(f"{what} failed: {where}: {status}: no such endpoint or graph{tail}")
    return RemoteError(f"{what} failed: {where}: {status}{tail}")


# --- endpoints ---------------------------------------------------------------------


def _required_endpoint(store_url: str, kind: str, instead: str) -> str:
    """The store's ``kind`` endpoint derived from its Graph Store URL, or a usage error."""
    endpoint = derive_endpoint(store_url, kind)
    if endpoint is None:
        raise UsageError(
            f"cannot tell the store's SPARQL {kind} endpoint from "
            f"{redact(store_url)}; give --{kind}-endpoint (or {instead})"
        )
    return endpoint


def derive_endpoint(store_url: str, kind: str) -> str | None:
    """Guess a store's query or update endpoint from its Graph Store endpoint.

    Knows Oxigraph (``/store`` → ``/query``, ``/update``), Fuseki
    (``/DS/data`` → ``/DS/query``, ``/DS/update``) and Virtuoso
    (``/sparql-graph-crud`` → ``/sparql``, ``/sparql-graph-crud-auth`` →
    ``/sparql-auth``); ``None`` for anything else.

    >>> derive_endpoint("http://127.0.0.1:7878/store", "query")
    'http://127.0.0.1:7878/query'
    >>> derive_endpoint("http://h:8890/sparql-graph-crud-auth", "update")
    'http://h:8890/sparql-auth'
    """
    parts = urlsplit(store_url)
    path = parts.path.rstrip("/")
    head, _, last = path.rpartition("/")
    if last == "store" or last == "data":
        new = f"{head}/{kind}"
    elif last == "sparql-graph-crud":
        new = f"{head}/sparql"
    elif last == "sparql-graph-crud-auth":
        new = f"{head}/sparql-auth"
    else:
        return None
    return urlunsplit((parts.scheme, parts.netloc, new, "", ""))


def graph_store_url(store_url: str, graph: str | None) -> str:
    """The Graph Store URL of one graph: ``?default`` or ``?graph=IRI`` (encoded).

    >>> graph_store_url("http://h/store", None)
    'http://h/store?default'
    >>> graph_store_url("http://h/store", "https://w3id.org/kg-nj/graph/a b")
    'http://h/store?graph=https%3A%2F%2Fw3id.org%2Fkg-nj%2Fgraph%2Fa%20b'
    """
    sep = "&" if urlsplit(store_url).query else "?"
    if graph is None:
        return f"{store_url}{sep}default"
    return f"{store_url}{sep}graph={quote(graph, safe='')}"


# --- SPARQL text: prefixes and parameters as VALUES -----------------------------------

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
              |'''(?:[^'\\]|\\.|'(?!''))*'''
              |"(?:[^"\\\n]|\\.)*"
              |'(?:[^'\\\n]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$]\w+)
  | (?P<word>[A-Za-z_][\w\-]*(?::[\w\-.]*)?)
  | (?P<open>\{)
  | (?P<close>\})
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass
class _Token:
    kind: str
    text: str
    start: int
    end: int


def _tokens(text: str) -> list[_Token]:
    out = []
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup or "other"
        if kind not in ("ws", "comment"):
            out.append(_Token(kind, m.group(), m.start(), m.end()))
    return out


def _groups(text: str) -> list[tuple[int, set[str]]]:
    """Each group graph pattern's inside start and the variables it mentions.

    Braces that are not group patterns are skipped: ``VALUES`` data blocks,
    ``CONSTRUCT`` templates (and the ``CONSTRUCT WHERE`` short form), update
    templates, and the brace that wraps a sub-``SELECT`` (whose own ``WHERE``
    group is counted). Comments, strings and IRIs are read past.
    """
    toks = _tokens(text)
    stack: list[tuple[str, int, set[str]]] = []
    groups: list[tuple[int, set[str]]] = []
    pending: str | None = None
    for i, tok in enumerate(toks):
        if tok.kind == "word" and ":" not in tok.text:
            kw = tok.text.upper()
            if kw == "VALUES":
                pending = "data"
            elif kw in ("CONSTRUCT", "INSERT", "DELETE"):
                pending = "template"
        elif tok.kind == "var":
            if stack:
                stack[-1][2].add(tok.text[1:])
        elif tok.kind == "open":
            kind = pending or "group"
            pending = None
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if kind == "group" and nxt is not None and nxt.text.upper() == "SELECT":
                kind = "subquery"
            stack.append((kind, tok.end, set()))
        elif tok.kind == "close":
            if not stack:
                raise BadInput("SPARQL error: unbalanced braces (a '}' without its '{')")
            kind, start, names = stack.pop()
            if kind == "group":
                groups.append((start, names))
            if stack:
                stack[-1][2].update(names)
    if stack:
        raise BadInput("SPARQL error: unbalanced braces (a '{' is never closed)")
    return groups


def _values_block(names: Sequence[str], bindings: Mapping[str, Any]) -> str:
    terms = " ".join(bindings[n].n3() for n in names)
    if len(names) == 1:
        return f" VALUES ?{names[0]} {{ {terms} }} "
    return f" VALUES ({' '.join('?' + n for n in names)}) {{ ({terms}) }} "


def bind_as_values(text: str, bindings: Mapping[str, Any]) -> str:
    """Bind parameters the way kg binds them locally (pre-binding), in plain SPARQL.

    Every group graph pattern that mentions a bound variable (``{ … }`` of a
    WHERE clause, OPTIONAL, UNION branch, sub-SELECT, EXISTS, MINUS, GRAPH)
    gets a ``VALUES`` block with the terms' N-Triples form right after its
    opening brace. That keeps aggregates, sub-queries and filters inside
    nested OPTIONALs seeing the value, as rdflib's ``initBindings`` do.

    >>> from rdflib import Literal
    >>> bind_as_values("SELECT ?x WHERE { ?x ?p ?lang }", {"lang": Literal("fr")})
    'SELECT ?x WHERE { VALUES ?lang { "fr" }  ?x ?p ?lang }'
    """
    for name, term in bindings.items():
        if not isinstance(term, URIRef | Literal):
            raise UsageError(f"parameter {name!r} must be an IRI or a literal")
    if not bindings:
        return text
    inserts = []
    for start, names in _groups(text):
        used = [n for n in bindings if n in names]
        if used:
            inserts.append((start, _values_block(used, bindings)))
    for start, block in sorted(inserts, reverse=True):
        text = text[:start] + block + text[start:]
    return text


def with_prefixes(text: str) -> str:
    """Declare kg's prefixes (which local queries get from rdflib's ``initNs``)
    that the query uses without declaring them itself.

    >>> with_prefixes("ASK { ?s a kg:Person }").splitlines()[0]
    'PREFIX kg: <https://w3id.org/kg-nj/ontology#>'
    """
    declared = {
        m.group(1) for m in re.finditer(r"(?i)\bPREFIX\s+([\w\-.]*):", _strip_for_scan(text))
    }
    lines = [
        f"PREFIX {p}: <{ns}>"
        for p, ns in PREFIXES.items()
        if p not in declared and re.search(rf"(?<![\w\-.]){re.escape(p)}:", text)
    ]
    return "\n".join([*lines, text]) if lines else text


def _strip_for_scan(text: str) -> str:
    return " ".join(t.text for t in _tokens(text) if t.kind != "string")


def prepare_query(text: str, bindings: Mapping[str, Any] | None = None) -> str:
    """The query as a remote store gets it: kg prefixes declared, parameters
    bound as ``VALUES`` (see :func:`bind_as_values`)."""
    if bindings and query_form(text) == "CONSTRUCT":
        text = construct_where_in_full(text)  # the short form's group takes no VALUES block
    return with_prefixes(bind_as_values(text, bindings or {}))


# --- results -----------------------------------------------------------------------


def _term(cell: Mapping[str, Any]) -> URIRef | Literal | BNode:
    kind = cell.get("type")
    value = cell.get("value")
    if not isinstance(value, str):
        raise RemoteError("malformed SPARQL JSON results: a binding without a string value")
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value)
    if kind in ("literal", "typed-literal"):  # "typed-literal": Virtuoso's pre-1.1 JSON
        lang = cell.get("xml:lang")
        if lang:
            return Literal(value, lang=lang)
        datatype = cell.get("datatype")
        if datatype and datatype not in (str(XSD.string), str(RDF.langString)):
            return Literal(value, datatype=URIRef(datatype))
        return Literal(value)  # RDF 1.1: a plain literal is an xsd:string
    raise RemoteError(f"unsupported term type {kind!r} in SPARQL JSON results")


def parse_results_json(data: bytes | str, form: str = "SELECT") -> QueryResult:
    """SPARQL 1.1 JSON results (and Virtuoso's older variant) as a QueryResult.

    >>> r = parse_results_json('{"head": {"vars": ["n"]}, "results": {"bindings": '
    ...     '[{"n": {"type": "typed-literal", "value": "3", '
    ...     '"datatype": "http://www.w3.org/2001/XMLSchema#integer"}}]}}')
    >>> r.vars, r.rows[0][0].toPython()
    (['n'], 3)
    """
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RemoteError(
            f"the store's SPARQL results are truncated or not JSON ({exc.__class__.__name__}: "
            f"{str(exc)[:80]})"
        ) from None
    if not isinstance(doc, dict) or "head" not in doc:
        raise RemoteError("the store's answer is not SPARQL JSON results (no 'head')")
    if form == "ASK":
        if not isinstance(doc.get("boolean"), bool):
            raise RemoteError("the store's answer to an ASK query has no boolean")
        return QueryResult("ASK", boolean=doc["boolean"])
    head = doc["head"]
    results = doc.get("results")
    if not isinstance(head, dict) or not isinstance(results, dict):
        raise RemoteError("the store's answer is not SPARQL JSON results (no 'results')")
    names = [str(v) for v in head.get("vars", [])]
    rows = []
    for binding in results.get("bindings", []):
        if not isinstance(binding, dict):
            raise RemoteError("malformed SPARQL JSON results: a row is not an object")
        rows.append(tuple(_term(binding[n]) if n in binding else None for n in names))
    return QueryResult("SELECT", vars=names, rows=rows)


def _media_type(resp: requests.Response) -> str:
    return resp.headers.get("Content-Type", "").split(";")[0].strip().lower()


def _read_body(resp: requests.Response, where: str) -> bytes:
    try:
        data = resp.content
    except (
        requests.exceptions.ChunkedEncodingError,
        requests.exceptions.ContentDecodingError,
        requests.exceptions.ConnectionError,
    ) as exc:
        raise RemoteError(
            f"the answer from {where} was cut short ({_short_reason(exc)}); nothing was written"
        ) from None
    except requests.exceptions.Timeout:
        raise RemoteError(f"the answer from {where} stalled past the timeout") from None
    finally:
        resp.close()
    return data


def _short_reason(exc: BaseException) -> str:
    m = re.search(r"IncompleteRead\((\d+) bytes read, (\d+) more expected\)", str(exc))
    if m:
        got, more = int(m.group(1)), int(m.group(2))
        return f"got {got} of {got + more} bytes"
    return "connection closed mid-answer"


def _reject_html(resp: requests.Response, data: bytes, where: str) -> None:
    head = data[:512].lstrip().lower()
    if _media_type(resp) in ("text/html", "application/xhtml+xml") or head.startswith(
        (b"<!doctype html", b"<html")
    ):
        title = re.search(rb"<title[^>]*>(.*?)</title>", data[:4096], re.I | re.S)
        shown = f" ({' '.join(title.group(1).decode('utf-8', 'replace').split())})" if title else ""
        raise RemoteError(
            f"{where} answered with an HTML page{shown} instead of SPARQL results; "
            "is this the store's SPARQL query endpoint?"
        )


def remote_query(
    endpoint: str,
    text: str,
    bindings: Mapping[str, Any] | None = None,
    *,
    default_graph_uris: Sequence[str] = (),
    conn: Connection | None = None,
    client: Client | None = None,
) -> QueryResult:
    """Run a query on a SPARQL 1.1 Protocol endpoint; same result shape as locally.

    ``bindings`` (from :func:`kg.query.bind_params`) are sent as ``VALUES``;
    ``default_graph_uris`` become ``default-graph-uri`` parameters (Virtuoso
    keeps pushed triples in named graphs only).

    >>> r = remote_query("http://127.0.0.1:7878/query", "ASK { ?s ?p ?o }")  # doctest: +SKIP
    >>> r.boolean  # doctest: +SKIP
    True
    """
    _check_url(endpoint, "--endpoint")
    form = query_form(text)
    sparql = prepare_query(star_in_full(text, dict(bindings or {})), bindings)
    params: list[tuple[str, str]] = [("query", sparql)]
    params += [("default-graph-uri", g) for g in default_graph_uris]
    accept = RESULTS_JSON if form in ("SELECT", "ASK") else RDF_ACCEPT
    headers = {"Accept": accept}
    own = client is None
    client = client or Client(conn)
    try:
        encoded = urlencode(params)
        if len(encoded) <= GET_QUERY_MAX:
            resp = client.request(
                "GET", endpoint, params=params, headers=headers, idempotent=True, what="query"
            )
        else:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            resp = client.request(
                "POST",
                endpoint,
                data=encoded.encode("ascii"),
                headers=headers,
                idempotent=True,  # a query is safe whatever the verb (SPARQL 1.1 Protocol 2.1)
                what="query",
            )
        where = redact(endpoint)
        if resp.headers.get("X-SQL-State"):
            # Virtuoso's "anytime" answer: a partial result cut off by a time limit.
            resp.close()
            raise RemoteError(
                f"{where} returned a partial result (X-SQL-State "
                f"{resp.headers['X-SQL-State']}: the store's time limit cut the query short)"
            )
        cap = resp.headers.get("X-SPARQL-MaxRows")
        data = _read_body(resp, where)
        _reject_html(resp, data, where)
        if cap:  # Virtuoso sends it only when its ResultSetMaxRows cut the result
            raise RemoteError(
                f"{where} cut the result at its row limit ({cap} rows; Virtuoso: "
                "ResultSetMaxRows in virtuoso.ini); nothing was written"
            )
        if form in ("SELECT", "ASK"):
            return parse_results_json(data, form)
        return _parse_graph(data, _media_type(resp), where)
    finally:
        if own:
            client.close()


def _parse_graph(data: bytes, media: str, where: str) -> QueryResult:
    fmt = _RDF_MEDIA.get(media)
    if fmt is None:
        raise RemoteError(f"{where} answered a graph query with unexpected type {media!r}")
    g = Graph()
    bind_prefixes(g)
    try:
        if fmt in ("nquads", "trig"):
            ds = Dataset()
            ds.parse(data=data, format=fmt)
            for s, p, o, _ in ds.quads((None, None, None, None)):
                g.add((s, p, o))
        else:
            g.parse(data=data, format=fmt)
    except Exception as exc:  # rdflib raises many types for bad syntax
        raise RemoteError(
            f"the graph from {where} is truncated or malformed ({fmt}): "
            f"{str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__}"
        ) from None
    plain_strings(g)  # a store may write "x"^^xsd:string: the "x" a local query gives
    return QueryResult("CONSTRUCT", graph=g)


def count_triples(
    query_endpoint: str,
    graph: str | None = None,
    *,
    conn: Connection | None = None,
    client: Client | None = None,
) -> int:
    """The number of triples in a graph of a store (its default graph by default).

    >>> count_triples("http://127.0.0.1:7878/query")  # doctest: +SKIP
    2210
    """
    pattern = f"GRAPH <{graph}> {{ ?s ?p ?o }}" if graph else "?s ?p ?o"
    res = remote_query(
        query_endpoint,
        f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}",
        conn=conn,
        client=client,
    )
    try:
        (value,) = res.rows[0]
        assert isinstance(value, Literal)
        return int(value)
    except (IndexError, ValueError, TypeError, AssertionError):
        raise RemoteError(f"{redact(query_endpoint)} gave no triple count") from None


def update(
    update_endpoint: str,
    text: str,
    *,
    conn: Connection | None = None,
    client: Client | None = None,
) -> None:
    """Run a SPARQL Update (form-encoded POST; never retried: not idempotent).

    A 2xx answer is success whatever its body (Virtuoso answers 200 with a
    results document).
    """
    _check_url(update_endpoint, "--update-endpoint")
    own = client is None
    client = client or Client(conn)
    try:
        resp = client.request(
            "POST",
            update_endpoint,
            data={"update": text},
            idempotent=False,
            what="update",
        )
        resp.close()
    finally:
        if own:
            client.close()


# --- push ---------------------------------------------------------------------------


@dataclass
class Payload:
    """One graph to upload: its target (``None`` = default graph) and an
    N-Triples file on disk holding it."""

    target: str | None
    path: Path
    triples: int


@dataclass
class PushedGraph:
    target: str | None
    sent: int
    counted: int | None

    @property
    def name(self) -> str:
        return f"<{self.target}>" if self.target else "the default graph"


@dataclass
class PushResult:
    """What :func:`push` did, for the report."""

    store: str
    mode: str  # "replace" or "append"
    atomic: bool
    graphs: list[PushedGraph] = field(default_factory=list)
    bytes_sent: int = 0
    seconds: float = 0.0
    prepare_seconds: float = 0.0

    @property
    def triples(self) -> int:
        return sum(g.sent for g in self.graphs)

    def summary(self) -> list[str]:
        """One line per graph, and one for the volume and speed."""
        if self.atomic:
            how = "replaced atomically: staging graph, then one MOVE"
            if self.mode == "append":
                how = "appended to atomically: staging graph, then one ADD"
        else:
            how = "replaced directly" if self.mode == "replace" else "appended to directly"
        lines = []
        for g in self.graphs:
            count = f"; the store now holds {g.counted}" if g.counted is not None else ""
            lines.append(f"Pushed {g.sent} triples to {g.name} ({how}){count}.")
        rate = self.triples / self.seconds if self.seconds else 0.0
        lines.append(
            f"{self.bytes_sent / 1e6:.1f} MB in {self.seconds:.1f} s "
            f"({rate:,.0f} triples/s) to {redact(self.store)}."
        )
        return lines


def _absolute_iri(value: str, what: str) -> str:
    parts = urlsplit(value)
    if not parts.scheme or re.search(r"[\s<>\"{}|\\^`]", value):
        raise UsageError(f"{what} must be an absolute IRI, got {value!r}")
    return value


@contextlib.contextmanager
def prepare_payloads(
    source: Path | None = None,
    records: Path | None = None,
    *,
    graph: str | None = None,
    reason: bool = False,
    with_ontology: bool = True,
) -> Iterator[list[Payload]]:
    """Serialise what to push into N-Triples files in a temporary folder.

    A TriG or N-Quads ``source`` keeps its named graphs (one payload each;
    its default graph goes to ``graph``). Anything else (or the records,
    bundled by default) becomes one payload for ``graph``: the same graph
    ``kg query`` reads locally (with the ontology merged in unless
    ``with_ontology`` is false), so remote and local queries agree.
    The graph is held in memory once; the upload streams from the file.
    """
    from kg.pipeline import export_bytes
    from kg.rdfio import format_from_path, is_dataset_format, parse_rdf

    with tempfile.TemporaryDirectory(prefix="kg-push-") as tmp:
        payloads: list[Payload] = []

        def write(g: Graph, target: str | None) -> None:
            path = Path(tmp) / f"{len(payloads)}.nt"
            with path.open("wb") as fh:
                g.serialize(destination=fh, format="nt", encoding="utf-8")
            payloads.append(Payload(target, path, len(g)))

        if source is not None and is_dataset_format(format_from_path(source)):
            if records is not None:
                raise UsageError("give either FILE or --records, not both")
            ds = parse_rdf(source)
            for g in list(ds.graphs()):
                name = g.identifier
                # "x"^^xsd:string and "x" are one literal (RDF 1.1), and one triple
                # in the store: counted as two, the push would report one missing.
                plain_strings(g)
                if name == DATASET_DEFAULT_GRAPH_ID:
                    if len(g):
                        write(g, graph)
                elif isinstance(name, BNode):
                    raise BadInput(f"{source}: a graph named by a blank node cannot be pushed")
                elif len(g):
                    write(g, str(name))
            del ds
        else:
            # N-Triples made natively (kg's reasoner, Oxigraph's serialiser): at 1M
            # triples seconds, where an rdflib graph took minutes.
            nt = export_bytes("nt", source, records, reason=reason, with_ontology=with_ontology)
            path = Path(tmp) / f"{len(payloads)}.nt"
            path.write_bytes(nt)
            payloads.append(Payload(graph, path, nt.count(b"\n")))
            del nt
        yield payloads


def push(
    store_url: str,
    source: Path | None = None,
    records: Path | None = None,
    *,
    graph: str | None = None,
    replace: bool = True,
    atomic: bool = True,
    verify: bool = True,
    reason: bool = False,
    with_ontology: bool = True,
    query_endpoint: str | None = None,
    update_endpoint: str | None = None,
    conn: Connection | None = None,
) -> PushResult:
    """Upload the graph (or an RDF file) to a store's Graph Store endpoint.

    ``replace`` (PUT semantics, the default) makes the target graph hold
    exactly the pushed triples; otherwise they are added (POST). With
    ``atomic`` (the default) each graph is first PUT into a fresh staging
    graph, its triple count checked, and one SPARQL Update then moves
    (``MOVE``; ``ADD`` + ``DROP`` when appending) every staging graph into
    place, so a failed push leaves the targets as they were. Without it the
    target is written directly. With ``verify`` the triple count of each
    target is read back with a SPARQL ``COUNT`` and a mismatch is an error.
    See docs/triple-stores.md for what each store guarantees.

    >>> push("http://127.0.0.1:7878/store")  # doctest: +SKIP
    PushResult(store='http://127.0.0.1:7878/store', mode='replace', atomic=True, ...)
    """
    _check_url(store_url, "--endpoint")
    if graph is not None:
        _absolute_iri(graph, "--graph")
    if verify and query_endpoint is None:
        query_endpoint = _required_endpoint(store_url, "query", "--no-verify")
    if atomic and update_endpoint is None:
        update_endpoint = _required_endpoint(store_url, "update", "--direct")
    if query_endpoint:
        _check_url(query_endpoint, "--query-endpoint")
    if update_endpoint:
        _check_url(update_endpoint, "--update-endpoint")
    with Client(conn) as client:
        # Fail fast, before building the graph, if the store cannot be queried.
        server = _preflight(client, query_endpoint) if query_endpoint else ""
        t0 = time.perf_counter()
        with prepare_payloads(
            source, records, graph=graph, reason=reason, with_ontology=with_ontology
        ) as payloads:
            result = PushResult(store_url, "replace" if replace else "append", atomic)
            result.prepare_seconds = time.perf_counter() - t0
            t1 = time.perf_counter()
            if atomic:
                assert update_endpoint is not None
                # Oxigraph loads a private staging graph far faster without a
                # transaction; the count check and the MOVE keep the push atomic.
                bulk = "&no_transaction" if server.lower().startswith("oxigraph") else ""
                _push_staged(
                    client,
                    store_url,
                    payloads,
                    replace,
                    verify,
                    query_endpoint,
                    update_endpoint,
                    result,
                    bulk,
                )
            else:
                _push_direct(client, store_url, payloads, replace, verify, query_endpoint, result)
            result.seconds = time.perf_counter() - t1
    return result


def _preflight(client: Client, query_endpoint: str) -> str:
    """Ask the query endpoint ``ASK {}``; return its ``Server`` header."""
    resp = client.request(
        "GET",
        query_endpoint,
        params={"query": "ASK {}"},
        headers={"Accept": RESULTS_JSON},
        idempotent=True,
        what="query",
    )
    resp.close()
    return resp.headers.get("Server", "")


def _upload(client: Client, url: str, payload: Payload, method: str) -> int:
    size = payload.path.stat().st_size
    with payload.path.open("rb") as fh:
        resp = client.request(
            method,
            url,
            data=fh,
            headers={"Content-Type": "application/n-triples"},
            idempotent=method == "PUT",
            what="upload",
        )
        resp.close()
    return size


def _push_staged(
    client: Client,
    store_url: str,
    payloads: list[Payload],
    replace: bool,
    verify: bool,
    query_endpoint: str | None,
    update_endpoint: str,
    result: PushResult,
    bulk: str = "",
) -> None:
    staged: dict[int, str] = {}  # payload index -> its staging graph
    moving = False
    try:
        for i, p in enumerate(payloads):
            if p.triples == 0:
                continue
            staged[i] = staging = f"{STAGING}{uuid.uuid4().hex}"
            url = graph_store_url(store_url, staging) + bulk
            result.bytes_sent += _upload(client, url, p, "PUT")
            if verify:
                assert query_endpoint is not None
                n = count_triples(query_endpoint, staging, client=client)
                if n != p.triples:
                    raise RemoteError(
                        f"the store holds {n} triples in the staging graph after an upload "
                        f"of {p.triples}"
                    )
        ops = []
        for i, p in enumerate(payloads):
            target = f"<{p.target}>" if p.target else "DEFAULT"
            if i in staged and replace:
                ops.append(f"MOVE <{staged[i]}> TO {target}")
            elif i in staged:
                ops.append(f"ADD <{staged[i]}> TO {target} ;\nDROP GRAPH <{staged[i]}>")
            elif replace:  # nothing to upload: the target ends up empty
                ops.append(f"DROP SILENT GRAPH {target}" if p.target else "CLEAR DEFAULT")
        if ops:
            moving = True
            update(update_endpoint, " ;\n".join(ops), client=client)
    except KgError as exc:
        left = []
        for staging in staged.values():  # leave no staging graph behind
            try:
                update(update_endpoint, f"DROP SILENT GRAPH <{staging}>", client=client)
            except KgError:
                left.append(f"<{staging}>")
        if moving and isinstance(exc, NoAnswer):
            note = (
                "; the store did not confirm the move, so the target holds either its old or "
                "its new content: check it before pushing again"
            )
        else:
            note = "; the target graph was not changed"
        if left:
            note += f" (staging graph {', '.join(left)} could not be dropped)"
        raise type(exc)(f"{exc}{note}") from None
    _verify(client, payloads, replace, verify, query_endpoint, result, before=None)


def _push_direct(
    client: Client,
    store_url: str,
    payloads: list[Payload],
    replace: bool,
    verify: bool,
    query_endpoint: str | None,
    result: PushResult,
) -> None:
    before: dict[str | None, int] = {}
    if verify and not replace:
        assert query_endpoint is not None
        before = {
            p.target: count_triples(query_endpoint, p.target, client=client) for p in payloads
        }
    for p in payloads:
        method = "PUT" if replace else "POST"
        result.bytes_sent += _upload(client, graph_store_url(store_url, p.target), p, method)
    _verify(client, payloads, replace, verify, query_endpoint, result, before=before)


def _verify(
    client: Client,
    payloads: list[Payload],
    replace: bool,
    verify: bool,
    query_endpoint: str | None,
    result: PushResult,
    before: dict[str | None, int] | None,
) -> None:
    for p in payloads:
        counted = None
        if verify:
            assert query_endpoint is not None
            counted = count_triples(query_endpoint, p.target, client=client)
            where = f"<{p.target}>" if p.target else "the default graph"
            if replace and counted != p.triples:
                raise RemoteError(
                    f"pushed {p.triples} triples but the store holds {counted} in {where}"
                )
            if not replace:
                low = max(p.triples, (before or {}).get(p.target, 0))
                high = (before or {}).get(p.target, counted) + p.triples
                if not low <= counted <= high:
                    raise RemoteError(
                        f"appended {p.triples} triples but the store holds {counted} in {where}"
                    )
        result.graphs.append(PushedGraph(p.target, p.triples, counted))


__all__ = [
    "Client",
    "Connection",
    "PushResult",
    "bind_as_values",
    "count_triples",
    "derive_endpoint",
    "graph_store_url",
    "parse_results_json",
    "prepare_query",
    "push",
    "remote_query",
    "update",
    "with_prefixes",
]
