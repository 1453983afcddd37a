"""Messages that suggest the fix: near misses (kg.errors.did_you_mean) for query
names, parameters, formats, commands and options; SPARQL syntax errors with
their line, a caret under the column and the whole message; shell completion
of commands, canned query names and their parameters."""

from __future__ import annotations

import pytest
from click.shell_completion import ShellComplete

from kg.cli import cli
from kg.errors import BadInput
from kg.sparql.canned import catalog
from kg.sparql.syntax import syntax_error


@pytest.fixture
def invoke(runner):
    """``kg ARGS``, named kg in click's usage lines."""

    def run(*args: str):
        return runner.invoke(cli, list(args), obj={}, prog_name="kg", catch_exceptions=False)

    return run


USAGE = "Usage: kg query [OPTIONS] [NAME]\nTry 'kg query --help' for help.\n\n"


def test_a_near_miss_query_name_is_suggested(invoke):
    r = invoke("query", "timline")
    assert r.exit_code == 2
    assert r.output == (
        "Error: no canned query named 'timline' (did you mean 'timeline'?); "
        "`kg query --list` shows them: " + ", ".join(sorted(catalog())) + "\n"
    )


def test_a_near_miss_parameter_is_suggested_each_on_its_own(invoke):
    r = invoke("query", "timeline", "-p", "frm=2000", "-p", "lnag=fr", "-p", "colour=red")
    assert r.exit_code == 2
    assert r.output == (
        "Error: query 'timeline' has no parameter(s) colour, frm (did you mean 'from'?), "
        "lnag (did you mean 'lang'?); it takes: from, to, lang\n"
    )


def test_a_near_miss_format_is_suggested(invoke):
    r = invoke("query", "timeline", "--format", "jsn")
    assert r.exit_code == 2
    assert r.output == USAGE + (
        "Error: Invalid value for '--format': 'jsn' is not one of 'table', 'csv', 'tsv', "
        "'json', 'xml', 'turtle', 'nt', 'nquads', 'trig', 'jsonld' (did you mean 'json'?)\n"
    )


def test_a_near_miss_extension_is_suggested(invoke, tmp_path):
    r = invoke("export", "-o", str(tmp_path / "kg.ttll"))
    assert r.exit_code == 2
    assert r.output == (
        f"Error: cannot tell the RDF or network format of '{tmp_path / 'kg.ttll'}' from its "
        "extension (did you mean '.ttl'?); use --format (turtle, nt, nquads, trig, jsonld, xml, "
        "graphml, gexf)\n"
    )
    assert not (tmp_path / "kg.ttll").exists()


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["quer"], "no such command 'quer' (did you mean 'query'?); `kg --help` lists them"),
        (["Build"], "no such command 'Build' (did you mean 'build'?); `kg --help` lists them"),
        (["zzz"], "no such command 'zzz'; `kg --help` lists them"),
        (["--debg"], "no such option '--debg' (did you mean '--debug'?)"),
    ],
)
def test_commands_and_options_hint_alike(invoke, args, error):
    r = invoke(*args)
    assert r.exit_code == 2
    assert r.output == (
        f"Usage: kg [OPTIONS] COMMAND [ARGS]...\nTry 'kg --help' for help.\n\nError: {error}\n"
    )


def test_an_options_near_miss_within_a_command(invoke):
    r = invoke("query", "timeline", "--formt", "csv")
    assert r.exit_code == 2
    assert r.output == USAGE + "Error: no such option '--formt' (did you mean '--format'?)\n"


# --- SPARQL syntax errors -----------------------------------------------------------------


def test_an_unknown_prefix_is_named_with_the_closest_and_a_caret(invoke, mini):
    """It was `expected one of Prefix not found, ['%'], ['-' | '0' ..= '9' | …`,
    cut after 300 characters in the middle of a character class."""
    text = "SELECT ?x WHERE {\n  ?x a kg:Person .\n\t?x fof:name ?n }"
    r = invoke("query", "--records", str(mini), "-e", text)
    assert r.exit_code == 2
    assert r.output == (
        "Error: SPARQL error at 3:5: unknown prefix 'fof:' (did you mean 'foaf'?)\n"
        "  \t?x fof:name ?n }\n"
        "  \t   ^\n"
    )


