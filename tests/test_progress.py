"""Progress on standard error: shown on a terminal only (kg.progress.shows, the
one decision), never with --quiet or CI set, and never in standard output:
what a command writes there, and its files, stay byte for byte the same."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from kg import progress
from kg.cli import cli

pytest_plugins = ["servers"]


def _kg(*args: str):
    return CliRunner().invoke(cli, list(args), obj={}, catch_exceptions=False)


@pytest.fixture
def terminal(monkeypatch):
    """Standard error a terminal, as kg.progress decides it, and no CI variable."""
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(progress, "terminal", lambda: True)


def _build(tmp_path, name: str, *options: str):
    r = _kg(*options, "build", "--records", str(tmp_path / "g"), "-o", str(tmp_path / name))
    assert r.exit_code == 0, r.output
    return r


@pytest.fixture
def generated(tmp_path):
    r = _kg("generate", "--events", "30", "--seed", "2", "-o", str(tmp_path / "g"))
    assert r.exit_code == 0, r.output
    return r


def test_no_progress_off_a_terminal(generated, tmp_path):
    assert generated.stderr == ""
    assert generated.stdout == (
        f"Wrote 97 records (30 events, 0 violation(s) injected) in 1 file(s) to {tmp_path / 'g'}\n"
    )
    r = _build(tmp_path, "b")
    assert r.stderr == ""
    assert r.stdout.splitlines()[0] == "Built 97 records into 2460 triples."


STAGES = re.compile(r"build: [a-z ]+ \(\d+\.\d s\)")


def test_progress_on_a_terminal_goes_to_standard_error_only(generated, tmp_path, terminal):
    again = _kg("generate", "--events", "30", "--seed", "2", "-o", str(tmp_path / "g2"))
    assert again.stderr == "generate: events\n"  # click's label, the stream not being a tty
    assert again.stdout == generated.stdout.replace(str(tmp_path / "g"), str(tmp_path / "g2"))

    shown = _build(tmp_path, "shown")
    stages = shown.stderr.splitlines()
    assert [s.split(" (")[0] for s in stages[:4]] == [
        "build: load records",
        "build: build graph",
        "build: export turtle",
        "build: read back",
    ]
    assert all(STAGES.fullmatch(s) for s in stages), stages
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(progress, "terminal", lambda: False)
        hidden = _build(tmp_path, "hidden")
    assert hidden.stderr == ""
    assert shown.stdout == hidden.stdout.replace(str(tmp_path / "hidden"), str(tmp_path / "shown"))
    assert (tmp_path / "shown" / "kg.ttl").read_bytes() == (
        tmp_path / "hidden" / "kg.ttl"
    ).read_bytes()


def test_quiet_and_ci_silence_a_terminal(generated, tmp_path, terminal, monkeypatch):
    assert _build(tmp_path, "q", "--quiet").stderr == ""
    assert _build(tmp_path, "q2", "-q").stderr == ""
    monkeypatch.setenv("CI", "true")
    assert _build(tmp_path, "ci").stderr == ""


def test_report_pages_on_a_terminal(tmp_path, terminal, mini):
    r = _kg("report", "--records", str(mini), "-o", str(tmp_path / "site"))
    assert r.exit_code == 0, r.output
    assert r.stderr == "report: records\nreport: queries\nreport: pages\n"


def test_push_bytes_and_triples_on_a_terminal(oxigraph, tmp_path, terminal, mini):
    r = _kg("push", "--records", str(mini), "--endpoint", oxigraph.store, "--no-ontology")
    assert r.exit_code == 0, r.output
    label = re.fullmatch(r"push: (\d+) triples, bytes sent\n", r.stderr)
    assert label is not None, r.stderr
    assert f"{label.group(1)} triples" in r.stdout


@pytest.mark.parametrize(
    ("tty", "quiet", "ci", "shown"),
    [
        (True, False, None, True),
        (False, False, None, False),
        (True, True, None, False),
        (True, False, "true", False),
        (True, False, "", True),  # CI set but empty: not a CI run
    ],
)
def test_the_one_decision(monkeypatch, tty, quiet, ci, shown):
    monkeypatch.setattr(progress, "terminal", lambda: tty)
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    progress.set_quiet(quiet)
    try:
        assert progress.shows() is shown
    finally:
        progress.set_quiet(False)
