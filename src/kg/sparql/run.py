"""Running SPARQL on a local graph: rdflib (the reference engine) or Oxigraph.

Safe by default: the guard refuses SERVICE, FROM and updates before
execution, and the query runs offline in a worker that is stopped at the time
limit, with its rows capped (:mod:`kg.sandbox`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rdflib import Graph, Literal, URIRef, Variable

from kg.errors import BadInput
from kg.sandbox.worker import capped, run_limited
from kg.sparql.bind import _BIND_VALUES, _bind_by_values, _substitute
from kg.sparql.guard import check_sparql
from kg.sparql.results import QueryResult
from kg.sparql.rewrite import query_form, star_in_full
from kg.terms.convert import rdf11_term
from kg.terms.namespaces import PREFIXES, bind_prefixes


def run_query(graph: Any, text: str, bindings: dict[str, Any] | None = None) -> QueryResult:
    """Run SPARQL over ``graph`` with the given parameter bindings.

    ``graph`` is an rdflib Graph (the reference engine, rdflib's SPARQL) or a
    :class:`kg.store.native.NativeGraph` (Oxigraph); parameters are bound by the
    engine either way (``initBindings`` / Oxigraph's substitutions).

    >>> from kg.builder.graph import build_graph
    >>> r = run_query(build_graph(), "ASK { ?s a <https://w3id.org/kg-nj/ontology#Person> }")
    >>> r.boolean
    True

    Safe by default (:mod:`kg.sandbox.worker`): SERVICE, FROM and updates are refused
    before execution, and the query runs offline in a worker that is stopped
    at the time limit, with its rows capped (:func:`kg.sandbox.limits.limits` changes both).
    """
    check_sparql(text)
    return run_limited(_execute, graph, text, bindings)  # type: ignore[no-any-return]


def _execute(graph: Graph, text: str, bindings: dict[str, Any] | None = None) -> QueryResult:
    """Run the query in this process, without limits (:func:`run_query` adds them)."""
    form = query_form(text)
    if not isinstance(graph, Graph):  # a kg.store.native.NativeGraph: Oxigraph
        return _run_native(graph, form, star_in_full(text, bindings), bindings)
    init: Any = {Variable(k): v for k, v in (bindings or {}).items()}
    try:
        result = graph.query(star_in_full(text, bindings), initBindings=init, initNs=PREFIXES)
    except Exception as exc:  # pyparsing / rdflib raise many types for bad SPARQL
        _no_named_graphs(exc)
        raise _sparql_error(exc) from None
    try:
        return _collect(result, form)
    except Exception as exc:  # rdflib evaluates a SELECT lazily: some errors come only now
        _no_named_graphs(exc)
        raise


def _sparql_error(exc: Exception) -> BadInput:
    """The engine's own message, its first line, bounded."""
    return BadInput(f"SPARQL error: {str(exc).splitlines()[0][:300]}")


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


def _run_native(native: Any, form: str, text: str, bindings: dict[str, Any] | None) -> QueryResult:
    as_given = None  # the query before terms were written into it, if they were
    terms: dict[str, str] = {}
    if bindings:
        # Bind as rdflib's initBindings does (the variables hold their values
        # everywhere in the query), each value written by Oxigraph as an RDF
        # term — never text a user typed. The term is written in the variable's
        # place: Oxigraph then plans with a constant (a VALUES block joined
        # afterwards made it walk paths such as `kg:subEventOf*` from every
        # node, 400 times slower at 1M triples). Where a term may not stand, a
        # one-row VALUES block opening each group pattern binds the variable.
        #
        # A query whose header says `#+ bind: values` gets the VALUES block
        # for every parameter instead: for some label-heavy queries with large
        # results Oxigraph 0.5 then hash-joins the OPTIONAL look-ups (measured
        # at 1M triples: timeline 1.1 s against 2.1 s, events-by-theme 1.2 s
        # against 1.7 s); each query's header says why it chose.
        terms = {k: str(native.conv.to_ox(v)) for k, v in bindings.items()}
        if _BIND_VALUES.search(text):
            text = _bind_by_values(text, form, terms, set(terms))
        else:
            written, left = _substitute(text, terms)
            if written != text:
                as_given = text
            text = _bind_by_values(written, form, terms, left)
    try:
        result = native.select(text)
    except SyntaxError as exc:
        error = _sparql_error(exc)
        if as_given is None:
            raise error from None
        # A literal written where SPARQL takes none (`?s "fr" ?o`, `GRAPH "fr"`)
        # is a syntax error, where rdflib's initBindings just finds no match.
        # Rather than follow the grammar to know where a literal may go, run
        # the query again with every parameter bound by VALUES, valid wherever
        # the variable stands. If that fails too, the query itself is wrong:
        # the error reported is Oxigraph's for the text as the user wrote it
        # (checked on an empty store), whose lines and columns are the user's;
        # the retry's text has VALUES blocks spliced in, and the first one has
        # a term written in, where the error may seem to be.
        try:
            result = native.select(_bind_by_values(as_given, form, terms, set(terms)))
        except (SyntaxError, BadInput):
            try:
                replace(native, store=native.conv.ox.Store()).select(as_given)
            except SyntaxError as own:
                raise _sparql_error(own) from None
            raise error from None
    conv = native.conv
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
