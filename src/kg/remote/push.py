"""``kg push``: uploading the graph with the SPARQL 1.1 Graph Store HTTP
Protocol, atomic (one transactional request, or staging graphs and one
update: :mod:`kg.remote.capabilities` says which) and counted.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import BNode
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from kg.errors import BadInput, KgError, RemoteError, UsageError
from kg.pipeline.export import export_bytes
from kg.pipeline.stored import open_stored, write_ntriples
from kg.progress import bar
from kg.rdfio.formats import RDF_FORMATS, format_from_path, is_dataset_format
from kg.rdfio.read import parse_rdf, plain_strings
from kg.remote.capabilities import Capabilities, capabilities
from kg.remote.endpoints import _required_endpoint, graph_iri, graph_store_url
from kg.remote.http import Client, Connection, NoAnswer, _check_url, redact
from kg.remote.protocol import RESULTS_JSON
from kg.remote.staging import STAGING, Staged, Store, moves, staging_failed
from kg.sandbox.limits import PUSH_TIMEOUT

#: The format of every upload: N-Triples, which every store reads and streams.
UPLOAD = RDF_FORMATS["nt"]


# --- push ---------------------------------------------------------------------------


@dataclass
class Payload:
    """One graph to upload: its target (``None`` = default graph) and an
    N-Triples file on disk holding it."""

    target: str | None
    path: Path
    triples: int


@dataclass
class PushedGraph:
    target: str | None
    sent: int
    counted: int | None

    @property
    def name(self) -> str:
        return f"<{self.target}>" if self.target else "the default graph"


@dataclass
class PushResult:
    """What :func:`push` did, for the report."""

    store: str
    mode: str  # "replace" or "append"
    atomic: bool
    #: How: "staged" (staging graphs, one update), "one transaction" (one
    #: request the store applies whole) or "direct".
    route: str = "direct"
    graphs: list[PushedGraph] = field(default_factory=list)
    bytes_sent: int = 0
    seconds: float = 0.0
    prepare_seconds: float = 0.0

    @property
    def triples(self) -> int:
        return sum(g.sent for g in self.graphs)

    def summary(self) -> list[str]:
        """One line per graph, and one for the volume and speed."""
        if self.route == "staged":
            how = "replaced atomically: staging graph, then one MOVE"
            if self.mode == "append":
                how = "appended to atomically: staging graph, then one ADD"
        elif self.route == "one transaction":
            how = "replaced atomically: one transactional PUT"
            if self.mode == "append":
                how = "appended to atomically: one transactional POST"
        else:
            how = "replaced directly" if self.mode == "replace" else "appended to directly"
        lines = []
        for g in self.graphs:
            count = f"; the store now holds {g.counted}" if g.counted is not None else ""
            lines.append(f"Pushed {g.sent} triples to {g.name} ({how}){count}.")
        rate = self.triples / self.seconds if self.seconds else 0.0
        lines.append(
            f"{self.bytes_sent / 1e6:.1f} MB in {self.seconds:.1f} s "
            f"({rate:,.0f} triples/s) to {redact(self.store)}."
        )
        return lines


@contextlib.contextmanager
def prepare_payloads(
    source: Path | None = None,
    records: Path | None = None,
    *,
    graph: str | None = None,
    reason: bool = False,
    with_ontology: bool = True,
) -> Iterator[list[Payload]]:
    """Serialise what to push into N-Triples files in a temporary folder.

    A TriG, N-Quads or JSON-LD ``source`` keeps its named graphs (one payload each;
    its default graph goes to ``graph``). Anything else (or the records,
    bundled by default) becomes one payload for ``graph``: the same graph
    ``kg query`` reads locally (with the ontology merged in unless
    ``with_ontology`` is false), so remote and local queries agree.
    A kg build's ``kg.ttl`` is written from the store the build persisted
    (:mod:`kg.pipeline.stored`), by Oxigraph, without holding the graph in
    memory; anything else is held in memory once. The upload streams from the file.
    """
    with tempfile.TemporaryDirectory(prefix="kg-push-") as tmp:
        if source is not None and is_dataset_format(format_from_path(source)):
            if records is not None:
                raise UsageError("give either FILE or --records, not both")
            yield _dataset_payloads(source, graph, Path(tmp))
        else:
            path = Path(tmp) / f"0{UPLOAD.extension}"
            stored = None if records is not None else open_stored(source, reason=reason)
            if stored is not None:
                # A kg build: Oxigraph writes the file from kg.ttl and the store the
                # build persisted, the graph never in memory (at 1M triples: GiB less
                # than below).
                # A file rather than a generator as the body: its length is known
                # (Content-Length, which every store takes) and a retried PUT
                # rewinds it.
                with path.open("wb") as fh:
                    n = write_ntriples(stored, fh, with_ontology=with_ontology)
                del stored  # closes the store
                yield [Payload(graph, path, n)]
                return
            # N-Triples made natively (kg's reasoner, Oxigraph's serialiser): at 1M
            # triples seconds, where an rdflib graph took minutes.
            nt = export_bytes(
                UPLOAD.name, source, records, reason=reason, with_ontology=with_ontology
            )
            path.write_bytes(nt)
            yield [Payload(graph, path, nt.count(b"\n"))]


def _dataset_payloads(source: Path, graph: str | None, folder: Path) -> list[Payload]:
    """One payload in ``folder`` per non-empty graph of the dataset file
    ``source``, its default graph for ``graph``. The dataset is let go of
    when this returns, before anything is uploaded."""

    payloads: list[Payload] = []
    for g in list(parse_rdf(source).graphs()):
        name = g.identifier
        if isinstance(name, BNode):
            raise BadInput(f"{source}: a graph named by a blank node cannot be pushed")
        if not len(g):
            continue
        # "x"^^xsd:string and "x" are one literal (RDF 1.1), and one triple
        # in the store: counted as two, the push would report one missing.
        plain_strings(g)
        path = folder / f"{len(payloads)}{UPLOAD.extension}"
        with path.open("wb") as fh:
            g.serialize(destination=fh, format=UPLOAD.rdflib, encoding="utf-8")
        target = graph if name == DATASET_DEFAULT_GRAPH_ID else str(name)
        payloads.append(Payload(target, path, len(g)))
    return payloads


def push(
    store_url: str,
    source: Path | None = None,
    records: Path | None = None,
    *,
    graph: str | None = None,
    replace: bool = True,
    atomic: bool = True,
    verify: bool = True,
    reason: bool = False,
    with_ontology: bool = True,
    query_endpoint: str | None = None,
    update_endpoint: str | None = None,
    conn: Connection | None = None,
    notify: Callable[[str], None] | None = None,
) -> PushResult:
    """Upload the graph (or an RDF file) to a store's Graph Store endpoint.

    ``replace`` (PUT semantics, the default) makes the target graph hold
    exactly the pushed triples; otherwise they are added (POST). With
    ``atomic`` (the default) a failed push leaves the targets as they were:
    one graph pushed to a store whose upload is one transaction
    (:func:`kg.remote.capabilities.capabilities`: Oxigraph 0.5.10 and later)
    is PUT (POST) straight to the target; otherwise each graph is first PUT
    into a fresh staging graph, its triple count checked, and one SPARQL
    Update then moves (``MOVE``; ``ADD`` + ``DROP`` when appending) every
    staging graph into place. Without ``atomic`` the target is written
    directly. With ``verify`` the triple count of each
    target is read back with a SPARQL ``COUNT`` and a mismatch is an error.
    A failed atomic push drops its staging graphs (waiting, within reason,
    for an upload the store did not answer: it may still be loading it), and
    says how to drop any it cannot; ``notify`` hears what kg waits for.
    Without ``conn``, every request may take :data:`kg.sandbox.limits.PUSH_TIMEOUT`. See
    docs/triple-stores.md for what each store guarantees.

    >>> push("http://127.0.0.1:7878/store")  # doctest: +SKIP
    PushResult(store='http://127.0.0.1:7878/store', mode='replace', atomic=True, ...)
    """
    query_endpoint, update_endpoint = _endpoints(
        store_url, graph, verify, atomic, query_endpoint, update_endpoint
    )
    with Client(conn or Connection(timeout=PUSH_TIMEOUT)) as client:
        store = Store(client, store_url, replace, verify, query_endpoint, update_endpoint)
        if notify is not None:
            store.notify = notify
        # Fail fast, before building the graph, if the store cannot be queried.
        caps = capabilities(_preflight(client, query_endpoint) if query_endpoint else "")
        t0 = time.perf_counter()
        with prepare_payloads(
            source, records, graph=graph, reason=reason, with_ontology=with_ontology
        ) as payloads:
            result = PushResult(store_url, "replace" if replace else "append", atomic)
            result.prepare_seconds = time.perf_counter() - t0
            t1 = time.perf_counter()
            size = sum(p.path.stat().st_size for p in payloads)
            label = f"push: {sum(p.triples for p in payloads)} triples, bytes sent"
            with bar(label, size) as store.sent:
                _push(store, payloads, result, caps, atomic=atomic)
            result.seconds = time.perf_counter() - t1
    return result


def _push(
    store: Store, payloads: list[Payload], result: PushResult, caps: Capabilities, *, atomic: bool
) -> None:
    """The route by what the store guarantees (:mod:`kg.remote.capabilities`):
    one graph to a store whose upload is one transaction goes straight to the
    target, atomic at the speed of the store's own load (the staged route costs
    Oxigraph a second copy of the graph: a bulk load, then a MOVE); several
    graphs, or any other store, through staging graphs and one update."""
    if not atomic:
        _push_direct(store, payloads, result)
    elif caps.one_transaction and len(payloads) == 1:
        result.route = "one transaction"
        _push_direct(store, payloads, result, whole=True)
    else:
        result.route = "staged"
        _push_staged(store, payloads, result, caps.bulk_staging)


def _endpoints(
    store_url: str,
    graph: str | None,
    verify: bool,
    atomic: bool,
    query_endpoint: str | None,
    update_endpoint: str | None,
) -> tuple[str | None, str | None]:
    """Check what a push was given, and derive the query endpoint (to count)
    and update endpoint (to move) it needs and was not given."""
    _check_url(store_url, "--endpoint")
    if graph is not None:
        graph_iri(graph, "--graph")
    if verify and query_endpoint is None:
        query_endpoint = _required_endpoint(store_url, "query", "--no-verify")
    if atomic and update_endpoint is None:
        update_endpoint = _required_endpoint(store_url, "update", "--direct")
    if query_endpoint:
        _check_url(query_endpoint, "--query-endpoint")
    if update_endpoint:
        _check_url(update_endpoint, "--update-endpoint")
    return query_endpoint, update_endpoint


def _preflight(client: Client, query_endpoint: str) -> str:
    """Ask the query endpoint ``ASK {}``; return its ``Server`` header."""
    resp = client.request(
        "GET",
        query_endpoint,
        params={"query": "ASK {}"},
        headers={"Accept": RESULTS_JSON},
        idempotent=True,
        what="query",
    )
    resp.close()
    return resp.headers.get("Server", "")


class CutShort(NoAnswer):
    """An upload whose connection was lost before its last byte was sent (by
    any attempt): a store that applies an upload whole has not applied it."""


class _Body(io.BufferedReader):
    """An upload's file, remembering how far any attempt read it to send it."""

    read_to = 0

    def read(self, size: int | None = -1, /) -> bytes:
        data = super().read(size)
        self.read_to = max(self.read_to, self.tell())
        return data


