"""Incremental rebuild: after a build, a later one redoes only what the changed
record files affect, and gives the bytes a full build would.

A successful native build leaves a state folder ``OUT/.kg-state/``: a copy of
every records file as built (with its SHA-256), a catalogue of the records
(id -> type, file, and a source's language, the one thing the builder reads
across records), the location index per file, the findings, and a
fingerprint of everything else the outputs depend on (kg's code, ontology,
shapes, record types, options, records folder, working folder). The next
build into the same OUT hashes the records files and, when only a few
changed:

* **triples**: the changed files' records are built twice, from the copy of
  the old file and from the new one; every triple's subject belongs to one
  record (its IRI or a node minted under it), so the difference is the delta
  of the asserted graph (D removed, I added);
* **store**: a hard-link checkpoint of ``OUT/kg.oxigraph`` takes the delta;
  it replaces the old store only once everything succeeded;
* **validation**: the findings of focus nodes that can see a changed triple
  (those within the shapes' reach, backwards, of a changed subject) and of
  every focus node a SPARQL-based constraint reports, old or new, are
  computed again (the SPARQL constraints run on the updated store); the
  others are kept, moved to their record's new line when their file changed;
* **reasoning**: kg's rules derive each triple about a node from triples
  mentioning it, except along transitive properties, so the entailments about
  the nodes the delta mentions, and the nodes chained to them, are computed
  again from the asserted triples mentioning those nodes;
* **Turtle**: the files are sorted by subject, one block per subject, so only
  the blocks of changed subjects are rewritten.

Anything else falls back to a full build (:class:`Fallback` says why): no or
stale state, a fingerprint change, a records file removed, a record removed
or retyped or a source's language changed (other files may depend on them),
owl:sameAs in the graph, too much changed, shapes beyond what the partial
validation can bound, and record problems that could involve other files
(duplicate ids, missing records) so the full build reports them.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdflib import URIRef
from rdflib.namespace import OWL, RDF, SH

from kg.builder import BuiltGraph, SourceIndex, _Builder
from kg.errors import BadInput, BadRecords, Location, NotConforming, write_error
from kg.namespaces import ID, INFERRED_GRAPH, PREFIXES
from kg.records import (
    Record,
    Records,
    _check_references,
    _display,
    _Problems,
    _record,
    parse_yaml,
    read_text,
    record_files,
)
from kg.schema import Schema, load_schema
from kg.store import (
    BASE,
    LAYOUT,
    STAMP,
    STORE_DIR,
    NativeGraph,
    TermConverter,
    _ox,
    block_at,
    turtle_bytes,
)

if TYPE_CHECKING:
    from kg.pipeline import BuildResult
    from kg.validate import Finding, Report

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
_ID = str(ID)


class Fallback(Exception):
    """The incremental path cannot vouch for the result: build in full."""


# --- the state ---------------------------------------------------------------------


@dataclass
class Snapshot:
    """The records files of a build, read before it, as (display name, path, bytes)."""

    root: Path
    files: list[tuple[str, Path, bytes]]


def snapshot(root: Path) -> Snapshot:
    base = root if root.is_dir() else root.parent
    return Snapshot(root, [(_display(p, base), p, p.read_bytes()) for p in record_files(root)])


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _link(src: Path, dst: Path) -> None:
    """Share an unchanged state file with the new state (a copy where links fail)."""
    if not src.is_file():
        raise Fallback("the state is damaged")
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _key(display: str) -> str:
    """The name of a records file's entries in the state folder."""
    return hashlib.sha1(display.encode()).hexdigest()[:20]


def _fingerprint(root: Path, *, reason: bool, validate: bool) -> dict[str, Any]:
    """Everything but the records that the outputs depend on."""
    import pyoxigraph
    import rdflib
    import yaml

    import kg
    from kg.resources import ontology_files, record_types_file, shapes_files

    h = hashlib.sha256()
    code = sorted(Path(kg.__file__).parent.glob("*.py"))
    for p in [*ontology_files(), *shapes_files(), record_types_file(), *code]:
        h.update(f"{p.name}\0{p.stat().st_size}\0".encode())
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


def _outputs(out_dir: Path, reason: bool, staged: dict[str, Path] | None = None) -> dict[str, Any]:
    """What the state was written with: a rewritten output makes the state stale.

    ``staged`` maps an output's name (or the store's stamp) to where it waits
    to be put in place: a rename keeps a file's size and modification time.
    """
    from kg.pipeline import GRAPH_FILE, INFERRED_FILE

    at = {GRAPH_FILE: out_dir / GRAPH_FILE, STAMP: out_dir / STORE_DIR / STAMP}
    if reason:
        at[INFERRED_FILE] = out_dir / INFERRED_FILE
    at.update(staged or {})
    out: dict[str, Any] = {}
    for name in [GRAPH_FILE, INFERRED_FILE] if reason else [GRAPH_FILE]:
        st = at[name].stat()
        out[name] = [st.st_size, st.st_mtime_ns]
    out[STAMP] = _sha(at[STAMP].read_bytes())
    return out


