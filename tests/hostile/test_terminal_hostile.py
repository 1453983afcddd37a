"""Text from a hostile file or store never drives the analyst's terminal.

Records refuse control characters, but an RDF file, a store's answer or a
file name can hold them: ``ESC ] 0 ; … BEL`` retitles the window, ``ESC [ 2 J``
clears the screen, a carriage return overwrites the line, and C1's CSI
(U+009B) starts a sequence on its own. What kg prints for a person (the
``table`` of ``kg query``, ``kg describe``, ``kg validate``'s text report, an
``Error:`` line) shows them as escapes, through one function
(:func:`kg.terms.checks.visible`); the machine formats keep the exact text.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from servers import reply

from kg.terms.checks import visible
from tests.hostile.conftest import assert_refused

pytest_plugins = ["servers"]

ID = "https://w3id.org/kg-nj/id/"
KG = "https://w3id.org/kg-nj/ontology#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"

# A window title, a cleared screen, CSI as one C1 character, a carriage return
# that would overwrite the row, DEL and NUL: as N-Triples writes them.
EVIL = r"Evil\u001B]0;owned\u0007\u001B[2J\u009B31m\r\u007F\u0000"
EVIL_SHOWN = r"Evil\x1b]0;owned\x07\x1b[2J\x9b31m\r\x7f\x00"
EVIL_TEXT = "Evil\x1b]0;owned\x07\x1b[2J\x9b31m\r\x7f\x00"
EVIL_NT = (
    f"<{ID}evil> <{RDF_TYPE}> <{KG}Person> .\n"
    f'<{ID}evil> <{LABEL}> "{EVIL}"@en .\n'
    f'<{ID}evil> <{KG}givenName> "{EVIL}" .\n'
)
LABEL_QUERY = "SELECT ?label WHERE { id:evil rdfs:label ?label }"


def assert_clean(out, code: int = 0) -> None:
    """Exit ``code``; no control character but line feeds in what was printed;
    no connection, no secret read, nothing written."""
    assert out.code == code, out.stderr
    for text in (out.stdout, out.stderr):
        assert visible(text, keep="\n") == text
    assert (out.connections, out.secrets_opened, out.changed) == (0, [], [])


def test_query_table_shows_control_characters_as_escapes(hostile):
    out = hostile(["query", "--graph", "evil.nt", "-e", LABEL_QUERY], {"evil.nt": EVIL_NT})
    assert_clean(out)
    assert out.stdout == (f"label\n{'-' * len(EVIL_SHOWN)}\n{EVIL_SHOWN}\n(1 row)\n")


def test_query_table_written_to_a_file_is_the_same_text(hostile):
    out = hostile(
        ["query", "--graph", "evil.nt", "-e", LABEL_QUERY, "-o", "rows.txt"], {"evil.nt": EVIL_NT}
    )
    assert out.code == 0, out.stderr
    assert out.changed == ["rows.txt"]


def test_query_table_from_a_hostile_store_shows_escapes(hostile, fault):
    """A store's answer is as untrusted as a file: the same table."""
    answer = {
        "head": {"vars": ["label"]},
        "results": {"bindings": [{"label": {"type": "literal", "value": EVIL_TEXT}}]},
    }
    store = fault(reply(200, json.dumps(answer).encode(), "application/sparql-results+json"))
    out = hostile(["query", "-e", LABEL_QUERY, "--endpoint", store.base + "/query"])
    assert_clean(out)
    assert out.stdout.splitlines()[2] == EVIL_SHOWN


@pytest.mark.parametrize(
    ("name", "exact"),
    [
        ("rows.csv", f'label\r\n"{EVIL_TEXT}"\r\n'),  # quoted: it holds a line break
        ("rows.tsv", '?label\n"' + EVIL_TEXT.replace("\r", "\\r") + '"@en\n'),  # Turtle's form
        ("rows.srj", EVIL_TEXT),  # the JSON document, decoded below
        ("rows.srx", EVIL_TEXT),  # the XML document, as written
    ],
)
def test_machine_formats_keep_the_exact_text(name, exact, hostile):
    out = hostile(
        ["query", "--graph", "evil.nt", "-e", LABEL_QUERY, "-o", name], {"evil.nt": EVIL_NT}
    )
    assert (out.code, out.stderr, out.changed) == (0, "", [name])
    data = Path(name).read_bytes().decode("utf-8")
    if name.endswith(".srj"):
        assert json.loads(data)["results"]["bindings"][0]["label"]["value"] == exact
    elif name.endswith(".srx"):
        assert f'<literal xml:lang="en">{exact}</literal>' in data
    else:
        assert data == exact


