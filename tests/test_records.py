"""Bad records: one clear message naming file, line, record and field; exit 2;
nothing written and the previous output left as it was."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kg.errors import BadRecords
from kg.records.load import load_records


def _build_twice(invoke, records: Path, out: Path, edit) -> tuple[object, bytes]:
    first = invoke("build", str(records), "-o", str(out))
    assert first.exit_code == 0, first.output
    before = (out / "kg.ttl").read_bytes()
    edit()
    return invoke("build", str(records), "-o", str(out)), before


CASES = {
    "missing-id": (
        "- type: person\n  label: {en: X}\n",
        "extra.yaml:1: record has no 'id'",
    ),
    "duplicate-id": (
        "- id: alice\n  type: person\n  label: {en: X}\n",
        "extra.yaml:1, record 'alice', field 'id': duplicate id (first defined at ",
    ),
    "dangling-reference": (
        "- id: bob\n  type: person\n  label: {en: Bob}\n  nationality: [atlantis]\n",
        "extra.yaml:4, record 'bob', field 'nationality': refers to 'atlantis', "
        "which is not the id of any record",
    ),
    "reference-to-wrong-type": (
        "- id: q2\n  type: statement\n  speaker: capital\n  text: {en: Hi}\n",
        "extra.yaml:3, record 'q2', field 'speaker': refers to 'capital' of type 'place'; "
        "expected one of: ",
    ),
    "impossible-date": (
        '- id: ev\n  type: meeting\n  start: "2024-02-30"\n',
        "extra.yaml:3, record 'ev', field 'start': '2024-02-30' is not a real date",
    ),
    "unknown-field": (
        "- id: bob\n  type: person\n  label: {en: Bob}\n  shoeSize: '42'\n",
        "extra.yaml:4, record 'bob', field 'shoeSize': unknown field for type 'person'",
    ),
    "wrong-kind-list-for-single": (
        "- id: ev\n  type: meeting\n  start: ['2020', '2021']\n",
        "extra.yaml:3, record 'ev', field 'start': field 'start' takes one value, not a list",
    ),
    "leading-zero-integer": (
        "- id: ev\n  type: meeting\n  start: '2020'\n  attendance: 0755\n",
        "extra.yaml:4, record 'ev', field 'attendance': '0755' is not a whole number",
    ),
    "yaml-implicit-no-is-not-false": (
        "- id: ev\n  type: meeting\n  start: '2020'\n  attendance: NO\n",
        "field 'attendance': 'NO' is not a whole number",
    ),
    "unknown-type": (
        "- id: ev\n  type: party\n",
        "extra.yaml:2, record 'ev', field 'type': unknown type 'party'",
    ),
    "malformed-yaml": (
        "- id: ev\n  type: [meeting\n",
        "extra.yaml:3: malformed YAML",
    ),
    "duplicate-key": (
        "- id: ev\n  type: meeting\n  type: visit\n",
        "extra.yaml:3: duplicate key 'type' (first at line 2)",
    ),
    "alias": (
        "- id: ev\n  type: meeting\n  label: &l {en: X}\n",
        "extra.yaml:3: YAML anchors (&name) are not allowed in records",
    ),
    "python-tag": (
        "- id: ev\n  type: !!python/name:os.system meeting\n",
        "extra.yaml:2: YAML tags (tag:yaml.org,2002:python/name:os.system) are not allowed",
    ),
    "bad-language-tag": (
        "- id: bob\n  type: person\n  label: {english: Bob}\n",
        "extra.yaml:3, record 'bob', field 'label': the value: 'english' is not a language tag",
    ),
    "not-a-list": (
        "id: bob\ntype: person\n",
        "extra.yaml:1: a records file must be a YAML list of records",
    ),
    "unknown-qualifier": (
        "- id: ev\n  type: meeting\n  start: {value: '2020', qualifier: [maybe]}\n",
        "extra.yaml:3, record 'ev', field 'start': 'maybe' is not one of: approximate",
    ),
    "reading-on-a-record-citation": (
        "- id: bob\n  type: person\n  label: {en: Bob}\n"
        "  sources: [{source: src-test, qualifier: [derived]}]\n",
        "extra.yaml:4, record 'bob', field 'sources': a citation carries a 'qualifier' only "
        "among the sources of a qualified value",
    ),
    "unknown-reading-qualifier": (
        "- id: ev\n  type: meeting\n  start:\n    value: '2020'\n"
        "    sources: [{source: src-test, qualifier: [maybe]}]\n",
        "extra.yaml:5, record 'ev', field 'start': 'maybe' is not one of: approximate",
    ),
    "part-not-in-the-value": (
        "- id: ev\n  type: meeting\n  start: '2020'\n  description:\n    value: {en: One. Two.}\n"
        "    sources: [{source: src-test, part: Three.}]\n",
        "extra.yaml:6, record 'ev', field 'description': citation 'part' 'Three.' is not in the "
        "value ('en')",
    ),
    "part-on-a-record-citation": (
        "- id: bob\n  type: person\n  label: {en: Bob}\n  sources: [{source: src-test, part: B}]\n",
        "extra.yaml:4, record 'bob', field 'sources': a citation carries a 'part' only among the "
        "sources of a qualified value",
    ),
    "part-of-a-date": (
        "- id: ev\n  type: meeting\n  start:\n    value: '2020'\n"
        "    sources: [{source: src-test, part: '20'}]\n",
        "extra.yaml:5, record 'ev', field 'start': a citation's 'part' names words of a text "
        "value only",
    ),
    "citation-of-non-source": (
        "- id: bob\n  type: person\n  label: {en: Bob}\n  sources: [{source: alice}]\n",
        "extra.yaml:4, record 'bob', field 'sources': refers to 'alice' of type 'person'; "
        "expected one of: source",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_record_exits_2_names_place_and_writes_nothing(case, invoke, mini, tmp_path):
    text, expected = CASES[case]
    out = tmp_path / "out"
    result, before = _build_twice(
        invoke, mini, out, lambda: (mini / "extra.yaml").write_text(text, encoding="utf-8")
    )
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert result.output.startswith("Error: ")
    assert (out / "kg.ttl").read_bytes() == before
    # The query store (kg.oxigraph) and the incremental state of the first
    # build are left as they were too: no temporary or half-written folder.
    assert sorted(p.name for p in out.iterdir()) == [".kg-state", "kg.oxigraph", "kg.ttl"]


def test_not_utf8_is_refused_with_line(invoke, mini, tmp_path):
    (mini / "latin1.yaml").write_bytes(
        "- id: bob\n  type: person\n  label: {fr: Bébé}\n".encode("latin-1")
    )
    result = invoke("build", str(mini), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert "latin1.yaml:3: not UTF-8 (byte 0xe9" in result.output
    assert not (tmp_path / "out").exists()


def test_control_character_is_refused(invoke, mini, tmp_path):
    (mini / "ctl.yaml").write_text('- id: bob\n  type: person\n  label: {en: "B\\x07ob"}\n')
    (mini / "ctl2.yaml").write_text("- id: bob2\n  type: person\n  label: {en: B\x07ob}\n")
    result = invoke("validate", str(mini))
    assert result.exit_code == 2
    assert "ctl2.yaml:3: control character U+0007 in the file" in result.output


def test_all_problems_reported_together(mini):
    (mini / "extra.yaml").write_text(
        "- id: ev\n  type: meeting\n  start: '2020-13'\n  bogus: x\n", encoding="utf-8"
    )
    with pytest.raises(BadRecords) as err:
        load_records(mini)
    fields = [p.location.field for p in err.value.problems]
    assert fields == ["start", "bogus"]


def test_yaml_strings_stay_strings(mini):
    (mini / "extra.yaml").write_text(
        "- id: no\n  type: person\n  label: {en: NO, fr: 0755}\n  sources: [{source: src-test}]\n",
        encoding="utf-8",
    )
    rec = load_records(mini)["no"]
    assert [v.value for v in rec.fields["label"]] == [("NO", "en"), ("0755", "fr")]


def test_text_is_nfc_normalised(mini):
    decomposed = "Be\u0301be\u0301"  # é written as e + combining acute
    (mini / "extra.yaml").write_text(
        f"- id: bb\n  type: person\n  label: {{fr: {decomposed}}}\n", encoding="utf-8"
    )
    assert load_records(mini)["bb"].fields["label"][0].value == ("B\u00e9b\u00e9", "fr")


def test_bom_is_accepted(mini):
    (mini / "bom.yaml").write_bytes(b"\xef\xbb\xbf- id: bob\n  type: person\n  label: {en: Bob}\n")
    assert load_records(mini)["bob"].line == 1


@pytest.mark.parametrize(
    ("label_from", "why"),
    [
        ("{headline}", "names no field or unknown fields ['headline']"),
        ("a fixed label", "names no field or unknown fields []"),
    ],
)
def test_a_label_template_names_fields_of_its_type(label_from, why, tmp_path):
    """labelFrom (record-types.yaml) may only name the type's own fields: a
    misspelt one would leave every record of the type without a label."""
    import yaml

    from kg.records.schema import load_schema
    from kg.resources import record_types_file

    raw = yaml.safe_load(record_types_file().read_text(encoding="utf-8"))
    raw["types"]["document"]["labelFrom"] = label_from
    path = tmp_path / "record-types.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(f"labelFrom {label_from!r} {why}")):
        load_schema(path)
