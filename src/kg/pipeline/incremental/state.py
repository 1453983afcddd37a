"""The state a build leaves in ``OUT/.kg-state/`` for the next one to be
incremental, and the checks that it still describes the outputs.

See :mod:`kg.pipeline.incremental` for what it holds and how it is used.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdflib import URIRef

from kg.builder.graph import SourceIndex, source_language
from kg.errors import BadInput, Location
from kg.pipeline.outputs import GRAPH_FILE, INFERRED_FILE
from kg.reason.rules import ontology_schema
from kg.records.load import display_name, record_files
from kg.records.model import Record
from kg.records.yamlread import read_records_bytes
from kg.resources import ontology_files, record_types_file, shapes_files
from kg.sandbox.inputs import read_input
from kg.store.persist import STAMP, STORE_DIR, file_digest
from kg.terms.namespaces import ID, expand

if TYPE_CHECKING:
    from kg.pipeline.outputs import BuildResult
    from kg.validate.report import Finding, Report


STATE_DIR = ".kg-state"


STATE_TMP = f"{STATE_DIR}.tmp"  # the new state, being written


STATE_OLD = f"{STATE_DIR}.old"  # the old state, while the new one goes in place


STORE_WORK = f".{STORE_DIR}.inc"  # the store an incremental build updates


# What a killed build of this module can leave besides its outputs.
SCRATCH = (STATE_TMP, STATE_OLD, STORE_WORK)


_FORMAT = 2  # 2: records copies named .copy (never read as records)


# Beyond this share of the records' bytes changed (each parsed twice), a full build
# is about as quick.
MAX_CHANGED_SHARE = 0.5


# Beyond this many nodes to recheck or re-reason, a full build is about as quick.
MAX_AFFECTED = 100_000


ID_PREFIX = str(ID)  # the IRIs of records and of the nodes minted under them


class Fallback(Exception):
    """The incremental path cannot vouch for the result: build in full."""


# --- the state ---------------------------------------------------------------------


@dataclass
class Snapshot:
    """The records files of a build, read before it, as (display name, path,
    bytes), and those that could not be read (reading the records says why)."""

    root: Path
    files: list[tuple[str, Path, bytes]]
    unreadable: list[str]


def snapshot(root: Path) -> Snapshot:
    """The records files under ``root`` as they are now."""
    files, unreadable = [], []
    for p in record_files(root):
        display = display_name(p)
        try:
            files.append((display, p, read_records_bytes(p, display)))
        except BadInput:
            unreadable.append(display)
    return Snapshot(root, files, unreadable)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def link(src: Path, dst: Path) -> None:
    """Share an unchanged state file with the new state (a copy where links fail)."""
    if not src.is_file():
        raise Fallback("the state is damaged")
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def file_key(display: str) -> str:
    """The name of a records file's entries in the state folder."""
    return hashlib.sha1(display.encode()).hexdigest()[:20]


# The files of a state folder besides the two below.
MANIFEST, CATALOGUE, FINDINGS = "manifest.json", "catalogue.json", "findings.json"


def copy_path(state: Path, display: str) -> Path:
    """Where a state keeps its copy of a records file as built."""
    return state / "files" / f"{file_key(display)}.copy"


def index_path(state: Path, display: str) -> Path:
    """Where a state keeps the location index of a records file's nodes."""
    return state / "index" / f"{file_key(display)}.json"


def fingerprint(root: Path, *, reason: bool, validate: bool) -> dict[str, Any]:
    """Everything but the records that the outputs depend on."""
    import pyoxigraph
    import rdflib
    import yaml

    import kg

    h = hashlib.sha256()
    package = Path(kg.__file__).parent
    code = sorted(package.rglob("*.py"), key=lambda p: p.relative_to(package).as_posix())
    for p in [*ontology_files(), *shapes_files(), record_types_file(), *code]:
        name = p.relative_to(package).as_posix() if p.is_relative_to(package) else p.name
        h.update(f"{name}\0{p.stat().st_size}\0".encode())
        h.update(p.read_bytes())
    return {
        "format": _FORMAT,
        "kg": kg.__version__,
        # Their parsing and serialising decide the bytes spliced into the outputs.
        "libraries": [
            pyoxigraph.__version__,
            rdflib.__version__,
            yaml.__version__,
            bool(getattr(yaml, "__with_libyaml__", False)),
        ],
        "inputs": h.hexdigest(),
        "engine": "native",
        "reason": reason,
        "validate": validate,
        "root": str(root.resolve()),
        "cwd": os.getcwd(),  # record file names in findings are relative to it
    }


