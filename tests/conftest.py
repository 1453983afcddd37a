"""Shared fixtures: a CLI runner, the bundled graph, and a small records set."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli.app import cli
from kg.pipeline.open import load

HERE = Path(__file__).parent
MINI = HERE / "fixtures" / "mini"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def invoke(runner):
    """Run ``kg ARGS`` in-process; returns the click Result."""

    def run(*args: str, **kwargs):
        return runner.invoke(cli, list(args), obj={}, catch_exceptions=False, **kwargs)

    return run


@pytest.fixture(scope="session")
def bundled():
    """The bundled records, loaded and built once."""
    return load()


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A copy of the small, valid records set, safe to edit."""
    dest = tmp_path / "records"
    shutil.copytree(MINI, dest)
    return dest


@pytest.fixture(scope="session")
def generated_build(tmp_path_factory) -> Path:
    """``kg.ttl`` of a ``kg build --reason`` of generated records (40 events, about
    10k triples), with the store the build persists beside it."""
    root = tmp_path_factory.mktemp("generated")
    runner = CliRunner()
    for args in (
        ["generate", "--events", "40", "--seed", "3", "-o", str(root / "records")],
        ["build", str(root / "records"), "--reason", "-o", str(root / "build")],
    ):
        result = runner.invoke(cli, args, obj={})
        assert result.exit_code == 0, result.output
    assert (root / "build" / "kg.oxigraph").is_dir()
    return root / "build" / "kg.ttl"


# What a test needs, from the fixtures it uses: `-m "not server and not browser"`
# leaves out the tests that start a triple-store server or drive Chromium (CI runs
# them all). Not an xdist group: with pytest 9.2, xdist 3.8's --dist loadgroup no
# longer groups (pytest-dev/pytest-xdist#1386), so each worker still starts its own.
_NEEDS = {"oxigraph": "server", "virtuoso": "server", "chromium": "browser"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for mark in sorted({_NEEDS[f] for f in getattr(item, "fixturenames", ()) if f in _NEEDS}):
            item.add_marker(mark)
