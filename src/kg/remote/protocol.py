"""The SPARQL 1.1 Protocol: queries and updates on a store.

``GET`` for short queries and a form-encoded ``POST`` for long ones (never a
direct ``application/sparql-query`` POST, on which some stores hang). Remote
results are the same :class:`kg.sparql.results.QueryResult` the local graph
gives, so :func:`kg.sparql.render.render` prints both identically.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests
from rdflib import Graph, Literal

from kg.errors import BadInput, RemoteError
from kg.rdfio.formats import RESULT_FORMATS, accept_header, format_for_media
from kg.rdfio.read import parse_rdf_bytes, plain_strings
from kg.remote.endpoints import graph_iri
from kg.remote.http import Client, Connection, _check_url, redact
from kg.sparql.door import REMOTE, prepare_limited
from kg.sparql.results import QueryResult, parse_results_json
from kg.terms.namespaces import bind_prefixes

#: Longest URL-encoded query sent with GET; longer ones go as a form POST.
#: 2,000 characters keeps the whole URL under the 8 KiB many proxies allow.
GET_QUERY_MAX = 2000


RESULTS_JSON = RESULT_FORMATS["json"].media_type


# A graph's answer: any RDF format kg reads (by its media type) is parsed.
RDF_ACCEPT = accept_header([("nt", 1.0), ("turtle", 0.9), ("xml", 0.5)], "rdf")


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

    The text passes kg's front door first (:func:`kg.sparql.door.prepare`: the
    guard, ``bindings`` bound as they are locally, kg's prefixes declared);
    ``default_graph_uris`` become ``default-graph-uri`` parameters (Virtuoso
    keeps pushed triples in named graphs only).

    >>> r = remote_query("http://127.0.0.1:7878/query", "ASK { ?s ?p ?o }")  # doctest: +SKIP
    >>> r.boolean  # doctest: +SKIP
    True
    """
    _check_url(endpoint, "--endpoint")
    query = prepare_limited(text, bindings, REMOTE)
    graphs = [graph_iri(g, "--default-graph-uri") for g in default_graph_uris]
    params = [("query", query.text), *(("default-graph-uri", g) for g in graphs)]
    accept = RESULTS_JSON if query.form in ("SELECT", "ASK") else RDF_ACCEPT
    own = client is None
    client = client or Client(conn)
    try:
        resp = _send(client, endpoint, params, accept)
        where = redact(endpoint)
        data = _read_answer(resp, where)
        if query.form in ("SELECT", "ASK"):
            return parse_results_json(data, query.form)
        return _parse_graph(data, _media_type(resp), where)
    finally:
        if own:
            client.close()


def _send(
    client: Client, endpoint: str, params: list[tuple[str, str]], accept: str
) -> requests.Response:
    """GET for a short query, a form POST for a long one."""
    encoded = urlencode(params)
    if len(encoded) <= GET_QUERY_MAX:
        return client.request(
            "GET", endpoint, params=params, headers={"Accept": accept}, idempotent=True,
            what="query",
        )  # fmt: skip
    return client.request(
        "POST",
        endpoint,
        data=encoded.encode("ascii"),
        headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"},
        idempotent=True,  # a query is safe whatever the verb (SPARQL 1.1 Protocol 2.1)
        what="query",
    )


def _read_answer(resp: requests.Response, where: str) -> bytes:
    """The answer's body, refused when the store says it cut the result short
    or sent an HTML page."""
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
    return data


def _parse_graph(data: bytes, media: str, where: str) -> QueryResult:
    fmt = format_for_media(media, "rdf")
    if fmt is None:
        raise RemoteError(f"{where} answered a graph query with unexpected type {media!r}")
    g = Graph()
    bind_prefixes(g)
    try:
        # As kg reads an RDF file: Oxigraph's parser, linear in a literal's
        # length, where rdflib's N-Triples reader is quadratic; no entities.
        ds = parse_rdf_bytes(data, fmt.name, Path("answer"))
    except BadInput as exc:
        why = str(exc).removeprefix("answer: ")
        raise RemoteError(f"the graph from {where} is truncated or malformed: {why}") from None
    for s, p, o, _ in ds.quads((None, None, None, None)):
        g.add((s, p, o))
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
