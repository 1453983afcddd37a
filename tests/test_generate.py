"""kg generate: synthetic records in the curated format, valid, reproducible, linear."""

from __future__ import annotations

import json

import pytest

from kg.generate import generate_records
from kg.pipeline.open import load


def files(d):
    return {p.name: p.read_bytes() for p in sorted(d.glob("*.yaml"))}


def test_same_seed_gives_byte_identical_files(tmp_path):
    generate_records(tmp_path / "a", events=40, seed=7)
    generate_records(tmp_path / "b", events=40, seed=7)
    generate_records(tmp_path / "c", events=40, seed=8)
    assert files(tmp_path / "a") == files(tmp_path / "b")
    assert files(tmp_path / "a") != files(tmp_path / "c")


@pytest.mark.large
def test_triples_grow_linearly(tmp_path):
    small = len(load(generate_records(tmp_path / "s", events=100).files[0].parent).triples)
    large = len(load(generate_records(tmp_path / "l", events=400).files[0].parent).triples)
    assert 3.6 < large / small < 4.4


def test_generated_records_build_with_reasoning_and_conform(invoke, tmp_path):
    assert invoke("generate", "--events", "25", "-o", str(tmp_path / "r")).exit_code == 0
    result = invoke("build", str(tmp_path / "r"), "-o", str(tmp_path / "out"), "--reason")
    assert result.exit_code == 0, result.output
    assert "Validation: 0 violation(s), 0 warning(s)" in result.output
    assert (tmp_path / "out" / "kg-inferred.ttl").stat().st_size > 0


def test_injected_violations_are_exactly_reported(invoke, tmp_path):
    result = invoke("generate", "--events", "30", "--violations", "5", "-o", str(tmp_path))
    assert result.exit_code == 0
    assert "5 violation(s) injected" in result.output
    for engine in ("native", "reference"):
        out = invoke("validate", str(tmp_path), "--format", "json", "--engine", engine)
        assert out.exit_code == 1
        assert json.loads(out.output)["counts"]["violation"] == 5


def test_names_are_invented(tmp_path):
    generate_records(tmp_path, events=20, seed=1)
    text = "".join(p.read_text(encoding="utf-8") for p in tmp_path.glob("*.yaml"))
    assert "Invented names and sources; not facts." in text
    for real in ("Abe", "Rasmussen", "Stoltenberg", "Kishida", "NATO", "Japan"):
        assert real not in text


def test_output_under_a_file_is_a_clean_error(invoke, tmp_path):
    (tmp_path / "afile").write_text("x\n", encoding="utf-8")
    result = invoke("generate", "--events", "5", "-o", str(tmp_path / "afile" / "x"))
    assert (result.exit_code, result.output) == (
        2,
        f"Error: cannot write {tmp_path / 'afile' / 'x'}: {tmp_path / 'afile'} is a file, "
        "not a folder\n",
    )


def test_failed_run_keeps_the_previous_records(invoke, tmp_path, monkeypatch):
    out = tmp_path / "gen"
    generate_records(out, 40, seed=1)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    from patching import patch_everywhere

    import kg.rdfio.atomic as atomic

    real = atomic.temp_file
    calls = []

    def dying(target):
        calls.append(target)
        if len(calls) == 2:  # the second file of the new set
            raise OSError(28, "No space left on device")
        return real(target)

    patch_everywhere(monkeypatch, atomic, "temp_file", dying)
    result = invoke("generate", "--events", "800", "--seed", "2", "-o", str(out))
    assert (result.exit_code, result.output) == (
        2,
        f"Error: cannot write {out / 'generated-00001.yaml'}: No space left on device\n",
    )
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
