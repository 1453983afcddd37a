"""Where the bundled ontology, shapes, queries and records live.

In a wheel they ship inside the package as ``kg/_data/<name>``; in a source
checkout (editable install, tests) they are the top-level folders people edit.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """Return the bundled folder ``name`` (ontology, shapes, queries or records).

    >>> data_dir("ontology").name
    'ontology'
    """
    packaged = _PACKAGE_DIR / "_data" / name
    if packaged.is_dir():
        return packaged
    checkout = _PACKAGE_DIR.parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"bundled folder {name!r} not found (looked in {packaged})")


def ontology_files() -> list[Path]:
    return sorted(data_dir("ontology").glob("*.ttl"))


def shapes_files() -> list[Path]:
    return sorted(data_dir("shapes").glob("*.ttl"))


def record_types_file() -> Path:
    return data_dir("ontology") / "record-types.yaml"


def record_display_file() -> Path:
    """How records are shown: kinds, colours, the phrasing of facts."""
    return data_dir("ontology") / "record-display.yaml"


def records_dir() -> Path:
    return data_dir("records")


def queries_dir() -> Path:
    return data_dir("queries")
