"""What the fuzz tests (test_fuzz_records.py, test_fuzz_sparql.py) found, each
kept as a case of its own with its exact outcome.

- A lone surrogate (U+D800 to U+DFFF, half of a UTF-16 pair, no character)
  that a YAML escape writes ("\\ud800") passed the records' text check and
  crashed the builder's hand-over to Oxigraph with a traceback; one in a
  SPARQL text or a parameter (a terminal that is not UTF-8 gives "\\udcff")
  stopped a query worker with "query failed: UnicodeEncodeError".
- A store's SPARQL JSON with ``vars`` or ``bindings`` that are no lists, or a
  binding that is no object, ended in a TypeError or AttributeError traceback.
"""

from __future__ import annotations

import json

import pyoxigraph
import pytest
from rdflib import Graph
from servers import reply

from kg.errors import BadInput
from kg.sparql.run import run_query
from kg.store.native import NativeGraph
from tests.hostile.conftest import SOURCE, assert_refused

pytest_plugins = ["servers"]


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        (
            '- id: x\n  type: person\n  label: {en: "a\\ud800b"}\n'
            "  sources: [{source: src-test, quote: q}]\n",
            "records/x.yaml:3, record 'x', field 'label': lone surrogate U+D800 (no character) "
            "in the value [en]",
        ),
        (
            "- id: x\n  type: agreement\n  label: {en: X}\n"
            '  sources: [{source: src-test, quote: "\\udfff"}]\n',
            "records/x.yaml:4, record 'x', field 'sources': lone surrogate U+DFFF (no character) "
            "in citation 'quote'",
        ),
        (
            '- id: x\n  type: person\n  label: {en: X}\n  altLabel: {ja: ["\\uDBFF\\uDBFF"]}\n'
            "  sources: [{source: src-test, quote: q}]\n",
            "records/x.yaml:4, record 'x', field 'altLabel': lone surrogate U+DBFF (no character) "
            "in the value [ja]",
        ),
    ],
    ids=["label", "quote", "alt-label-list"],
)
@pytest.mark.parametrize("command", ["validate", "build"])
def test_lone_surrogate_in_records_is_refused(record, problem, command, hostile):
    args = [command, "records"] + (["-o", "build"] if command == "build" else [])
    out = hostile(args, {"records/sources.yaml": SOURCE, "records/x.yaml": record})
    assert_refused(out, 2, f"Error: 1 problem(s) in the records:\n  {problem}")


SURROGATE_QUERY = 'SELECT ?x WHERE { BIND("caf\udce9" AS ?x) }'
SURROGATE_MSG = (
    "query text holds U+DCE9, a lone surrogate, which is no character "
    "(text read with the wrong encoding?)"
)


@pytest.mark.parametrize("engine", ["native", "reference"])
def test_lone_surrogate_in_a_query_is_refused(engine, hostile):
    """What Python makes of a byte a UTF-8 terminal would not send (\\xe9)."""
    out = hostile(["query", "-e", SURROGATE_QUERY, "--engine", engine, "--graph", "g.nt"],
                  {"g.nt": ""})  # fmt: skip
    assert_refused(out, 2, f"Error: {SURROGATE_MSG}")


@pytest.mark.parametrize("graph", [Graph(), NativeGraph(pyoxigraph.Store())], ids=["rdflib", "ox"])
def test_lone_surrogate_in_a_query_is_refused_by_the_library(graph):
    with pytest.raises(BadInput) as err:
        run_query(graph, SURROGATE_QUERY)
    assert str(err.value) == SURROGATE_MSG


def test_lone_surrogate_in_a_parameter_is_refused(hostile):
    out = hostile(["query", "meetings", "-p", "lang=\udcff", "--records", "records"],
                  {"records/sources.yaml": SOURCE})  # fmt: skip
    assert_refused(
        out, 2, "Error: parameter 'lang': lone surrogate U+DCFF (no character) in '\\udcff'"
    )


MALFORMED = "the store's answer is not SPARQL JSON results"


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            {"head": {"vars": 0}, "results": {"bindings": []}},
            "malformed SPARQL JSON results: 'vars' and 'bindings' must be lists",
        ),
        (
            {"head": {"vars": ["s"]}, "results": {"bindings": {"s": 1}}},
            "malformed SPARQL JSON results: 'vars' and 'bindings' must be lists",
        ),
        (
            {"head": {"vars": ["s"]}, "results": {"bindings": [{"s": 1}]}},
            "malformed SPARQL JSON results: a binding is not an object",
        ),
        (
            {"head": {"vars": ["s"]}, "results": {"bindings": [{"s": ["uri"]}]}},
            "malformed SPARQL JSON results: a binding is not an object",
        ),
    ],
    ids=["vars-not-a-list", "bindings-not-a-list", "binding-a-number", "binding-a-list"],
)
def test_malformed_store_answer_is_a_remote_error(answer, message, hostile, fault):
    store = fault(reply(200, json.dumps(answer).encode(), "application/sparql-results+json"))
    out = hostile(["query", "-e", "SELECT ?s WHERE { ?s ?p ?o }", "--endpoint",
                   store.base + "/query", "--retries", "0"])  # fmt: skip
    assert_refused(out, 3, f"Error: {message}")
