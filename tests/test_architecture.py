"""The packages of src/kg meet through public names only.

A module may import an underscored name (``from kg.x.y import _z``) from its
own package, never from another one (a subpackage is another package):
what one package needs from another is offered as a documented, public API.
Lazy imports inside functions count. The layers themselves are checked by
import-linter (pyproject.toml).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"

# Cross-package imports of private names not yet replaced by a public API:
# (importing module, imported module, name). Each must still be there (the
# test fails when one is fixed, so the list only shrinks).
KNOWN: set[tuple[str, str, str]] = set()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_package(module: str) -> bool:
    return (SRC / Path(*module.split(".")) / "__init__.py").is_file()


def _package_of(module: str) -> str:
    """The package a module belongs to (a package belongs to itself)."""
    return module if _is_package(module) else module.rpartition(".")[0]


def _absolute(node: ast.ImportFrom, importer: str) -> str:
    if node.level == 0:
        return node.module or ""
    base = importer.split(".")
    if not _is_package(importer):
        base.pop()
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _crossing(node: ast.stmt, importer: str) -> set[tuple[str, str, str]]:
    """What the import statement ``node`` in module ``importer`` takes from
    another package that is private: (importer, owning module, private name)."""
    if isinstance(node, ast.ImportFrom):
        target = _absolute(node, importer)
        fulls = [f"{target}.{a.name}" if target else a.name for a in node.names]
    elif isinstance(node, ast.Import):
        fulls = [a.name for a in node.names]
    else:
        return set()
    found = set()
    for full in fulls:
        parts = full.split(".")
        # The first underscored part names what is private; the parts before, its owner.
        private = next((i for i, p in enumerate(parts) if _private(p)), None)
        if parts[0] != "kg" or private is None:
            continue
        owner = ".".join(parts[:private])
        if _package_of(owner) != _package_of(importer):
            found.add((importer, owner, parts[private]))
    return found


def private_imports() -> set[tuple[str, str, str]]:
    """Every private name a module of kg imports from another package."""
    found: set[tuple[str, str, str]] = set()
    for path in sorted((SRC / "kg").rglob("*.py")):
        importer = _module_name(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                found |= _crossing(node, importer)
    return found


def test_no_private_name_is_imported_across_packages() -> None:
    new = private_imports() - KNOWN
    assert not new, "import these through a public API:\n" + "\n".join(
        f"  {importer}: from {module} import {name}" for importer, module, name in sorted(new)
    )


def test_the_known_exceptions_are_still_there() -> None:
    gone = KNOWN - private_imports()
    assert not gone, "fixed: take these out of KNOWN:\n" + "\n".join(map(str, sorted(gone)))


@pytest.mark.parametrize(
    ("code", "importer", "expected"),
    [
        ("from kg.records.load import _record", "kg.pipeline.incremental.rebuild", True),
        ("from kg.records.load import record_files", "kg.pipeline.incremental.rebuild", False),
        ("from kg.records.yamlread import _Node", "kg.records.load", False),
        ("from kg.pipeline.incremental.state import _x", "kg.pipeline.build", True),
        ("from .state import _x", "kg.pipeline.incremental.rebuild", False),
        ("from ..records import _x", "kg.pipeline.open", True),
        ("import kg.records._hidden", "kg.reason.native", True),
        ("from kg import __version__", "kg.cli.app", False),
        ("from kg.reason import native", "kg.pipeline.build", False),
    ],
)
def test_what_counts_as_a_private_import(code: str, importer: str, expected: bool) -> None:
    """The checker itself, on imports written for the purpose."""
    assert bool(_crossing(ast.parse(code).body[0], importer)) is expected
