"""Fuzzing SPARQL texts and canned-query parameters through every front door:
``kg query -e``, ``kg query NAME -p``, :func:`kg.run_query` on both engines,
and :func:`kg.remote.protocol.remote_query` against a fake store; and the
fake store's answers, as a hostile or broken store would send them.

Whatever the text, kg ends with a result or one of its own errors (exit 0
or 2, 3 for a store, with an ``Error:`` message), opens no file beside its
inputs, connects nowhere (but to the store asked), and sends a store only
what its guard lets through. ``kg query`` runs a query in a worker process,
which reports an exception kg did not expect as ``query failed: TypeError: …``:
that counts as a traceback here. The library's door runs in this process
(``timeout=0``), so that the audit sees every file the engines open.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import urllib.parse
from pathlib import Path

import pyoxigraph
import pytest
from hypothesis import given
from hypothesis import strategies as st
from rdflib import Graph, Literal, URIRef
from servers import FaultServer, reply

import kg
from kg.errors import KgError
from kg.remote.protocol import remote_query
from kg.sandbox.limits import limits
from kg.sparql.canned import catalog
from kg.sparql.guard import check_sparql
from kg.store.native import NativeGraph
from tests.hostile.fuzzing import AUDIT, assert_front_door, fuzz, invoke

pytest_plugins = ["servers"]

MINI = Path(__file__).parent.parent / "fixtures" / "mini"
X = "http://x.test/"
TRIPLES = [
    (URIRef(X + "a"), URIRef(X + "p"), Literal("aaa")),
    (URIRef(X + "a"), URIRef(X + "q"), Literal("日本\x1b", lang="ja")),
    (URIRef(X + "b"), URIRef(X + "p"), Literal(7)),
    (URIRef(X + "b"), URIRef(X + "r"), URIRef(X + "a")),
]
NT = "".join(f"{s.n3()} {p.n3()} {o.n3()} .\n" for s, p, o in TRIPLES)

# The parts of SPARQL texts: keywords (those kg refuses too), variables,
# terms of every kind (IRIs aimed at the network and at the secret file),
# strings with escapes, regular expressions, brackets, comments.
PARTS = [
    "SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "*", "DISTINCT", "REDUCED", "FILTER",
    "BIND", "AS", "VALUES", "OPTIONAL", "UNION", "MINUS", "GRAPH", "EXISTS", "NOT", "IN",
    "SERVICE", "SILENT", "FROM", "NAMED", "LOAD", "INSERT", "DELETE", "DATA", "CLEAR", "DROP",
    "WITH", "USING", "PREFIX", "BASE", "GROUP BY", "ORDER BY", "HAVING", "LIMIT", "OFFSET",
    "COUNT(*)", "SAMPLE", "GROUP_CONCAT", "REGEX", "REPLACE", "STR", "LANG", "IRI", "BNODE",
    "COALESCE", "IF", "CONCAT", "SUBSTR", "STRLEN", "NOW()", "RAND()", "a", "true", "false",
    "?s", "?p", "?o", "$x", "?regex", "kg:Person", "id:alice", "rdfs:label", ":", "_:b",
    f"<{X}a>", "<http://127.0.0.1:9/sparql>", "<file://{dir}/SECRET.txt>", "<SECRET.txt>",
    "<{dir}/g.nt>", "<http://[::1>", "<?s)SERVICE<x>", '"aaa"', "'('", '"(a{1000}){1000}"',
    '"^(a+)+$"', '"\\u0053ERVICE"', "\\u0053ERVICE", '"""x"""', '"x"@en', '"1"^^xsd:integer',
    "1", "1.5", "-1e3", "{", "}", "(", ")", "[", "]", ".", ";", ",", "=", "!=", "<", ">",
    "&&", "||", "!", "+", "-", "/", "^", "|", "#", "# c\n", "\n", "\x00", "\ud800", "\u202e",
]  # fmt: skip
TEXTS = st.lists(st.sampled_from(PARTS) | st.text(max_size=6), min_size=1, max_size=30).map(
    " ".join
)
# Clauses of a WHERE group, most of them valid: hostile ones (SERVICE, a
# remote or local IRI, odd regular expressions, literals, escapes) among them.
CLAUSES = [
    "?s ?p ?o .", "?s <http://x.test/p> ?o .", "OPTIONAL { ?s <http://x.test/q> ?x }",
    "{ ?s ?p ?o } UNION { ?o ?p ?s }", "MINUS { ?s <http://x.test/r> ?o }",
    "FILTER(isLiteral(?o))", "FILTER(LANG(?o) = \"ja\")", "FILTER(REGEX(STR(?o), \"a+\", \"i\"))",
    "FILTER(REGEX(?o, \"(\"))", "FILTER(!REGEX(?o, \"(a{1000}){1000}\"))",
    "BIND(REPLACE(STR(?o), \"a\", \"$1\") AS ?r)", "BIND(STR(?o) AS ?t)",
    "BIND(STRLEN(?o) AS ?n)", "BIND(IRI(?o) AS ?i)", "BIND(BNODE() AS ?b)",
    "BIND(?o + 1 AS ?n)", "BIND(1/0 AS ?z)", "BIND(xsd:date(?o) AS ?d)",
    "VALUES ?o { \"aaa\" 7 <http://x.test/a> UNDEF }", "VALUES (?s ?o) { (UNDEF \"\u001b\") }",
    "FILTER EXISTS { ?s ?p ?o }", "FILTER NOT EXISTS { ?o ?p ?s }", "GRAPH ?g { ?s ?p ?o }",
    "SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o }",
    "SERVICE SILENT <file://{dir}/SECRET.txt> { }",
    "?s ?p <file://{dir}/SECRET.txt> .", "?s (<http://x.test/p>|<http://x.test/r>)* ?o .",
    "?s <http://x.test/r>+ ?o .", "?s ^<http://x.test/r> ?o .", "{ SELECT ?s WHERE { ?s ?p ?o } }",
    "FILTER(?o IN (1, \"aaa\", <http://x.test/a>))", "BIND(NOW() AS ?now)", "BIND(UUID() AS ?u)",
    "BIND(SHA256(STR(?o)) AS ?h)", "BIND(SUBSTR(STR(?o), 2, 1) AS ?c)",
    "BIND(\"\\u0053ERVICE\" AS ?w)",
]  # fmt: skip


def mostly(usual: st.SearchStrategy[str], odd: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """``usual`` three times in four, else ``odd``."""
    return st.integers(0, 3).flatmap(lambda n: odd if n == 3 else usual)


GROUP = st.lists(
    mostly(st.sampled_from(CLAUSES), st.sampled_from(PARTS)), min_size=1, max_size=5
).map(" ".join)
SHAPED = st.builds(
    "{} WHERE {{ {} }} {}".format,
    st.sampled_from(["SELECT *", "SELECT ?s", "SELECT ?o ?s", "SELECT (STR(?o) AS ?t)",
                     "SELECT DISTINCT ?p", "SELECT (COUNT(*) AS ?n)", "ASK", "CONSTRUCT",
                     "CONSTRUCT { ?s ?p ?o }", "DESCRIBE ?s", "SELECT (SAMPLE(?o) AS ?x) ?s"]),
    GROUP,
    st.sampled_from(["", "LIMIT 3", "ORDER BY ?o", "GROUP BY ?s", "OFFSET 1", "ORDER BY DESC(?s)"]),
)  # fmt: skip
QUERIES = mostly(SHAPED, TEXTS)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz-sparql")
    (root / "g.nt").write_text(NT, encoding="utf-8")
    shutil.copytree(MINI, root / "records")
    (root / "SECRET.txt").write_text("the secret\n", encoding="utf-8")
    return root


def in_folder(text: str, folder: Path) -> str:
    return text.replace("{dir}", folder.as_posix())


@fuzz(60)
@given(text=QUERIES)
def test_kg_query_execute(folder, text):
    graph = folder / "g.nt"
    with AUDIT.recording() as audit:
        result = invoke(["query", "-e", in_folder(text, folder), "--graph", str(graph)])
    assert_front_door(result, (0, 2))
    assert audit.beside(folder, {graph}) == []
    assert audit.connected == []


def engines() -> dict[str, object]:
    store = pyoxigraph.Store()
    graph = Graph()
    for s, p, o in TRIPLES:
        graph.add((s, p, o))
        store.add(pyoxigraph.Quad(_ox(s), _ox(p), _ox(o)))
    return {"native": NativeGraph(store), "reference": graph}


def _ox(term: object) -> object:
    if isinstance(term, URIRef):
        return pyoxigraph.NamedNode(str(term))
    assert isinstance(term, Literal)
    if term.language or term.datatype is None:
        return pyoxigraph.Literal(str(term), language=term.language)
    return pyoxigraph.Literal(str(term), datatype=pyoxigraph.NamedNode(str(term.datatype)))


@fuzz(60)
@given(text=QUERIES)
def test_run_query_on_both_engines(folder, text):
    """The library's door: a result or a KgError, nothing else, on either engine."""
    for graph in engines().values():
        # kg's own errors are documented outcomes; any other exception fails the test.
        with AUDIT.recording() as audit, limits(timeout=0), contextlib.suppress(KgError):
            kg.run_query(graph, in_folder(text, folder))
        assert audit.beside(folder, set()) == []
        assert audit.connected == []


