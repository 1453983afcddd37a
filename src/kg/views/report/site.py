"""A static, self-contained HTML site about the graph: ``kg report``.

:func:`build_site` turns a graph into a mapping from relative file name to
bytes: an index, a timeline of events (SVG), a network picture of actors,
organisations, events and documents (SVG, laid out with networkx), one page
per record (the same facts as ``kg describe``, with a neighbourhood picture),
one page per canned query with its results, the ontology's documentation with
a diagram of the model, and the validation findings. :func:`write_site` writes
it atomically; :func:`generate` does both for the bundled records or a file.

The site needs no network to be viewed: no scripts, no web fonts, one local
style sheet, SVG inline. The same graph always gives the same bytes (every
list is sorted; layouts use fixed seeds; coordinates are rounded).

>>> from rdflib import Graph, Literal, RDF, RDFS
>>> from kg.terms.iris import record_iri
>>> from kg.terms.namespaces import KG
>>> graph, abe = Graph(), record_iri("shinzo-abe")
>>> graph += [(abe, RDF.type, KG.Person), (abe, RDFS.label, Literal("Shinzo Abe", lang="en"))]
>>> files = build_site(graph, validation=None)
>>> "index.html" in files and "entity/shinzo-abe.html" in files
True
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import Graph

from kg import __version__
from kg.builder.ontology import load_ontology
from kg.errors import UsageError, write_error
from kg.pipeline.open import as_graph, load, read_triples
from kg.progress import bar
from kg.rdfio.atomic import Staged
from kg.rdfio.folders import output_folder
from kg.reason.engines import infer
from kg.records.display import Display
from kg.sparql.canned import catalog
from kg.store.native import NativeGraph
from kg.store.view import store_graph
from kg.terms.namespaces import PREFIXES
from kg.validate.engines import validate_graph
from kg.validate.report import Report
from kg.views.describe import describe
from kg.views.graphview import GraphView, record_id
from kg.views.model import Description
from kg.views.report.common import shorten
from kg.views.report.facets import EntityFilters
from kg.views.report.linkchart import chart_data, chart_files
from kg.views.report.listing import (
    Entry,
    by_page,
    kind_pages,
    kinds_on,
    pages,
    paging_context,
    rows_script,
)
from kg.views.report.live import LIVE_LIMIT, live_files
from kg.views.report.network import build_ego, build_network, kind_styles
from kg.views.report.ontology import OntologyDoc, build_ontology_doc
from kg.views.report.queries import QueryPage, build_query_pages
from kg.views.report.search import SearchBuilder, search_files
from kg.views.report.stored import store_inputs
from kg.views.report.timeline import Timeline, build_timeline

TEMPLATES = Path(__file__).parent.parent / "templates"


MARKER = ".kg-report"  # a site folder kg may replace carries this file


@dataclass
class SiteResult:
    """What :func:`generate` wrote."""

    out_dir: Path
    pages: list[str]
    bytes: int
    entities: int
    queries: int
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)


# --- the site ---------------------------------------------------------------------------------


def _environment(display: Display) -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "svg", "xml"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["short"] = shorten
    env.globals["kind_titles"] = display.titles
    env.globals["version"] = __version__
    return env


def build_site(
    graph: Graph,
    *,
    ontology: Graph | None = None,
    query_graph: Graph | NativeGraph | None = None,
    validation: Report | None = None,
    queries: dict[str, Any] | None = None,
    title: str = "NATO–Japan relations: knowledge graph",
    display: Display | None = None,
    sink: Sink | None = None,
    triples: int | None = None,
) -> dict[str, bytes]:
    """Render the whole site; returns {relative path: content}.

    ``graph`` holds the records' triples (entity pages show these);
    ``query_graph`` is what the canned queries run on (default: ``graph``
    plus the ontology), an rdflib Graph or a store; ``validation`` is the SHACL report to summarise
    (``None`` leaves the page saying validation was not run); ``display``
    the kinds, colours and phrasing (default: ``ontology/record-display.yaml``).
    ``sink`` takes each file as it is rendered instead (the mapping returned is
    then empty), so the pages of a large graph are never all in memory;
    ``triples`` is the size of ``graph`` when it is known already.
    """

    view = GraphView(graph, ontology, display)
    if query_graph is None:
        query_graph = _with_ontology(graph, view.ont)
    onto = build_ontology_doc(view)
    common: dict[str, Any] = {"site_title": title, "terms": onto.terms}
    common["triples"] = len(graph) if triples is None else triples
    site = _Pages(_environment(view.display), common, sink)
    records = _Records(view)
    with bar("report: records", len(view.records)) as done:
        # One record at a time, by id (the search index's order): its description
        # goes to its page and to the index, and only an Entry is kept.
        for n in sorted(view.records, key=lambda n: record_id(n) or ""):
            d = describe(view, n)
            ego = build_ego(d)
            site.page(f"entity/{d.id}.html", "entity.html", d=d, ego=ego, active="entities")
            records.add(d)
            done.advance()
    kinds = _by_kind(view.display, records.entries)
    query_pages = build_query_pages(view, query_graph, catalog() if queries is None else queries)
    graph_triples = _count(query_graph)
    labels = {e.id: e.label for e in records.entries if e.id}
    # The records' own pages are written with their descriptions; the rest, in
    # three steps (at 1M triples, minutes).
    with bar("report: pages", 3) as done:
        live = live_files(_all_triples(query_graph), labels, graph_triples)
        common["counts"] = {k: len(v) for k, v in kinds}
        common["graph_files"] = [p for p in live if p.startswith("data/")]
        common["graph_triples"] = graph_triples
        common["live_limit"] = LIVE_LIMIT
        site.add_all(live)
        done.advance()
        _top_pages(site, view, kinds, onto, query_pages, validation, records)
        done.advance()
        site.page("search.html", "search.html", active="search")
        site.add_all(search_files(records.search.index()))
        site.style_sheet(view.display)
        done.advance()
    return site.done()


class _Records:
    """What the pages besides a record's own keep of each record: its entry in the
    entity list, its filter values and its document in the search index."""

    def __init__(self, view: GraphView) -> None:
        self.view = view
        self.entries: list[Entry] = []
        self.filters = EntityFilters()
        self.search = SearchBuilder()

    def add(self, d: Description) -> None:
        self.entries.append(Entry.of(d))
        self.filters.add(self.view, d)
        self.search.add_description(d)


def _top_pages(
    site: _Pages,
    view: GraphView,
    kinds: list[tuple[str, list[Entry]]],
    onto: OntologyDoc,
    query_pages: list[QueryPage],
    validation: Report | None,
    records: _Records,
) -> None:
    """Every page but the entity pages."""
    summary = validation.counts if validation is not None else None
    timeline = build_timeline(view)
    network = build_network(view)
    chart = chart_data(view, network)
    site.add_all(chart_files(chart))
    site.page(
        "index.html",
        "index.html",
        kinds=kinds,
        validation=validation,
        summary=summary,
        timeline=timeline,
        network=network,
        queries=query_pages,
        onto=onto,
        active="index",
    )
    _entity_list(site, kinds, records.filters.close(view))
    _timeline_pages(site, timeline)
    site.page("network.html", "network.html", net=network, chart=chart, active="network")
    site.page("queries.html", "queries.html", queries=query_pages, active="queries")
    for qp in query_pages:
        site.page(f"query/{qp.name}.html", "query.html", q=qp, active="queries")
    site.page("ontology.html", "ontology.html", onto=onto, active="ontology")
    site.page(
        "validation.html",
        "validation.html",
        validation=validation,
        summary=summary,
        findings=_findings(validation, {e.id for e in records.entries if e.id}),
        active="validation",
    )


def _entity_list(
    site: _Pages, kinds: list[tuple[str, list[Entry]]], filters: EntityFilters
) -> None:
    """``entities.html``, in pages of :data:`PAGE_ROWS` records when there are more."""
    totals = {k: len(v) for k, v in kinds}
    starts = kind_pages(kinds, "entities")
    row = site.macro("entity_row")
    for page in pages("entities", sum(totals.values())):
        page.kind_pages = starts
        on_page = kinds_on(kinds, page)
        site.page(
            page.href,
            "entities.html",
            kinds=kinds,
            page_kinds=on_page,
            totals=totals,
            filters=filters,
            active="entities",
            **paging_context(page, "entities"),
        )
        if page.count > 1:
            html = [str(row(e, filters.data[e.iri])) for _, items in on_page for e in items]
            site.add(*rows_script("entities", page, html))


def _timeline_pages(site: _Pages, timeline: Timeline) -> None:
    """``timeline.html``, in pages of :data:`PAGE_ROWS` events when there are more."""
    row = site.macro("timeline_row")
    for page in pages("timeline", len(timeline.rows)):
        rows = list(by_page(timeline.rows, page))
        site.page(
            page.href,
            "timeline.html",
            tl=timeline,
            page_rows=rows,
            active="timeline",
            **paging_context(page, "timeline"),
        )
        if page.count > 1:
            site.add(*rows_script("timeline", page, [str(row(r, "")) for r in rows]))


Sink = Callable[[str, bytes], None]


class _Pages:
    """The site's files as they are rendered: kept, or handed to ``sink``."""

    def __init__(self, env: Any, common: dict[str, Any], sink: Sink | None = None) -> None:
        self.env = env
        self.common = common
        self.files: dict[str, bytes] = {}
        self.add: Sink = sink if sink is not None else self.files.__setitem__

    def add_all(self, files: dict[str, bytes]) -> None:
        for rel, data in files.items():
            self.add(rel, data)

    def page(self, path: str, template: str, **ctx: Any) -> None:
        root = "../" * path.count("/")
        html = self.env.get_template(template).render(root=root, path=path, **self.common, **ctx)
        self.add(path, html.encode("utf-8"))

    def macro(self, name: str) -> Any:
        """A macro of ``macros.html``, to render one row of a list on its own."""
        return getattr(self.env.get_template("macros.html").module, name)

    def style_sheet(self, display: Display) -> None:
        css = self.env.get_template("style.css").render(kind_styles=kind_styles(display))
        self.add("style.css", css.encode("utf-8"))

    def done(self) -> dict[str, bytes]:
        self.add(MARKER, b"kg report site: `kg report` may replace this folder.\n")
        return dict(sorted(self.files.items()))


