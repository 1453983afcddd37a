"""What each side of ``kg diff`` names, read as a set of triples: a build
folder (its ``kg.ttl``), an RDF file, a records folder or file, or a git
revision of the records.

A revision's records are taken with ``git archive`` into a temporary folder
and loaded from there: the work tree and the index are never touched.
"""

from __future__ import annotations

import contextlib
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

from kg.errors import BadInput, UsageError
from kg.pipeline.open import load, read_triples
from kg.pipeline.outputs import GRAPH_FILE
from kg.rdfio.read import read_input
from kg.records.load import display_name
from kg.resources import records_dir
from kg.store.persist import trusted_stamp
from kg.terms.convert import TermConverter, oxigraph

RECORD_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Side:
    """One side of a comparison: what the user named, what it turned out to
    be (``build``, ``rdf``, ``records`` or ``revision``) and its triples as
    canonical N-Triples lines (Oxigraph's serialiser writes both sides, so
    the same triple is the same line, and lines hash and compare as strings:
    the two set differences of 100k triples take 0.04 s, where tuples of
    rdflib terms took about a second)."""

    name: str
    kind: str
    triples: frozenset[str]

    @property
    def size(self) -> int:
        """How many triples the side has."""
        return len(self.triples)


def open_side(arg: str, records: Path | None = None) -> Side:
    """The side ``arg`` names: an existing path, else a git revision of the
    records (``records``, or the bundled records, in the repository holding them)."""
    path = Path(arg)
    if path.is_dir():
        graph_file = path / GRAPH_FILE
        if graph_file.is_file():
            return _side(arg, "build", _graph_lines(graph_file))
        return _side(arg, "records", nt_lines(load(path).triples))
    if path.exists() or path.is_symlink():
        if path.suffix in RECORD_SUFFIXES:
            return _side(arg, "records", nt_lines(load(path).triples))
        return _side(arg, "rdf", _graph_lines(path))
    return _side(arg, "revision", nt_lines(_revision_triples(arg, records or records_dir())))


def nt_lines(triples: Iterable[tuple]) -> frozenset[str]:
    """rdflib triples as N-Triples lines, written by Oxigraph."""
    conv = TermConverter()
    ox, to = conv.ox, conv.to_ox
    items = (ox.Triple(to(s), to(p), to(o)) for s, p, o in triples)
    return frozenset(ox.serialize(items, format=ox.RdfFormat.N_TRIPLES).decode().splitlines())


def _graph_lines(path: Path) -> frozenset[str]:
    """The triples of an RDF file as N-Triples lines. A ``kg.ttl`` that ``kg build``
    wrote beside its store (the very file: :func:`kg.store.persist.trusted_stamp`)
    goes from Oxigraph's parser to its serialiser without rdflib terms (0.5 s
    at 100k triples instead of 2.5 s); any other file is read as every command
    reads it (:func:`kg.pipeline.open.read_triples`)."""
    if path.name == GRAPH_FILE:
        data = read_input(path)
        if trusted_stamp(path, data) is not None:
            ox = oxigraph()
            with contextlib.suppress(SyntaxError):  # not kg's Turtle after all
                quads = ox.parse(data, format=ox.RdfFormat.TURTLE)
                text = ox.serialize(quads, format=ox.RdfFormat.N_TRIPLES)
                return frozenset(text.decode().splitlines())
    return nt_lines(read_triples(path))


def _side(name: str, kind: str, lines: frozenset[str]) -> Side:
    bnodes = sum(
        1
        for line in lines
        if "_:" in line and (line.startswith("_:") or _object(line).startswith("_:"))
    )
    if bnodes:
        raise blank_node_error(name, bnodes)
    return Side(name, kind, lines)


def blank_node_error(name: str, count: int) -> BadInput:
    """The error of a side with ``count`` triples that have blank nodes."""
    # Blank-node labels are the writer's choice, not the data's: two files
    # of the same graph may label them differently, so they cannot be
    # matched triple by triple. kg's graphs have none (every node an IRI).
    return BadInput(
        f"{name} has {count} triple(s) with blank nodes, which cannot be matched "
        "between two graphs; kg diff compares graphs whose nodes are IRIs, as kg's are"
    )


def _object(line: str) -> str:
    return line.split(" ", 2)[2]


def _git(repo: Path, *args: str) -> bytes:
    """Run git in ``repo`` (never a network operation); BadInput if it fails."""
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, check=False, timeout=120
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BadInput(f"cannot run git: {exc}") from None
    if done.returncode != 0:
        raise BadInput(done.stderr.decode("utf-8", "replace").strip() or "git failed")
    return done.stdout


def _revision_triples(rev: str, records: Path) -> Any:
    """The triples of the records at ``rev``: the folder ``records`` of the work
    tree, as the revision holds it."""
    folder = records.resolve()
    if not folder.is_dir():
        raise UsageError(f"{records} is not a records folder in a git repository")
    try:
        top = Path(_git(folder, "rev-parse", "--show-toplevel").decode().strip())
    except BadInput:
        raise BadInput(
            f"{rev!r} is no file or folder, and {records} is not in a git repository"
        ) from None
    try:
        commit = _git(top, "rev-parse", "--verify", "-q", "--end-of-options", rev + "^{commit}")
    except BadInput:
        raise BadInput(
            f"{rev!r} is no file or folder, nor a git revision of {top} "
            "(kg diff takes builds, RDF files, records or revisions)"
        ) from None
    if not hasattr(tarfile, "data_filter"):
        raise UsageError("reading git revisions needs Python 3.11.4 or later (tarfile's filters)")
    inside = folder.relative_to(top).as_posix() or "."
    data = _git(top, "archive", "--format=tar", commit.decode().strip(), "--", inside)
    with tempfile.TemporaryDirectory(prefix="kg-diff-") as tmp:
        with tarfile.open(fileobj=BytesIO(data)) as tar:
            tar.extractall(tmp, filter="data")  # nothing lands outside tmp
        where = Path(tmp) / inside
        if not where.is_dir():
            raise BadInput(f"revision {rev!r} has no {inside} in {top}")
        try:
            return load(where).triples
        except BadInput as exc:
            # Name the files as git does, REV:PATH, not by the temporary copy.
            shown = display_name(Path(tmp))
            raise BadInput(str(exc).replace(f"{shown}/", f"{rev}:")) from None
