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
