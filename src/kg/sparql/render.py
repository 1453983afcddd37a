"""Query results as a person or a program reads them: a table, CSV, TSV, or the
SPARQL 1.1 JSON and XML results formats; graphs in any RDF format.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from pathlib import Path
from typing import Any

from rdflib import Dataset, Graph, Literal, Variable

from kg.errors import UsageError
from kg.rdfio.formats import RDF_FORMATS, RESULT_FORMATS, format_from_path
from kg.rdfio.write import serialize
from kg.sparql.results import QueryResult
from kg.terms.checks import visible
from kg.terms.convert import oxigraph
from kg.terms.namespaces import compact

# --- rendering -------------------------------------------------------------------

TABLE_CELL_WIDTH = 60


def _plain(term: Any) -> str:
    """The value as a person reads it: prefixed names, literal text."""
    if term is None:
        return ""
    if isinstance(term, Literal):
        return str(term)
    return compact(term)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(term: Any) -> str:
    """A CSV cell; text a spreadsheet would run as a formula gets a leading apostrophe.

    >>> print(_csv_cell(Literal("=1+2")))
    '=1+2
    """
    if term is None:
        return ""
    text = str(term)
    return "'" + text if text.startswith(FORMULA_START) else text


def _tsv_cell(term: Any) -> str:
    return "" if term is None else term.n3()


def _width(text: str) -> int:
    """Columns a string takes in a terminal (CJK characters take two)."""
    if text.isascii():  # most cells: no per-character lookup (tables of 20k rows)
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _fit(text: str, width: int) -> str:
    """Cut ``text`` to ``width`` columns (with an ellipsis) and pad it to that width."""
    if text.isascii():
        return (text if len(text) <= width else text[: width - 1] + "…").ljust(width)
    if _width(text) > width:
        out, used = "", 0
        for ch in text:
            w = _width(ch)
            if used + w > width - 1:
                break
            out, used = out + ch, used + w
        text = out + "…"
    return text + " " * (width - _width(text))


def _render_table(res: QueryResult) -> str:
    """Aligned columns for a person: a line feed in a cell is a space, other
    control characters are shown as escapes (:func:`kg.terms.checks.visible`)."""
    if res.form == "ASK":
        return ("true" if res.boolean else "false") + "\n"
    cells = [[_plain(t).replace("\n", " ") for t in row] for row in res.rows]
    # One look over the whole table, then cell by cell only if it holds a control
    # character: for 20k rows of 5 cells, 24 ms instead of 59 ms (the table took 150 ms).
    whole = "\n".join("\n".join(row) for row in cells)
    if visible(whole, keep="\n") is not whole:
        cells = [[visible(c) for c in row] for row in cells]
    names = [visible(v.replace("\n", " ")) for v in res.vars]  # a store names them
    widths = [_width(v) for v in names]
    for row in cells:
        for i, c in enumerate(row):
            widths[i] = min(max(widths[i], _width(c)), TABLE_CELL_WIDTH)

    def fmt(row: list[str]) -> str:
        return "  ".join(_fit(c, widths[i]) for i, c in enumerate(row)).rstrip()

    lines = [fmt(names), "  ".join("-" * w for w in widths)]
    lines += [fmt(r) for r in cells]
    lines.append(_count_line(res))
    return "\n".join(lines) + "\n"


def _count_line(res: QueryResult) -> str:
    """The table's last line: the rows, and those left out (``--limit``)."""
    shown = len(res.rows)
    if res.total is None or res.total <= shown:
        return f"({shown} row{'s' if shown != 1 else ''})"
    more = res.total - shown
    return (
        f"({shown} of {res.total} rows; {more} more: --limit N shows N, --limit 0 all, "
        "--format csv every row)"
    )


def _render_csv(res: QueryResult, delimiter: str = ",") -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    if res.form == "ASK":
        w.writerow(["boolean"])
        w.writerow(["true" if res.boolean else "false"])
        return buf.getvalue()
    w.writerow(res.vars)
    for row in res.rows:
        w.writerow([_csv_cell(t) for t in row])
    return buf.getvalue()


