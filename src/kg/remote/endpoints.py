"""A store's endpoints: the query, update and Graph Store URLs."""

from __future__ import annotations

from urllib.parse import quote, urlsplit, urlunsplit

from kg.errors import UsageError
from kg.remote.http import redact
from kg.terms.checks import iri_problem

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


def graph_iri(value: str, what: str) -> str:
    """``value``, a graph's IRI given as ``what``, by kg's one rule for IRIs
    (:func:`kg.terms.checks.iri_problem`); :class:`kg.errors.UsageError` if not."""
    problem = iri_problem(value)
    if problem is not None:
        raise UsageError(f"{what} must be an absolute IRI, got {value!r} ({problem})")
    return value
