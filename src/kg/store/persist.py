"""The store ``kg build`` persists next to ``kg.ttl``.

``kg build`` writes ``build/kg.oxigraph/``: an Oxigraph store whose default
graph holds the asserted triples and the ontology's, with the inferred
triples (``--reason``) in a named graph, plus a stamp saying which
``kg.ttl`` it was built with. ``kg query --graph build/kg.ttl`` opens that
store (a few milliseconds) instead of parsing the Turtle.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rdflib import URIRef
from rdflib.namespace import XSD

from kg.errors import BadInput, write_error
from kg.rdfio.write import turtle_pieces
from kg.sandbox.inputs import read_input
from kg.store.native import BASE, NativeGraph
from kg.terms.convert import TermConverter, oxigraph
from kg.terms.namespaces import INFERRED_GRAPH

STORE_DIR = "kg.oxigraph"


STORE_TMP = f".{STORE_DIR}.tmp"  # where StoreWriter fills a new store


STAMP = "kg-store.json"


# The store's layout: a store written in another one is not opened (the build
# that reads it again writes a new one).
LAYOUT = 2


_XSD_STRING = str(XSD.string)


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class StoreWriter:
    """Writes a fresh ``out_dir/kg.oxigraph`` store in a background thread.

    Oxigraph's bulk loader parses and indexes without holding the GIL, so the
    store fills while the build validates and reasons on the main thread (at
    1M triples that hides most of the store's cost). :meth:`ready` finishes it
    under a temporary name, for the caller to put in place together with the
    files of the same build; :meth:`abort` removes it, leaving the old store
    untouched. ``out_dir`` exists already (kg build's ``output_folder``).
    """

    def __init__(self, out_dir: Path) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.ox = oxigraph()
        self.out_dir = out_dir
        self.tmp = out_dir / STORE_TMP
        try:
            if self.tmp.exists():
                shutil.rmtree(self.tmp)
            self.store: Any = self.ox.Store(str(self.tmp))
        except BaseException as exc:
            shutil.rmtree(self.tmp, ignore_errors=True)
            if isinstance(exc, OSError):
                raise write_error(out_dir / STORE_DIR, exc) from exc
            raise
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kg-store")
        self._jobs: list[Any] = []
        self._sealed = False

    def load_turtle(self, data: bytes, graph: URIRef | None) -> None:
        """Queue Turtle ``data`` (as :func:`turtle_bytes` writes it) for ``graph``
        (None, :data:`BASE`: the default graph)."""
        ox = self.ox
        to = ox.DefaultGraph() if graph is None else ox.NamedNode(graph)

        def load() -> None:
            try:
                for piece in turtle_pieces(data):
                    self.store.bulk_load(piece, ox.RdfFormat.TURTLE, to_graph=to)
            except SyntaxError as exc:  # kg's own Turtle that Oxigraph cannot read: kg's bug
                why = " ".join(str(exc).split())[:300]
                raise BadInput(
                    f"cannot write {self.out_dir / STORE_DIR}: the Turtle kg wrote does not "
                    f"read back (Oxigraph: {why})"
                ) from None

        self._jobs.append(self._pool.submit(load))

    def load_triples(
        self, triples: Iterable[tuple], graph: URIRef | None, conv: TermConverter
    ) -> None:
        """Queue a few rdflib triples (converted here, on the calling thread)."""
        quads = list(conv.quads(triples, graph))
        self._jobs.append(self._pool.submit(self.store.bulk_extend, quads))

    def graph(self, conv: TermConverter) -> Any:
        """A Future of the store's default graph (a :class:`NativeGraph`), done
        once the loads queued so far are: kg build's SPARQL-based constraints
        run on it rather than on a second, in-memory copy of the data (at 1M
        triples that copy took 2.5 s of CPU beside the build, and 0.9 GiB)."""
        jobs = list(self._jobs)

        def loaded() -> NativeGraph:
            try:
                for job in jobs:  # done already (one worker, in order); re-raises
                    job.result()
            except OSError as exc:
                raise write_error(self.out_dir / STORE_DIR, exc) from exc
            return NativeGraph(self.store, [BASE], conv)

        return self._pool.submit(loaded)

    def seal(self) -> None:
        """Say the last load is queued: the store compacts itself (``optimize``,
        which :meth:`ready` would otherwise run) in the background too."""
        self._jobs.append(self._pool.submit(self.store.optimize))
        self._sealed = True

    def _wait(self) -> None:
        try:
            for job in self._jobs:
                job.result()
        finally:
            self._pool.shutdown(wait=True)

    def abort(self) -> None:
        """Drop the new store (whether or not :meth:`ready` finished it); the old
        store stays as it was."""
        # The build failed already: its error is the one to report.
        with contextlib.suppress(Exception):
            self._wait()
        self.store = None  # closes it: RocksDB keeps files open until then
        shutil.rmtree(self.tmp, ignore_errors=True)

    def ready(self, graph_file: Path, data: bytes, inferred: bool) -> Path:
        """Wait for the loads, close the store and stamp it with the size and
        digest of ``graph_file``, whose bytes are ``data`` (so a stale store is
        never used); return its folder, to be renamed to ``out_dir/kg.oxigraph``."""
        try:
            self._wait()
            if not self._sealed:
                self.store.optimize()
            self.store.flush()
            counts = store_counts(self.store)
            self.store = None
            write_stamp(self.tmp, graph_file.name, data, inferred, counts)
        except OSError as exc:  # a full disk, mostly: the store is the largest output
            raise write_error(self.out_dir / STORE_DIR, exc) from exc
        return self.tmp


def store_counts(store: Any) -> dict[str, int]:
    """The triples of a built store's default graph (``default``: asserted and
    ontology) and of all its graphs (``all``: with the inferred ones), as
    :class:`NativeGraph` counts them without and with the inferred graph (a
    union of graphs keeps a triple once per graph, so ``all`` is the number of
    quads: the store holds no other graph).

    >>> from pyoxigraph import DefaultGraph, NamedNode, Quad, Store
    >>> s, a = Store(), NamedNode("https://example.org/a")
    >>> s.extend([Quad(a, a, a, DefaultGraph()), Quad(a, a, a, a)])
    >>> store_counts(s)
    {'default': 1, 'all': 2}
    """
    everything = len(store)  # Oxigraph counts its quads without decoding a term
    q = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    default = int(next(iter(store.query(q)))["n"].value)
    return {"default": default, "all": everything}


def write_stamp(
    store_dir: Path,
    graph_name: str,
    data: bytes,
    inferred: bool,
    triples: dict[str, int] | None = None,
) -> None:
    """Stamp the store in ``store_dir`` with the Turtle file it matches: its name,
    the size and digest of its bytes ``data``, whether the store holds the
    inferred triples too, and how many triples it holds (:func:`store_counts`),
    so that ``kg serve`` need not count them."""
    stamp: dict[str, Any] = {
        "layout": LAYOUT,
        "graph": graph_name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "inferred": inferred,
        "size": len(data),
    }
    if triples is not None:
        stamp["triples"] = triples
    (store_dir / STAMP).write_text(json.dumps(stamp, indent=1) + "\n", encoding="utf-8")


_STAMP_LIMIT = 1 << 16  # a stamp is a few hundred bytes


def read_stamp(graph_file: Path) -> dict | None:
    """The stamp of the store next to ``graph_file`` when it is in this layout and
    names that file (``size``, ``sha256``, ``inferred``); else None."""
    try:
        # Read as any input (a FIFO or a device there must not hang or fill memory).
        raw = read_input(graph_file.parent / STORE_DIR / STAMP, limit=_STAMP_LIMIT)
        stamp = json.loads(raw.decode("utf-8"))
    except (BadInput, ValueError):
        return None
    if not isinstance(stamp, dict):
        return None
    if stamp.get("layout") != LAYOUT or stamp.get("graph") != graph_file.name:
        return None
    return stamp


def trusted_stamp(graph_file: Path, data: bytes | None = None) -> dict | None:
    """The stamp of the store ``kg build`` wrote beside ``graph_file`` if the file
    is, byte for byte, the one that store was built from (its SHA-256 is the
    stamp's); else None. ``data``: the file's bytes, when the caller has read them.

    Every reader of a built ``kg.ttl`` asks this before it uses the store or
    reads the file as kg's own Turtle. By digest only, never by modification
    time: ``cp -p``, ``rsync -a`` and tar give an edited file an older time, and
    an edit can keep the size. (At 1M triples, 37 MB: 0.02 s with SHA-NI.)
    """
    stamp = read_stamp(graph_file)
    if stamp is None:
        return None
    try:
        if data is None:
            if graph_file.stat().st_size != stamp.get("size"):
                return None  # not the file: no need to read it
            digest = file_digest(graph_file)
        else:
            digest = hashlib.sha256(data).hexdigest()
    except OSError:
        return None
    return stamp if digest == stamp.get("sha256") else None


def open_persisted(graph_file: Path, reason: bool = False) -> NativeGraph | None:
    """The store ``kg build`` wrote next to ``graph_file``, if it was built from
    that very file (:func:`trusted_stamp`)."""
    stamp = trusted_stamp(graph_file)
    if stamp is None or (reason and not stamp.get("inferred")):
        return None
    target = graph_file.parent / STORE_DIR
    conv = TermConverter()
    try:
        store = conv.ox.Store.read_only(str(target))
    except OSError:
        return None
    graphs: list[URIRef | None] = [BASE, INFERRED_GRAPH] if reason else [BASE]
    return NativeGraph(store, graphs, conv, stamp_triples(stamp, reason))


def stamp_triples(stamp: dict, reason: bool) -> int | None:
    """The stamp's count of the triples a query sees, with or without the inferred
    ones; None when the stamp has none (a store stamped before kg counted)."""
    counts = stamp.get("triples")
    n = counts.get("all" if reason else "default") if isinstance(counts, dict) else None
    return n if isinstance(n, int) and not isinstance(n, bool) and n >= 0 else None
