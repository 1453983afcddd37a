"""One rule per term kind (kg.terms.checks), the same on every path: the
records reader, the RDF readers, ``kg query -p``, the builder, the writers
and the views accept or refuse a record id, an IRI, a language tag, a date,
an integer and literal text alike, on the whole text (no trailing newline
slips through) and after YAML has decoded its escapes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import OWL, RDFS

from kg.errors import BadInput, BadRecords, UsageError
from kg.rdfio.read import parse_rdf
from kg.rdfio.write import rdf_bytes, turtle_bytes
from kg.records.load import load_records
from kg.sparql.canned import Param, parse_query_file, to_term
from kg.terms.checks import control_character, iri_problem, language_tag_problem
from kg.terms.iris import record_iri
from kg.terms.namespaces import ID
from kg.views.graphview import record_id
from tests.hostile.conftest import SOURCE

MINI = Path(__file__).parent.parent / "fixtures" / "mini"


def _yaml(text: str) -> str:
    """``text`` as a double-quoted YAML scalar, every character but printable
    ASCII written as an escape (so the file itself holds no control character)."""
    out = []
    for c in text:
        if c in '"\\':
            out.append("\\" + c)
        elif " " <= c <= "~":
            out.append(c)
        else:
            out.append(f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08x}")
    return '"' + "".join(out) + '"'


def _nt_iri(text: str) -> str:
    """``text`` as an N-Triples IRI, what IRIREF cannot hold raw written as \\u escapes."""
    raw = lambda c: "!" <= c <= "~" and c not in '<>"{}|^`\\'  # noqa: E731
    return "<" + "".join(c if raw(c) else f"\\u{ord(c):04X}" for c in text) + ">"


def _records(folder: Path, text: str) -> str | None:
    """None if the records load; else the problems, one a line."""
    folder.mkdir(exist_ok=True)
    (folder / "r.yaml").write_text(SOURCE + text, encoding="ascii")
    try:
        load_records(folder)
    except BadRecords as exc:
        return "\n".join(str(p) for p in exc.problems)
    return None


def _rdf(path: Path, text: str) -> str | None:
    path.write_text(text, encoding="utf-8")
    try:
        parse_rdf(path)
    except BadInput as exc:
        return str(exc)
    return None


def _param(ptype: str, value: str) -> str | None:
    try:
        to_term(Param("x", ptype, ""), value)
    except UsageError as exc:
        return str(exc)
    return None


# --- one table of cases, run through every path --------------------------------

# (IRI, taken). Whitespace is only inside: records and -p drop the white space
# around a value a person typed; an RDF file's IRI has none to drop.
IRIS = [
    ("https://example.org/a", True),
    ("https://example.org/caf\u00e9?q=1#top", True),
    ("urn:isbn:0451450523", True),
    ("https://example.org/a\u2028b", True),  # LS is an RFC 3987 ucschar
    ("https://example.org/a b", False),
    ("https://example.org/a\nb", False),
    ("https://example.org/a\tb", False),
    ("https://example.org/%zz", False),
    ("https://example.org/#a#b", False),
    ("https://[::1/", False),
    ("https://example.org:x/", False),
    ("https://example.org/{a}", False),
    ("https://example.org/a\\b", False),
    ("https://example.org/<a>", False),
    ("https://example.org/a\x7fb", False),
    ("https://example.org/a\x1bb", False),
    ("https://example.org/a\x85b", False),
    # RFC 3987 4.1: no bidi formatting characters (an IRI that reads backwards).
    ("https://example.org/\u202egnp.exe", False),
    ("https://example.org/a\u200fb", False),
    ("https://example.org/a\u2066b", False),
    ("https://example.org/\ue000", False),
]


@pytest.mark.parametrize("iri, taken", IRIS, ids=[repr(i) for i, _ in IRIS])
def test_an_iri_is_taken_or_refused_alike_on_every_path(iri, taken, tmp_path):
    rec = "- id: carol\n  type: person\n  label: {en: Carol}\n  sameAs: [" + _yaml(iri) + "]\n"
    nt = tmp_path / "t.nt"
    jsonld = tmp_path / "t.jsonld"
    doc = {"@id": "https://example.org/s", str(OWL.sameAs): {"@id": iri}}
    verdicts = {
        "records": _records(tmp_path / "records", rec),
        "n-triples": _rdf(nt, f"<https://example.org/s> <{OWL.sameAs}> {_nt_iri(iri)} .\n"),
        "json-ld": _rdf(jsonld, json.dumps(doc)),
        "query -p": _param("iri", iri),
    }
    assert {path: v is None for path, v in verdicts.items()} == dict.fromkeys(verdicts, taken)
    if taken:
        return
    bad = control_character(iri)
    why = (
        f"control character U+{ord(bad):04X} in the value"
        if bad
        else f"{iri!r} is not an absolute IRI"
    )
    assert verdicts["records"] == (
        f"{tmp_path / 'records' / 'r.yaml'}:9, record 'carol', field 'sameAs': {why}"
    )
    assert (
        verdicts["n-triples"] == f"{nt}: not valid RDF: {iri!r} is not an IRI ({iri_problem(iri)})"
    )
    reason = "it holds a space" if " " in iri else iri_problem(iri)
    assert verdicts["json-ld"] == f"{jsonld}: not valid RDF: {iri!r} is not an IRI ({reason})"
    assert verdicts["query -p"] == (
        f"parameter 'x': control character U+{ord(bad):04X} in {iri!r}"
        if bad
        else f"parameter 'x': {iri!r} is not a record id, prefixed name or IRI"
    )


LANGS = [
    ("en", True),
    ("EN", True),
    ("fr-CA", True),
    ("ja-Latn-JP-hepburn", True),
    ("zh-Hant-TW", True),
    ("de-CH-1901", True),
    ("en-US-x-twain", True),
    ("english", False),  # a name, not a code: BCP 47 only reserves 4-8 letters
    ("abcd", False),
    ("x-private", False),
    ("i-klingon", False),
    ("en-US-US", False),  # records took it; Oxigraph could not write it
    ("en-12", False),
    ("en-abcdefghi", False),
    ("e", False),
    ("en_US", False),
    ("en-", False),
    ("en US", False),
    ("en\nus", False),
    ("en\x1b", False),
    ("\u00e9n", False),
]


@pytest.mark.parametrize("tag, taken", LANGS, ids=[repr(t) for t, _ in LANGS])
def test_a_language_tag_is_taken_or_refused_alike_on_every_path(tag, taken, tmp_path):
    text_key = "- id: carol\n  type: person\n  label: {" + _yaml(tag) + ": Carol}\n"
    citation = (
        "- id: carol\n  type: person\n  label: {en: Carol}\n"
        "  sources: [{source: src-test, quote: Carol., lang: " + _yaml(tag) + "}]\n"
    )
    lang_field = SOURCE.replace("src-test", "src-other").replace("language: en", "language: ")
    lang_field = lang_field.replace("language: ", "language: " + _yaml(tag))
    nt = tmp_path / "t.nt"
    jsonld = tmp_path / "t.jsonld"
    doc = {"@id": "https://example.org/s", str(RDFS.label): {"@value": "x", "@language": tag}}
    verdicts = {
        "records: text": _records(tmp_path / "a", text_key),
        "records: citation lang": _records(tmp_path / "b", citation),
        "records: lang field": _records(tmp_path / "c", lang_field),
        "n-triples": _rdf(nt, f'<https://example.org/s> <{RDFS.label}> "x"@{tag} .\n'),
        "json-ld": _rdf(jsonld, json.dumps(doc)),
        "query -p": _param("lang", tag),
    }
    assert {path: v is None for path, v in verdicts.items()} == dict.fromkeys(verdicts, taken)
    if taken:
        return
    f = tmp_path / "a" / "r.yaml"
    assert verdicts["records: text"] == (
        f"{f}:8, record 'carol', field 'label': the value: {tag!r} is not a language tag "
        "(such as en, fr, ja)"
    )
    reason = language_tag_problem(tag)
    assert (
        verdicts["json-ld"] == f"{jsonld}: not valid RDF: {tag!r} is not a language tag ({reason})"
    )
    bad = control_character(tag)
    assert verdicts["query -p"] == (
        f"parameter 'x': control character U+{ord(bad):04X} in {tag!r}"
        if bad
        else f"parameter 'x': {tag!r} is not a language tag"
    )


DATES = [
    ("2020", True),
    ("2020-01", True),
    ("2020-02-29", True),
    ("2020-13", False),
    ("2019-02-29", False),
    ("2020-1-01", False),
    ("20201", False),
    ("\uff12\uff10\uff12\uff10", False),  # fullwidth digits: \d took them
    ("\u0662\u0660\u0662\u0660-01", False),  # Arabic-Indic digits
]


@pytest.mark.parametrize("text, taken", DATES, ids=[repr(t) for t, _ in DATES])
def test_a_date_is_taken_or_refused_alike_by_records_and_parameters(text, taken, tmp_path):
    rec = "- id: ev\n  type: meeting\n  start: " + _yaml(text) + "\n"
    verdicts = {"records": _records(tmp_path, rec), "query -p": _param("date", text)}
    assert {path: v is None for path, v in verdicts.items()} == dict.fromkeys(verdicts, taken)
    if not taken:
        assert verdicts["records"] == (
            f"{tmp_path / 'r.yaml'}:8, record 'ev', field 'start': {text!r} is not a real date "
            'written "YYYY-MM-DD", "YYYY-MM" or "YYYY"'
        )


@pytest.mark.parametrize(
    "text, taken",
    [("80", True), ("0", True), ("0755", False), ("\uff18\uff10", False), ("8 0", False)],
)
def test_an_integer_is_taken_or_refused_alike_by_records_and_parameters(text, taken, tmp_path):
    rec = "- id: ev\n  type: meeting\n  attendance: " + _yaml(text) + "\n"
    verdicts = {"records": _records(tmp_path, rec), "query -p": _param("integer", text)}
    assert {path: v is None for path, v in verdicts.items()} == dict.fromkeys(verdicts, taken)


# --- an id with a line break or a space: refused at its line, nothing written -----

COMMANDS = {
    "build": ["build", "{records}", "-o", "{out}"],
    "build-reference": ["build", "--engine", "reference", "{records}", "-o", "{out}"],
    "validate": ["validate", "{records}"],
    "report": ["report", "--records", "{records}", "-o", "{out}/report"],
}


@pytest.mark.parametrize("rid", ["alice\n", "alice "], ids=["newline", "space"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_an_id_with_trailing_white_space_is_refused_at_its_line(
    command, rid, invoke, mini, tmp_path
):
    out = tmp_path / "out"
    first = invoke("build", str(mini), "-o", str(out))
    assert first.exit_code == 0, first.output
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (mini / "extra.yaml").write_text(
        f"- id: {_yaml(rid)}\n  type: person\n  label: {{en: Alice}}\n", encoding="ascii"
    )
    args = [a.format(records=mini, out=out) for a in COMMANDS[command]]
    result = invoke(*args)
    assert (result.exit_code, result.output) == (
        2,
        "Error: 1 problem(s) in the records:\n"
        f"  {mini / 'extra.yaml'}:1, record {rid!r}, field 'id': id {rid!r} must be "
        "lower-case letters, digits and hyphens\n",
    )
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before


def test_a_non_id_never_becomes_a_record_iri():
    assert record_iri("alice") == URIRef("https://w3id.org/kg-nj/id/alice")
    for text in ("alice\n", "alice ", "Alice", "-alice", "a/b", "https://example.org/x"):
        with pytest.raises(ValueError, match="is not a record id"):
            record_iri(text)


def test_the_views_take_only_a_whole_record_id():
    assert record_id(ID["alice"]) == "alice"
    assert record_id(URIRef(str(ID) + "alice\n")) is None
    assert record_id(URIRef(str(ID) + "alice/citation/1")) is None


def test_a_query_name_is_the_whole_file_name(tmp_path):
    path = tmp_path / "timeline\n.rq"
    path.write_text("#+ title: T\n#+ description: D\nSELECT * WHERE { ?s ?p ?o }\n")
    with pytest.raises(BadInput, match="query file names must be lower-case words with hyphens"):
        parse_query_file(path)


# --- control characters, after YAML has decoded its escapes ---------------------

ESCAPED = {
    "label": (
        '  label: {en: "Car\\e]0;x\\a\\e[2J\\x00ol"}\n',
        "{f}:8, record 'carol', field 'label': control character U+001B in the value [en]",
    ),
    "quote": (
        '  label: {en: Carol}\n  sources: [{source: src-test, quote: "Carol\\x07."}]\n',
        "{f}:9, record 'carol', field 'sources': control character U+0007 in citation 'quote'",
    ),
    "language-key": (
        '  label: {"en\\n": Carol}\n',
        "{f}:8, record 'carol', field 'label': the value: 'en\\n' is not a language tag "
        "(such as en, fr, ja)",
    ),
    "escape-in-language-key": (
        '  label: {"en\\e": Carol}\n',
        "{f}:8, record 'carol', field 'label': the value: 'en\\x1b' is not a language tag "
        "(such as en, fr, ja)",
    ),
    "field-key": (
        '  label: {en: Carol}\n  "note\\e[2J": {en: x}\n',
        "{f}:9, record 'carol', field 'note\\x1b[2J': unknown field for type 'person'",
    ),
    "csi-c1-in-note": (
        '  label: {en: Carol}\n  note: {en: "a\\x9b2Jb"}\n',
        "{f}:9, record 'carol', field 'note': control character U+009B in the value [en]",
    ),
    "del-in-string": (
        '  label: {en: Carol}\n  givenName: {en: "Ca\\x7frol"}\n',
        "{f}:9, record 'carol', field 'givenName': control character U+007F in the value [en]",
    ),
    "nel-in-ref": (
        '  label: {en: Carol}\n  nationality: ["ruritania\\N"]\n',
        "{f}:9, record 'carol', field 'nationality': control character U+0085 in the value",
    ),
    "carriage-return-in-quote": (
        '  label: {en: Carol}\n  sources: [{source: src-test, quote: "a\\r\\nb"}]\n',
        "{f}:9, record 'carol', field 'sources': control character U+000D in citation 'quote'",
    ),
}


@pytest.mark.parametrize("case", sorted(ESCAPED))
def test_an_escaped_control_character_is_refused_at_its_line_and_field(case, tmp_path):
    text, expected = ESCAPED[case]
    problems = _records(tmp_path, "- id: carol\n  type: person\n" + text)
    assert problems is not None
    first = problems.splitlines()[0].split("; allowed: ")[0]  # (the list of fields after it)
    assert first == expected.format(f=tmp_path / "r.yaml")


@pytest.mark.parametrize("command", ["query", "describe"])
def test_an_escaped_control_character_never_reaches_the_terminal(command, invoke, mini):
    (mini / "extra.yaml").write_text(
        '- id: carol\n  type: person\n  label: {en: "Car\\e]0;x\\a\\e[2Jol"}\n'
        "  sources: [{source: src-test, quote: Carol.}]\n",
        encoding="ascii",
    )
    args = (
        ["query", "-e", "SELECT ?l WHERE { ?s rdfs:label ?l }", "--records", str(mini)]
        if command == "query"
        else ["describe", "carol", "--records", str(mini)]
    )
    result = invoke(*args)
    assert (result.exit_code, result.output) == (
        2,
        "Error: 1 problem(s) in the records:\n"
        f"  {mini / 'extra.yaml'}:3, record 'carol', field 'label': control character U+001B "
        "in the value [en]\n",
    )


def test_tab_line_breaks_and_line_separators_stay_in_text(tmp_path):
    """Tab and line feed (a quote spans lines) and U+2028/U+2029, which are line
    breaks rather than controls, are text; DEL and the C0/C1 controls are not."""
    assert (
        _records(
            tmp_path,
            '- id: carol\n  type: person\n  label: {en: "Carol\\LExample\\Pthe\\tsecond"}\n'
            '  sources: [{source: src-test, quote: "line one\\nline two"}]\n',
        )
        is None
    )
    recs = load_records(tmp_path)
    assert recs["carol"].fields["label"][0].value == ("Carol\u2028Example\u2029the\tsecond", "en")
    assert recs["carol"].sources[0].quote == "line one\nline two"


# --- the writers: a term RDF does not allow is bad input, named -----------------


def test_the_writers_name_the_term_they_cannot_write():
    s, p = URIRef("https://example.org/s"), URIRef("https://example.org/p")
    with pytest.raises(BadInput) as err:
        turtle_bytes([(s, p, URIRef("https://example.org/a b"))])
    assert str(err.value) == (
        "cannot write turtle: 'https://example.org/a b' is not an IRI (Invalid IRI code point ' ')"
    )
    with pytest.raises(BadInput) as err:
        rdf_bytes([(s, p, Literal("x", lang="en-US-US"), None)], "nt")
    assert str(err.value) == (
        f"cannot write nt: 'en-US-US' is not a language tag ({language_tag_problem('en-US-US')})"
    )


def test_the_mini_records_still_load(tmp_path):
    shutil.copytree(MINI, tmp_path / "m")
    assert len(load_records(tmp_path / "m")) > 0
