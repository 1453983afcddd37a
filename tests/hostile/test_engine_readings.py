"""SPARQL that an engine reads differently from SPARQL's grammar: refused by
the guard however the engine would read it, with the exact message, no
connection and nothing written (from a second reading of the front doors).

Oxigraph's parser matches keywords as the start of longer words and takes
one dot in a prefixed name's local part; rdflib decodes ``\\u`` escapes its
own way; a store's built-in functions reach outside the graph; chains of
operators overflow an engine's stack.
"""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal

from tests.hostile.conftest import assert_refused

LOCAL = "<http://127.0.0.1:{port}/x>"


def _hidden(token: str, word: str) -> str:
    return (
        f"Error: {token} is refused: an engine reads {word} at its start or inside it; "
        f"write {word} as a word of its own"
    )


STORE_FN = "is refused: a store's own function may reach outside the graph"
DEEP = "Error: query nested more than 200 levels deep (KG_MAX_DEPTH raises the limit)"

CASES: dict[str, tuple[str, list[str], str]] = {
    **{
        f"{name}-{engine}": (text, ["--engine", engine], message)
        for engine in ("native", "reference")
        for name, text, message in (
            (
                "service-silent-run-together",
                f"SELECT * {{ SERVICESILENT {LOCAL} {{ }} }}",
                _hidden("SERVICESILENT", "SERVICE"),
            ),
            (
                "service-lower-case-run-together",
                f"SELECT * {{ SERVICEsilent {LOCAL} {{ }} }}",
                _hidden("SERVICEsilent", "SERVICE"),
            ),
            (
                "service-after-true",
                f"SELECT * {{ ?s ?p trueSERVICE{LOCAL} {{ }} }}",
                _hidden("trueSERVICE", "SERVICE"),
            ),
            (
                "service-after-false",
                f"SELECT * {{ ?s ?p falseservice{LOCAL} {{ }} }}",
                _hidden("falseservice", "SERVICE"),
            ),
            (
                "from-named-run-together",
                "SELECT * FROMNAMED <http://127.0.0.1:{port}/g> WHERE { ?s ?p ?o }",
                _hidden("FROMNAMED", "FROM"),
            ),
            (
                "service-after-a-two-dot-name",
                f"PREFIX e: <http://e/> SELECT * {{ ?s ?p e:a.b.SERVICE {LOCAL} {{ }} }}",
                "Error: e:a.b.SERVICE is refused: engines split a prefixed name with two dots "
                "differently; write its dots as '\\.' or the full <IRI>",
            ),
            (
                "service-run-together-inside-an-iri",
                "PREFIX : <http://127.0.0.1:{port}/> SELECT * { BIND(1 AS ?a) BIND(2 AS ?b) "
                "FILTER(?a<?b)SERVICESILENT:x#>\n{ } }",
                "Error: <?b)SERVICESILENT:x#> is refused: an engine may read its '<' as a "
                "comparison and what follows its ')' as a SERVICE call; write '<' with a space "
                "after it",
            ),
            (
                "virtuoso-http-get",
                'SELECT (bif:http_get("http://127.0.0.1:{port}/x") AS ?x) WHERE { }',
                f"Error: bif:http_get {STORE_FN}",
            ),
            (
                "virtuoso-function-as-iri",
                'SELECT (<bif:http_get>("http://127.0.0.1:{port}/x") AS ?x) WHERE { }',
                f"Error: <bif:http_get> {STORE_FN}",
            ),
            (
                "deep-negation",
                "ASK { FILTER(" + "!" * 1_000 + "true) }",
                DEEP,
            ),
            (
                "long-or-chain",
                "ASK { FILTER(" + " || ".join(["true"] * 6_000) + ") }",
                "Error: query of 18004 terms outside its VALUES data is larger than kg runs "
                "(5000); split it, or give long lists as VALUES",
            ),
        )
    },
    # rdflib reads `\u` then eight hex digits: a quote here, which ends the
    # string and leaves a SERVICE call (SPARQL 1.1 and Oxigraph read no quote).
    "service-after-rdflibs-long-escape": (
        f'SELECT * {{ BIND("a\\u00000022 AS ?x) SERVICE {LOCAL} {{ }} }} #" AS ?y) }}',
        ["--engine", "reference"],
        "Error: SERVICE <http://127.0.0.1:{port}/x> is refused: kg queries only its own graph "
        "(see --allow-service)",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_read_differently_by_an_engine_is_refused(case, hostile, listener):
    text, options, message = CASES[case]
    out = hostile(
        ["query", "-e", text.replace("{port}", str(listener.port)), "-o", "out.txt", *options]
    )
    assert_refused(out, 2, message.replace("{port}", str(listener.port)))


def test_a_heavy_sub_query_is_read_without_being_run(hostile, listener):
    """Oxigraph's parse folds the WHERE group to nothing even when it holds only
    a sub-query, and runs in the worker: the query is stopped at the time limit."""
    values = " ".join(str(n) for n in range(3000))
    text = (
        f"SELECT * {{ SELECT ?a ?b {{ VALUES ?a {{ {values} }} VALUES ?b {{ {values} }} }} "
        "ORDER BY DESC(?a) ?b LIMIT 1 }"
    )
    out = hostile(["query", "-e", text, "-o", "out.txt", "--timeout", "3"])
    assert_refused(
        out,
        2,
        "Error: query stopped after 3 s (the time limit); make it narrower, or raise the "
        "limit with --timeout SECONDS",
    )


@pytest.mark.parametrize(
    "value", [r"a\u0022b", "C:\\users\\x\\u0041", "\\1234", 'quote " and \\" in it']
)
def test_a_parameter_keeps_its_value_on_the_reference_engine(value):
    """rdflib decodes \\u escapes before it parses: a literal parameter's
    backslashes are written so that it reads them back as they were."""
    from kg.sparql.run import run_query

    result = run_query(Graph(), "SELECT ?x WHERE { BIND(?v AS ?x) }", {"v": Literal(value)})
    assert result.rows == [(Literal(value),)]
