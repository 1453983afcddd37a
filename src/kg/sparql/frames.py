"""Query results as tables for Python and notebooks: a pandas DataFrame with a
type per column, and an HTML table for Jupyter.

pandas is optional (``pip install kg[notebook]``): it is imported when a
DataFrame is asked for, and its absence is an error naming the extra. The
HTML table needs nothing beyond the standard library.

A column's type comes from the datatypes of its values (all of them; an
unbound cell is NA and does not count):

* dates (``xsd:date``, ``xsd:dateTime``, and kg's partial dates ``xsd:gYear``
  and ``xsd:gYearMonth``, read as the first day of their year or month):
  ``datetime64``;
* whole numbers: ``Int64``; any other number (decimal, double, float): ``Float64``;
* booleans: ``boolean``;
* anything else (IRIs, text, a mix of kinds, a value its datatype does not
  allow): ``string``, an IRI in full, a literal's text without its tag.

pandas' nullable dtypes keep NA beside numbers and booleans without turning
the column into floats or objects.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from rdflib import Literal
from rdflib.namespace import XSD

from kg.errors import UsageError
from kg.terms.namespaces import compact

_DATES = {XSD.date, XSD.dateTime, XSD.gYear, XSD.gYearMonth, XSD.dateTimeStamp}
_INTEGERS = {XSD.integer, XSD.int, XSD.long, XSD.short, XSD.byte, XSD.nonNegativeInteger,
             XSD.positiveInteger, XSD.nonPositiveInteger, XSD.negativeInteger,
             XSD.unsignedLong, XSD.unsignedInt, XSD.unsignedShort, XSD.unsignedByte}  # fmt: skip
_NUMBERS = {XSD.decimal, XSD.double, XSD.float}


def pandas() -> Any:
    """The pandas module, or a :class:`UsageError` saying how to install it."""
    try:
        import pandas as pd
    except ImportError:
        raise UsageError(
            "DataFrames need pandas: pip install 'kg[notebook]' (or pip install pandas)"
        ) from None
    return pd


def column_kind(cells: Sequence[Any]) -> str:
    """``datetime``, ``integer``, ``number``, ``boolean`` or ``string``: the type
    a column of RDF terms (None where unbound) takes.

    >>> column_kind([Literal(2), None, Literal(3)])
    'integer'
    >>> column_kind([Literal(2), Literal("2.5", datatype=XSD.decimal)])
    'number'
    >>> column_kind([Literal("2013-06", datatype=XSD.gYearMonth), Literal("x")])
    'string'
    """
    types = {c.datatype if isinstance(c, Literal) else None for c in cells if c is not None}
    if not types or None in types:
        return "string"
    if types <= _DATES:
        return "datetime"
    if types <= _INTEGERS:
        return "integer"
    if types <= _INTEGERS | _NUMBERS:
        return "number"
    if types == {XSD.boolean}:
        return "boolean"
    return "string"


def dataframe(names: list[str], rows: list[tuple[Any, ...]]) -> Any:
    """The rows (RDF terms, None where unbound) as a pandas DataFrame, one typed
    column per variable (see the module's docstring)."""
    pd = pandas()
    columns = {}
    for i, name in enumerate(names):
        cells = [row[i] for row in rows]
        columns[name] = _series(pd, cells, column_kind(cells))
    return pd.DataFrame(columns, columns=names, index=pd.RangeIndex(len(rows)))


def _series(pd: Any, cells: list[Any], kind: str) -> Any:
    if kind != "string":
        try:
            return _typed(pd, cells, kind)
        except (ValueError, TypeError, OverflowError):
            pass  # a value its datatype does not allow: the column stays text
    return pd.array([None if c is None else str(c) for c in cells], dtype="string")


def _typed(pd: Any, cells: list[Any], kind: str) -> Any:
    if kind == "datetime":
        texts = [None if c is None else _iso(str(c)) for c in cells]
        utc = any(t is not None and ("Z" in t or "+" in t[10:] or "-" in t[10:]) for t in texts)
        return pd.to_datetime(pd.Series(texts, dtype=object), format="ISO8601", utc=utc)
    if kind == "boolean":
        return pd.array([None if c is None else _boolean(c) for c in cells], dtype="boolean")
    values = [None if c is None else c.toPython() for c in cells]
    if any(v is not None and isinstance(v, str) for v in values):
        raise ValueError("ill-typed number")  # rdflib keeps an ill-typed value as text
    dtype = "Int64" if kind == "integer" else "Float64"
    return pd.array([None if v is None else v for v in values], dtype=dtype)


def _iso(text: str) -> str:
    """A partial date as the first day of its period: 2013 -> 2013-01-01."""
    text = text.strip()
    if len(text) == 4 and text.isdigit():
        return f"{text}-01-01"
    if len(text) == 7 and text[4] == "-":
        return f"{text}-01"
    return text


def _boolean(cell: Literal) -> bool:
    text = str(cell).strip()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise ValueError(f"{text!r} is not an xsd:boolean")


# --- HTML ------------------------------------------------------------------------------

HTML_ROWS = 200  # a notebook shows this many rows; the rest are counted


def _cell_html(term: Any) -> str:
    if term is None:
        return ""
    if isinstance(term, Literal):
        return html.escape(str(term))
    return f'<span title="{html.escape(str(term))}">{html.escape(compact(term))}</span>'


def html_table(names: list[str], rows: list[tuple[Any, ...]], limit: int = HTML_ROWS) -> str:
    """The rows as an HTML table (every value escaped), at most ``limit`` rows
    and a line counting the others. IRIs show as prefixed names, in full on hover.

    >>> print(html_table(["x"], [(Literal("<b>"),)]))
    <table class="kg-results"><thead><tr><th>x</th></tr></thead><tbody>
    <tr><td>&lt;b&gt;</td></tr>
    </tbody></table>
    <p>1 row</p>
    """
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    body = [
        "<tr>" + "".join(f"<td>{_cell_html(c)}</td>" for c in row) + "</tr>" for row in rows[:limit]
    ]
    shown = f" (the first {limit} shown)" if len(rows) > limit else ""
    count = f"{len(rows)} row{'' if len(rows) == 1 else 's'}{shown}"
    return "\n".join(
        [
            f'<table class="kg-results"><thead><tr>{head}</tr></thead><tbody>',
            *body,
            "</tbody></table>",
            f"<p>{count}</p>",
        ]
    )
