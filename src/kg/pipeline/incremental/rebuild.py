"""An incremental build: the changed files' records built again, the delta
applied to the store, revalidated, re-reasoned and spliced into the outputs.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.builder.graph import BuiltGraph, records_to_graph, source_language
from kg.errors import BadInput, NotConforming, write_error
from kg.pipeline.incremental.delta import InferredDelta, reason_delta
from kg.pipeline.incremental.revalidate import Locator, ontology_quads, revalidate
from kg.pipeline.incremental.splice import splice, subject_blocks
from kg.pipeline.incremental.state import (
    CATALOGUE,
    FINDINGS,
    MANIFEST,
    MAX_CHANGED_SHARE,
    STATE_DIR,
    STORE_WORK,
    Catalogue,
    Fallback,
    Snapshot,
    copy_path,
    file_key,
    findings_docs,
    fingerprint,
    fresh_tmp,
    index_path,
    link,
    output_stamps,
    read_json,
    save_index,
    sha,
    snapshot,
    split_index,
    write_json,
)
from kg.pipeline.outputs import GRAPH_FILE, INFERRED_FILE, BuildResult, Laps
from kg.rdfio.atomic import Staged
from kg.rdfio.write import read_back
from kg.reason.rules import ontology_schema
from kg.records.load import check_references, raise_problems, read_records_file
from kg.records.model import Record, Records
from kg.records.schema import Schema, load_schema
from kg.sandbox.inputs import read_input
from kg.store.native import BASE
from kg.store.persist import STAMP, STORE_DIR, read_stamp, store_counts, write_stamp
from kg.terms.convert import TermConverter
from kg.terms.namespaces import INFERRED_GRAPH

if TYPE_CHECKING:
    from kg.pipeline.outputs import BuildResult
    from kg.validate.report import Report


@dataclass
class _Job:
    """One incremental build: what it was asked, and the state it starts from."""

    root: Path
    out_dir: Path
    reason: bool
    validate: bool
    fail_on: str
    manifest: dict[str, Any]
    snap: Snapshot
    changed: list[tuple[str, Path, bytes]]  # (display name, path, bytes) of changed files
    tmp: Path  # the new state, being written
    timer: Laps = field(default_factory=Laps)

    @property
    def state(self) -> Path:
        return self.out_dir / STATE_DIR

    @property
    def changed_names(self) -> set[str]:
        return {d for d, _p, _b in self.changed}


@dataclass
class _Delta:
    """The asserted triples the changed files remove and add."""

    new: BuiltGraph  # the changed files' records, built from their new text
    removed: set[tuple]
    added: set[tuple]

    @property
    def subjects(self) -> set:
        return {t[0] for t in self.removed} | {t[0] for t in self.added}


class _WorkStore:
    """A hard-link checkpoint of the build's query store that takes the delta,
    to replace the store once everything succeeded."""

    def __init__(self, out_dir: Path, conv: TermConverter) -> None:
        self.conv = conv
        self.folder = out_dir / STORE_WORK
        shutil.rmtree(self.folder, ignore_errors=True)
        stamp = read_stamp(out_dir / GRAPH_FILE)
        if stamp is None:
            raise Fallback("the query store is missing or in an older layout")
        self.stamp = stamp
        try:
            ro = conv.ox.Store.read_only(str(out_dir / STORE_DIR))
            ro.backup(str(self.folder))  # hard links to the immutable files: instant
            del ro
            self.store: Any = conv.ox.Store(str(self.folder))
        except OSError:
            raise Fallback("the query store cannot be opened") from None

    def apply(self, removed: set[tuple], added: set[tuple], graph: Any) -> None:
        """Remove and add triples in ``graph`` (:data:`BASE`: the default graph)."""
        onto = ontology_quads()
        for q in self.conv.quads(removed, graph):
            if q not in onto:  # the default graph holds the ontology too: keep it
                self.store.remove(q)
        self.store.extend(self.conv.quads(added, graph))

    def close(self, graph_ttl: bytes) -> None:
        """Write the store out and stamp it with the ``kg.ttl`` it now matches."""
        self.store.flush()
        counts = store_counts(self.store)
        self.store = None  # closed: RocksDB keeps its files open until then
        write_stamp(self.folder, self.stamp["graph"], graph_ttl, self.stamp["inferred"], counts)


@dataclass
class _Made:
    """What an incremental build made, before it is put in place."""

    delta: _Delta
    catalogue: Catalogue  # updated with the changed files' records
    catalogue_changed: bool
    store: _WorkStore
    report: Report | None = None
    inferred: InferredDelta | None = None
    graph_ttl: bytes = b""  # the new kg.ttl
    inferred_ttl: bytes | None = None  # the new kg-inferred.ttl, if it changed


def build_incremental(
    root: Path, out_dir: Path, *, reason: bool, validate: bool, fail_on: str
) -> BuildResult:
    """Rebuild ``out_dir`` from ``root`` using the state of the last build.

    Raises :class:`Fallback` when it cannot (nothing written then); raises
    :class:`BadRecords` or :class:`NotConforming` exactly as a full build
    would, with nothing written.
    """
    timer = Laps()
    manifest = _usable_manifest(root, out_dir, reason=reason, validate=validate)
    snap = snapshot(root)
    if snap.unreadable:  # a full build reports it with every other problem
        raise Fallback("a records file cannot be read")
    changed = _changed_files(snap, manifest["files"])
    timer.lap("check state")
    tmp = fresh_tmp(out_dir)
    job = _Job(root, out_dir, reason, validate, fail_on, manifest, snap, changed, tmp, timer)
    try:
        return _rebuild(job)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(out_dir / STORE_WORK, ignore_errors=True)


def _usable_manifest(root: Path, out_dir: Path, *, reason: bool, validate: bool) -> dict:
    """The last build's manifest, if its state still describes ``out_dir``."""
    manifest = read_json(out_dir / STATE_DIR / MANIFEST)
    if not isinstance(manifest, dict):
        raise Fallback("no state from an earlier build")
    if manifest.get("fingerprint") != fingerprint(root, reason=reason, validate=validate):
        raise Fallback("kg, the ontology, shapes, record types, options or folders changed")
    try:
        outputs_now = output_stamps(out_dir, reason)
    except OSError:
        raise Fallback("an output is missing") from None
    if manifest.get("outputs") != outputs_now:
        raise Fallback("the outputs changed since the last build")
    if manifest.get("sameas"):
        raise Fallback("the graph uses owl:sameAs")
    return manifest


