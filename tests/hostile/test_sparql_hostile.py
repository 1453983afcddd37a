"""Hostile SPARQL: refused before any engine runs it, or stopped by a limit,
with the exact message; no connection, no file read, no output written
(group 2 of the hostile-input suite)."""

from __future__ import annotations

import pytest

from tests.hostile.conftest import assert_refused

LOCAL = "<http://127.0.0.1:{port}/sparql>"
SVC_MSG = "Error: SERVICE <http://127.0.0.1:{port}/sparql> is refused: kg queries only its own graph (see --allow-service)"  # noqa: E501
UPDATE = "Error: SPARQL update ({}) is refused: kg query only reads the graph"
DEEP = "Error: query nested more than 200 levels deep (KG_MAX_DEPTH raises the limit)"

# name -> (query text, extra options, expected message)
CASES: dict[str, tuple[str, list[str], str]] = {
    "service": (f"SELECT * {{ SERVICE {LOCAL} {{ ?s ?p ?o }} }}", [], SVC_MSG),
    "service-silent": (f"SELECT * {{ SERVICE SILENT {LOCAL} {{ ?s ?p ?o }} }}", [], SVC_MSG),
    "service-lower-case": (f"select * {{ service {LOCAL} {{ ?s ?p ?o }} }}", [], SVC_MSG),
    "service-unicode-escape": (f"SELECT * {{ \\u0053ERVICE {LOCAL} {{ ?s ?p ?o }} }}", [], SVC_MSG),
    "service-after-comment-with-quotes": (
        f'# """\nSELECT * {{ SERVICE {LOCAL} {{ ?s ?p ?o }} }}\n# """',
        [],
        SVC_MSG,
    ),
    "service-in-subquery": (
        f"SELECT * {{ ?x ?y ?z {{ SELECT * {{ SERVICE {LOCAL} {{ ?s ?p ?o }} }} }} }}",
        [],
        SVC_MSG,
    ),
    "service-host-not-allowed": (
        f"SELECT * {{ SERVICE {LOCAL} {{ ?s ?p ?o }} }}",
        ["--allow-service", "example.org"],
        SVC_MSG,
    ),
    "service-variable": (
        "SELECT * { BIND(<http://127.0.0.1:{port}/sparql> AS ?e) SERVICE ?e { ?s ?p ?o } }",
        ["--allow-service", "127.0.0.1"],
        "Error: SERVICE ?e is refused: kg queries only its own graph "
        "(write the endpoint as a full <http://…> IRI)",
    ),
    # One IRI to SPARQL's lexer; Oxigraph reads `?a < ?b` and a SERVICE call,
    # which it made from Rust, past the audit hook keeping queries offline.
    **{
        f"service-hidden-in-an-iri-{engine}": (
            "PREFIX : <http://127.0.0.1:{port}/> SELECT * { BIND(1 AS ?a) BIND(2 AS ?b) "
            "FILTER(?a<?b)SERVICE:sparql#>\n{ ?s ?p ?o } }",
            ["--engine", engine],
            "Error: <?b)SERVICE:sparql#> is refused: an engine may read its '<' as a comparison "
            "and what follows its ')' as a SERVICE call; write '<' with a space after it",
        )
        for engine in ("native", "reference")
    },
    # SPARQL 1.1 decodes `\u0022` before reading the grammar (rdflib: a second
    # string opens there and hides the SERVICE); Oxigraph reads it as a quote
    # inside the first string, then calls the SERVICE, from Rust.
    **{
        f"service-after-an-escaped-quote-{engine}": (
            f'SELECT * {{ BIND("a\\u0022" AS ?x) SERVICE {LOCAL} {{ ?s ?p ?o }} }} #"',
            ["--engine", engine],
            SVC_MSG,
        )
        for engine in ("native", "reference")
    },
    # Brackets inside an IRI-like token, for an engine that reads its '<' as an
    # operator (Oxigraph's parser overflowed its stack at 100,000).
    "deep-parentheses-in-an-iri": (
        "SELECT * { BIND(1 AS ?a) FILTER(?a<" + "(" * 100_000 + "1#>\n) }",
        [],
        DEEP,
    ),
    "from-file": (
        "SELECT * FROM <file://{dir}/SECRET.txt> WHERE { ?s ?p ?o }",
        [],
        "Error: FROM <file://{dir}/SECRET.txt> is refused: kg queries only the graph it was "
        "given (use --graph FILE to query a file)",
    ),
    "from-named-remote": (
        "SELECT * FROM NAMED <http://127.0.0.1:{port}/g> WHERE { GRAPH ?g { ?s ?p ?o } }",
        [],
        "Error: FROM NAMED <http://127.0.0.1:{port}/g> is refused: kg queries only the graph it "
        "was given (use --graph FILE to query a file)",
    ),
    "insert-data": (
        "INSERT DATA { <http://x.test/a> <http://x.test/b> 1 }",
        [],
        UPDATE.format("INSERT"),
    ),
    "delete-where": ("DELETE WHERE { ?s ?p ?o }", [], UPDATE.format("DELETE")),
    "load": ("LOAD <http://127.0.0.1:{port}/data.ttl>", [], UPDATE.format("LOAD")),
    "clear-all": ("CLEAR ALL", [], UPDATE.format("CLEAR")),
    "drop-after-select": ("SELECT * { ?s ?p ?o } ; DROP ALL", [], UPDATE.format("DROP")),
    "deep-groups": ("SELECT * { " + "{ " * 1000 + "?s ?p ?o" + " }" * 1000 + " }", [], DEEP),
    "deep-parentheses": (
        "SELECT * { ?s ?p ?o FILTER(" + "(" * 500 + "true" + ")" * 500 + ") }",
        [],
        DEEP,
    ),
    "cartesian-product": (
        "SELECT * { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
        ["--max-rows", "1000"],
        "Error: query returned more than 1000 rows (the row limit); add LIMIT, or raise it "
        "with --max-rows N (0: no limit)",
    ),
    "regex-bomb": (
        'SELECT * { BIND("' + "a" * 40 + '!" AS ?s) FILTER(REGEX(?s, "^(a+)+$")) }',
        ["--engine", "reference", "--timeout", "1"],
        "Error: query stopped after 1 s (the time limit); make it narrower, or raise the "
        "limit with --timeout SECONDS",
    ),
    "cartesian-product-timeout": (
        "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
        ["--timeout", "1"],
        "Error: query stopped after 1 s (the time limit); make it narrower, or raise the "
        "limit with --timeout SECONDS",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_query_is_refused(case, hostile, listener, tmp_path):
    text, options, message = CASES[case]
    text = text.replace("{port}", str(listener.port)).replace("{dir}", tmp_path.as_posix())
    message = message.replace("{port}", str(listener.port)).replace("{dir}", tmp_path.as_posix())
    out = hostile(["query", "-e", text, "-o", "out.txt", *options])
    assert_refused(out, 2, message)


def test_query_file_with_service_is_refused(hostile, listener):
    out = hostile(
        ["query", "--file", "q.rq", "-o", "out.txt"],
        {"q.rq": "SELECT * { SERVICE <http://127.0.0.1:{port}/sparql> { ?s ?p ?o } }"},
    )
    assert_refused(out, 2, SVC_MSG.replace("{port}", str(listener.port)))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("x> } ; DROP ALL ; #", "is not a record id, prefixed name or IRI"),
        ("http://[::1", "is not a record id, prefixed name or IRI"),
        ("http://x.test/a b", "is not a record id, prefixed name or IRI"),
        ("http://x.test/%zz", "is not a record id, prefixed name or IRI"),
        ("javascript:alert(1)", "is not a record id, prefixed name or IRI"),
    ],
)
def test_iri_parameter_that_is_not_an_iri_is_refused(value, message, hostile):
    out = hostile(["query", "meetings", "-p", f"who={value}", "-o", "out.txt"])
    assert_refused(out, 2, f"Error: parameter 'who': {value!r} {message}")