ANSWER = b'{"head": {"vars": ["s"]}, "results": {"bindings": []}}'


@pytest.fixture(scope="module")
def store() -> FaultServer:
    with FaultServer(reply(200, ANSWER, "application/sparql-results+json")) as server:
        yield server


@fuzz(40)
@given(text=QUERIES)
def test_remote_query_sends_only_what_the_guard_allows(folder, store, text):
    before = len(store.requests)
    with AUDIT.recording() as audit, contextlib.suppress(KgError):
        remote_query(store.base + "/query", in_folder(text, folder))
    assert audit.beside(folder, set()) == []
    assert audit.hosts() <= {("127.0.0.1", store.port), ("127.0.0.1", "lookup")}
    for _, path, _, body in store.requests[before:]:
        sent = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query or body.decode())
        check_sparql(sent["query"][0])  # what reached the store passes the guard


CANNED = catalog()
PARAM_VALUES = st.sampled_from(
    ["alice", "id:alice", "kg:Person", f"{X}a", "2020", "2020-01-01", "2024-02-30", "en", "fr",
     "x> } ; DROP ALL ; #", "http://[::1", "<http://x/>", '" } UNION { ?s ?p ?o } #', "\x1b[2J",
     "\ud800", "\udcff", "ja-Latn-JP", "en-US-US", "", " ", "*", "?s", "file:///etc/passwd"]
) | st.text(max_size=12)  # fmt: skip