def _count(graph: Any) -> int:
    """The triples of an rdflib Graph or of a store's default graph, each once (a
    triple both asserted and inferred is in two of the store's graphs)."""
    if isinstance(graph, Graph):
        return len(graph)
    q = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"
    return int(next(iter(graph.select(q)))["n"].value)


def _all_triples(graph: Any) -> Iterator[tuple[Any, Any, Any]]:
    """Every triple of an rdflib Graph or of a store's default graph (once each)."""
    if isinstance(graph, Graph):
        return iter(graph)
    return (t for t, _ in store_graph(graph).store.triples((None, None, None)))


def _with_ontology(graph: Graph, ontology: Graph) -> Graph:
    both = Graph()
    for t in graph:
        both.add(t)
    for t in ontology:
        both.add(t)
    return both


def _by_kind(display: Display, descriptions: Iterable[Entry]) -> list[tuple[str, list[Entry]]]:
    """The records by kind, in the display order; each kind's by label."""
    by_kind: dict[str, list[Entry]] = defaultdict(list)
    for d in descriptions:
        by_kind[d.kind].append(d)
    for items in by_kind.values():
        items.sort(key=lambda d: (d.label.casefold(), d.iri))
    return [(k, by_kind[k]) for k in display.order if by_kind.get(k)]


