"""One answer for a regular expression an engine cannot run, on every engine.

SPARQL 1.1 makes a REGEX or REPLACE whose pattern is not a regular expression
an error (17.4.3.14, after XPath's fn:matches), and an error drops the row in
a FILTER, under ``!`` too, and leaves the variable of BIND or ``(… AS ?v)``
unbound (17.3, 18.6). Oxigraph answers so for every pattern it refuses
(invalid, or past its size limit once repeats are expanded); rdflib compiled
the same patterns with Python's re and answered false, or failed the whole
query. The front door (kg.sparql.door.unrunnable_patterns) types such a
constant pattern so that every engine, and a store, reads the same error.
"""

from __future__ import annotations

import pyoxigraph
import pytest
from rdflib import Graph, Literal

from kg.sparql.door import NATIVE, REFERENCE, REMOTE, UNRUNNABLE, prepare, unrunnable_patterns
from kg.sparql.run import run_query
from kg.store.native import NativeGraph
from tests.hostile.conftest import assert_refused

pytest_plugins = ["servers"]

# Calls whose constant pattern (with its flags) Oxigraph refuses.
UNRUNNABLE_CALLS = {
    "too-large-after-expansion": 'REGEX(?o, "(a{1000}){1000}")',
    "unclosed-group": 'REGEX(?o, "(")',
    "unknown-flag": 'REGEX(?o, "a", "z")',
    "back-reference": r'REGEX(?o, "(a)\\1")',
    "xpath-block-escape": r'REGEX(?o, "\\p{IsBasicLatin}")',
    "written-as-an-escape": r'REGEX(?o, "\u0028")',
    "long-string": "REGEX(?o, '''(''')",
    "replace-unclosed-group": 'REPLACE(?o, "(", "b")',
    "replace-too-large-with-flags": 'REPLACE(?o, "(a{1000}){1000}", "b", "i")',
}
AAA = Literal("aaa")
# Where the call stands -> the rows every engine must give.
CONTEXTS: dict[str, tuple[str, list[tuple[Literal | None, ...]]]] = {
    "filter": ('SELECT ?o WHERE { VALUES ?o { "aaa" } FILTER(CALL) }', []),
    "filter-not": ('SELECT ?o WHERE { VALUES ?o { "aaa" } FILTER(!CALL) }', []),
    "bind": ('SELECT ?o ?m WHERE { VALUES ?o { "aaa" } BIND(CALL AS ?m) }', [(AAA, None)]),
    "select-expression": ('SELECT ?o (CALL AS ?m) WHERE { VALUES ?o { "aaa" } }', [(AAA, None)]),
    "coalesce": (
        'SELECT ?o ?m WHERE { VALUES ?o { "aaa" } BIND(COALESCE(CALL, "error") AS ?m) }',
        [(AAA, Literal("error"))],
    ),
}


def engines() -> dict[str, object]:
    return {"native": NativeGraph(pyoxigraph.Store()), "reference": Graph()}


@pytest.mark.parametrize("context", sorted(CONTEXTS))
@pytest.mark.parametrize("call", sorted(UNRUNNABLE_CALLS))
def test_unrunnable_pattern_is_an_error_on_both_engines(call, context):
    text, rows = CONTEXTS[context]
    query = text.replace("CALL", UNRUNNABLE_CALLS[call])
    answers = {name: run_query(graph, query).rows for name, graph in engines().items()}
    assert answers == {"native": rows, "reference": rows}


@pytest.mark.parametrize("engine", ["native", "reference"])
def test_ask_with_an_unrunnable_pattern_is_false(engine):
    assert run_query(engines()[engine], 'ASK { FILTER(REGEX("a", "(")) }').boolean is False


@pytest.mark.parametrize("engine", ["native", "reference"])
def test_kg_query_gives_one_answer(engine, hostile):
    query = CONTEXTS["coalesce"][0].replace("CALL", UNRUNNABLE_CALLS["too-large-after-expansion"])
    out = hostile(["query", "-e", query, "--engine", engine, "--graph", "g.nt", "--format", "csv"],
                  {"g.nt": ""})  # fmt: skip
    assert (out.code, out.stderr, out.stdout) == (0, "", "o,m\naaa,error\n")
    assert (out.connections, out.secrets_opened, out.changed) == (0, [], [])


@pytest.mark.parametrize("context", sorted(CONTEXTS))
def test_the_oxigraph_server_gives_the_same_answer(context, oxigraph):
    """The text kg sends a store, on the Oxigraph server."""
    from kg.remote.protocol import remote_query

    text, rows = CONTEXTS[context]
    query = text.replace("CALL", UNRUNNABLE_CALLS["unclosed-group"])
    assert remote_query(oxigraph.query, query).rows == rows


@pytest.mark.parametrize(
    "call",
    [
        'REGEX(?o, "a+", "i")',
        'REGEX(?o, "^(a{100}){10}$")',
        'REPLACE(?o, "^.*/", "")',
        'REGEX(?o, "a.c", "q")',
        "REGEX(?o, ?pattern)",  # not a constant: the engine's to judge
        'REGEX(?o, CONCAT("(", ""))',
        'REGEX(?o, "("@en)',  # not a plain string: an error already
    ],
)
def test_what_oxigraph_runs_is_left_as_written(call):
    text = f'SELECT ?m WHERE {{ VALUES ?o {{ "aaa" }} BIND({call} AS ?m) }}'
    assert unrunnable_patterns(text) == text
    assert UNRUNNABLE not in prepare(text, target=REFERENCE).text


@pytest.mark.parametrize("target", [NATIVE, REFERENCE, REMOTE])
def test_the_same_text_for_every_target(target):
    text = 'SELECT ?m WHERE { VALUES ?o { "aaa" } BIND(REGEX(?o, "(") AS ?m) }'
    prepared = prepare(text, target=target).text
    assert prepared.endswith(
        f'SELECT ?m WHERE {{ VALUES ?o {{ "aaa" }} BIND(REGEX(?o, "("^^<{UNRUNNABLE}>) AS ?m) }}'
    )


def test_regex_in_a_string_a_comment_or_a_name_is_not_a_call():
    text = (
        'SELECT ?regex WHERE { BIND("REGEX(?o, \\"(\\")" AS ?regex) '
        '# REGEX(?o, "(")\n ?regex kg:regex "(" }'
    )
    assert unrunnable_patterns(text) == text


def test_a_pattern_inside_nested_calls_and_exists(hostile):
    """Arguments are read by brackets: commas inside a nested call or an EXISTS
    group belong to it."""
    text = (
        'SELECT ?m WHERE { VALUES ?o { "aaa" } BIND(IF(EXISTS { ?a ?b ?c, ?d }, 1, '
        'REGEX(CONCAT(?o, "x"), "(", "i")) AS ?m) }'
    )
    assert unrunnable_patterns(text) == text.replace('"(", "i"', f'"("^^<{UNRUNNABLE}>, "i"')


def test_a_refused_query_is_still_refused_first(hostile):
    """The guard reads the text before any pattern is looked at."""
    out = hostile(
        ["query", "-e", 'SELECT * { SERVICE <http://x.test/> { } FILTER(REGEX("a", "(")) }']
    )
    assert_refused(
        out,
        2,
        "Error: SERVICE <http://x.test/> is refused: kg queries only its own graph "
        "(see --allow-service)",
    )
