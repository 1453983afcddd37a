"""The docs can't rot: every command and query is documented, and every
console example in the README is run and its output compared exactly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from readme_examples import examples, run

from kg.cli.app import cli
from kg.rdfio.formats import FORMATS, RDF_FORMATS, RESULT_FORMATS, Format
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


def _format_row(f: Format) -> str:
    kind = {"results": "query results", "rdf": "RDF graph", "network": "entity network"}[f.kind]
    kind = "RDF dataset (named graphs)" if f.dataset else kind
    exts = " ".join(f"`{e}`" for e in f.extensions)
    media = " ".join(f"`{m}`" for m in f.media_types)
    return f"| `{f.name}` | {f.label} | {kind} | {exts} | {media} |"


def _listing(items: list[str], last: str) -> str:
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def test_the_readmes_formats_are_the_registrys():
    """The README's table of formats is kg.rdfio.formats.FORMATS, row for row."""
    section = README.split("\n### Formats\n", 1)[1].split("\n### ", 1)[0]
    rows = [ln for ln in section.splitlines() if ln.startswith("|")][2:]  # past the header
    assert rows == [_format_row(f) for f in FORMATS]


def test_the_format_lists_in_readme_and_help_are_the_registrys():
    rdf = [f.label for f in RDF_FORMATS.values()]
    datasets = [f.label for f in RDF_FORMATS.values() if f.dataset]
    results = [f"`{name}`" for name in RESULT_FORMATS]
    export_help = " ".join((cli.commands["export"].help or "").split())
    push_help = " ".join((cli.commands["push"].help or "").split())
    readme = " ".join(README.split())
    assert f"Writes the graph as {_listing(rdf, 'or')}," in readme
    assert f"Write the graph as {_listing(rdf, 'or')}." in export_help
    assert f"{_listing(datasets, 'and')} keep one named graph per source" in readme
    assert f"{_listing(datasets, 'and')} keep named graphs" in export_help
    assert f"{_listing(datasets, 'and')} keep their named graphs" in push_help
    assert f"Output formats: {_listing(results, 'and')} (the SPARQL 1.1" in readme


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


def test_the_architecture_map_lists_every_module_and_no_other():
    """docs/architecture.md's tree is the package as it is: each package with
    each of its modules (subpackages shown as `name/`)."""
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    src = ROOT / "src" / "kg"
    listed: dict[str, set[str]] = {}
    for row in re.findall(r"^\| `(kg\.[a-z_]+)` \|[^|]*\| (.*) \|$", doc, re.M):
        listed[row[0]] = set(re.findall(r"`([a-z_]+/?)`", row[1]))
    actual: dict[str, set[str]] = {}
    for path in sorted(src.iterdir()):
        if path.is_dir() and (path / "__init__.py").exists():
            actual[f"kg.{path.name}"] = {
                p.stem for p in path.glob("*.py") if p.stem != "__init__"
            } | {f"{p.name}/" for p in path.iterdir() if (p / "__init__.py").exists()}
        elif path.suffix == ".py" and path.stem not in (
            "__init__",
            "__main__",
            "errors",
            "resources",
        ):
            actual[f"kg.{path.stem}"] = set()
    assert listed == actual