def output_stamps(
    out_dir: Path, reason: bool, staged: dict[str, Path] | None = None
) -> dict[str, Any]:
    """What the state was written with: a rewritten output makes the state stale.

    Each output by its digest (as every reader of a built file trusts it:
    :func:`kg.store.persist.trusted_stamp`), never by size and modification
    time, which an edit copied in with ``cp -p`` or ``rsync -a`` keeps; at 1M
    triples hashing both files takes about 0.05 s. ``staged`` maps an
    output's name (or the store's stamp) to where it waits to be put in place.
    """

    at = {GRAPH_FILE: out_dir / GRAPH_FILE, STAMP: out_dir / STORE_DIR / STAMP}
    if reason:
        at[INFERRED_FILE] = out_dir / INFERRED_FILE
    at.update(staged or {})
    out: dict[str, Any] = {}
    for name in [GRAPH_FILE, INFERRED_FILE] if reason else [GRAPH_FILE]:
        out[name] = file_digest(at[name])
    out[STAMP] = sha(at[STAMP].read_bytes())
    return out


class Catalogue:
    """The records of the last build: id -> [type, file, a source's language]
    (its language is the one thing the builder reads across records)."""

    def __init__(self, entries: dict[str, list]) -> None:
        self.entries = entries

    @classmethod
    def of(cls, records: Iterable[Record]) -> Catalogue:
        return cls({r.id: _entry(r) for r in records})

    @classmethod
    def load(cls, path: Path) -> Catalogue:
        entries = read_json(path)
        if not isinstance(entries, dict):
            raise Fallback("the state is damaged")
        return cls(entries)

    def save(self, path: Path) -> None:
        write_json(path, self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def type_of(self, rid: str) -> str | None:
        entry = self.entries.get(rid)
        return entry[0] if entry is not None else None

    def file_of(self, rid: str) -> str | None:
        entry = self.entries.get(rid)
        return entry[1] if entry is not None else None

    def lang_of(self, rid: str) -> str | None:
        entry = self.entries.get(rid)
        return entry[2] if entry is not None else None

    def update(self, records: list[Record]) -> bool:
        """Enter ``records``, replacing their earlier entries; whether anything changed."""
        before = len(self.entries), [self.entries.get(r.id) for r in records]
        for rec in records:
            self.entries[rec.id] = _entry(rec)
        return before != (len(self.entries), [self.entries[r.id] for r in records])


def _entry(rec: Record) -> list:
    return [rec.type, rec.file, source_language(rec)]


def save_index(state: Path, display: str, per: dict[str, dict[str, list]]) -> None:
    """Write the location index of a records file from :func:`split_index`'s ``per``."""
    write_json(index_path(state, display), per.get(display, {"nodes": [], "fields": []}))


def split_index(index: SourceIndex) -> dict[str, dict[str, list]]:
    """The location index, per records file."""
    per: dict[str, dict[str, list]] = {}
    for n, loc in index.nodes.items():
        doc = per.get(loc.file or "")
        if doc is None:
            doc = per[loc.file or ""] = {"nodes": [], "fields": []}
        doc["nodes"].append([n[len(ID_PREFIX) :], loc.line, loc.record, loc.field])
    for (n, p), loc in index.fields.items():
        doc = per.get(loc.file or "")
        if doc is None:
            doc = per[loc.file or ""] = {"nodes": [], "fields": []}
        doc["fields"].append([n[len(ID_PREFIX) :], str(p), loc.line, loc.record, loc.field])
    return per


def load_index(
    doc: dict[str, list],
    file: str,
    catalogue: Catalogue,
    field_names: Callable[[str], dict[URIRef, str]],
) -> SourceIndex:
    """The location index of one records file, from its :func:`split_index` part;
    ``field_names`` gives a record type's field names by property."""
    index = SourceIndex()
    for suffix, line, record, fname in doc["nodes"]:
        node = URIRef(ID_PREFIX + suffix)
        index.nodes[node] = Location(file, line, record, fname)
        rtype = catalogue.type_of(suffix)
        if rtype is not None:  # a record's own node: its fields' names by property
            index.field_names[node] = field_names(rtype)
    for suffix, prop, line, record, fname in doc["fields"]:
        index.fields[(URIRef(ID_PREFIX + suffix), URIRef(prop))] = Location(
            file, line, record, fname
        )
    return index


def _finding_doc(f: Finding, focus: Any, path: Any) -> list:
    loc = f.location
    return [
        f.severity,
        f.focus,
        f.path,
        f.value,
        f.component,
        f.shape,
        f.message,
        [loc.file, loc.line, loc.record, loc.field] if loc is not None else None,
        str(focus) if focus is not None else None,
        str(path) if isinstance(path, URIRef) else None,
    ]


def write_json(path: Path, doc: Any) -> None:
    path.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def read_json(path: Path) -> Any:
    try:
        # Read as any input: a FIFO or a device in the state must not hang the build.
        return json.loads(read_input(path, limit=0).decode("utf-8"))
    except (BadInput, ValueError):
        return None


def drop_state(out_dir: Path) -> None:
    # ..kg-state.old: where an incremental build's commit (rdfio.Staged)
    # keeps the old state aside, left there only by a crash.
    for name in (STATE_DIR, STATE_TMP, STATE_OLD, f".{STATE_DIR}.old"):
        shutil.rmtree(out_dir / name, ignore_errors=True)


def commit_state(tmp: Path, out_dir: Path) -> None:
    target = out_dir / STATE_DIR
    old = out_dir / STATE_OLD
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(tmp, target)
    shutil.rmtree(old, ignore_errors=True)


def fresh_tmp(out_dir: Path) -> Path:
    tmp = out_dir / STATE_TMP
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "files").mkdir(parents=True)
    (tmp / "index").mkdir()
    return tmp


