"""An incremental build: the changed files' records built again, the delta
applied to the store, revalidated, re-reasoned and spliced into the outputs.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.builder.graph import BuiltGraph, _Builder
from kg.errors import BadInput, BadRecords, Location, NotConforming, write_error
from kg.pipeline.incremental.delta import _reason_delta
from kg.pipeline.incremental.revalidate import _ontology_quads, _revalidate
from kg.pipeline.incremental.splice import _blocks, _splice
from kg.pipeline.incremental.state import (
    MAX_CHANGED_SHARE,
    STATE_DIR,
    STORE_WORK,
    Fallback,
    Snapshot,
    _findings_docs,
    _fingerprint,
    _fresh_tmp,
    _key,
    _lang,
    _link,
    _outputs,
    _read_json,
    _sha,
    _split_index,
    _write_json,
    snapshot,
)
from kg.reason.rules import ontology_schema
from kg.records.load import _check_references, _record
from kg.records.model import Record, Records, _Problems
from kg.records.schema import Schema, load_schema
from kg.records.yamlread import parse_yaml, read_text
from kg.store.native import BASE
from kg.store.persist import LAYOUT, STAMP, STORE_DIR
from kg.terms.convert import TermConverter
from kg.terms.namespaces import INFERRED_GRAPH

if TYPE_CHECKING:
    from kg.pipeline.outputs import BuildResult


# --- the incremental build -----------------------------------------------------------


class _Catalogued(_Builder):
    """The builder for some records, reading other records' facts from the catalogue."""

    def __init__(self, records: Records, schema: Schema, catalogue: dict[str, list]) -> None:
        super().__init__(records, schema)
        self.catalogue = catalogue

    def source_lang(self, source_id: str) -> str | None:
        if source_id in self.records.records:
            return super().source_lang(source_id)
        entry = self.catalogue.get(source_id)
        return entry[2] if entry is not None else None


def _build_part(recs: list[Record], root: Path, schema: Schema, catalogue: dict) -> BuiltGraph:
    records = Records({r.id: r for r in recs}, root)
    builder = _Catalogued(records, schema, catalogue)
    for rec in sorted(recs, key=lambda r: r.id):
        builder.add_record(rec)
    return BuiltGraph(
        None, builder.index, records, triples=builder.triples, raw_by_source=builder.by_source
    )


@dataclass
class _Stub:
    """A record of an unchanged file, as reference checks see it."""

    type: str


class _Known:
    """All records for :func:`kg.records.load._check_references`: the changed ones are
    checked, the others only looked up (from the catalogue)."""

    def __init__(self, changed: dict[str, Record], catalogue: dict[str, list]) -> None:
        self.changed = changed
        self.catalogue = catalogue

    def get(self, rid: str) -> Any:
        rec = self.changed.get(rid)
        if rec is not None:
            return rec
        entry = self.catalogue.get(rid)
        return _Stub(entry[0]) if entry is not None else None

    def values(self) -> Iterable[Record]:
        return self.changed.values()


def _parse_file(
    path: Path, display: str, schema: Schema, problems: _Problems
) -> list[Record] | None:
    """The records of one file, as :func:`kg.records.load.load_records` reads them
    (``None`` when the file cannot be read at all)."""
    try:
        node = parse_yaml(read_text(path, display), display)
    except BadInput as exc:
        problems.items.append(exc)
        return None
    if node is None:
        return []
    if not isinstance(node.value, list):
        problems.add("a records file must be a YAML list of records", Location(display, 1))
        return None
    out = []
    for item in node.value:
        rec = _record(item, display, schema, problems)
        if rec is not None:
            out.append(rec)
    return out


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


class _Timer:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self.clock = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = self.timings.get(name, 0.0) + now - self.clock
        self.clock = now


