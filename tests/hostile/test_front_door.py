"""Every way a SPARQL text gets into kg goes through one front door
(kg.sparql.door): the same guard refuses SERVICE, an update and FROM on each,
with the same message, and nothing reaches the server named in the query.

The ways in, and what each calls:

* ``kg query`` on the native engine, on the reference engine: the CLI's early
  check_sparql, then kg.sparql.run.run_query -> kg.sparql.door.prepare;
* ``kg query --endpoint``: the CLI's early check_sparql, then
  kg.remote.protocol.remote_query -> prepare(…, REMOTE);
* the library: kg.run_query (both engines) and remote_query (push counts
  triples with it);
* ``kg report``'s query pages: kg.views.report.queries.build_query_pages ->
  run_query;
* the shapes' SPARQL constraints (native SHACL engine): check_sparql;
* ``kg serve``'s HTTP endpoint: kg.serve.front -> check_sparql (worded
  without kg query's options), before any engine sees the query.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SH
from servers import reply

from kg.errors import BadInput
from kg.sparql.canned import CannedQuery

pytest_plugins = ["servers"]

ANSWER = b'{"head": {"vars": ["x"]}, "results": {"bindings": []}}'

# The three refusals, each naming the server the fault fixture runs, so that a
# text that got past the door would show as a request there.
HOSTILE = {
    "service": (
        "SELECT * { SERVICE <{base}/sparql> { ?s ?p ?o } }",
        "SERVICE <{base}/sparql> is refused: kg queries only its own graph (see --allow-service)",
    ),
    "update": (
        "LOAD <{base}/data.ttl>",
        "SPARQL update (LOAD) is refused: kg query only reads the graph",
    ),
    "from": (
        "SELECT * FROM <{base}/g> WHERE { ?s ?p ?o }",
        "FROM <{base}/g> is refused: kg queries only the graph it was given "
        "(use --graph FILE to query a file)",
    ),
}


def _cli(*options: str) -> Callable[..., str]:
    def way(text: str, endpoint: str, invoke: Callable[..., object]) -> str:
        args = [a.replace("{endpoint}", endpoint) for a in options]
        r = invoke("query", "-e", text, *args)
        assert r.exit_code == 2, r.output  # type: ignore[attr-defined]
        output: str = r.output  # type: ignore[attr-defined]
        assert output.startswith("Error: ") and output.endswith("\n")
        return output[len("Error: ") : -1]

    return way


def _refused(call: Callable[[], object]) -> str:
    with pytest.raises(BadInput) as exc:
        call()
    return str(exc.value)


def _library(engine: str) -> Callable[..., str]:
    def way(text: str, endpoint: str, invoke: Callable[..., object]) -> str:
        from kg.sparql.run import run_query
        from kg.store.native import memory_graph

        graph = memory_graph([]) if engine == "native" else Graph()
        return _refused(lambda: run_query(graph, text))

    return way


def _remote_query(text: str, endpoint: str, invoke: Callable[..., object]) -> str:
    from kg.remote.protocol import remote_query

    return _refused(lambda: remote_query(endpoint, text))


def _report_pages(text: str, endpoint: str, invoke: Callable[..., object]) -> str:
    from kg.views.graphview import GraphView
    from kg.views.report.queries import build_query_pages

    query = CannedQuery("hostile", "Hostile", "A hostile query", text, Path("hostile.rq"))
    return _refused(lambda: build_query_pages(GraphView(Graph()), Graph(), {"hostile": query}))


def _shapes(text: str, endpoint: str, invoke: Callable[..., object]) -> str:
    """A shapes graph (from a library's caller) with the text as a SPARQL constraint."""
    from kg.validate.engines import validate_graph

    if "SELECT" not in text:
        text = f"SELECT $this ?value WHERE {{ $this ?p ?value }} ; {text}"
    shapes, shape, check = Graph(), URIRef("http://x.test/S"), URIRef("http://x.test/c")
    shapes.add((shape, RDF.type, SH.NodeShape))
    shapes.add((shape, SH.targetSubjectsOf, URIRef("http://x.test/p")))
    shapes.add((shape, SH.sparql, check))
    shapes.add((check, SH.select, Literal(text.replace("SELECT *", "SELECT $this ?value"))))
    data = [(URIRef("http://x.test/a"), URIRef("http://x.test/p"), Literal(1))]
    return _refused(lambda: validate_graph(data, shapes=shapes, engine="native"))


WAYS_IN: dict[str, Callable[..., str]] = {
    "kg query, native engine": _cli("--engine", "native"),
    "kg query, reference engine": _cli("--engine", "reference"),
    "kg query --endpoint": _cli("--endpoint", "{endpoint}"),
    "kg.run_query, native engine": _library("native"),
    "kg.run_query, reference engine": _library("reference"),
    "remote_query": _remote_query,
    "kg report's query pages": _report_pages,
    "the shapes' SPARQL constraints": _shapes,
}


@pytest.fixture(scope="module")
def served():
    """A running kg serve on 127.0.0.1 (its front door: kg.serve.front)."""
    from kg.serve.endpoint import serve

    with serve(records=Path(__file__).parent.parent / "fixtures" / "mini", port=0) as endpoint:
        yield endpoint


def _endpoint_wording(message: str) -> str:
    """The guard words a refusal for an endpoint without kg query's options."""
    for hint in (" (see --allow-service)", " (use --graph FILE to query a file)"):
        message = message.replace(hint, "")
    return message.replace("kg query only reads", "this endpoint only reads")


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_kg_serve_refuses_with_the_same_guard(case, fault, served):
    import requests

    store = fault(reply(200, ANSWER, "application/sparql-results+json"))
    text, message = (s.replace("{base}", store.base) for s in HOSTILE[case])
    r = requests.get(served.query_url, params={"query": text}, timeout=30)
    assert (r.status_code, r.text) == (400, _endpoint_wording(message))
    assert store.requests == []


@pytest.mark.parametrize("case", sorted(HOSTILE))
@pytest.mark.parametrize("way", sorted(WAYS_IN))
def test_every_way_in_refuses_with_the_same_message(way, case, fault, invoke):
    store = fault(reply(200, ANSWER, "application/sparql-results+json"))
    text, message = (s.replace("{base}", store.base) for s in HOSTILE[case])
    assert WAYS_IN[way](text, store.base + "/query", invoke) == message
    assert store.requests == []


def test_the_guard_runs_once_per_query_in_the_door(monkeypatch, fault):
    """One door, one guard: run_query and remote_query reach check_sparql through
    kg.sparql.door.prepare, once each, with the text as written."""
    import kg.sparql.door
    from kg.remote.protocol import remote_query
    from kg.sandbox.limits import limits
    from kg.sparql.run import run_query

    seen: list[str] = []
    check = kg.sparql.door.check_sparql
    monkeypatch.setattr(kg.sparql.door, "check_sparql", lambda t: seen.append(t) or check(t))
    store = fault(reply(200, ANSWER, "application/sparql-results+json"))
    with limits(timeout=0):  # the door's worker in this process, where `seen` is
        run_query(Graph(), "ASK { ?s ?p ?o }")
        remote_query(store.base + "/query", "SELECT ?x { ?x ?p ?o }")
    assert seen == ["ASK { ?s ?p ?o }", "SELECT ?x { ?x ?p ?o }"]


# --- the door's parts -------------------------------------------------------------------


def test_a_syntax_error_is_oxigraphs_whatever_the_engine(invoke, mini):
    """Oxigraph's parser reads every text at the door: one message, at the
    query's own line and column (rdflib said `Expected SelectQuery, found …`)."""
    text = "SELECT ?x WHERE { ?x ?p ?o FILTER(?o = 1 }"
    outputs = {
        invoke("query", "--engine", engine, "--records", str(mini), "-e", text).output
        for engine in ("native", "reference")
    }
    assert len(outputs) == 1
    assert outputs.pop().startswith("Error: SPARQL error at 1:43: expected one of")


def test_the_lexer_reads_sparqls_terminals_with_their_places():
    from kg.sparql.lexer import readings, tokens

    text = 'SELECT ?x { ?x a kg:P. ?x ?p 4e1 , 1.5 , "a\\"b"@en-gb , <http://x.test/\\u0062> }'
    toks = tokens(text)
    assert [(t.kind, t.text) for t in toks[5:16]] == [
        ("pname", "kg:P"), ("other", "."), ("var", "?x"), ("var", "?p"), ("number", "4e1"),
        ("other", ","), ("number", "1.5"), ("other", ","), ("string", '"a\\"b"'),
        ("lang", "@en-gb"), ("other", ","),
    ]  # fmt: skip
    assert all(text[t.start : t.end] == t.text for t in toks)
    assert toks[16].kind == "iri"
    assert [t.text for t in tokens("{ ?s ?p 1. ?s ?q 2 }")][3:5] == ["1", "."]
    # Decoded first (rdflib), `\u0022` ends the string; inside it (Oxigraph), it does not.
    escaped = 'ASK { BIND("a\\u0022" AS ?x) SERVICE <http://x.test/> {} } #"'
    raw, decoded = readings(escaped)  # SPARQL 1.1 and rdflib decode this one alike
    assert "SERVICE" not in [t.text for t in decoded]
    assert "SERVICE" in [t.text for t in raw]
    # rdflib reads `\u` and eight hex digits where SPARQL 1.1 reads four: three readings.
    texts = [[t.text for t in r] for r in readings('ASK { BIND("a\\u00000022" AS ?x) }')]
    assert [t[4] for t in texts] == ['"a\\u00000022"', '"a\x000022"', '"a"']


def test_a_bind_values_header_is_for_oxigraph():
    """Oxigraph (here or on a server) gets a VALUES block in each group, the
    planner hint the header asks for (a MINUS's under a name of its own);
    rdflib gets the term written in place: same rows, its planner has no use
    for the block and loses an OPTIONAL sub-query's rows around one."""
    from kg.sparql.door import NATIVE, REFERENCE, REMOTE, prepare

    text = "#+ bind: values\nSELECT ?x { ?x ?p ?d OPTIONAL { ?x ?q ?o } MINUS { ?x a ?c } }"
    bound = {"d": Literal("fr")}
    assert prepare(text, bound, NATIVE).text == (
        '#+ bind: values\nSELECT ?x { VALUES ?d { "fr" }  ?x ?p ?d OPTIONAL { VALUES ?d { "fr" }'
        '  ?x ?q ?o } MINUS { VALUES ?kg_minus2_d { "fr" }  ?x a ?c } }'
    )
    assert prepare(text, bound, REMOTE).text == prepare(text, bound, NATIVE).text
    assert prepare(text, bound, REFERENCE).text == (
        '#+ bind: values\nSELECT ?x { ?x ?p "fr" OPTIONAL { ?x ?q ?o } MINUS { ?x a ?c } }'
    )