def _changed_files(snap: Snapshot, old_files: dict[str, dict]) -> list[tuple[str, Path, bytes]]:
    """The records files that are new or changed since the last build."""
    if set(old_files) - {d for d, _p, _b in snap.files}:
        raise Fallback("a records file was removed")
    changed = [
        (d, p, b)
        for d, p, b in snap.files
        if d not in old_files or old_files[d]["sha256"] != sha(b)
    ]
    total = sum(len(b) for _d, _p, b in snap.files)
    if sum(len(b) for _d, _p, b in changed) > MAX_CHANGED_SHARE * max(total, 1):
        raise Fallback("too many records changed")
    return changed


def _rebuild(job: _Job) -> BuildResult:
    catalogue = Catalogue.load(job.state / CATALOGUE)
    schema = load_schema()
    old_recs, new_recs = _changed_records(job, catalogue, schema)
    job.timer.lap("load records")
    delta = _asserted_delta(job.root, old_recs, new_recs, schema, catalogue)
    changed = catalogue.update(new_recs)  # every old record is among the new
    job.timer.lap("build graph")
    conv = TermConverter()
    made = _Made(delta, catalogue, changed, _WorkStore(job.out_dir, conv))
    made.store.apply(delta.removed, delta.added, BASE)
    job.timer.lap("update query store")
    if job.validate:
        made.report = _revalidated(job, made, conv)
        job.timer.lap("validate")
    if job.reason:
        made.inferred = reason_delta(made.store.store, conv, delta.removed | delta.added)
        made.store.apply(made.inferred.removed, made.inferred.added, INFERRED_GRAPH)
        job.timer.lap("reason")
    _splice_turtle(job.out_dir, made, conv)
    job.timer.lap("export turtle")
    counts = _commit(job, made)
    job.timer.lap("save state")
    written = [job.out_dir / GRAPH_FILE]
    if job.reason:
        written.append(job.out_dir / INFERRED_FILE)
    return BuildResult(
        delta.new,
        made.report,
        None,
        written,
        job.timer.timings,
        mode="incremental",
        counts=counts,
        changed_files=sorted(job.changed_names),
    )


# --- records and triples ---------------------------------------------------------------