def _upload(client: Client, url: str, payload: Payload, method: str) -> int:
    size = payload.path.stat().st_size
    with _Body(io.FileIO(payload.path, "rb")) as fh:
        try:
            resp = client.request(
                method,
                url,
                data=fh,
                headers={"Content-Type": UPLOAD.media_type},
                idempotent=method == "PUT",
                what="upload",
            )
        except NoAnswer as exc:
            if fh.read_to < size:
                raise CutShort(str(exc)) from None
            raise
        resp.close()
    return size


def _push_staged(store: Store, payloads: list[Payload], result: PushResult, bulk: str) -> None:
    """Each payload into a staging graph of its own, counted; then one update
    moves them all into place. On failure the staging graphs are dropped
    (:func:`kg.remote.staging.staging_failed`)."""
    staged: dict[int, Staged] = {}  # payload index -> its staging graph, as each is made
    moving = False
    try:
        _stage(store, payloads, result, bulk, staged)
        ops = moves([p.target for p in payloads], staged, store.replace)
        if ops:
            moving = True
            store.update(" ;\n".join(ops))
    except KgError as exc:
        raise staging_failed(store, staged, exc, moving) from None
    _verify(store, payloads, result, before=None)


def _stage(
    store: Store, payloads: list[Payload], result: PushResult, bulk: str, staged: dict[int, Staged]
) -> None:
    for i, p in enumerate(payloads):
        if p.triples == 0:
            continue
        staged[i] = staging = Staged(f"{STAGING}{uuid.uuid4().hex}", p.triples)
        url = graph_store_url(store.url, staging.iri) + bulk
        try:
            result.bytes_sent += store.sent_bytes(_upload(store.client, url, p, "PUT"))
        except KgError as exc:
            staging.settled = not isinstance(exc, NoAnswer)  # else it may still be loading
            raise
        staging.settled = True
        if store.verify and (n := store.count(staging.iri)) != p.triples:
            raise RemoteError(
                f"the store holds {n} triples in the staging graph after an upload of {p.triples}"
            )


