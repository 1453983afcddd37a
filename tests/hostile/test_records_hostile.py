"""Hostile records: each is refused with its exact message, builds nothing,
and touches nothing (group 1 of the hostile-input suite)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.hostile.conftest import assert_refused

MINI = Path(__file__).parent.parent / "fixtures" / "mini"
PERSON = "- id: {id}\n  type: person\n  label: {{en: {label}}}\n  sources: [{{source: src-test, quote: q}}]\n"  # noqa: E501
EVENT = (
    '- id: big-event\n  type: meeting\n  label: {{en: Big}}\n  start: "2020-01-01"\n'
    '  attendance: "{attendance}"\n  sources: [{{source: src-test, quote: q}}]\n'
)
BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n"
    for i in range(8)
)

# name -> (bad.yaml content (str or bytes), the expected problem line)
CASES: dict[str, tuple[str | bytes, str]] = {
    "missing-id": (
        "- type: person\n  label: {en: Nobody}\n",
        "records/bad.yaml:1: record has no 'id'",
    ),
    "duplicate-id": (
        PERSON.format(id="alice", label="Second Alice"),
        "records/bad.yaml:1, record 'alice', field 'id': duplicate id "
        "(first defined at records/actors.yaml:1)",
    ),
    "duplicate-key": (
        "- id: bob\n  type: person\n  label: {en: Bob}\n  label: {en: Robert}\n",
        "records/bad.yaml:4: duplicate key 'label' (first at line 3)",
    ),
    "implicit-typing-id-NO": (
        PERSON.format(id="NO", label="Norway?"),
        "records/bad.yaml:1, record 'NO', field 'id': id 'NO' must be lower-case "
        "letters, digits and hyphens",
    ),
    "alias-bomb": (BOMB, "records/bad.yaml:1: YAML anchors (&name) are not allowed in records"),
    "merge-key-alias": (
        "- &base {id: bob, type: person}\n- <<: *base\n  id: bob2\n",
        "records/bad.yaml:1: YAML anchors (&name) are not allowed in records",
    ),
    "python-tag": (
        '- !!python/object/apply:os.system ["touch PWNED"]\n',
        "records/bad.yaml:1: YAML tags (tag:yaml.org,2002:python/object/apply:os.system) "
        "are not allowed in records",
    ),
    "python-tag-in-value": (
        "- id: bob\n  type: person\n  label: {en: !!python/name:os.system x}\n",
        "records/bad.yaml:3: YAML tags (tag:yaml.org,2002:python/name:os.system) "
        "are not allowed in records",
    ),
    "latin-1": (
        "- id: bob\n  type: person\n  label: {fr: Bébé}\n".encode("latin-1"),
        "records/bad.yaml:3: not UTF-8 (byte 0xe9 at offset 40); save the file as UTF-8",
    ),
    "utf-16-bom": (
        "- id: bob\n".encode("utf-16"),
        "records/bad.yaml:1: not UTF-8 (byte 0xff at offset 0); save the file as UTF-8",
    ),
    "control-character": (
        "- id: bob\n  type: person\n  label: {en: B\x1bob}\n",
        "records/bad.yaml:3: control character U+001B in the file",
    ),
    "nfd-duplicate-key": (
        "- id: bob\n  type: person\n  label: {en: Bob}\n  cafe\u0301: 1\n  caf\u00e9: 2\n",
        "records/bad.yaml:5: duplicate key 'café' (first at line 4)",
    ),
    "nfd-id": (
        PERSON.format(id="cafe\u0301", label="Café"),
        "records/bad.yaml:1, record 'café', field 'id': id 'café' must be lower-case "
        "letters, digits and hyphens",
    ),
    "deep-nesting": (
        "- id: bob\n  type: person\n  label: " + "[" * 5000 + "]" * 5000 + "\n",
        "records/bad.yaml: YAML nested too deeply",
    ),
    # Python refuses int() of more than 4,300 digits: rdflib printed a traceback and
    # validation reported the same violation twice. Counts have at most 18 digits.
    "integer-of-5000-digits": (
        EVENT.format(attendance="9" * 5000),
        "records/bad.yaml:5, record 'big-event', field 'attendance': "
        f"'{'9' * 30}'…(5000 characters) is not a whole number written in digits, "
        "without leading zeros, of at most 18 digits",
    ),
    "integer-of-19-digits": (
        EVENT.format(attendance="1" + "0" * 18),
        "records/bad.yaml:5, record 'big-event', field 'attendance': '1000000000000000000' is "
        "not a whole number written in digits, without leading zeros, of at most 18 digits",
    ),
    "record-is-a-string": (
        "- just a string\n",
        "records/bad.yaml:1: each record must be a mapping with 'id' and 'type'",
    ),
}


def _records(files: dict[str, str | bytes], bad: str | bytes) -> dict[str, str | bytes]:
    out: dict[str, str | bytes] = {
        f"records/{p.name}": p.read_text(encoding="utf-8") for p in MINI.glob("*.yaml")
    }
    out["records/bad.yaml"] = bad
    out["build/kg.ttl"] = "# the previous build\n"
    out.update(files)
    return out


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_record_is_refused(case, hostile):
    bad, problem = CASES[case]
    out = hostile(["build", "records", "-o", "build"], _records({}, bad))
    assert_refused(out, 2, f"Error: 1 problem(s) in the records:\n  {problem}")


def test_huge_records_file_is_refused_before_reading(hostile, tmp_path):
    from kg.records.yamlread import MAX_FILE_BYTES

    files = _records({}, PERSON.format(id="bob", label="Bob"))
    del files["records/bad.yaml"]
    (tmp_path / "records").mkdir()
    with open(tmp_path / "records" / "huge.yaml", "wb") as fh:  # sparse: no disk used
        fh.truncate(MAX_FILE_BYTES + 1)
    out = hostile(["build", "records", "-o", "build"], files)
    assert_refused(
        out,
        2,
        "Error: 1 problem(s) in the records:\n  records/huge.yaml: over the "
        "16777216-byte limit for one records file",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [("NO", "NO"), ("0755", "0755"), ("yes", "yes"), ("1e3", "1e3"), ("null", "null")],
)
def test_yaml_implicit_typing_traps_stay_text(text, expected, hostile):
    """YAML 1.1 would read these as false, 493, true, 1000.0 and None."""
    out = hostile(
        ["query", "--records", "records", "-e",
         "SELECT ?l { <https://w3id.org/kg-nj/id/bob> rdfs:label ?l }", "--format", "csv"],
        _records({}, PERSON.format(id="bob", label=text)),
    )  # fmt: skip
    assert (out.code, out.stderr) == (0, "")
    assert out.stdout.splitlines() == ["l", expected]
    assert out.connections == 0
    assert out.changed == []


def test_bom_is_accepted(hostile):
    out = hostile(
        ["query", "--records", "records", "-e",
         "SELECT ?l { <https://w3id.org/kg-nj/id/bob> rdfs:label ?l }", "--format", "csv"],
        _records({}, "\ufeff" + PERSON.format(id="bob", label="Bob")),
    )  # fmt: skip
    assert (out.code, out.stdout.splitlines()) == (0, ["l", "Bob"])


def test_alias_bomb_is_refused_before_any_alias_is_read(tmp_path):
    """Refused at the first anchor, on line 1: no alias is ever composed, so the
    bomb's size never matters (proved by where it stops, not by a stopwatch)."""
    from kg.errors import BadInput
    from kg.records.yamlread import parse_yaml

    with pytest.raises(BadInput) as err:
        parse_yaml(BOMB, "bomb.yaml")
    assert str(err.value) == "bomb.yaml:1: YAML anchors (&name) are not allowed in records"


def test_nothing_runs_from_a_python_tag(hostile, tmp_path):
    hostile(["validate", "records"], _records({}, CASES["python-tag"][0]))
    assert not (tmp_path / "PWNED").exists()
    shutil.rmtree(tmp_path / "records")


@pytest.mark.parametrize("engine", ["native", "reference"])
def test_an_integer_of_18_digits_is_a_count_on_both_engines(engine, hostile):
    """The most a count may have: validated, stored and compared as a number."""
    count = "9" * 18
    out = hostile(
        ["query", "--records", "records", "--engine", engine, "-e",
         "SELECT ?a { ?e kg:attendance ?a FILTER(?a > 1) }", "--format", "csv"],
        _records({}, EVENT.format(attendance=count)),
    )  # fmt: skip
    assert (out.code, out.stderr) == (0, "")
    assert sorted(out.stdout.splitlines()) == sorted(["a", "40", count])