def _sameas_props(schema: Any) -> set:
    """owl:sameAs and every property that entails it (the reasoner's eq-* rules)."""
    props = {OWL.sameAs}
    for p, sups in schema.sup_p.items():
        if OWL.sameAs in sups:
            props.add(p)
    for p, invs in schema.inv.items():
        if invs & props:
            props.add(p)
    return props


@cache
def _reasoner_schema() -> Any:
    from kg.builder import ontology_triples
    from kg.reason import _Schema

    return _Schema(ontology_triples())


def _lang(rec: Record) -> str | None:
    if rec.type != "source":
        return None
    langs = rec.fields.get("language", [])
    return langs[0].value[0].lower() if langs else None


def _split_index(index: SourceIndex) -> dict[str, dict[str, list]]:
    """The location index, per records file."""
    per: dict[str, dict[str, list]] = {}
    for n, loc in index.nodes.items():
        doc = per.get(loc.file or "")
        if doc is None:
            doc = per[loc.file or ""] = {"nodes": [], "fields": []}
        doc["nodes"].append([n[len(_ID) :], loc.line, loc.record, loc.field])
    for (n, p), loc in index.fields.items():
        doc = per.get(loc.file or "")
        if doc is None:
            doc = per[loc.file or ""] = {"nodes": [], "fields": []}
        doc["fields"].append([n[len(_ID) :], str(p), loc.line, loc.record, loc.field])
    return per


def _load_index(
    doc: dict[str, list], file: str, catalogue: dict[str, list], builder: _Builder
) -> SourceIndex:
    index = SourceIndex()
    for suffix, line, record, fname in doc["nodes"]:
        node = URIRef(_ID + suffix)
        index.nodes[node] = Location(file, line, record, fname)
        entry = catalogue.get(suffix)
        if entry is not None:  # a record's own node: its fields' names by property
            index.field_names[node] = builder.field_names(entry[0])
    for suffix, prop, line, record, fname in doc["fields"]:
        index.fields[(URIRef(_ID + suffix), URIRef(prop))] = Location(file, line, record, fname)
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


def _write_json(path: Path, doc: Any) -> None:
    path.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def drop_state(out_dir: Path) -> None:
    # ..kg-state.old: where an incremental build's commit (rdfio.Staged)
    # keeps the old state aside, left there only by a crash.
    for name in (STATE_DIR, STATE_TMP, STATE_OLD, f".{STATE_DIR}.old"):
        shutil.rmtree(out_dir / name, ignore_errors=True)


def _commit_state(tmp: Path, out_dir: Path) -> None:
    target = out_dir / STATE_DIR
    old = out_dir / STATE_OLD
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(tmp, target)
    shutil.rmtree(old, ignore_errors=True)


def _fresh_tmp(out_dir: Path) -> Path:
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
    if [(d, _sha(b)) for d, _p, b in now.files] != [(d, _sha(b)) for d, _p, b in snap.files]:
        return
    try:
        _save_full_state(snap, result, out_dir, reason=reason, validate=validate)
    except OSError:
        drop_state(out_dir)


def _save_full_state(
    snap: Snapshot, result: BuildResult, out_dir: Path, *, reason: bool, validate: bool
) -> None:
    built = result.built
    tmp = _fresh_tmp(out_dir)
    files = {}
    for display, _path, data in snap.files:
        key = _key(display)
        (tmp / "files" / f"{key}.copy").write_bytes(data)
        files[display] = {"sha256": _sha(data), "key": key}
    catalogue = {r.id: [r.type, r.file, _lang(r)] for r in built.records}
    _write_json(tmp / "catalogue.json", catalogue)
    per = _split_index(built.index)
    for display in files:
        _write_json(
            tmp / "index" / f"{files[display]['key']}.json",
            per.get(display, {"nodes": [], "fields": []}),
        )
    if result.report is not None:
        _write_json(tmp / "findings.json", _findings_docs(result.report))
    sameas = _sameas_props(_reasoner_schema())
    manifest = {
        "fingerprint": _fingerprint(snap.root, reason=reason, validate=validate),
        "files": files,
        "counts": {
            "records": len(built.records),
            "triples": len(built.triples),
            "inferred": len(result.inferred) if result.inferred is not None else None,
        },
        "sameas": any(t[1] in sameas for t in built.triples),
        "outputs": _outputs(out_dir, reason),
    }
    _write_json(tmp / "manifest.json", manifest)
    _commit_state(tmp, out_dir)