def _push_direct(
    store: Store, payloads: list[Payload], result: PushResult, *, whole: bool = False
) -> None:
    """Each payload with one ``PUT`` (``POST`` to append) on its target. With
    ``whole``, the store applies each request whole or not at all, and a failed
    one says what became of the target."""
    before: dict[str | None, int] = {}
    if store.verify and not store.replace:
        before = {p.target: store.count(p.target) for p in payloads}
    method = "PUT" if store.replace else "POST"
    for p in payloads:
        url = graph_store_url(store.url, p.target)
        try:
            result.bytes_sent += store.sent_bytes(_upload(store.client, url, p, method))
        except KgError as exc:
            if not whole:
                raise
            raise type(exc)(f"{exc}{_outcome(exc)}") from None
    _verify(store, payloads, result, before=before)


def _outcome(exc: KgError) -> str:
    """What a failed one-transaction upload left in the target."""
    if isinstance(exc, NoAnswer) and not isinstance(exc, CutShort):
        return (
            "; the store did not confirm the upload, so the target holds either its old or "
            "its new content: check it before pushing again"
        )
    return "; the target graph was not changed"


def _verify(
    store: Store,
    payloads: list[Payload],
    result: PushResult,
    before: dict[str | None, int] | None,
) -> None:
    for p in payloads:
        counted = None
        if store.verify:
            counted = store.count(p.target)
            where = f"<{p.target}>" if p.target else "the default graph"
            if store.replace and counted != p.triples:
                raise RemoteError(
                    f"pushed {p.triples} triples but the store holds {counted} in {where}"
                )
            if not store.replace:
                low = max(p.triples, (before or {}).get(p.target, 0))
                high = (before or {}).get(p.target, counted) + p.triples
                if not low <= counted <= high:
                    raise RemoteError(
                        f"appended {p.triples} triples but the store holds {counted} in {where}"
                    )
        result.graphs.append(PushedGraph(p.target, p.triples, counted))
