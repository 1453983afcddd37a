"""The docs can't rot: every command and query is documented, and every
console example in the README is run and its output compared exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
from readme_examples import examples, run

from kg.cli.app import cli
from kg.sparql.canned import catalog

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


EXAMPLES = examples(README)


def test_every_command_has_help_and_is_in_the_readme():
    for name, command in cli.commands.items():
        assert command.help and "Example" in command.help, f"kg {name} has no example in --help"
        assert f"kg {name}" in README, f"kg {name} is not in the README"


def test_every_canned_query_is_in_the_readme():
    for name in catalog():
        assert f"`{name}`" in README, f"query {name} is not documented in the README"


def test_readme_has_examples():
    assert len(EXAMPLES) >= 5


def test_readme_shows_failing_examples_with_their_exit_code():
    assert {code for _line, _out, code in EXAMPLES} >= {0, 1, 2}


@pytest.mark.parametrize("line,expected,code", EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_readme_example_output(line, expected, code, tmp_path):
    """Each README example prints exactly what the README shows, and exits with
    the code it shows (0 unless an `$ echo $?` line follows it)."""
    (tmp_path / "docs").symlink_to(ROOT / "docs")
    assert run(line, tmp_path) == (expected.rstrip("\n"), code)
