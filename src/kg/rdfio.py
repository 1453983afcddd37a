"""Reading and writing RDF: formats, extensions, atomic writes.

One table maps format names to rdflib's names and file extensions, so every
command offers the same ``--format`` choices and guesses the same way.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from rdflib import Dataset, Graph

from kg.errors import BadInput, UsageError

# name -> (rdflib format, extensions, keeps named graphs)
RDF_FORMATS: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "turtle": ("turtle", (".ttl", ".turtle"), False),
    "nt": ("nt", (".nt",), False),
    "nquads": ("nquads", (".nq", ".nquads"), True),
    "trig": ("trig", (".trig",), True),
    "jsonld": ("json-ld", (".jsonld", ".json"), True),
    "xml": ("xml", (".rdf", ".owl", ".xml"), False),
}


def format_from_path(path: Path | str, default: str | None = None) -> str:
    """Guess an RDF format name from a file's extension.

    >>> format_from_path("out/kg.nq")
    'nquads'
    """
    suffix = Path(path).suffix.lower()
    for name, (_, exts, _) in RDF_FORMATS.items():
        if suffix in exts:
            return name
    if default:
        return default
    raise UsageError(
        f"cannot tell the RDF format of {str(path)!r} from its extension; "
        f"use --format ({', '.join(RDF_FORMATS)})"
    )


def is_dataset_format(fmt: str) -> bool:
    return RDF_FORMATS[fmt][2]


def atomic_write(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Write ``path`` through a temporary file in the same folder, then rename.

    If ``write`` fails, the temporary file is removed and any previous
    ``path`` is left exactly as it was.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def serialize(graph: Graph | Dataset, fmt: str) -> bytes:
    """Serialise to bytes in a stable, prefixed form."""
    rdflib_fmt = RDF_FORMATS[fmt][0]
    if fmt == "nt" or fmt == "nquads":
        # rdflib writes N-Triples/N-Quads in store order; sort lines so the same
        # graph always gives the same bytes.
        data = graph.serialize(format=rdflib_fmt, encoding="utf-8")
        lines = sorted(set(data.splitlines(keepends=True)))
        return b"".join(line for line in lines if line.strip())
    if fmt == "jsonld":
        return graph.serialize(format=rdflib_fmt, encoding="utf-8", sort_keys=True, indent=2)
    return graph.serialize(format=rdflib_fmt, encoding="utf-8")


def write_rdf(graph: Graph | Dataset, path: Path, fmt: str | None = None) -> str:
    """Serialise ``graph`` to ``path`` atomically; return the format used."""
    fmt = fmt or format_from_path(path)
    data = serialize(graph, fmt)
    atomic_write(path, lambda fh: fh.write(data))
    return fmt


def parse_rdf(path: Path, fmt: str | None = None) -> Dataset:
    """Parse an RDF file into a Dataset (triples land in the default graph)."""
    fmt = fmt or format_from_path(path)
    ds = Dataset(default_union=True)
    try:
        if is_dataset_format(fmt):
            ds.parse(path, format=RDF_FORMATS[fmt][0])
        else:
            ds.default_context.parse(path, format=RDF_FORMATS[fmt][0])
    except FileNotFoundError:
        raise BadInput(f"no such file: {path}") from None
    except Exception as exc:  # rdflib raises many unrelated types for bad syntax
        raise BadInput(f"{path}: not valid {fmt}: {_first_line(exc)}") from None
    return ds


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