def _findings_docs(report: Report) -> list[list]:
    # The raw focus and path come back from the compact forms kg prints: every
    # node and path kg reports has a prefixed name or an <IRI> form.
    return [
        _finding_doc(f, _uncompact(f.focus), _uncompact(f.path) if f.path else None)
        for f in report.findings
    ]


def _uncompact(text: str) -> URIRef | None:
    from kg.namespaces import expand

    if text.startswith("<") and text.endswith(">"):
        return URIRef(text[1:-1])
    if text.startswith('"') or ":" not in text:
        return None
    full = expand(text)
    return URIRef(full) if full != text else None


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
    """All records for :func:`kg.records._check_references`: the changed ones are
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
    """The records of one file, as :func:`kg.records.load_records` reads them
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
    from kg.pipeline import GRAPH_FILE, INFERRED_FILE, BuildResult
    from kg.rdfio import Staged

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
    sameas = _sameas_props(_reasoner_schema())
    if any(t[1] in sameas for t in added):
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


# --- validation ----------------------------------------------------------------------


def _shape_reach(compiled: Any) -> tuple[int, set[str]]:
    """How many hops from a focus node the shapes read, and the components of the
    SPARQL-based constraints (whose findings are recomputed from the whole store).

    A focus node's core findings depend only on the triples whose subjects lie
    within that many hops of it.
    """
    from kg.validate import compact

    components: set[str] = set()

    def walk(sh: Any, stack: frozenset, emitting: bool) -> int:
        if sh.node in stack:
            raise Fallback("the shapes are recursive")
        if sh.sparql:
            if not emitting:
                raise Fallback("a SPARQL-based constraint inside sh:or or a qualified shape")
            components.update(compact(c.component) for c in sh.sparql)
        if emitting and sh.is_property and sh.properties:
            # Their findings are about value nodes, not the focus node.
            raise Fallback("property shapes nested in property shapes")
        base = 1 if sh.is_property else 0
        best = base
        inner = stack | {sh.node}
        for param, arg in sh.constraints:
            nested = arg if param == SH["or"] else [arg] if param == SH.qualifiedValueShape else []
            for n in nested:
                best = max(best, base + walk(n, inner, False))
        for prop in sh.properties:
            best = max(best, base + walk(prop, inner, emitting))
        return best

    reach = max((walk(s, frozenset(), True) for s in compiled.targeted), default=0)
    return reach, components


class _Locator:
    """Record locations of nodes: from the changed files' new index, or from the
    state's index of the node's (unchanged) file, loaded when first needed."""

    def __init__(
        self,
        state: Path,
        catalogue: dict[str, list],
        changed: set[str],
        new_index: SourceIndex,
    ) -> None:
        self.state = state
        self.catalogue = catalogue
        self.changed = changed
        self.new_index = new_index
        self.loaded: dict[str, SourceIndex] = {}
        self.builder = _Builder(Records({}, Path(".")), load_schema())

    def file_of(self, node: str) -> str | None:
        if not node.startswith(_ID):
            return None
        entry = self.catalogue.get(node[len(_ID) :].split("/", 1)[0])
        return entry[1] if entry is not None else None

    def locate(self, node: Any, path: Any) -> Location | None:
        file = self.file_of(str(node))
        if file is None:
            return None
        if file in self.changed:
            return self.new_index.locate(node, path)
        index = self.loaded.get(file)
        if index is None:
            doc = _read_json(self.state / "index" / f"{_key(file)}.json")
            if not isinstance(doc, dict):
                raise Fallback("the state is damaged")
            index = self.loaded[file] = _load_index(doc, file, self.catalogue, self.builder)
        return index.locate(node, path)


@cache
def _ontology_quads() -> frozenset:
    from kg.builder import ontology_triples

    return frozenset(TermConverter().quads(ontology_triples(), BASE))


def _asserted(store: Any, s: Any, p: Any, o: Any) -> Iterator[Any]:
    """The store's asserted quads matching a pattern: its default graph holds the
    ontology's triples too, which are not the records' (no ontology triple
    names a record's node, so this only matters for nodes such as classes)."""
    onto = _ontology_quads()
    base = store.quads_for_pattern(s, p, o, _ox().DefaultGraph())
    return (q for q in base if q not in onto)


