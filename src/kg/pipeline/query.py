"""One call for a canned query, as ``kg query NAME -p ...`` runs it: the query's
defaults and the given parameters bound, on the bundled records' graph (or
another), offline and within the limits.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from kg.builder.ontology import load_ontology
from kg.errors import UsageError, did_you_mean
from kg.pipeline.open import open_graph, open_native
from kg.reason.engines import infer
from kg.sparql.canned import bind_params, get_query
from kg.sparql.results import QueryResult
from kg.sparql.run import run_query
from kg.store.native import NativeGraph
from kg.terms.iris import record_id
from kg.terms.namespaces import compact


def query(
    name: str,
    params: Mapping[str, Any] | None = None,
    *,
    graph: Any = None,
    records: str | os.PathLike[str] | None = None,
    reason: bool = False,
    engine: str = "native",
    **more: Any,
) -> QueryResult:
    """Run the canned query ``name`` with its defaults and the given parameters.

    Parameters come as keywords (``lang="fr"``) or in ``params`` (for names
    Python reserves: ``{"from": "2013"}``); a value is what ``-p`` takes
    (a record id, a prefixed name, an IRI, "2013-06-25", "fr"), or a
    :class:`datetime.date` or a number. ``graph`` is an RDF file (as
    ``--graph``; a ``kg.ttl`` opens its built store), an rdflib Graph (queried
    with the ontology merged in, as ``kg query`` does), or None: the records
    (``records``, the bundled ones by default).

    >>> r = query("roles-at-date", date="2013-06-25")
    >>> r.vars[:2], len(r.rows)
    (['person', 'personLabel'], 6)
    """
    canned = get_query(name)
    given = {**(params or {}), **more}
    bindings = bind_params(canned, {k: _text(k, v) for k, v in given.items()})
    return run_query(_graph(graph, records, reason, engine), canned.text, bindings)


def absent_terms(graph: Any, bindings: Mapping[str, Any]) -> list[str]:
    """A line for each IRI in ``bindings`` that ``graph`` (an rdflib Graph or a
    :class:`kg.store.native.NativeGraph`) has in no triple, with the nearest
    record ids: a mistyped id gives no rows, which reads like an answer.

    >>> from kg.builder.graph import build_graph
    >>> from kg.terms.namespaces import ID
    >>> absent_terms(build_graph(), {"about": ID["shinzo-abbe"]})
    ["parameter 'about': nothing in the graph is called 'shinzo-abbe' (did you mean 'shinzo-abe'?)"]
    """
    out = []
    for name, term in sorted(bindings.items()):
        if not isinstance(term, URIRef) or _mentions(graph, term):
            continue
        word = record_id(term) or compact(term)
        out.append(
            f"parameter {name!r}: nothing in the graph is called {word!r}"
            + near_record_ids(graph, word)
        )
    return out


def near_record_ids(graph: Any, word: str) -> str:
    """The :func:`kg.errors.did_you_mean` hint for ``word`` among the ids of the
    records in ``graph`` (an rdflib Graph or a NativeGraph): the typed nodes
    minted from a record."""
    if isinstance(graph, NativeGraph):
        sols = graph.select("SELECT DISTINCT ?s WHERE { ?s a ?t FILTER(isIRI(?s)) }")
        nodes: Any = (URIRef(sol["s"].value) for sol in sols)
    else:
        nodes = graph.subjects(RDF.type, None, unique=True)
    return did_you_mean(word, {rid for n in nodes if (rid := record_id(n))})


def _mentions(graph: Any, term: URIRef) -> bool:
    if isinstance(graph, NativeGraph):
        iri = term.n3()
        return bool(graph.select(f"ASK {{ {{ {iri} ?p ?o }} UNION {{ ?s ?p {iri} }} }}"))
    return (term, None, None) in graph or (None, None, term) in graph


def _text(name: str, value: Any) -> str:
    """A parameter's value as ``-p`` would take it."""
    if isinstance(value, datetime.datetime):
        raise UsageError(f"parameter {name!r}: give a date, not a date and time")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool) or not isinstance(value, str | int):  # IRIs are str too
        raise UsageError(f"parameter {name!r}: {value!r} is not text, a date or a number")
    return str(value)


def _graph(graph: Any, records: Any, reason: bool, engine: str) -> Any:
    """The graph to run on, as ``kg query`` opens it."""
    if isinstance(graph, NativeGraph):  # opened already (kg.pipeline.open.open_native)
        if records is not None or reason:
            raise UsageError("an opened store is queried as it is: drop records= and reason=")
        return graph
    if isinstance(graph, Graph):
        if records is not None:
            raise UsageError("give either graph= or records=, not both")
        g = Graph()
        g += graph
        if reason:
            for t in infer(graph, engine=engine):
                g.add(t)
        g += load_ontology()
        return g
    path = None if graph is None else Path(graph)
    folder = None if records is None else Path(records)
    if engine == "native":
        return open_native(path, folder, reason=reason)
    return open_graph(path, folder, reason=reason, engine=engine)