def save_state(
    snap: Snapshot, result: BuildResult, out_dir: Path, *, reason: bool, validate: bool
) -> None:
    """Record what a full native build was made from, for the next build to be incremental.

    Nothing is kept if a records file changed while the build ran (the state
    would not describe the outputs); a state that cannot be written is dropped.
    """
    drop_state(out_dir)
    now = snapshot(snap.root)
    if [(d, sha(b)) for d, _p, b in now.files] != [(d, sha(b)) for d, _p, b in snap.files]:
        return
    if now.unreadable or snap.unreadable:
        return
    try:
        _save_full_state(snap, result, out_dir, reason=reason, validate=validate)
    except OSError:
        drop_state(out_dir)


def _save_full_state(
    snap: Snapshot, result: BuildResult, out_dir: Path, *, reason: bool, validate: bool
) -> None:
    built = result.built
    tmp = fresh_tmp(out_dir)
    files = {}
    for display, _path, data in snap.files:
        copy_path(tmp, display).write_bytes(data)
        files[display] = {"sha256": sha(data), "key": file_key(display)}
    Catalogue.of(built.records).save(tmp / CATALOGUE)
    per = split_index(built.index)
    for display in files:
        save_index(tmp, display, per)
    if result.report is not None:
        write_json(tmp / FINDINGS, findings_docs(result.report))
    manifest = {
        "fingerprint": fingerprint(snap.root, reason=reason, validate=validate),
        "files": files,
        "counts": {
            "records": len(built.records),
            "triples": len(built.triples),
            "inferred": len(result.inferred) if result.inferred is not None else None,
        },
        "sameas": ontology_schema().uses_sameas(built.triples),
        "outputs": output_stamps(out_dir, reason),
    }
    write_json(tmp / MANIFEST, manifest)
    commit_state(tmp, out_dir)


def findings_docs(report: Report) -> list[list]:
    # The raw focus and path come back from the compact forms kg prints: every
    # node and path kg reports has a prefixed name or an <IRI> form.
    return [
        _finding_doc(f, _uncompact(f.focus), _uncompact(f.path) if f.path else None)
        for f in report.findings
    ]


def _uncompact(text: str) -> URIRef | None:
    if text.startswith("<") and text.endswith(">"):
        return URIRef(text[1:-1])
    if text.startswith('"') or ":" not in text:
        return None
    full = expand(text)
    return URIRef(full) if full != text else None