def build_incremental(
    root: Path, out_dir: Path, *, reason: bool, validate: bool, fail_on: str
) -> BuildResult:
    """Rebuild ``out_dir`` from ``root`` using the state of the last build.

    Raises :class:`Fallback` when it cannot (nothing written then); raises
    :class:`BadRecords` or :class:`NotConforming` exactly as a full build
    would, with nothing written.
    """
    timer = _Timer()
    state = out_dir / STATE_DIR
    manifest = _read_json(state / "manifest.json")
    if not isinstance(manifest, dict):
        raise Fallback("no state from an earlier build")
    if manifest.get("fingerprint") != _fingerprint(root, reason=reason, validate=validate):
        raise Fallback("kg, the ontology, shapes, record types, options or folders changed")
    try:
        outputs_now = _outputs(out_dir, reason)
    except OSError:
        raise Fallback("an output is missing") from None
    if manifest.get("outputs") != outputs_now:
        raise Fallback("the outputs changed since the last build")
    if manifest.get("sameas"):
        raise Fallback("the graph uses owl:sameAs")
    snap = snapshot(root)
    old_files: dict[str, dict] = manifest["files"]
    names = {d for d, _p, _b in snap.files}
    if set(old_files) - names:
        raise Fallback("a records file was removed")
    changed = [
        (d, p, b)
        for d, p, b in snap.files
        if d not in old_files or old_files[d]["sha256"] != _sha(b)
    ]
    total = sum(len(b) for _d, _p, b in snap.files)
    if sum(len(b) for _d, _p, b in changed) > MAX_CHANGED_SHARE * max(total, 1):
        raise Fallback("too many records changed")
    timer.lap("check state")

    tmp = _fresh_tmp(out_dir)
    try:
        return _rebuild(
            root, out_dir, snap, changed, manifest, tmp, timer,
            reason=reason, validate=validate, fail_on=fail_on,
        )  # fmt: skip
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(out_dir / STORE_WORK, ignore_errors=True)


