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

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdflib import URIRef

from kg.builder.graph import SourceIndex, _Builder
from kg.errors import Location
from kg.reason.rules import ontology_schema
from kg.records.load import _display, record_files
from kg.records.model import Record
from kg.store.persist import STAMP, STORE_DIR
from kg.terms.namespaces import ID

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


def _outputs(out_dir: Path, reason: bool, staged: dict[str, Path] | None = None) -> dict[str, Any]:
    """What the state was written with: a rewritten output makes the state stale.

    ``staged`` maps an output's name (or the store's stamp) to where it waits
    to be put in place: a rename keeps a file's size and modification time.
    """
    from kg.pipeline.outputs import GRAPH_FILE, INFERRED_FILE

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
    manifest = {
        "fingerprint": _fingerprint(snap.root, reason=reason, validate=validate),
        "files": files,
        "counts": {
            "records": len(built.records),
            "triples": len(built.triples),
            "inferred": len(result.inferred) if result.inferred is not None else None,
        },
        "sameas": ontology_schema().uses_sameas(built.triples),
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
    from kg.terms.namespaces import expand

    if text.startswith("<") and text.endswith(">"):
        return URIRef(text[1:-1])
    if text.startswith('"') or ":" not in text:
        return None
    full = expand(text)
    return URIRef(full) if full != text else None