def test_string_parameter_is_bound_not_pasted(hostile):
    """A quote and braces in a parameter value stay inside one literal."""
    out = hostile(["query", "roles-at-date", "-p", 'lang=en" } UNION { ?s ?p ?o } #'])
    assert_refused(
        out, 2, "Error: parameter 'lang': 'en\" } UNION { ?s ?p ?o } #' is not a language tag"
    )


def test_allow_service_opts_in_for_the_named_host_only(hostile, listener):
    """The one case where a connection is wanted: the listener counts exactly one."""
    q = "SELECT ?x { SERVICE <http://127.0.0.1:{port}/sparql> { ?s ?p ?x } }"
    out = hostile(
        ["query", "--engine", "reference", "-e", q.replace("{port}", str(listener.port)),
         "--allow-service", "127.0.0.1", "--format", "csv"],
    )  # fmt: skip
    assert (out.code, out.stderr) == (0, "")
    assert out.stdout.splitlines() == ["x", "remote"]
    assert out.connections == 1


def test_keywords_as_names_are_not_refused(hostile):
    """Words that are only keywords in updates may be variables or local names."""
    q = 'SELECT ?from ?service { BIND(kg:load AS ?from) BIND("SERVICE <x>" AS ?service) }'
    out = hostile(["query", "-e", q, "--format", "csv"])
    assert (out.code, out.stderr) == (0, "")
    assert out.stdout.splitlines() == [
        "from,service",
        "https://w3id.org/kg-nj/ontology#load,SERVICE <x>",
    ]
