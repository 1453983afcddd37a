"""`kg validate FILE --records DIR`: a new file's references to existing records
resolve, and the report is about the file's records."""

from __future__ import annotations

from pathlib import Path

import pytest

NEW_SOURCE = """\
- id: src-new-release
  type: source
  title: {en: A new press release}
  language: en
  reliability: primary
  address: https://example.org/new-release
"""

NEW_TALKS = (
    NEW_SOURCE
    + """\
- id: new-talks-2024
  type: talks
  label: {en: New talks}
  start: "2024-05-01"
  place: [%(place)s]
  participant: [%(who)s]
  sources: [{source: src-new-release, quote: They talked.}]
"""
)

APPROXIMATE_START = (
    NEW_SOURCE
    + """\
- id: new-talks-1990s
  type: talks
  label: {en: New talks}
%(date)s
  place: [tokyo]
  participant: [fumio-kishida]
  sources: [{source: src-new-release, quote: They talked.}]
"""
)
APPROXIMATE_YEAR = """\
  start:
    value: "1990"
    qualifier: [approximate]
    sources: [{source: src-new-release, quote: early in the 1990s}]"""
BOUNDS = """\
  notBefore: {value: "1990", sources: [{source: src-new-release, quote: early in the 1990s}]}
  notAfter: {value: "1999", sources: [{source: src-new-release, quote: early in the 1990s}]}"""


@pytest.mark.parametrize("engine", ["native", "reference"])
def test_an_approximate_year_is_refused_as_a_start_and_bounds_are_taken(invoke, tmp_path, engine):
    """Issue 18: an event no source dates exactly takes not-before/not-after bounds;
    a start qualified approximate is a violation on both engines."""
    new = tmp_path / "new.yaml"
    new.write_text(APPROXIMATE_START % {"date": APPROXIMATE_YEAR}, encoding="utf-8")
    refused = invoke("validate", str(new), "--engine", engine)
    new.write_text(APPROXIMATE_START % {"date": BOUNDS}, encoding="utf-8")
    bounded = invoke("validate", str(new), "--engine", engine)

    assert refused.exit_code == 1
    assert refused.output == (
        f"VIOLATION: {new}:10, record 'new-talks-1990s', field 'start': An event's start "
        "(field `start`) may not be approximate: write the bounds the sources allow as "
        "`notBefore` and `notAfter`, and leave `start` out. (focus id:new-talks-1990s, "
        'path kg:startDate, value "1990"^^xsd:gYear)\n'
        "1 violation(s), 0 warning(s), 0 info: does not conform (fail-on: violation)\n"
    )
    assert bounded.exit_code == 0, bounded.output
    assert bounded.output == (
        "0 violation(s), 0 warning(s), 0 info: conforms (fail-on: violation)\n"
    )


def test_a_new_file_alone_resolves_its_references_to_the_bundled_records(invoke, tmp_path):
    new = tmp_path / "new.yaml"
    new.write_text(NEW_TALKS % {"place": "tokyo", "who": "fumio-kishida"}, encoding="utf-8")

    result = invoke("validate", str(new))

    assert result.exit_code == 0, result.output
    # The bundled records' own warnings are not this file's: left out.
    assert result.output == "0 violation(s), 0 warning(s), 0 info: conforms (fail-on: violation)\n"


def test_a_near_miss_reference_suggests_the_existing_id(invoke, tmp_path):
    new = tmp_path / "new.yaml"
    new.write_text(NEW_TALKS % {"place": "tokyo", "who": "fumio-kishda"}, encoding="utf-8")

    result = invoke("validate", str(new))

    assert result.exit_code == 2
    assert result.output == (
        "Error: 1 problem(s) in the records:\n"
        f"  {new}:12, record 'new-talks-2024', field 'participant': refers to 'fumio-kishda', "
        "which is not the id of any record (did you mean 'fumio-kishida'?)\n"
    )


def test_records_dir_gives_the_records_a_file_refers_to(invoke, mini: Path, tmp_path):
    new = tmp_path / "new.csv"
    new.write_text(
        "id,type,label@en,start,participant,sources,sources.quote\n"
        "new-meeting,meeting,New meeting,2021,alice,src-test,They met.\n",
        encoding="utf-8",
    )

    with_dir = invoke("validate", str(new), "--records", str(mini))
    alone = invoke("validate", str(new), "--records", str(new))

    assert with_dir.exit_code == 0, with_dir.output
    assert with_dir.output == (
        f"WARNING: {new}:2, record 'new-meeting', field 'place': An event should say where it "
        "took place (field `place`), if a source says so. (focus id:new-meeting, path kg:place)\n"
        "0 violation(s), 1 warning(s), 0 info: conforms (fail-on: violation)\n"
    )
    assert alone.exit_code == 2
    assert "refers to 'alice', which is not the id of any record" in alone.output


def test_a_file_of_the_records_dir_is_read_once(invoke, mini: Path):
    result = invoke("validate", str(mini / "events.yaml"), "--records", str(mini))

    assert result.exit_code == 0, result.output
    assert result.output == "0 violation(s), 0 warning(s), 0 info: conforms (fail-on: violation)\n"


def test_a_violation_elsewhere_that_the_new_file_causes_is_reported(invoke, mini, tmp_path):
    # With --fail-on warning, a warning on another record fails the run too: listed.
    (mini / "events.yaml").write_text(
        (mini / "events.yaml").read_text().replace("  place: [capital]\n", "", 1),
        encoding="utf-8",
    )
    new = tmp_path / "new.yaml"
    new.write_text(
        NEW_TALKS.replace("%(place)s", "capital").replace("%(who)s", "alice"), encoding="utf-8"
    )

    quiet = invoke("validate", str(new), "--records", str(mini))
    strict = invoke("validate", str(new), "--records", str(mini), "--fail-on", "warning")

    assert quiet.output == "0 violation(s), 0 warning(s), 0 info: conforms (fail-on: violation)\n"
    assert strict.exit_code == 1
    assert f"WARNING: {mini}/events.yaml:12, record 'visit-2020', field 'place'" in strict.output


def test_records_is_for_records_files_not_rdf(invoke, tmp_path, mini):
    ttl = tmp_path / "g.ttl"
    ttl.write_text("", encoding="utf-8")
    result = invoke("validate", str(ttl), "--records", str(mini))
    assert result.exit_code == 2
    assert result.output == (
        "Error: --records gives the records that records files refer to, not RDF files\n"
    )


def test_the_report_graph_and_json_hold_the_files_findings_only(invoke, mini, tmp_path):
    new = tmp_path / "new.yaml"
    new.write_text(
        NEW_TALKS.replace("  place: [%(place)s]\n", "").replace("%(who)s", "alice"),
        encoding="utf-8",
    )
    (mini / "events.yaml").write_text(
        (mini / "events.yaml").read_text().replace("  place: [capital]\n", "", 1),
        encoding="utf-8",
    )
    import json

    from rdflib import Graph
    from rdflib.namespace import SH

    doc = json.loads(
        invoke("validate", str(new), "--records", str(mini), "--format", "json").output
    )
    ttl = invoke("validate", str(new), "--records", str(mini), "--format", "turtle").output
    g = Graph().parse(data=ttl, format="turtle")

    assert [(f["record"], f["field"]) for f in doc["findings"]] == [("new-talks-2024", "place")]
    assert {str(o).rsplit("/", 1)[1] for o in g.objects(None, SH.focusNode)} == {"new-talks-2024"}