def _changed_records(
    job: _Job, catalogue: Catalogue, schema: Schema
) -> tuple[list[Record], list[Record]]:
    """The records of the changed files as last built (from the state's copies) and
    now, checked as :func:`kg.records.load.load_records` checks them: the same
    problems, or :class:`Fallback` where other files could be involved."""
    problems: list[BadInput] = []
    old_recs: list[Record] = []
    new_recs: list[Record] = []
    for display, _path, data in job.changed:
        if display in job.manifest["files"]:
            kept = copy_path(job.state, display)
            # The copy is what the last build read only if its digest says so.
            try:
                same = sha(read_input(kept, limit=0)) == job.manifest["files"][display]["sha256"]
            except BadInput:
                same = False
            if not same:
                raise Fallback("the state is damaged: a records file's copy is not what was built")
            old = read_records_file(kept, display, schema).records
            if old is None:
                raise Fallback("the state is damaged")
            old_recs += old
        copy = copy_path(job.tmp, display)
        copy.write_bytes(data)  # parsed from the copy: the state holds what was built
        got = read_records_file(copy, display, schema)
        problems += got.problems
        new_recs += got.records or []
    new_by_id = _by_id(new_recs, catalogue, job.changed_names)
    _check_kept(old_recs, new_by_id, schema)

    def type_of(rid: str) -> str | None:
        rec = new_by_id.get(rid)
        return rec.type if rec is not None else catalogue.type_of(rid)

    # No other file can have a problem: every record they may refer to is
    # still there, with a type their references accept.
    known = catalogue.entries.keys() | new_by_id.keys()  # the ids a full build knows
    problems += check_references(new_by_id.values(), type_of, schema, known)
    raise_problems(problems)
    return old_recs, new_recs


def _by_id(new_recs: list[Record], catalogue: Catalogue, changed: set[str]) -> dict[str, Record]:
    """The new records by id; a duplicate id (here or in an unchanged file) falls
    back, for the full build to report it."""
    by_id: dict[str, Record] = {}
    for rec in new_recs:
        if rec.id in by_id:
            raise Fallback("duplicate record id")
        file = catalogue.file_of(rec.id)
        if file is not None and file not in changed:
            raise Fallback("duplicate record id")
        by_id[rec.id] = rec
    return by_id


def _check_kept(old_recs: list[Record], new_by_id: dict[str, Record], schema: Schema) -> None:
    """Fall back unless every old record is still there, as other files may see it."""
    for rec in old_recs:
        now = new_by_id.get(rec.id)
        if now is None:
            raise Fallback("a record was removed (or could not be read)")
        if now.type != rec.type and not _retype_safe(schema, rec.type, now.type):
            raise Fallback("a record changed type where others may refer to it")
        if source_language(now) != source_language(rec):
            raise Fallback("a source changed language")


def _retype_safe(schema: Schema, old: str, new: str) -> bool:
    """Whether every reference to a record of type ``old`` still checks when it
    becomes ``new`` (references to sources come from citations, not fields)."""
    if "source" in (old, new):
        return False
    return not any(
        spec.to and old in spec.to and new not in spec.to
        for rtype in schema.types.values()
        for spec in rtype.fields.values()
    )


def _asserted_delta(
    root: Path, old_recs: list[Record], new_recs: list[Record], schema: Schema, cat: Catalogue
) -> _Delta:
    """The changed files' records built as they were and as they are: every
    triple's subject belongs to one record, so the difference is the delta."""

    def built(recs: list[Record]) -> BuiltGraph:
        return records_to_graph(Records({r.id: r for r in recs}, root), schema, cat.lang_of)

    old_t = set(built(old_recs).triples)
    new = built(new_recs)
    new_t = set(new.triples)
    added = new_t - old_t
    if ontology_schema().uses_sameas(added):
        raise Fallback("the change uses owl:sameAs")
    return _Delta(new, old_t - new_t, added)


# --- validation and outputs ----------------------------------------------------------


def _revalidated(job: _Job, made: _Made, conv: TermConverter) -> Report:
    """The new report (:func:`revalidate`); :class:`NotConforming` as the full build."""
    locator = Locator(job.state, made.catalogue, job.changed_names, made.delta.new.index)
    store = made.store.store
    report = revalidate(store, conv, made.delta.subjects, locator, job.fail_on, job.out_dir)
    if not report.conforms:
        raise NotConforming(report.render("text").rstrip())
    return report


