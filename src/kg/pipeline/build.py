"""``kg build``: records -> validated graph -> ``kg.ttl``, ``kg-inferred.ttl`` and
the query store, all put in place together or not at all.

A plain function the CLI calls; it neither prints nor exits.
"""

from __future__ import annotations

import re
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kg.builder.graph import BuiltGraph, records_to_graph
from kg.builder.ontology import ontology_triples
from kg.engines import check_engine
from kg.errors import NotConforming
from kg.pipeline.incremental.rebuild import build_incremental
from kg.pipeline.incremental.state import SCRATCH, STATE_DIR, Fallback, save_state, snapshot
from kg.pipeline.open import load
from kg.pipeline.outputs import (
    GRAPH_FILE,
    INFERRED_FILE,
    BuildResult,
    Laps,
    gc_paused,
)
from kg.rdfio.atomic import Staged, refuse_special
from kg.rdfio.folders import output_folder
from kg.rdfio.readback import ReadBack
from kg.rdfio.write import serialize, turtle_bytes
from kg.reason.engines import infer
from kg.reason.native import infer_triples
from kg.records.load import load_records
from kg.resources import records_dir
from kg.store.native import BASE
from kg.store.persist import STORE_DIR, STORE_TMP, StoreWriter
from kg.terms.convert import TermConverter
from kg.terms.namespaces import INFERRED_GRAPH
from kg.validate.engines import validate_graph

if TYPE_CHECKING:
    from kg.store.persist import StoreWriter
    from kg.terms.convert import TermConverter
    from kg.validate.report import Report


def build(
    records: Path | None = None,
    out_dir: Path = Path("build"),
    *,
    reason: bool = False,
    validate: bool = True,
    fail_on: str = "violation",
    engine: str = "native",
    full: bool = False,
) -> BuildResult:
    """Records -> validated graph -> ``out_dir/kg.ttl`` (and ``kg-inferred.ttl``).

    Nothing is written unless the records load and (when validating) the graph
    conforms. Every output is first written under a temporary name and all are
    renamed into place together once the last is ready; a build that fails at
    any point (a full disk, say) leaves the previous outputs exactly as they
    were, and no temporary file. Without ``reason``, a ``kg-inferred.ttl`` an
    earlier build left goes with the same step (it would not match the new
    ``kg.ttl``). The native engine (default) also
    writes the query store ``out_dir/kg.oxigraph/`` that ``kg query --graph
    out_dir/kg.ttl`` opens; ``engine="reference"`` uses pySHACL, owlrl and
    rdflib's serialiser (no store).

    The native engine keeps state in ``out_dir/.kg-state/`` so that the next
    build into ``out_dir`` redoes only what the changed record files affect
    (:mod:`kg.pipeline.incremental.state`), with the same outputs; ``full=True`` rebuilds
    everything.

    One kg process at a time writes into ``out_dir``: if another holds its
    lock, :class:`kg.errors.FolderBusy` is raised at once and nothing is
    touched. Holding it, the build first clears what a killed build left
    there (:func:`kg.rdfio.folders.sweep_leftovers`).
    """
    check_engine(engine)
    for name in (GRAPH_FILE, INFERRED_FILE):  # a FIFO there: refused before any work
        refuse_special(out_dir / name)

    # Either engine's outputs, so that a reference build also clears what a
    # killed native one left.
    outputs = "|".join(re.escape(n) for n in (GRAPH_FILE, INFERRED_FILE, STORE_DIR, STATE_DIR))
    scratch = (STORE_TMP, *SCRATCH)
    # Locked from before the incremental build reads the state to after the
    # new state is saved: another build in between would mix two builds' files.
    with output_folder(out_dir, outputs, scratch):
        if engine == "native":
            return _build_with_state(
                records, out_dir, reason=reason, validate=validate, fail_on=fail_on, full=full
            )
        return _build_reference(records, out_dir, reason=reason, validate=validate, fail_on=fail_on)


def _build_with_state(
    records: Path | None,
    out_dir: Path,
    *,
    reason: bool,
    validate: bool,
    fail_on: str,
    full: bool,
) -> BuildResult:
    # --- incremental rebuilds (kg.incremental) ---

    root = records or records_dir()
    fallback = "--full"
    if not full:
        try:
            return build_incremental(
                root, out_dir, reason=reason, validate=validate, fail_on=fail_on
            )
        except Fallback as exc:
            fallback = str(exc)
        except (OSError, KeyError, TypeError, ValueError) as exc:
            # A damaged or unreadable state: the full build below redoes
            # everything and writes a fresh state.
            fallback = f"the state could not be used ({type(exc).__name__}: {exc})"
    snap = snapshot(root)
    result = _build_native(records, out_dir, reason=reason, validate=validate, fail_on=fail_on)
    with gc_paused():  # the build's millions of objects are still alive here
        t = time.perf_counter()
        save_state(snap, result, out_dir, reason=reason, validate=validate)
        result.timings["save state"] = time.perf_counter() - t
    result.fallback = fallback
    return result


def _build_reference(
    records: Path | None, out_dir: Path, *, reason: bool, validate: bool, fail_on: str
) -> BuildResult:
    built = load(records)
    report = None
    if validate:
        report = validate_graph(built.graph, built.index, fail_on=fail_on)
        if not report.conforms:
            raise NotConforming(report.render("text").rstrip())
    inferred = None
    if reason:
        inferred = infer(built.graph)

    outputs = [(out_dir / GRAPH_FILE, serialize(built.graph, "turtle"))]
    if inferred is not None:
        outputs.append((out_dir / INFERRED_FILE, serialize(inferred, "turtle")))
    with Staged() as staged, ReadBack() as rb:
        for path, data in outputs:
            # rdflib wrote them: Oxigraph reads them back (:mod:`kg.rdfio.readback`).
            staged.file(path, data, rb.start(data, "turtle", "rdflib", str(path)))
        if inferred is None:
            staged.remove(out_dir / INFERRED_FILE)
        staged.commit()
    return BuildResult(built, report, inferred, [path for path, _data in outputs])


