"""The operations behind the commands: build, validate, open a graph, export.

Each is a plain function the CLI calls; none of them prints or exits.
"""

from __future__ import annotations

import gc
import re
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import BNode, Dataset, Graph

from kg import rdfio
from kg.builder import BuiltGraph, load_ontology, record_iri, records_to_graph
from kg.errors import BadInput, NotConforming, UsageError
from kg.namespaces import ASSERTED_GRAPH, INFERRED_GRAPH, ONTOLOGY_GRAPH, bind_prefixes
from kg.rdfio import (
    RDF_FORMATS,
    Staged,
    format_from_path,
    is_dataset_format,
    output_folder,
    parse_rdf,
    rdf11_term,
)
from kg.records import load_records
from kg.resources import records_dir
from kg.validate import Report, validate_graph

GRAPH_FILE = "kg.ttl"
INFERRED_FILE = "kg-inferred.ttl"


ENGINES = ("native", "reference")


@dataclass
class BuildResult:
    built: BuiltGraph
    report: Report | None
    inferred: Graph | list | None
    written: list[Path]
    timings: dict[str, float] = field(default_factory=dict)
    # --- incremental rebuilds (kg.incremental) ---
    # "incremental" when only the changed record files were rebuilt: ``built``
    # then holds just their records, ``inferred`` is None and ``counts`` has the
    # totals (records, triples, inferred).
    mode: str = "full"
    fallback: str = ""  # why an earlier build's state could not be used
    counts: dict[str, Any] | None = None
    changed_files: list[str] = field(default_factory=list)

    @property
    def triples(self) -> int:
        if self.counts is not None:
            return int(self.counts["triples"])
        return len(self.built.triples)

    @property
    def record_count(self) -> int:
        if self.counts is not None:
            return int(self.counts["records"])
        return len(self.built.records)

    @property
    def inferred_count(self) -> int | None:
        if self.counts is not None:
            n = self.counts.get("inferred")
            return None if n is None else int(n)
        return None if self.inferred is None else len(self.inferred)


