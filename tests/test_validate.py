"""kg validate: exit codes, formats, severities, and reports that point at records."""

from __future__ import annotations

import json

from rdflib import Graph


def _drop_speaker(mini):
    path = mini / "events.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  speaker: alice\n", ""), encoding="utf-8")
    return path


def test_valid_records_conform(invoke, mini):
    result = invoke("validate", str(mini))
    assert result.exit_code == 0
    assert result.output.endswith("conforms (fail-on: violation)\n")


def test_injected_fault_names_file_line_record_field(invoke, mini):
    _drop_speaker(mini)
    result = invoke("validate", str(mini))
    assert result.exit_code == 1
    first = result.output.splitlines()[0]
    assert first.startswith("VIOLATION: ")
    assert "events.yaml:" in first and "record 'quote-alice'" in first
    assert "`speaker`" in first
    assert result.output.rstrip().endswith("does not conform (fail-on: violation)")


def test_wrong_value_points_at_the_field_line(invoke, mini):
    path = mini / "events.yaml"
    text = path.read_text(encoding="utf-8")
    lineno = next(i for i, ln in enumerate(text.splitlines(), 1) if ln.startswith("  end:"))
    # An end before the start: each date is well-formed, together they are wrong.
    path.write_text(text.replace('  end: "2020-01-03"', '  end: "2019-12-31"'), encoding="utf-8")
    result = invoke("validate", str(mini))
    assert result.exit_code == 1
    assert f"events.yaml:{lineno}, record 'visit-2020', field 'end'" in result.output


def test_json_report(invoke, mini):
    _drop_speaker(mini)
    result = invoke("validate", str(mini), "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.output)
    assert doc["conforms"] is False
    assert doc["counts"]["violation"] >= 1
    f = next(f for f in doc["findings"] if f["record"] == "quote-alice")
    assert f["file"].endswith("events.yaml") and f["field"] == "speaker"
    assert f["focus"] == "id:quote-alice" and f["path"] == "kg:speaker"


def test_turtle_report_is_a_shacl_report(invoke, mini):
    _drop_speaker(mini)
    result = invoke("validate", str(mini), "--format", "turtle")
    assert result.exit_code == 1
    g = Graph().parse(data=result.output, format="turtle")
    ask = "ASK { ?r a sh:ValidationReport ; sh:conforms false }"
    assert g.query(ask, initNs={"sh": "http://www.w3.org/ns/shacl#"}).askAnswer


def test_validate_rdf_file(invoke, tmp_path):
    assert invoke("build", "-o", str(tmp_path)).exit_code == 0
    result = invoke("validate", str(tmp_path / "kg.ttl"))
    assert result.exit_code == 0, result.output


def test_validate_broken_rdf_is_bad_input(invoke, tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("<a> <b> .\n", encoding="utf-8")
    result = invoke("validate", str(bad))
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {bad}: not valid turtle:")


def test_missing_path_is_bad_input(invoke, tmp_path):
    result = invoke("validate", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2
    assert "no such file or folder" in result.output


def test_report_written_atomically_to_file(invoke, mini, tmp_path):
    out = tmp_path / "report.json"
    result = invoke("validate", str(mini), "--format", "json", "-o", str(out))
    assert result.exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["conforms"] is True