def test_describe_shows_control_characters_as_escapes(hostile):
    out = hostile(["describe", "evil", "--graph", "evil.nt"], {"evil.nt": EVIL_NT})
    assert_clean(out)
    assert out.stdout.splitlines()[:3] == [
        f"{EVIL_SHOWN}  (Person)",
        f"id:evil  <{ID}evil>",
        # A wrapped line: textwrap made the carriage return a space.
        "  label @en: " + EVIL_SHOWN.replace(r"\r", " "),
    ]


def test_validate_text_report_shows_a_value_as_escapes(hostile):
    """The given name is plain text where the shapes want language-tagged text:
    the finding quotes the value."""
    out = hostile(["validate", "evil.nt"], {"evil.nt": EVIL_NT})
    assert_clean(out, 1)
    assert (
        "VIOLATION: id:evil: A person's given name (field `givenName`) must be language-tagged "
        "text, at most one per language. (focus id:evil, path kg:givenName, "
        f'value "{EVIL_SHOWN}")'
    ) in out.stdout.splitlines()


def test_validate_json_report_keeps_the_exact_value(hostile):
    out = hostile(["validate", "evil.nt", "--format", "json"], {"evil.nt": EVIL_NT})
    assert out.code == 1
    values = [f["value"] for f in json.loads(out.stdout)["findings"]]
    assert f'"{EVIL_TEXT}"' in values


def test_error_that_lists_names_shows_escapes(hostile):
    """A name several things carry: the error lists their labels, as escapes."""
    twin = f'<{ID}twin> <{RDF_TYPE}> <{KG}Person> .\n<{ID}twin> <{LABEL}> "{EVIL}x"@en .\n'
    out = hostile(["describe", "Evil", "--graph", "evil.nt"], {"evil.nt": EVIL_NT + twin})
    assert_clean(out, 2)
    assert out.stderr == (
        "Error: nothing is called exactly 'Evil'; did you mean one of these?\n"
        f"  evil  {EVIL_SHOWN} (Person)\n"
        f"  twin  {EVIL_SHOWN}x (Person)\n"
    )


def test_error_quoting_a_stores_body_shows_escapes(hostile, fault):
    store = fault(reply(500, f"boom {EVIL_TEXT}".encode()))
    out = hostile(
        ["query", "-e", LABEL_QUERY, "--endpoint", store.base + "/query", "--retries", "0"]
    )
    assert_clean(out, 3)
    assert out.stderr.startswith("Error: ")
    # The body is read as Latin-1 (no charset given): only its ASCII part is compared.
    assert r"Internal Server Error: boom Evil\x1b]0;owned\x07\x1b[2J" in out.stderr


def test_error_naming_a_records_file_shows_escapes(hostile):
    """A colleague's folder may hold a file named with control characters."""
    name = "records/\x1b]0;owned\x07.yaml"
    out = hostile(["validate", "records"], {name: "- type: person\n"})
    assert_refused(
        out,
        2,
        "Error: 1 problem(s) in the records:\n"
        r"  records/\x1b]0;owned\x07.yaml:1: record has no 'id'",
    )


def test_visible_escapes_c0_and_c1_only():
    """Every C0 and C1 control character, and nothing else: text in any script,
    line and paragraph separators and format characters are text."""
    controls = [chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]]
    for ch in controls:
        shown = visible(ch)
        assert shown.startswith("\\") and shown.isprintable(), repr(ch)
    assert visible("".join(controls), keep="\n\t").count("\n") == 1
    text = "日本 NATO\u2028\u2029\u200d\u202e é"
    assert visible(text) == text