def _build_native(
    records: Path | None, out_dir: Path, *, reason: bool, validate: bool, fail_on: str
) -> BuildResult:
    laps = Laps()
    with gc_paused(), ReadBack() as rb:
        recs = load_records(records or records_dir())
        laps.lap("load records")
        built = records_to_graph(recs)
        laps.lap("build graph")
        conv = TermConverter()
        data = turtle_bytes(built.triples, conv)
        laps.lap("export turtle")
        # Oxigraph wrote it: rdflib reads it back, in worker processes while
        # the build goes on (:mod:`kg.rdfio.readback`), waited for at the commit.
        checked = rb.start(data, "turtle", "oxigraph", str(out_dir / GRAPH_FILE))
        laps.lap("read back")
        # The store fills in a background thread while the main one validates
        # and reasons; it only replaces the old store once the build succeeded.
        writer = StoreWriter(out_dir)
        try:
            report, inferred = _check_and_reason(
                built,
                writer,
                conv,
                data,
                laps,
                rb,
                reason=reason,
                validate=validate,
                fail_on=fail_on,
            )
            written = _put_native_outputs(out_dir, writer, _Outputs(data, checked, inferred), laps)
        except BaseException as exc:
            # The failed frames (validation's, say) may still hold the new
            # store, which RocksDB keeps open until its last reference goes:
            # free their variables before abort removes its folder.
            traceback.clear_frames(exc.__traceback__)
            writer.abort()
            raise
    triples = None if inferred is None else inferred.triples
    return BuildResult(built, report, triples, written, laps.timings)


def _check_and_reason(
    built: BuiltGraph,
    writer: StoreWriter,
    conv: TermConverter,
    data: bytes,
    laps: Laps,
    rb: ReadBack,
    *,
    reason: bool,
    validate: bool,
    fail_on: str,
) -> tuple[Report | None, _Inferred | None]:
    """Load the store (in the background), reason, validate: the report and the
    inferred triples with their Turtle and read-back (None without ``reason``).

    Reasoning comes before validation, which it does not need: the store then
    loads the inferred graph, and rdflib reads kg-inferred.ttl back, while
    validation runs, instead of after it (at 1M triples the inferred graph's
    load is about 9 s of one core, which used to be the build's last stage on
    its own). What a build reports is unchanged: validation's report first, a
    clash the reasoner found only when the data conforms."""

    writer.load_turtle(data, BASE)
    writer.load_triples(ontology_triples(), BASE, conv)
    laps.lap("load query store")
    # kg.ttl and the ontology, as loaded: queued before the inferred graph.
    store = writer.graph(conv) if validate else None
    if not reason:
        writer.seal()  # the last load: the store compacts itself meanwhile
    inferred, clash = None, None
    if reason:
        try:
            name = str(writer.out_dir / INFERRED_FILE)
            inferred = _reason(built, writer, conv, laps, rb.start, name)
        except NotConforming as exc:
            clash = exc
    report = None
    if validate:
        # The core constraints run while the store loads; the SPARQL-based
        # ones last, on the store (kg.ttl and the ontology, as loaded).
        report = validate_graph(
            built.triples, built.index, fail_on=fail_on, engine="native", store=store
        )
        laps.lap("validate")
        if not report.conforms:
            raise NotConforming(report.render("text").rstrip())
    if clash is not None:
        raise clash
    return report, inferred


@dataclass
class _Inferred:
    """The inferred triples, their Turtle and the wait for its read-back."""

    triples: list
    data: bytes
    checked: Callable[..., None]


def _reason(
    built: BuiltGraph,
    writer: StoreWriter,
    conv: TermConverter,
    laps: Laps,
    read_back: Callable[..., Callable[..., None]],
    name: str,
) -> _Inferred:
    triples = infer_triples(built.triples)
    laps.lap("reason")
    idata = turtle_bytes(triples, conv)
    laps.lap("export turtle")
    writer.load_turtle(idata, INFERRED_GRAPH)
    writer.seal()  # the last load: the store compacts itself meanwhile
    return _Inferred(triples, idata, read_back(idata, "turtle", "oxigraph", name))


@dataclass
class _Outputs:
    """What a native build writes: kg.ttl's bytes and the wait for their read-back,
    and the inferred graph (None without --reason)."""

    data: bytes
    checked: Callable[..., None]
    inferred: _Inferred | None


def _put_native_outputs(
    out_dir: Path, writer: StoreWriter, out: _Outputs, laps: Laps
) -> list[Path]:
    """Stage kg.ttl, kg-inferred.ttl (or its removal) and the store, and put
    them in place together once both files read back; an error inside
    discards the staged files."""

    written = [out_dir / GRAPH_FILE]
    with Staged() as staged:
        staged.file(written[0], out.data, out.checked)
        if out.inferred is not None:
            written.append(out_dir / INFERRED_FILE)
            staged.file(written[1], out.inferred.data, out.inferred.checked)
        else:
            staged.remove(out_dir / INFERRED_FILE)
        laps.lap("export turtle")
        ready = writer.ready(written[0], out.data, out.inferred is not None)
        staged.add(ready, out_dir / STORE_DIR)
        laps.lap("load query store")
        staged.commit()  # waits for the read-backs first
        laps.lap("read back")
    return written