def _ball(store: Any, conv: Any, seeds: Iterable[Any], hops: int, backward: bool) -> Any:
    """Nodes within ``hops`` of ``seeds`` along asserted triples (backward: the
    nodes pointing at them), or, forward, the triples of those nodes."""
    ox = conv.ox
    seen = set(seeds)
    frontier = list(seen)
    triples: list[tuple] = []
    for level in range(hops + (0 if backward else 1)):
        nxt = []
        for x in frontier:
            xo = conv.to_ox(x)
            if backward:
                for q in _asserted(store, None, None, xo):
                    s = conv.from_ox(q.subject)
                    if s not in seen:
                        seen.add(s)
                        nxt.append(s)
                continue
            for q in _asserted(store, xo, None, None):
                o = conv.from_ox(q.object)
                triples.append((x, conv.from_ox(q.predicate), o))
                if level < hops and isinstance(q.object, ox.NamedNode) and o not in seen:
                    seen.add(o)
                    nxt.append(o)
        if len(seen) > MAX_AFFECTED:
            raise Fallback("the change reaches too many nodes")
        frontier = nxt
    return seen if backward else triples


def _revalidate(
    store: Any,
    conv: Any,
    changed_subjects: set,
    state: Path,
    catalogue: dict[str, list],
    changed_files: set[str],
    new_index: SourceIndex,
    fail_on: str,
    out_dir: Path,
) -> Report:
    from kg.builder import ontology_triples
    from kg.shacl import DataIndex, Unsupported, Validator
    from kg.validate import Finding, Report, _compiled_default, _sort, native_finding

    try:
        compiled = _compiled_default()
    except Unsupported:
        raise Fallback("the shapes need pySHACL") from None
    reach, sparql_components = _shape_reach(compiled)
    old_docs = _read_json(state / "findings.json")
    if not isinstance(old_docs, list):
        raise Fallback("the state is damaged")
    native = NativeGraph(store, [BASE], conv)

    def rows(select: str) -> list[tuple]:
        return [(conv.from_ox(s["this"]), conv.from_ox(s["value"])) for s in native.select(select)]

    validator = Validator(compiled, DataIndex(()), rows)
    # Focus nodes to check again: those a SPARQL-based constraint reports now or
    # reported before, and those within the shapes' reach of a changed subject.
    focus: set = set()
    for shape in compiled.by_node.values():
        for check in shape.sparql:
            focus.update(validator._sparql(check.select))
    focus.update(URIRef(d[8]) for d in old_docs if d[4] in sparql_components and d[8])
    focus |= _ball(store, conv, changed_subjects, reach, backward=True)
    data = DataIndex([*_ball(store, conv, focus, reach, backward=False), *ontology_triples()])
    validator.data = data
    results = []
    for shape in compiled.targeted:
        targets = [
            f
            for f in focus
            if any(data.is_instance(f, c) for c in shape.target_classes)
            or any(p in data.out.get(f, ()) for p in shape.target_subjects_of)
        ]
        for f in sorted(targets, key=str):
            results.extend(validator.check(shape, [f]))

    locator = _Locator(state, catalogue, changed_files, new_index)
    findings = [native_finding(r, locator.locate) for r in results]
    rechecked = {str(f) for f in focus}
    for sev, fc, path_c, value, comp, shape_c, msg, loc, focus_iri, path_iri in old_docs:
        if focus_iri in rechecked:
            continue
        location = Location(*loc) if loc else None
        if focus_iri is not None and locator.file_of(focus_iri) in changed_files:
            # Same finding, but its record may have moved within the file.
            location = new_index.locate(URIRef(focus_iri), URIRef(path_iri) if path_iri else None)
        findings.append(Finding(sev, fc, path_c, value, comp, shape_c, msg, location))
    _sort(findings)
    return Report(findings, None, fail_on, make_graph=lambda: _report_graph(out_dir))


def _report_graph(out_dir: Path) -> Any:
    """The SHACL report graph, by validating the written graph in full (only made
    when asked for; an incremental build keeps the findings, not the graph)."""
    from kg.pipeline import GRAPH_FILE, read_triples
    from kg.validate import validate_graph

    return validate_graph(read_triples(out_dir / GRAPH_FILE), engine="native").graph()


# --- reasoning -----------------------------------------------------------------------


def _chain_props(schema: Any) -> set:
    """Properties whose triples can extend a chain of a transitive property."""
    chain = set(schema.transitive)
    props = set(schema.sup_p) | set(schema.inv)
    grew = True
    while grew:
        grew = False
        for p in props - chain:
            if schema.sup_p.get(p, frozenset()) & chain or schema.inv.get(p, set()) & chain:
                chain.add(p)
                grew = True
    return chain