def _rebuild(
    root: Path,
    out_dir: Path,
    snap: Snapshot,
    changed: list[tuple[str, Path, bytes]],
    manifest: dict[str, Any],
    tmp: Path,
    timer: _Timer,
    *,
    reason: bool,
    validate: bool,
    fail_on: str,
) -> BuildResult:
    from kg.pipeline.outputs import GRAPH_FILE, INFERRED_FILE, BuildResult
    from kg.rdfio.atomic import Staged

    state = out_dir / STATE_DIR
    old_files: dict[str, dict] = manifest["files"]
    catalogue: dict[str, list] = _read_json(state / "catalogue.json")
    if not isinstance(catalogue, dict):
        raise Fallback("the state is damaged")
    schema = load_schema()
    changed_names = {d for d, _p, _b in changed}

    # Records: the old version of each changed file (from its copy) and the new one.
    problems = _Problems()
    old_recs: list[Record] = []
    new_recs: list[Record] = []
    for display, _path, data in changed:
        key = _key(display)
        if display in old_files:
            got = _parse_file(state / "files" / f"{key}.copy", display, schema, _Problems())
            if got is None:
                raise Fallback("the state is damaged")
            old_recs += got
        copy = tmp / "files" / f"{key}.copy"
        copy.write_bytes(data)  # parsed from the copy: the state holds what was built
        got = _parse_file(copy, display, schema, problems)
        new_recs += got or []
    new_by_id: dict[str, Record] = {}
    for rec in new_recs:
        if rec.id in new_by_id:
            raise Fallback("duplicate record id")
        entry = catalogue.get(rec.id)
        if entry is not None and entry[1] not in changed_names:
            raise Fallback("duplicate record id")
        new_by_id[rec.id] = rec
    for rec in old_recs:
        now = new_by_id.get(rec.id)
        if now is None:
            raise Fallback("a record was removed (or could not be read)")
        if now.type != rec.type and not _retype_safe(schema, rec.type, now.type):
            raise Fallback("a record changed type where others may refer to it")
        if _lang(now) != _lang(rec):
            raise Fallback("a source changed language")
    _check_references(_Known(new_by_id, catalogue), schema, problems)  # type: ignore[arg-type]
    if problems.items:
        # As load_records orders them; no other file can have a problem, since
        # every record they may refer to is still there with its type.
        problems.items.sort(
            key=lambda p: (p.location.file or "", p.location.line or 0) if p.location else ("", 0)
        )
        raise BadRecords(problems.items)
    timer.lap("load records")

    old_built = _build_part(old_recs, root, schema, catalogue)
    new_built = _build_part(new_recs, root, schema, catalogue)
    old_t = set(old_built.triples)
    new_t = set(new_built.triples)
    removed = old_t - new_t
    added = new_t - old_t
    if ontology_schema().uses_sameas(added):
        raise Fallback("the change uses owl:sameAs")
    catalogue_before = len(catalogue), [catalogue.get(r.id) for r in new_recs]
    for rec in new_recs:  # every old record is among them (else: Fallback above)
        catalogue[rec.id] = [rec.type, rec.file, _lang(rec)]
    catalogue_same = catalogue_before == (len(catalogue), [catalogue[r.id] for r in new_recs])
    timer.lap("build graph")

    conv = TermConverter()
    ox = conv.ox
    store_dir = out_dir / STORE_DIR
    work = out_dir / STORE_WORK
    shutil.rmtree(work, ignore_errors=True)
    try:
        stamp = json.loads((store_dir / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stamp = None
    if not isinstance(stamp, dict) or stamp.get("layout") != LAYOUT:
        raise Fallback("the query store is missing or in an older layout")
    try:
        ro = ox.Store.read_only(str(store_dir))
        ro.backup(str(work))  # hard links to the immutable files: instant
        del ro
        store = ox.Store(str(work))
    except OSError:
        raise Fallback("the query store cannot be opened") from None
    onto = _ontology_quads()
    for q in conv.quads(removed, BASE):
        if q not in onto:  # the default graph holds the ontology too: keep its triples
            store.remove(q)
    store.extend(conv.quads(added, BASE))
    timer.lap("update query store")

    changed_subjects = {t[0] for t in removed} | {t[0] for t in added}
    report = None
    if validate:
        report = _revalidate(
            store, conv, changed_subjects, state, catalogue, changed_names, new_built.index,
            fail_on, out_dir,
        )  # fmt: skip
        timer.lap("validate")
        if not report.conforms:
            raise NotConforming(report.render("text").rstrip())

    inf_removed: set = set()
    inf_added: set = set()
    inf_new: dict = {}
    if reason:
        inf_removed, inf_added, inf_new = _reason_delta(store, conv, removed | added)
        for q in conv.quads(inf_removed, INFERRED_GRAPH):
            store.remove(q)
        store.extend(conv.quads(inf_added, INFERRED_GRAPH))
        timer.lap("reason")

    graph_file = out_dir / GRAPH_FILE
    new_ttl = _splice(graph_file.read_bytes(), _blocks(new_t, changed_subjects, conv), conv)
    written = [graph_file]
    new_inf_ttl = None
    if reason:
        inferred_file = out_dir / INFERRED_FILE
        written.append(inferred_file)
        subjects = {t[0] for t in inf_removed} | {t[0] for t in inf_added}
        triples = [t for s in subjects for t in inf_new.get(s, ())]
        new_inf_ttl = _splice(inferred_file.read_bytes(), _blocks(triples, subjects, conv), conv)
    timer.lap("export turtle")

    # Every output is made under a temporary name and then all are put in place
    # together, or none (the full build's way): a failure anywhere leaves
    # kg.ttl, kg-inferred.ttl, the store and the state as they were. kg.ttl is
    # renamed first, so that a crash part-way through leaves a kg.ttl the old
    # state does not describe, and the next build is a full one.
    with Staged() as staged:
        at: dict[str, Path] = {}
        if removed or added:
            at[GRAPH_FILE] = staged.file(graph_file, new_ttl)
        if new_inf_ttl is not None and (inf_removed or inf_added):
            at[INFERRED_FILE] = staged.file(written[1], new_inf_ttl)
        if not reason:  # as the full build: none from another build stays
            staged.remove(out_dir / INFERRED_FILE)
        try:
            store.flush()
            del store  # closed: RocksDB keeps its files open until then
            stamp.update(sha256=hashlib.sha256(new_ttl).hexdigest(), size=len(new_ttl))
            (work / STAMP).write_text(json.dumps(stamp, indent=1) + "\n", encoding="utf-8")
        except OSError as exc:
            raise write_error(store_dir, exc) from exc
        staged.add(work, store_dir)
        at[STAMP] = work / STAMP
        timer.lap("update query store")

        files = {}
        try:
            for display, _path, data in snap.files:
                key = _key(display)
                files[display] = {"sha256": _sha(data), "key": key}
                if display in changed_names:
                    continue
                for sub, ext in (("files", "copy"), ("index", "json")):
                    _link(state / sub / f"{key}.{ext}", tmp / sub / f"{key}.{ext}")
            per = _split_index(new_built.index)
            for display in changed_names:
                _write_json(
                    tmp / "index" / f"{_key(display)}.json",
                    per.get(display, {"nodes": [], "fields": []}),
                )
            if catalogue_same:
                _link(state / "catalogue.json", tmp / "catalogue.json")
            else:
                _write_json(tmp / "catalogue.json", catalogue)
            if report is not None:
                _write_json(tmp / "findings.json", _findings_docs(report))
            counts = dict(manifest["counts"])
            counts["records"] = len(catalogue)
            counts["triples"] += len(added) - len(removed)
            if reason:
                counts["inferred"] += len(inf_added) - len(inf_removed)
            outputs = _outputs(out_dir, reason, at)
            _write_json(
                tmp / "manifest.json", dict(manifest, files=files, counts=counts, outputs=outputs)
            )
        except OSError as exc:
            raise write_error(state, exc) from exc
        staged.add(tmp, state)
        staged.commit()
    timer.lap("save state")
    return BuildResult(
        new_built,
        report,
        None,
        written,
        timer.timings,
        mode="incremental",
        counts=counts,
        changed_files=sorted(changed_names),
    )