def _findings(report: Report | None, pages: set[str]) -> list[dict[str, Any]]:
    if report is None:
        return []
    out = []
    for f in report.findings:
        rid = f.location.record if f.location and f.location.record else None
        if rid is None and f.focus.startswith("id:"):
            rid = f.focus[3:].split("/")[0]
        has_page = rid is not None and rid in pages
        out.append({"f": f, "record": rid if has_page else None})
    return out


def write_site(files: dict[str, bytes], out_dir: Path) -> None:
    """Write the site into ``out_dir``, replacing a previous site there as a whole
    (:func:`site_folder`)."""
    with site_folder(out_dir) as add:
        for rel, data in files.items():
            add(rel, data)


@contextmanager
def site_folder(out_dir: Path) -> Iterator[Sink]:
    """A writer of the site's files into ``out_dir``, replacing a previous site
    there as a whole when the block ends without an error.

    The files are written into a folder next to ``out_dir`` and swapped in by
    renaming (:class:`kg.rdfio.atomic.Staged`), so a reader sees the old site or the
    new one, never a mix. A non-empty ``out_dir`` that is not a kg site is
    refused, never overwritten. The folder holding ``out_dir`` is taken as
    :func:`kg.rdfio.folders.output_folder` takes a build's: another kg process writing
    there is refused (exit 2), and what a killed run left (its half-written
    site, or the old site set aside just before the swap) is cleared or put
    back first.
    """
    out_dir = out_dir.resolve() if out_dir.exists() else Path(os.path.abspath(out_dir))
    if out_dir.exists():
        if not out_dir.is_dir():
            raise UsageError(f"{out_dir} exists and is not a folder")
        if any(out_dir.iterdir()) and not (out_dir / MARKER).exists():
            raise UsageError(
                f"{out_dir} is not empty and is not a kg report; "
                "choose another folder with -o (kg will not overwrite it)"
            )
    # A fixed name: under the folder lock no other run uses it, and the next
    # run's sweep removes it if this one is killed.
    staging = out_dir.parent / f".{out_dir.name}.new"
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(out_dir, exc) from exc  # named as given, not its folder
    scope = output_folder(out_dir.parent, re.escape(out_dir.name), scratch=[staging.name])
    with scope, Staged() as staged:
        staged.add(staging, out_dir)  # first: a failed write discards what was staged

        def add(rel: str, data: bytes) -> None:
            target = staging / rel
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            except OSError as exc:
                raise write_error(out_dir, exc) from exc

        try:
            staging.mkdir()
        except OSError as exc:
            raise write_error(out_dir, exc) from exc
        yield add
        try:
            for d in [staging, *sorted(p for p in staging.rglob("*") if p.is_dir())]:
                d.chmod(0o755)
        except OSError as exc:
            raise write_error(out_dir, exc) from exc
        staged.commit()