@st.composite
def canned_calls(draw: st.DrawFn) -> list[str]:
    """A canned query (or a name that is none) and ``-p`` options for it."""
    name = draw(st.sampled_from(sorted(CANNED)) | st.sampled_from(["nope", "../x", "Timeline"]))
    names = [p.name for p in CANNED[name].params] if name in CANNED else []
    pairs = draw(
        st.lists(st.tuples(st.sampled_from(names or ["x"]) | st.text(max_size=4), PARAM_VALUES),
                 max_size=3)
    )  # fmt: skip
    return [name, *(a for k, v in pairs for a in ("-p", f"{k}={v}"))]


@fuzz(40)
@given(call=canned_calls())
def test_canned_query_parameters(folder, call):
    records = folder / "records"
    with AUDIT.recording() as audit:
        result = invoke(["query", *call, "--records", str(records), "--format", "tsv"])
    assert_front_door(result, (0, 2))
    assert audit.beside(folder, set((folder / "records").glob("*.yaml"))) == []
    assert audit.connected == []


# What a hostile or broken store may answer: any media type, any bytes, SPARQL
# JSON with odd shapes and values, graphs in any RDF syntax.
BINDING = st.fixed_dictionaries(
    {"type": st.sampled_from(["uri", "literal", "bnode", "typed-literal", "triple", "x"]),
     "value": st.text(max_size=8) | st.integers() | st.none()},
    optional={"xml:lang": st.text(max_size=5), "datatype": st.text(max_size=12)},
)  # fmt: skip
JSON_ANSWERS = st.builds(
    lambda head, rows, boolean: json.dumps(
        {"head": {"vars": head}, "results": {"bindings": rows}, **boolean}
    ).encode(),
    st.lists(st.text(max_size=3), max_size=3) | st.integers(),
    st.lists(st.dictionaries(st.text(max_size=3), BINDING, max_size=3), max_size=3),
    st.just({}) | st.fixed_dictionaries({"boolean": st.booleans() | st.text(max_size=3)}),
)
BODIES = JSON_ANSWERS | st.binary(max_size=64) | st.sampled_from(
    [b"", b"{", b"null", b"[]", b'{"head": {}}', b"<html><title>\x1b]0;x\x07</title></html>",
     b"<http://x/a> <http://x/p> \"\\u001b\" .\n", b"@prefix : <x> . :a :b :c ."]
)  # fmt: skip
MEDIA = st.sampled_from(
    ["application/sparql-results+json", "application/sparql-results+xml", "text/turtle",
     "application/n-triples", "application/ld+json", "text/html", "text/plain", ""]
)  # fmt: skip


@pytest.fixture(scope="module")
def hostile_store() -> dict[str, object]:
    """A store whose next answer is whatever the test puts in ``answer``."""
    answer: dict[str, object] = {}
    with FaultServer(lambda h: reply(**answer)(h)) as server:  # type: ignore[arg-type]
        yield {"server": server, "answer": answer}


@fuzz(60)
@given(
    status=st.sampled_from([200, 200, 200, 204, 301, 400, 401, 404, 500, 503]),
    body=BODIES,
    media=MEDIA,
    form=st.sampled_from(["SELECT ?s WHERE { ?s ?p ?o }", "ASK { ?s ?p ?o }",
                          "CONSTRUCT WHERE { ?s ?p ?o }"]),
)  # fmt: skip
def test_a_hostile_store_answer_is_a_result_or_an_error(hostile_store, status, body, media, form):
    server = hostile_store["server"]
    hostile_store["answer"].update(status=status, body=body, content_type=media)
    with AUDIT.recording() as audit:
        result = invoke(["query", "-e", form, "--endpoint", server.base + "/query",
                         "--retries", "0", "--timeout", "5", "--format", "tsv"])  # fmt: skip
    assert_front_door(result, (0, 2, 3))
    assert audit.hosts() <= {("127.0.0.1", server.port), ("127.0.0.1", "lookup")}