def test_an_unknown_prefix_far_from_any_lists_those_there_are(invoke, mini):
    text = "PREFIX ex: <http://example.org/> SELECT ?x WHERE { ?x zz:p ?n }"
    r = invoke("query", "--engine", "reference", "--records", str(mini), "-e", text)
    assert r.exit_code == 2
    assert r.output == (
        "Error: SPARQL error at 1:55: unknown prefix 'zz:'; declare it (PREFIX zz: <IRI>) "
        "or use one declared, the query's: ex; kg's: dct, foaf, id, kg, kgsh, org, owl, "
        "prov, rdf, rdfs, schema, sem, skos, xsd\n"
        f"  {text}\n" + " " * 56 + "^\n"
    )


def test_a_declared_prefix_is_suggested():
    text = "PREFIX geo: <http://www.opengis.net/ont/geosparql#>\nASK { ?x ge:asWKT ?w }"
    message = str(syntax_error(text, "error at 2:18: expected one of Prefix not found, ['%']"))
    assert (
        message.splitlines()[0]
        == "SPARQL error at 2:10: unknown prefix 'ge:' (did you mean 'geo'?)"
    )


def test_a_message_over_several_lines_is_shown_whole_on_one():
    message = "error at 1:9: expected one of ['%'], ['.' | '-' |\n'\\u{203F}'], ['.']"
    assert str(syntax_error("ASK { ?x ?y }", message)) == (
        "SPARQL error at 1:9: expected one of ['%'], ['.' | '-' | '\\u{203F}'], ['.']\n"
        "  ASK { ?x ?y }\n"
        "          ^"
    )


def test_character_classes_are_said_in_words(invoke, mini):
    """Oxigraph lists a name's characters as code point ranges (about 300
    characters): a letter, a digit; the rest of the list whole."""
    r = invoke("query", "--records", str(mini), "-e", "SELECT * { { ?s ?p ?o }")
    assert r.exit_code == 2
    assert r.output == (
        'Error: SPARQL error at 1:24: expected one of "$", "\'", "\'\'\'", "(", "+", "-", ".", '
        '":", "<", "<<", "<<(", "?", "[", "\\"", "\\"\\"\\"", "_:", "false", "true", "{", '
        '"}", a digit, a letter, [_]\n'
        "  SELECT * { { ?s ?p ?o }\n"
        "                         ^\n"
    )


def test_a_long_line_is_shown_around_the_column():
    text = "SELECT ?x WHERE { " + "?x ?p ?o . " * 40 + "?x ?p ?o ?z }"
    message = str(syntax_error(text, f"error at 1:{len(text) - 1}: expected OPTIONAL"))
    _, line, caret = message.split("\n")
    assert line == "  …" + text[len(text) - 100 :]
    assert caret == "   " + " " * 98 + "^"
    assert text[len(text) - 3] == "z"  # the caret's column, in the text as written


def test_wide_characters_and_control_characters_keep_the_caret_in_place():
    text = 'ASK { ?x "日本\x1b" ?y ?z }'
    message = str(syntax_error(text, "error at 1:16: expected OPTIONAL"))
    assert message.split("\n")[1:] == [
        '  ASK { ?x "日本\\x1b" ?y ?z }',
        "  " + " " * 10 + "    " + "    " + "  ^",
    ]


def test_an_error_without_a_place_is_passed_on():
    assert str(syntax_error("ASK {}", "something\nbroke")) == "SPARQL error: something broke"
    assert isinstance(syntax_error("ASK {}", "x"), BadInput)


# --- shell completion ---------------------------------------------------------------------


def _complete(args: list[str], incomplete: str) -> list[str]:
    return [
        c.value
        for c in ShellComplete(cli, {}, "kg", "_KG_COMPLETE").get_completions(args, incomplete)
    ]


def test_completion_of_commands():
    assert _complete([], "") == [
        "build",
        "describe",
        "diff",
        "export",
        "generate",
        "push",
        "query",
        "records",
        "report",
        "serve",
        "validate",
    ]
    assert _complete([], "qu") == ["query"]


def test_completion_of_canned_query_names():
    assert _complete(["query"], "") == sorted(catalog())
    assert _complete(["query"], "ti") == ["timeline"]
    assert _complete(["query"], "zz") == []


def test_completion_of_a_querys_parameters():
    assert _complete(["query", "timeline", "-p"], "") == ["from=", "to=", "lang="]
    assert _complete(["query", "roles-at-date", "--param"], "d") == ["date="]
    assert _complete(["query", "nope", "-p"], "") == []


def test_completion_script_for_bash(runner):
    r = runner.invoke(cli, [], prog_name="kg", env={"_KG_COMPLETE": "bash_source"})
    assert r.exit_code == 0
    assert "_kg_completion()" in r.output
    assert "complete -o nosort -F _kg_completion kg" in r.output