def generate(
    out_dir: Path,
    graph_file: Path | None = None,
    records: Path | None = None,
    *,
    reason: bool = False,
) -> SiteResult:
    """Build the graph (records, bundled by default, or an RDF file), validate it,
    render the site and write it to ``out_dir``, page by page.

    A ``kg.ttl`` that ``kg build`` persisted a store beside (the same digest,
    :func:`kg.store.persist.open_persisted`) is read from that store by index
    (:func:`kg.views.report.stored.store_inputs`): no rdflib graph of the whole data.
    """

    start = time.perf_counter()
    if graph_file is not None and records is not None:
        raise UsageError("give either --graph or --records, not both")
    sizes: dict[str, int] = {}
    with site_folder(out_dir) as add:

        def sink(rel: str, data: bytes) -> None:
            sizes[rel] = len(data)
            add(rel, data)

        stored = store_inputs(graph_file, reason) if graph_file is not None else None
        if stored is not None:
            build_site(
                stored.data,
                ontology=stored.ontology,
                query_graph=stored.query,
                validation=stored.validation,
                sink=sink,
                triples=stored.triples,
            )
        else:
            data, ontology, query_graph, validation = _rdflib_inputs(graph_file, records, reason)
            build_site(
                data, ontology=ontology, query_graph=query_graph, validation=validation, sink=sink
            )
    pages = sorted(p for p in sizes if p.endswith(".html"))
    counts = Counter(p.split("/")[0] if "/" in p else "top" for p in pages)
    return SiteResult(
        out_dir=out_dir,
        pages=pages,
        bytes=sum(sizes.values()),
        entities=sum(1 for p in pages if p.startswith("entity/")),
        queries=sum(1 for p in pages if p.startswith("query/")),
        seconds=time.perf_counter() - start,
        counts=dict(counts),
    )


def _rdflib_inputs(
    graph_file: Path | None, records: Path | None, reason: bool
) -> tuple[Graph, Graph, Graph, Report]:
    """The data, ontology, query graph and validation report, as rdflib graphs."""
    if graph_file is not None:
        data = as_graph(read_triples(graph_file))
        index = None
    else:
        built = load(records)
        data, index = built.graph, built.index
    ontology = load_ontology()
    validation = validate_graph(data, index)
    query_graph = Graph()
    for t in data:
        query_graph.add(t)
    if reason:
        for t in infer(data, engine="native"):
            query_graph.add(t)
    for t in ontology:
        query_graph.add(t)
    for prefix, ns in PREFIXES.items():
        query_graph.bind(prefix, ns, override=True, replace=True)
    return data, ontology, query_graph, validation