def _reason_delta(store: Any, conv: Any, delta: set) -> tuple[set, set, dict]:
    """The inferred triples to remove and to add, and the new inferred triples by
    subject, for the subjects whose entailments ``delta`` can change."""
    from kg.reason import infer_triples

    ox = conv.ox
    schema = _reasoner_schema()
    nodes: set = set()
    for s, p, o in delta:
        nodes.add(s)
        # A class named by rdf:type gains nothing (rdf:type has no range or inverse).
        if isinstance(o, URIRef) and (o.startswith(_ID) or p != RDF.type):
            nodes.add(o)
    chain = [conv.iri(p) for p in _chain_props(schema)]
    chain_names = {c.value for c in chain}
    frontier = [n for n in nodes if n.startswith(_ID)]
    while frontier:
        nxt = []
        for x in frontier:
            xo = conv.to_ox(x)
            found = [
                q.object
                for q in _asserted(store, xo, None, None)
                if q.predicate.value in chain_names and isinstance(q.object, ox.NamedNode)
            ]
            for p in chain:
                found.extend(q.subject for q in _asserted(store, None, p, xo))
            for y in found:
                y = conv.from_ox(y)
                if y not in nodes:
                    nodes.add(y)
                    nxt.append(y)
        if len(nodes) > MAX_AFFECTED:
            raise Fallback("the change reaches too many nodes")
        frontier = nxt
    local: set = set()
    for x in nodes:
        xo = conv.to_ox(x)
        for q in (
            *_asserted(store, xo, None, None),
            *_asserted(store, None, None, xo),
        ):
            local.add((conv.from_ox(q.subject), conv.from_ox(q.predicate), conv.from_ox(q.object)))
    new = {t for t in infer_triples(local) if t[0] in nodes}
    gi = conv.iri(INFERRED_GRAPH)
    old = set()
    for x in nodes:
        if x.startswith(_ID):
            for q in store.quads_for_pattern(conv.to_ox(x), None, None, gi):
                old.add((x, conv.from_ox(q.predicate), conv.from_ox(q.object)))
    by_subject: dict = {}
    for t in new:
        by_subject.setdefault(t[0], []).append(t)
    return old - new, new - old, by_subject


# --- Turtle --------------------------------------------------------------------------

# kg's Turtle (turtle_bytes) has one block per subject, sorted by subject; a
# block's first line starts with the subject, its other lines with a tab (no
# literal spans lines: Oxigraph escapes line breaks).
_BLOCK_START = re.compile(rb"^[^\t\n]", re.M)
_ESCAPE = re.compile(r"\\(.)")


def _header(conv: Any) -> bytes:
    return turtle_bytes([], conv)


def _subject_at(data: bytes, pos: int) -> str:
    token = data[pos : data.index(b" ", pos)].decode()
    if token.startswith("<"):
        return token[1:-1]
    prefix, _, local = token.partition(":")
    return str(PREFIXES[prefix]) + _ESCAPE.sub(r"\1", local)


def _blocks(triples: Iterable[tuple], subjects: set, conv: Any) -> dict[str, bytes]:
    """The Turtle block of each of ``subjects`` (empty for a subject with no triples)."""
    data = turtle_bytes([t for t in triples if t[0] in subjects], conv)
    starts = [m.start() for m in _BLOCK_START.finditer(data, len(_header(conv)))]
    out = {str(s): b"" for s in subjects}
    for i, pos in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(data)
        out[_subject_at(data, pos)] = data[pos:end]
    return out


_LAST = "\U0010ffff"  # sorts after every IRI


def _splice(old: bytes, blocks: dict[str, bytes], conv: Any) -> bytes:
    """``old`` Turtle with the blocks of ``blocks``' subjects replaced, added or
    (when empty) removed, in subject order. Each block is found by bisecting the
    bytes (the blocks are sorted by subject), so only a few lines are decoded."""
    header = _header(conv)
    if not old.startswith(header):
        raise Fallback("a Turtle output is not as kg wrote it")
    n = len(old)

    def subject_from(pos: int) -> str:
        start = block_at(old, pos)
        return _subject_at(old, start) if start < n else _LAST

    out = [header]
    prev = len(header)
    for s in sorted(blocks):
        found = bisect.bisect_left(range(prev, n + 1), s, key=subject_from)
        pos = block_at(old, prev + found) if prev + found < n else n
        out.append(old[prev:pos])
        out.append(blocks[s])
        prev = block_at(old, pos + 1) if pos < n and _subject_at(old, pos) == s else pos
    out.append(old[prev:])
    return b"".join(out)
