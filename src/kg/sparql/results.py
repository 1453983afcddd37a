"""The outcome of a query, local or remote: variables and rows, a boolean, or a
graph; and SPARQL 1.1 JSON results read into one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from kg.errors import RemoteError, UsageError
from kg.rdfio.read import quiet_literals


@dataclass
class QueryResult:
    """The outcome of a query: variables and rows, a boolean, or a graph."""

    form: str
    vars: list[str] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    boolean: bool | None = None
    graph: Graph | None = None
    total: int | None = None  # rows in all, when ``rows`` is the first page only

    def first(self, limit: int) -> QueryResult:
        """This result with at most ``limit`` rows (0: all), ``total`` saying how many
        there are in all.

        >>> QueryResult("SELECT", ["x"], [(1,), (2,), (3,)]).first(2).total
        3
        """
        if not limit or self.total is not None or len(self.rows) <= limit:
            return self
        return replace(self, rows=self.rows[:limit], total=len(self.rows))

    def to_dataframe(self) -> Any:
        """The rows as a pandas DataFrame (``pip install kg[notebook]``), a typed
        column per variable (:mod:`kg.sparql.frames`): dates as ``datetime64``,
        numbers as numbers, unbound cells as NA. A graph (CONSTRUCT, DESCRIBE)
        gives its triples, sorted, in columns subject, predicate and object.

        >>> QueryResult("SELECT", ["n"], [(Literal(3),), (None,)]).to_dataframe().dtypes["n"]
        Int64Dtype()
        """
        from kg.sparql.frames import dataframe

        if self.form == "ASK":
            raise UsageError("an ASK query's answer is a boolean (.boolean), not a table")
        return dataframe(*self._table())

    def _repr_html_(self) -> str:
        """Jupyter's display: an HTML table (a graph as its triples, ASK as its answer)."""
        from kg.sparql.frames import html_table

        if self.form == "ASK":
            return f"<p>{'true' if self.boolean else 'false'}</p>"
        return html_table(*self._table())

    def _table(self) -> tuple[list[str], list[tuple[Any, ...]]]:
        if self.graph is None:
            return self.vars, self.rows
        return ["subject", "predicate", "object"], sorted(self.graph, key=_triple_key)


def _triple_key(t: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple(f"{type(x).__name__}:{x.n3()}" for x in t)


# --- results -----------------------------------------------------------------------


def _term(cell: Any) -> URIRef | Literal | BNode:
    if not isinstance(cell, Mapping):
        raise RemoteError("malformed SPARQL JSON results: a binding is not an object")
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
            try:
                return Literal(value, lang=lang)
            except ValueError:  # rdflib refuses it: the store's answer is malformed
                raise RemoteError(
                    f"malformed SPARQL JSON results: {lang!r} is not a language tag"
                ) from None
        datatype = cell.get("datatype")
        if datatype and datatype not in (str(XSD.string), str(RDF.langString)):
            with quiet_literals():  # an ill-typed value is the caller's to judge, once
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
    names, bindings = head.get("vars", []), results.get("bindings", [])
    if not isinstance(names, list) or not isinstance(bindings, list):
        raise RemoteError("malformed SPARQL JSON results: 'vars' and 'bindings' must be lists")
    names = [str(v) for v in names]
    rows = []
    for binding in bindings:
        if not isinstance(binding, dict):
            raise RemoteError("malformed SPARQL JSON results: a row is not an object")
        rows.append(tuple(_term(binding[n]) if n in binding else None for n in names))
    return QueryResult("SELECT", vars=names, rows=rows)