def load(records: Path | None = None) -> BuiltGraph:
    """Load and check records (the bundled ones by default) and build the graph."""
    with gc_paused():
        return records_to_graph(load_records(records or records_dir()))


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
    (:mod:`kg.incremental`), with the same outputs; ``full=True`` rebuilds
    everything.

    One kg process at a time writes into ``out_dir``: if another holds its
    lock, :class:`kg.errors.FolderBusy` is raised at once and nothing is
    touched. Holding it, the build first clears what a killed build left
    there (:func:`kg.rdfio.sweep_leftovers`).
    """
    if engine not in ENGINES:
        raise UsageError(f"--engine must be one of {', '.join(ENGINES)}")
    from kg.incremental import SCRATCH, STATE_DIR
    from kg.store import STORE_DIR, STORE_TMP

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
    from kg import incremental

    root = records or records_dir()
    fallback = "--full"
    if not full:
        try:
            return incremental.build_incremental(
                root, out_dir, reason=reason, validate=validate, fail_on=fail_on
            )
        except incremental.Fallback as exc:
            fallback = str(exc)
        except (OSError, KeyError, TypeError, ValueError) as exc:
            # A damaged or unreadable state: the full build below redoes
            # everything and writes a fresh state.
            fallback = f"the state could not be used ({type(exc).__name__}: {exc})"
    snap = incremental.snapshot(root)
    result = _build_native(records, out_dir, reason=reason, validate=validate, fail_on=fail_on)
    with gc_paused():  # the build's millions of objects are still alive here
        t = time.perf_counter()
        incremental.save_state(snap, result, out_dir, reason=reason, validate=validate)
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
        from kg.reason import infer

        inferred = infer(built.graph)
    from kg.rdfio import serialize

    outputs = [(out_dir / GRAPH_FILE, serialize(built.graph, "turtle"))]
    if inferred is not None:
        outputs.append((out_dir / INFERRED_FILE, serialize(inferred, "turtle")))
    with Staged() as staged:
        for path, data in outputs:
            staged.file(path, data)
        if inferred is None:
            staged.remove(out_dir / INFERRED_FILE)
        staged.commit()
    return BuildResult(built, report, inferred, [path for path, _data in outputs])


def _build_native(
    records: Path | None, out_dir: Path, *, reason: bool, validate: bool, fail_on: str
) -> BuildResult:
    from kg.builder import ontology_triples
    from kg.reason import infer_triples
    from kg.store import (
        BASE,
        STORE_DIR,
        StoreWriter,
        TermConverter,
        turtle_bytes,
    )

    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = timings.get(name, 0.0) + now - clock
        clock = now

    with gc_paused():
        recs = load_records(records or records_dir())
        lap("load records")
        built = records_to_graph(recs)
        triples = built.triples
        lap("build graph")
        conv = TermConverter()
        data = turtle_bytes(triples, conv)
        lap("export turtle")
        # The store fills in a background thread while the main one validates
        # and reasons; it only replaces the old store once the build succeeded.
        writer = StoreWriter(out_dir)
        try:
            writer.load_turtle(data, BASE)
            writer.load_triples(ontology_triples(), BASE, conv)
            lap("load query store")
            report = None
            if validate:
                # The core constraints run while the store loads; the SPARQL-based
                # ones last, on the store (kg.ttl and the ontology, as loaded).
                report = validate_graph(
                    triples, built.index, fail_on=fail_on, engine="native", store=writer.graph(conv)
                )
                lap("validate")
                if not report.conforms:
                    raise NotConforming(report.render("text").rstrip())
            inferred = None
            idata = b""
            if reason:
                inferred = infer_triples(triples)
                lap("reason")
                idata = turtle_bytes(inferred, conv)
                lap("export turtle")
                writer.load_turtle(idata, INFERRED_GRAPH)
            written = [out_dir / GRAPH_FILE]
            # An error inside discards the staged files.
            with Staged() as staged:
                staged.file(written[0], data)
                if inferred is not None:
                    written.append(out_dir / INFERRED_FILE)
                    staged.file(written[1], idata)
                else:
                    staged.remove(out_dir / INFERRED_FILE)
                lap("export turtle")
                staged.add(
                    writer.ready(written[0], data, inferred is not None), out_dir / STORE_DIR
                )
                staged.commit()
        except BaseException as exc:
            # The failed frames (validation's, say) may still hold the new
            # store, which RocksDB keeps open until its last reference goes:
            # free their variables before abort removes its folder.
            traceback.clear_frames(exc.__traceback__)
            writer.abort()
            raise
        lap("load query store")
    return BuildResult(built, report, inferred, written, timings)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Run a block without Python's cyclic garbage collector.

    Building a large graph allocates millions of small objects that live to
    the end; every collection walks all of them, which made the build's Python
    stages grow faster than the data (at 1M triples, 107 s with collections,
    62 s without). Reference counting still frees everything a build drops.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def validate_paths(paths: list[Path], fail_on: str = "violation", engine: str = "native") -> Report:
    """Validate records (files or folders of YAML) or RDF files against the shapes."""
    if not paths:
        paths = [records_dir()]
    record_paths = [p for p in paths if p.is_dir() or p.suffix in (".yaml", ".yml")]
    rdf_paths = [p for p in paths if p not in record_paths]
    for p in paths:
        if not p.exists():
            raise BadInput(f"no such file or folder: {p}")
    if record_paths and rdf_paths:
        raise UsageError("validate either records or RDF files, not both at once")
    if record_paths:
        with gc_paused():
            built = records_to_graph(load_records(record_paths))
            if engine == "native":
                return validate_graph(built.triples, built.index, fail_on=fail_on, engine=engine)
        return validate_graph(built.graph, built.index, fail_on=fail_on, engine=engine)
    if engine == "native":
        with gc_paused():
            triples: dict[tuple, None] = {}
            for p in rdf_paths:
                triples.update(dict.fromkeys(read_triples(p)))
            return validate_graph(triples, fail_on=fail_on, engine=engine)
    data = Graph()
    for p in rdf_paths:
        data += read_graph(p)
    return validate_graph(data, fail_on=fail_on, engine=engine)


def read_graph(path: Path) -> Graph:
    """All triples of an RDF file (any format kg reads), named graphs merged.

    ``"x"^^xsd:string`` is stored as the plain literal ``"x"``.
    """
    g = Graph()
    bind_prefixes(g)
    add = g.add
    for s, p, o, _ctx in parse_rdf(path).quads((None, None, None, None)):
        # RDF 1.1 makes "x" and "x"^^xsd:string one literal, and Oxigraph holds
        # them as one; rdflib keeps two terms, so a file with both would count
        # twice in DISTINCT, COUNT and len() on the reference engine only.
        add((s, p, rdf11_term(o)))
    return g


def open_graph(
    graph_file: Path | None = None,
    records: Path | None = None,
    *,
    reason: bool = False,
    with_ontology: bool = True,
    engine: str = "native",
) -> Graph:
    """The graph a read command works on: an RDF file, or records (bundled by default).

    The ontology is merged in so queries can use class and property labels.
    ``reason`` adds the OWL RL entailments of ``engine``'s reasoner (native:
    :func:`kg.reason.infer_data`; reference: owlrl; the same triples). The
    native engine reads a file with :func:`read_triples` (a built ``kg.ttl``
    by Oxigraph), the reference engine with rdflib.
    """
    if graph_file is not None and records is not None:
        raise UsageError("give either --graph or --records, not both")
    if graph_file is None:
        g = load(records).graph
    elif engine == "native":
        g = as_graph(read_triples(graph_file))
    else:
        g = read_graph(graph_file)
    if reason:
        from kg.reason import infer

        for t in infer(g, engine=engine):
            g.add(t)
    if with_ontology:
        for t in load_ontology():
            g.add(t)
    return g


def open_native(
    graph_file: Path | None = None,
    records: Path | None = None,
    *,
    reason: bool = False,
) -> Any:
    """The graph a query runs on, in the native store (:class:`kg.store.NativeGraph`).

    For ``--graph build/kg.ttl`` the store ``kg build`` persisted next to it is
    opened (instantly) when it matches the file; otherwise the graph is loaded
    into an in-memory store. The ontology is included, as in :func:`open_graph`.
    """
    from kg.builder import ontology_triples
    from kg.store import memory_graph, open_persisted

    if graph_file is not None and records is not None:
        raise UsageError("give either --graph or --records, not both")
    if graph_file is not None:
        if graph_file.name == GRAPH_FILE and graph_file.is_file():
            opened = open_persisted(graph_file, reason=reason)
            if opened is not None:
                return opened
        triples: Any = read_triples(graph_file)
    else:
        triples = load(records).triples
    inferred: Any = ()
    if reason:
        from kg.reason import infer_data

        inferred = infer_data(triples)
    return memory_graph(triples, inferred, ontology_triples())


def export_dataset(
    graph_file: Path | None = None,
    records: Path | None = None,
    *,
    reason: bool = False,
    with_ontology: bool = False,
    engine: str = "native",
) -> Dataset:
    """The graph as a dataset: one named graph per source, plus inferred and ontology.

    Built from records, every asserted triple goes into the named graph of each
    source that supports it (the graph is named by the source's IRI, so the
    source's own description sits with what it supports); a triple no source
    supports goes into the ``asserted`` graph. From an RDF file, where that is
    not known, all triples go into the ``asserted`` graph.
    """
    if graph_file is not None and records is not None:
        raise UsageError("give either --graph or --records, not both")
    ds = Dataset()
    bind_prefixes(ds)
    if graph_file is not None:
        asserted = read_graph(graph_file)
        by_source: dict[str, list[tuple]] = {}
    else:
        built = load(records)
        asserted, by_source = built.graph, built.by_source
    placed = set()
    for src, triples in by_source.items():
        named = ds.graph(record_iri(src))
        for t in triples:
            named.add(t)
            placed.add(t)
    rest = ds.graph(ASSERTED_GRAPH)
    for t in asserted:
        if t not in placed:
            rest.add(t)
    if reason:
        from kg.reason import infer

        gi = ds.graph(INFERRED_GRAPH)
        for t in infer(asserted, engine=engine):
            gi.add(t)
    if with_ontology:
        go = ds.graph(ONTOLOGY_GRAPH)
        for t in _canonical_ontology():
            go.add(t)
    return ds


def export(
    out: Path | None,
    fmt: str | None,
    graph_file: Path | None = None,
    records: Path | None = None,
    *,
    reason: bool = False,
    with_ontology: bool = False,
    engine: str = "native",
) -> tuple[str, bytes | None]:
    """Serialise the graph; write ``out`` atomically, or return the bytes for stdout."""
    fmt = fmt or (format_from_path(out) if out is not None else "turtle")
    data = export_bytes(
        fmt, graph_file, records, reason=reason, with_ontology=with_ontology, engine=engine
    )
    if out is None:
        return fmt, data
    rdfio.atomic_write(out, lambda fh: fh.write(data))
    return fmt, None


def export_bytes(
    fmt: str,
    graph_file: Path | None = None,
    records: Path | None = None,
    *,
    reason: bool = False,
    with_ontology: bool = False,
    engine: str = "native",
) -> bytes:
    """The graph (the dataset of :func:`export_dataset`) in RDF format ``fmt``.

    The native engine (default) gathers the triples without rdflib graphs and
    reasons with kg's reasoner; the reference engine builds the rdflib dataset
    and reasons with owlrl. Either way Oxigraph's serialiser writes them,
    sorted, so the same graph gives the same bytes in every run (rdflib's
    JSON-LD and RDF/XML serialisers write in hash order, which changes from
    process to process). Data with blank nodes, whose labels are new at each
    parse, is written by rdflib's serialisers (Turtle inlines them).
    """
    from kg.rdfio import serialize
    from kg.store import rdf_bytes

    if fmt not in RDF_FORMATS:
        raise UsageError(f"unknown format {fmt!r}; use one of {', '.join(RDF_FORMATS)}")
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    ds = None
    with gc_paused():  # millions of objects that all live to the end (see build)
        if engine == "native":
            quads = _native_quads(
                fmt, graph_file, records, reason=reason, with_ontology=with_ontology
            )
        else:
            ds = export_dataset(
                graph_file, records, reason=reason, with_ontology=with_ontology, engine=engine
            )
            quads = _dataset_quads(ds, is_dataset_format(fmt))
        if quads is not None:
            return rdf_bytes(quads, fmt)
    if ds is None:
        ds = export_dataset(
            graph_file, records, reason=reason, with_ontology=with_ontology, engine=engine
        )
    target: Graph | Dataset
    if is_dataset_format(fmt):
        target = ds
    else:
        target = Graph()
        bind_prefixes(target)
        for s, p, o, _g in ds.quads((None, None, None, None)):
            target.add((s, p, o))
    if fmt == "xml":
        from kg.store import check_xml_predicates

        check_xml_predicates(target.predicates(unique=True))
    return serialize(target, fmt)


def _native_quads(
    fmt: str,
    graph_file: Path | None,
    records: Path | None,
    *,
    reason: bool,
    with_ontology: bool,
) -> dict[tuple, None] | None:
    """The quads (s, p, o, graph; graph None for a triple format) of
    :func:`export_dataset`, gathered natively; None when the data has blank nodes."""
    if graph_file is not None and records is not None:
        raise UsageError("give either --graph or --records, not both")
    dataset = is_dataset_format(fmt)
    by_source: dict[str, list[tuple]] = {}
    triples: Any
    if graph_file is not None:
        triples = read_triples(graph_file)
    else:
        built = load(records)
        triples = built.triples
        if dataset:
            by_source = built.by_source
    if _has_bnode(triples):
        return None
    inferred: list[tuple] = []
    if reason:
        from kg.reason import infer_data

        inferred = infer_data(triples)
        if _has_bnode(inferred):
            return None
    onto = _canonical_ontology() if with_ontology else []
    quads: dict[tuple, None] = {}
    if dataset:
        placed: set[tuple] = set()
        for src, src_triples in by_source.items():
            g = record_iri(src)
            for t in src_triples:
                quads[(*t, g)] = None
                placed.add(t)
        quads.update(((*t, ASSERTED_GRAPH), None) for t in triples if t not in placed)
        quads.update(((*t, INFERRED_GRAPH), None) for t in inferred)
        quads.update(((*t, ONTOLOGY_GRAPH), None) for t in onto)
    else:
        for part in (triples, inferred, onto):
            quads.update(((s, p, o, None), None) for s, p, o in part)
    return quads


def _dataset_quads(ds: Dataset, dataset: bool) -> dict[tuple, None] | None:
    """``ds``'s quads as :func:`_native_quads` gives them; None when a blank node
    is outside the ontology's graph (the ontology's are labelled canonically)."""
    quads: dict[tuple, None] = {}
    for s, p, o, g in ds.quads((None, None, None, None)):
        name = getattr(g, "identifier", g)
        if (isinstance(s, BNode) or isinstance(o, BNode)) and name != ONTOLOGY_GRAPH:
            return None
        quads[(s, p, o, name if dataset else None)] = None
    return quads


def read_triples(path: Path) -> Any:
    """The triples of an RDF file, as :func:`read_graph` reads them.

    A ``kg.ttl`` whose size and SHA-256 are those in the stamp of the store
    ``kg build`` wrote beside it is in kg's own Turtle, which Oxigraph parses
    about 50 times faster than rdflib: it is read that way, under the same
    checks (the input size limit, ill-typed literals refused; Oxigraph's
    parser refuses malformed IRIs itself). Any other file is read by
    :func:`read_graph`.
    """
    import hashlib

    from kg.rdfio import quiet_literals, read_input, refuse_ill_typed
    from kg.store import TermConverter, read_stamp

    stamp = read_stamp(path) if path.name == GRAPH_FILE else None
    if stamp is None:
        return read_graph(path)
    data = read_input(path)
    if stamp.get("size") != len(data) or stamp.get("sha256") != hashlib.sha256(data).hexdigest():
        return read_graph(path)
    from kg.builder import intern

    conv = TermConverter()
    ox, f = conv.ox, conv.from_ox
    try:
        with quiet_literals():
            # kg's one object per IRI: the reasoner's look-ups then hit on identity.
            triples = dict.fromkeys(
                (f(t.subject), intern(f(t.predicate)), intern(f(t.object)))
                for t in ox.parse(data, format=ox.RdfFormat.TURTLE)
            )
    except SyntaxError:  # not kg's Turtle after all: read it the usual way
        return read_graph(path)
    refuse_ill_typed(triples, path)
    return triples


def as_graph(triples: Any) -> Graph:
    """``triples`` (what :func:`read_triples` gives) as an rdflib Graph."""
    if isinstance(triples, Graph):
        return triples
    g = Graph()
    bind_prefixes(g)
    add = g.add
    with gc_paused():
        for t in triples:
            add(t)
    return g


def _has_bnode(triples: Any) -> bool:
    return any(isinstance(s, BNode) or isinstance(o, BNode) for s, _p, o in triples)


def _canonical_ontology() -> list[tuple]:
    """The ontology's triples with its blank nodes (OWL lists) labelled from
    their content, so an export that includes it is the same in every run."""
    from rdflib.compare import to_canonical_graph

    return sorted(to_canonical_graph(load_ontology()))
