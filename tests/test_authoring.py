"""For people who write records: `kg records template`, the generated part of
docs/records.md, and its worked example, which must validate and build."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from kg.resources import records_dir
from kg.views.authoring import BEGIN, END, guide_document, splice

ROOT = Path(__file__).parents[1]
GUIDE = ROOT / "docs" / "records.md"


def _section(title: str) -> str:
    text = GUIDE.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}")
    return text[start : text.index("\n## ", start + 1)]


def _blocks(title: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", _section(title), re.S)


def test_docs_records_md_is_what_kg_records_guide_writes():
    assert guide_document(GUIDE) == GUIDE.read_text(encoding="utf-8"), (
        "docs/records.md's record types are out of date: run `kg records guide -o docs/records.md`"
    )


def test_the_guide_lists_every_type_with_its_fields_needs_and_examples():
    from kg.records.schema import load_schema

    part = GUIDE.read_text(encoding="utf-8").split(BEGIN)[1]
    for name in load_schema().types:
        assert f"`{name}` (" in part, name
    assert (
        "| `start` | a date: YYYY-MM-DD, YYYY-MM or YYYY | required: one of start, notBefore, "
        "notAfter |" in part
    )
    assert "| `place` | ids of: place (many) | recommended | `[" in part
    assert "| `signatory` | ids of: agent (many) | required | `[" in part


def test_kg_records_guide_replaces_only_its_part(invoke, tmp_path):
    doc = tmp_path / "guide.md"
    doc.write_text(f"# Mine\n\nkept\n\n{BEGIN}\nold\n{END}\n\n## After\n", encoding="utf-8")

    result = invoke("records", "guide", "-o", str(doc))

    assert result.exit_code == 0, result.output
    text = doc.read_text(encoding="utf-8")
    assert text.startswith(f"# Mine\n\nkept\n\n{BEGIN}\n\n## Record types\n")
    assert text.endswith(f"{END}\n\n## After\n") and "\nold\n" not in text


def test_a_file_without_the_markers_is_refused(invoke, tmp_path):
    doc = tmp_path / "guide.md"
    doc.write_text("# Mine\n", encoding="utf-8")
    result = invoke("records", "guide", "-o", str(doc))
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {doc} has no record types' part to replace")
    assert doc.read_text(encoding="utf-8") == "# Mine\n"


def test_splice_keeps_what_is_around_the_part():
    assert splice(f"a\n{BEGIN}\nx\n{END}\nb\n", "P\n") == "a\nP\nb\n"


def test_template_yaml_lists_every_field_with_what_it_takes(invoke):
    result = invoke("records", "template", "place")

    assert result.exit_code == 0
    assert result.stdout == (
        "# A record of type place (kg:Place): fill in the values, delete the fields you\n"
        "# do not use. What each field takes, and examples: docs/records.md.\n"
        "- id:                          # required; lower-case letters, digits and hyphens, "
        "unique\n"
        "  type: place                  # required; `place`\n"
        '  label: {en: ""}              # required; text by language: {en: …, fr: …}\n'
        '  altLabel: {en: [""]}         # text by language: {en: …, fr: …} (many)\n'
        '  description: {en: ""}        # text by language: {en: …, fr: …}\n'
        '  note: {en: ""}               # text by language: {en: …, fr: …}\n'
        "  qualifier: []                # one of: derived, approximate, disputed, "
        "secondary-only, inferred, uncertain, corrected (many)\n"
        "  sameAs: []                   # an IRI (many)\n"
        '  locatedIn: ""                # id of: place\n'
        '  country: ""                  # id of: state\n'
        "  sources:                     # required; citations: a list of "
        "{source: id of a source, quote: …}\n"
        "    - source:                  # id of a source record\n"
        '      quote: ""                # the source\'s words, verbatim\n'
        "  corrections: []              # what a source prints wrongly (YAML only)\n"
    )


def test_template_csv_is_a_header_and_the_columns_on_standard_error(invoke, mini):
    result = invoke("records", "template", "place", "--format", "csv")

    assert result.exit_code == 0
    header = (
        "id,type,label@en,altLabel@en,description@en,note@en,qualifier,sameAs,locatedIn,"
        "country,sources,sources.quote\n"
    )
    assert result.stdout == header
    assert result.stderr.splitlines()[1:4] == [
        "  id                 lower-case letters, digits and hyphens, unique (required)",
        "  type               place (or any other type: each row names its own) (required)",
        "  label@en           text in English (label@fr, label@ja … for other languages) "
        "(required)",
    ]
    # The header reads back as a table with no records, and with a row as one.
    (mini / "places.csv").write_text(
        header + "harbour,place,Harbour,,,,,,capital,ruritania,src-test,the harbour\r\n",
        encoding="utf-8",
    )
    from kg.records.load import load_records

    assert load_records(mini)["harbour"].fields["country"][0].value == "ruritania"


def test_template_of_an_unknown_type_suggests_the_closest(invoke):
    result = invoke("records", "template", "meting")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(
        "Error: unknown record type 'meting' (did you mean 'meeting'?); known types: agreement,"
    )


def test_the_worked_example_validates_alone_and_builds(invoke, tmp_path, monkeypatch):
    new = tmp_path / "records" / "example" / "cyber-dialogue.yaml"
    new.parent.mkdir(parents=True)
    new.write_text("\n".join(_blocks("A worked example", "yaml")), encoding="utf-8")
    (console,) = _blocks("A worked example", "console")
    command, expected = console.split("\n", 1)
    monkeypatch.chdir(tmp_path)

    checked = invoke(*command.removeprefix("$ kg ").split())

    assert (checked.exit_code, checked.output) == (0, expected)
    shutil.copytree(records_dir(), tmp_path / "all")
    shutil.copy(new, tmp_path / "all" / "cyber-dialogue.yaml")
    built = invoke("build", str(tmp_path / "all"), "-o", str(tmp_path / "out"))
    assert built.exit_code == 0, built.output
    ttl = (tmp_path / "out" / "kg.ttl").read_text(encoding="utf-8")
    for rid in ("example-cyber-dialogue-2024", "example-yokosuka", "theme-example-cyber-exercises"):
        assert f"id:{rid} a " in ttl


def test_the_table_example_builds_the_same_event(invoke, tmp_path):
    yaml_blocks = _blocks("A worked example", "yaml")
    (table,) = _blocks("Records as tables", "csv")
    folder = tmp_path / "new"
    folder.mkdir()
    (folder / "others.yaml").write_text("\n".join(yaml_blocks[:3]), encoding="utf-8")
    (folder / "event.csv").write_text(table, encoding="utf-8")
    as_yaml = tmp_path / "as-yaml"
    as_yaml.mkdir()
    (as_yaml / "all.yaml").write_text("\n".join(yaml_blocks), encoding="utf-8")

    from kg.builder.graph import records_to_graph
    from kg.records.load import load_records

    def triples(*paths: Path) -> set:
        return set(records_to_graph(load_records([records_dir(), *paths])).triples)

    assert triples(folder) == triples(as_yaml)
