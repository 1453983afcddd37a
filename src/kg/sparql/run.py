"""Running SPARQL on a local graph: rdflib (the reference engine) or Oxigraph.

Safe by default: the guard refuses SERVICE, FROM and updates before
execution, and the query runs offline in a worker that is stopped at the time
limit, with its rows capped (:mod:`kg.sandbox`).
"""

from __future__ import annotations

from typing import Any

from rdflib import Graph, Literal, URIRef

from kg.errors import BadInput
from kg.sandbox.worker import capped, run_limited
from kg.sparql.door import NATIVE, REFERENCE, Prepared, prepare, sparql_error
from kg.sparql.results import QueryResult
from kg.terms.convert import rdf11_term
from kg.terms.namespaces import PREFIXES, bind_prefixes


def run_query(graph: Any, text: str, bindings: dict[str, Any] | None = None) -> QueryResult:
    """Run SPARQL over ``graph`` with the given parameter bindings.

    ``graph`` is an rdflib Graph (the reference engine, rdflib's SPARQL) or a
    :class:`kg.store.native.NativeGraph` (Oxigraph); either runs the text the
    front door prepared (:func:`kg.sparql.door.prepare`), parameters bound in it.

    >>> from kg.builder.graph import build_graph
    >>> r = run_query(build_graph(), "ASK { ?s a <https://w3id.org/kg-nj/ontology#Person> }")
    >>> r.boolean
    True

    Safe by default (:mod:`kg.sandbox.worker`): SERVICE, FROM and updates are refused
    before execution, and the query runs offline in a worker that is stopped
    at the time limit, with its rows capped (:func:`kg.sandbox.limits.limits` changes both).
    """
    # Prepared in the worker too: Oxigraph's parser runs there, where a text
    # that overflows its stack or makes it evaluate takes down the worker,
    # within the time and memory limits, never kg.
    return run_limited(_prepare_and_run, graph, text, bindings)  # type: ignore[no-any-return]


def _prepare_and_run(graph: Any, text: str, bindings: dict[str, Any] | None) -> QueryResult:
    return run_prepared(
        graph, prepare(text, bindings, REFERENCE if isinstance(graph, Graph) else NATIVE)
    )


def run_prepared(graph: Any, query: Prepared) -> QueryResult:
    """Run a text :func:`kg.sparql.door.prepare` made for ``graph``'s engine, here
    (in the caller's worker)."""
    if not isinstance(graph, Graph):  # a kg.store.native.NativeGraph: Oxigraph
        return _run_native(graph, query)
    try:
        result = graph.query(query.text, initNs=PREFIXES)
    except Exception as exc:  # pyparsing / rdflib raise many types for bad SPARQL
        _no_named_graphs(exc)
        raise sparql_error(exc) from None
    try:
        return _collect(result, query.form)
    except Exception as exc:  # rdflib evaluates a SELECT lazily: some errors come only now
        _no_named_graphs(exc)
        raise


def _no_named_graphs(exc: Exception) -> None:
    # rdflib refuses GRAPH on a plain Graph with a bare Exception, when it
    # parses some query forms and when it evaluates others.
    if "requiring a dataset" in str(exc):
        raise BadInput(
            "GRAPH needs named graphs, and the reference engine (rdflib) queries one "
            "merged graph; use --engine native (the inferred triples are a named graph there)"
        ) from None


def _collect(result: Any, form: str) -> QueryResult:
    if form == "ASK":
        return QueryResult(form, boolean=bool(result.askAnswer))
    if form in ("CONSTRUCT", "DESCRIBE"):
        g = Graph()
        bind_prefixes(g)
        for t in result.graph or []:
            # SPARQL 1.1 (16.2): a template instance with a literal subject or a
            # non-IRI predicate is left out; rdflib keeps it, Oxigraph and the stores do not.
            if isinstance(t[0], Literal) or not isinstance(t[1], URIRef):
                continue
            g.add((t[0], t[1], rdf11_term(t[2])))
        return QueryResult(form, graph=g)
    names = [str(v) for v in result.vars or []]
    rows = [
        tuple(rdf11_term(row[i]) for i in range(len(names)))  # type: ignore[index]
        for row in capped(result)
    ]
    return QueryResult(form, vars=names, rows=rows)


def _run_native(native: Any, query: Prepared) -> QueryResult:
    try:
        result = native.select(query.text)
    except SyntaxError as exc:
        raise sparql_error(exc, query.text) from None
    conv, form = native.conv, query.form
    if form == "ASK":
        return QueryResult(form, boolean=bool(result))
    if form in ("CONSTRUCT", "DESCRIBE"):
        g = Graph()
        bind_prefixes(g)
        for t in result:
            g.add((conv.from_ox(t.subject), conv.from_ox(t.predicate), conv.from_ox(t.object)))
        return QueryResult(form, graph=g)
    names = [v.value for v in result.variables]
    from_ox = conv.from_ox
    rows = [tuple(from_ox(sol[i]) for i in range(len(names))) for sol in capped(result)]
    return QueryResult(form, vars=names, rows=rows)
