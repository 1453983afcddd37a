"""The report's query pages: every canned query with its results."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rdflib import Literal

from kg.errors import UsageError
from kg.progress import bar
from kg.rdfio.write import serialize
from kg.sparql.canned import bind_params
from kg.sparql.run import run_query
from kg.terms.namespaces import compact
from kg.views.graphview import GraphView
from kg.views.model import Ref
from kg.views.report.live import query_spec

# --- queries ----------------------------------------------------------------------------------

# Rows a query page shows: at 1M triples `meetings` gives 66,000 rows, a page of
# tens of MB that no one reads in a browser; the CLI and the live form give all.
SHOWN_ROWS = 1000


@dataclass
class QueryPage:
    name: str
    title: str
    description: str
    text: str
    params: list[Any]
    form: str
    vars: list[str] = field(default_factory=list)
    rows: list[list[tuple[str, Ref | None, str | None]]] = field(default_factory=list)
    boolean: bool | None = None
    graph_text: str | None = None
    error: str | None = None
    spec: dict[str, Any] | None = None  # for the browser: see kg.views.report.live
    total: int = 0  # rows the query gave; ``rows`` holds the first SHOWN_ROWS of them


def build_query_pages(
    view: GraphView, query_graph: Any, queries: dict[str, Any]
) -> list[QueryPage]:
    pages = []
    with bar("report: queries", len(queries)) as done:
        for name in sorted(queries):
            pages.append(_query_page(view, query_graph, name, queries[name]))
            done.advance()
    return pages


def _query_page(view: GraphView, query_graph: Any, name: str, q: Any) -> QueryPage:
    try:  # through kg's front door first: a refused text is not read further
        res = run_query(query_graph, q.text, bind_params(q, {}))
    except UsageError as exc:
        page = QueryPage(name, q.title, q.description, q.text, list(q.params), q.form)
        page.error = f"Not run: {exc}"
        return page
    page = QueryPage(name, q.title, q.description, q.text, list(q.params), res.form)
    page.vars = res.vars
    page.boolean = res.boolean
    if res.graph is not None:
        page.graph_text = serialize(res.graph, "turtle").decode("utf-8")
    page.total = len(res.rows)
    page.rows = [_cells(view, row) for row in res.rows[:SHOWN_ROWS]]
    page.spec = query_spec(q)
    return page


def _cells(view: GraphView, row: tuple[Any, ...]) -> list[tuple[str, Ref | None, str | None]]:
    cells: list[tuple[str, Ref | None, str | None]] = []
    for t in row:
        if t is None:
            cells.append(("", None, None))
        elif isinstance(t, Literal):
            cells.append((str(t), None, t.language))
        else:
            ref = view.ref(t)
            cells.append((compact(t), ref if (ref.id or ref.term) else None, None))
    return cells