def _splice_turtle(out_dir: Path, made: _Made, conv: TermConverter) -> None:
    """The new bytes of kg.ttl and, if it changed, kg-inferred.ttl: the changed
    subjects' blocks spliced in."""

    delta, inferred = made.delta, made.inferred
    blocks = subject_blocks(delta.new.triples, delta.subjects, conv)
    made.graph_ttl = _spliced(out_dir / GRAPH_FILE, blocks, conv)
    if inferred is not None and inferred.subjects:
        subjects = inferred.subjects
        triples = [t for s in subjects for t in inferred.by_subject.get(s, ())]
        blocks = subject_blocks(triples, subjects, conv)
        made.inferred_ttl = _spliced(out_dir / INFERRED_FILE, blocks, conv)


def _spliced(path: Path, blocks: dict[str, bytes], conv: TermConverter) -> bytes:
    """``path``'s Turtle with ``blocks`` spliced in. The new blocks are read back
    by rdflib, as a full build's files are (:func:`kg.rdfio.write.read_back`);
    the rest is the last build's, which was, and which the state knows by digest;
    blocks are joined where one ends and the next starts, so the file reads if
    its parts do (reading 1M triples again would take longer than the build)."""
    data = splice(path.read_bytes(), blocks, conv)
    head = data[: data.find(b"\n\n") + 2]
    read_back(head + b"".join(blocks.values()), "turtle", "oxigraph", str(path))
    return data


def _commit(job: _Job, made: _Made) -> dict[str, Any]:
    """Put the outputs, the store and the new state in place, all or none; the
    new counts.

    Every output is made under a temporary name and then all are put in place
    together, or none (the full build's way): a failure anywhere leaves
    kg.ttl, kg-inferred.ttl, the store and the state as they were. kg.ttl is
    renamed first, so that a crash part-way through leaves a kg.ttl the old
    state does not describe, and the next build is a full one.
    """

    out_dir = job.out_dir
    with Staged() as staged:
        at: dict[str, Path] = {}  # where the outputs wait (for their stamps)
        if made.delta.removed or made.delta.added:
            at[GRAPH_FILE] = staged.file(out_dir / GRAPH_FILE, made.graph_ttl)
        if made.inferred_ttl is not None:
            at[INFERRED_FILE] = staged.file(out_dir / INFERRED_FILE, made.inferred_ttl)
        if not job.reason:  # as the full build: none from another build stays
            staged.remove(out_dir / INFERRED_FILE)
        try:
            made.store.close(made.graph_ttl)
        except OSError as exc:
            raise write_error(out_dir / STORE_DIR, exc) from exc
        staged.add(made.store.folder, out_dir / STORE_DIR)
        at[STAMP] = made.store.folder / STAMP
        job.timer.lap("update query store")
        try:
            counts = _write_state(job, made, at)
        except OSError as exc:
            raise write_error(job.state, exc) from exc
        staged.add(job.tmp, job.state)
        staged.commit()
    return counts


def _write_state(job: _Job, made: _Made, at: dict[str, Path]) -> dict[str, Any]:
    """Write the new state into ``job.tmp``, sharing the unchanged files' entries
    with the old state; the new counts. ``at``: where the new outputs wait."""
    state, tmp = job.state, job.tmp
    files = {}
    for display, _path, data in job.snap.files:
        files[display] = {"sha256": sha(data), "key": file_key(display)}
        if display not in job.changed_names:
            link(copy_path(state, display), copy_path(tmp, display))
            link(index_path(state, display), index_path(tmp, display))
    per = split_index(made.delta.new.index)
    for display in job.changed_names:
        save_index(tmp, display, per)
    if made.catalogue_changed:
        made.catalogue.save(tmp / CATALOGUE)
    else:
        link(state / CATALOGUE, tmp / CATALOGUE)
    if made.report is not None:
        write_json(tmp / FINDINGS, findings_docs(made.report))
    counts = dict(job.manifest["counts"])
    counts["records"] = len(made.catalogue)
    counts["triples"] += len(made.delta.added) - len(made.delta.removed)
    if made.inferred is not None:
        counts["inferred"] += len(made.inferred.added) - len(made.inferred.removed)
    outputs = output_stamps(job.out_dir, job.reason, at)
    manifest = dict(job.manifest, files=files, counts=counts, outputs=outputs)
    write_json(tmp / MANIFEST, manifest)
    return counts
