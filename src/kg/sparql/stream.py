"""SELECT results on the native engine without detours: written by Oxigraph's own
result serialisers (CSV, TSV, SPARQL JSON and XML) straight to a file, or, for
a person, the first page of rows and how many there are in all.

Converting every solution to rdflib terms and rendering them in Python was
most of ``kg query``'s time on large results (at 100k triples, ``meetings``:
0.75 s to evaluate, 0.8 s more to convert, more to render); Oxigraph writes
them as it evaluates. Both run in the query worker (:func:`kg.sandbox.worker.run_limited`),
within the time, memory and row limits, like :func:`kg.sparql.run.run_query`.

Where kg's own writer differs from Oxigraph's: JSON and XML come in
Oxigraph's compact form (rdflib wrote ``"false"`` and ``0`` as empty
literals in XML); TSV writes numbers and booleans bare, as SPARQL 1.1 TSV
allows; CSV is the same bytes, but for a cell a spreadsheet would run as a
formula (kg's guard, :func:`kg.sparql.render.render`), which sends the whole
result through kg's writer.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import IO, Any

from kg.rdfio.formats import RESULT_FORMATS
from kg.sandbox.worker import capped, run_limited
from kg.sparql.door import NATIVE, prepare, sparql_error
from kg.sparql.results import QueryResult
from kg.sparql.run import run_prepared

STREAMED = ("csv", "tsv", "json", "xml")
"""The result formats Oxigraph writes (``table`` is kg's)."""

# A CSV cell that starts like a formula, quoted or not (kg.sparql.render's rule);
# a match inside a quoted cell is a false alarm that only costs kg's writer.
_FORMULA = re.compile(rb'(?:^|,)"?[=+\-@\t\r]', re.MULTILINE)


def stream_select(
    graph: Any, text: str, bindings: dict[str, Any] | None, fmt: str, fd: int
) -> QueryResult | int | None:
    """Run ``text`` on ``graph`` (a :class:`kg.store.native.NativeGraph`) and,
    for a SELECT, write its results in ``fmt`` (:data:`STREAMED`) to the open
    file ``fd`` (read and write; the worker may open no file itself): the number of rows.
    Any other form: its :class:`QueryResult`, nothing written. None: a CSV
    cell needs kg's formula guard; what was written is of no use.
    """
    return run_limited(_stream, graph, text, bindings, fmt, fd)  # type: ignore[no-any-return]


def _stream(
    graph: Any, text: str, bindings: dict[str, Any] | None, fmt: str, fd: int
) -> QueryResult | int | None:
    query = prepare(text, bindings, NATIVE)
    if query.form != "SELECT":
        return run_prepared(graph, query)
    ox = graph.conv.ox
    kind = getattr(ox.QueryResultsFormat, RESULT_FORMATS[fmt].oxigraph)
    solutions = _select(graph, query.text)
    with os.fdopen(fd, "w+b", closefd=False) as fh:
        solutions.serialize(fh, kind)
        if fmt in ("json", "xml"):
            fh.write(b"\n")  # as every text kg writes ends
        fh.seek(0)
        if fmt == "csv":
            rows = _csv_rows(fh)
            if rows is None:
                return None
        else:
            rows = ox.parse_query_results(fh, kind)
        return sum(1 for _ in capped(rows))


def _select(graph: Any, text: str) -> Any:
    try:
        return graph.select(text)
    except SyntaxError as exc:
        raise sparql_error(exc) from None


def _csv_rows(fh: IO[bytes]) -> Iterator[None] | None:
    """One item per row of the CSV in ``fh`` (a quoted cell may hold line
    breaks); None when a cell may start like a formula."""
    fh.readline()  # the variables
    data = fh.read()
    if _FORMULA.search(data):
        return None
    if b'"' not in data:
        return iter([None] * data.count(b"\r\n"))
    return _quoted_rows(data)


def _quoted_rows(data: bytes) -> Iterator[None]:
    quoted = False
    for line in data.split(b"\r\n")[:-1]:  # a row ends at a line break outside quotes
        quoted ^= line.count(b'"') % 2 == 1
        if not quoted:
            yield None


def first_rows(graph: Any, text: str, bindings: dict[str, Any] | None, limit: int) -> QueryResult:
    """The query's result with at most ``limit`` rows (0: all) as rdflib terms,
    and its number of rows in all (``total``): the rest is counted, never converted."""
    return run_limited(_first_rows, graph, text, bindings, limit)  # type: ignore[no-any-return]


def _first_rows(graph: Any, text: str, bindings: dict[str, Any] | None, limit: int) -> QueryResult:
    query = prepare(text, bindings, NATIVE)
    if query.form != "SELECT" or not limit:
        return run_prepared(graph, query)
    solutions = _select(graph, query.text)
    names = [v.value for v in solutions.variables]
    from_ox = graph.conv.from_ox
    rows, total = [], 0
    for total, sol in enumerate(capped(solutions), 1):
        if total <= limit:
            rows.append(tuple(from_ox(sol[i]) for i in range(len(names))))
    return QueryResult("SELECT", vars=names, rows=rows, total=total)