def _render_tsv(res: QueryResult) -> str:
    if res.form == "ASK":
        return "?boolean\n" + ("true" if res.boolean else "false") + "\n"
    lines = ["\t".join(f"?{v}" for v in res.vars)]
    lines += ["\t".join(_tsv_cell(t) for t in row) for row in res.rows]
    return "\n".join(lines) + "\n"


def _sparql_result(res: QueryResult):  # type: ignore[no-untyped-def]
    from rdflib.query import Result

    r = Result(res.form if res.form == "ASK" else "SELECT")
    if res.form == "ASK":
        r.askAnswer = bool(res.boolean)
    else:
        r.vars = [Variable(v) for v in res.vars]
        r.bindings = [
            {Variable(v): t for v, t in zip(res.vars, row, strict=True) if t is not None}
            for row in res.rows
        ]
    return r


def _oxigraph_written(res: QueryResult, fmt: str) -> str | None:
    """SELECT rows in TSV, SPARQL JSON or XML as Oxigraph's writers put them: the
    bytes ``kg query`` writes on the native store (:mod:`kg.sparql.stream`),
    whatever engine or store gave the rows. The rows go to Oxigraph as SPARQL
    JSON (rdflib's writer), which reads back to the same terms; rdflib's XML
    writer left ``false`` and ``0`` empty."""
    ox = oxigraph()
    kind = getattr(ox.QueryResultsFormat, RESULT_FORMATS[fmt].oxigraph)
    try:
        doc = _sparql_result(res).serialize(format="json", encoding="utf-8")
        out = ox.parse_query_results(doc, ox.QueryResultsFormat.JSON).serialize(format=kind)
    except Exception:  # rdflib raises bare Exceptions (a variable named "")
        # A name or term rdflib or Oxigraph refuses (a store's malformed answer):
        # kg's writers put it as it came, as before.
        return None
    text = out.decode("utf-8")
    return text if fmt == "tsv" else text + "\n"


def default_format(res: QueryResult, out: Path | None = None) -> str:
    """The format ``kg query`` writes ``res`` in when ``--format`` is not given:
    the one ``out``'s extension names among the formats of the result's kind
    (results.csv, rows.srj, graph.ttl, graph.rdf), else ``table`` (which a
    graph is written in as Turtle)."""
    if out is None:
        return "table"
    return format_from_path(out, "table", "rdf" if res.graph is not None else "results")


def _as_written(graph: Graph, fmt: str) -> Graph | Dataset:
    """The graph as the default graph of a dataset for a format that keeps named
    graphs: rdflib writes a lone graph in TriG under its (new each run) blank
    node name and refuses it in N-Quads (JSON-LD is the same either way)."""
    if not RDF_FORMATS[fmt].dataset:
        return graph
    ds = Dataset()
    for prefix, ns in graph.namespaces():
        ds.bind(prefix, ns, override=True, replace=True)
    for t in graph:
        ds.add(t)
    return ds


def render(res: QueryResult, fmt: str = "table") -> str:
    """Render a result as table, csv, tsv, json or xml (SPARQL 1.1 result formats),
    or, for CONSTRUCT/DESCRIBE, as any RDF format kg writes (``xml``: RDF/XML;
    ``table``: Turtle)."""
    if res.graph is not None:
        rdf_fmt = "turtle" if fmt == "table" else fmt
        if rdf_fmt not in RDF_FORMATS:
            raise UsageError(
                f"a {res.form} query returns a graph; use --format {', '.join(RDF_FORMATS)}"
            )
        return serialize(_as_written(res.graph, rdf_fmt), rdf_fmt).decode("utf-8")
    if fmt == "table":
        return _render_table(res)
    if fmt == "csv":
        return _render_csv(res)
    if fmt in ("tsv", "json", "xml") and res.form == "SELECT":
        written = _oxigraph_written(res, fmt)
        if written is not None:
            return written
    if fmt == "tsv":
        return _render_tsv(res)
    if fmt in ("json", "xml"):
        out = _sparql_result(res).serialize(format=RESULT_FORMATS[fmt].rdflib, encoding="utf-8")
        text = out.decode("utf-8") if isinstance(out, bytes) else str(out)
        return text if text.endswith("\n") else text + "\n"
    raise UsageError(f"unknown result format {fmt!r}; use {', '.join(RESULT_FORMATS)}")
