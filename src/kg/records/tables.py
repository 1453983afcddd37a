"""Records written as a table (CSV or TSV): each row read into the same nodes a
YAML records file gives, for the one record check (:mod:`kg.records.load`).

The table's conventions (docs/records.md, "Records as tables"):

- Line 1 is the header; each later line a record. ``id`` and ``type`` columns
  are required: every row names its record type, as a YAML record does.
- A column is a field; an empty cell is no value. A field that takes many
  values holds them separated by ``|`` (:data:`SEPARATOR`).
- ``FIELD@LANG``: a text field's text in that language (``label@en``).
- ``sources`` holds the ids of the sources cited, separated by ``|``;
  ``sources.quote`` (``.locator``, ``.lang``, ``.via``) the n-th citation's
  quote, with as many parts as there are sources.
- ``FIELD.qualifier``, ``FIELD.note@LANG``, ``FIELD.sources`` (and its
  ``.quote`` …): what a qualified value says about a one-valued field.
  ``FIELD.sources`` (…) on a many-valued field cites each of its values.

What a table cannot say is refused, naming the column: corrections, and
qualifiers or notes on one of the values of a many-valued field.
Write such a record in YAML. Every value check is the YAML records' own.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from kg.errors import BadInput, Location, did_you_mean
from kg.records.model import CITATION_KEYS, _Problems
from kg.records.schema import STRUCTURAL, Schema
from kg.records.yamlread import _Node

SEPARATOR = "|"


# A table's kind by its file's extension.
DIALECTS: dict[str, type[csv.Dialect]] = {".csv": csv.excel, ".tsv": csv.excel_tab}


ANNOTATIONS = ("qualifier", "note", "sources")


@dataclass(frozen=True)
class Column:
    """One header cell, read: ``label@en`` is field label, lang en;
    ``start.sources.quote`` is field start, part (sources, quote)."""

    name: str
    field: str
    lang: str | None = None
    part: tuple[str, ...] = ()


def parse_table(
    text: str, file: str, dialect: type[csv.Dialect], schema: Schema, problems: _Problems
) -> _Node:
    """The records of a table's ``text`` as a list node of record mappings,
    each node at its row's line (a cell with line breaks: where its row starts).
    A header kg cannot read raises :class:`BadInput`; a row's problems are added
    to ``problems`` (the cell is left out).

    >>> from kg.records.schema import load_schema
    >>> rows = parse_table("id,type,label@en\\nabe,person,Shinzo Abe\\n", "p.csv",
    ...                    csv.excel, load_schema(), _Problems())
    >>> rows.value[0].value["label"].value["en"].value, rows.value[0].line
    ('Shinzo Abe', 2)
    """
    reader = csv.reader(io.StringIO(text, newline=""), dialect=dialect, strict=True)
    rows: list[_Node] = []
    try:
        header = next(reader, None)
        if header is None:
            return _Node([], 1)
        columns = _columns(header, file, schema, dialect)
        start = reader.line_num + 1
        for cells in reader:
            row = _row(cells, columns, Location(file, start), schema, problems)
            if row is not None:
                rows.append(row)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise BadInput(f"malformed table: {exc}", Location(file, reader.line_num)) from None
    return _Node(rows, 1)


def _columns(
    header: list[str], file: str, schema: Schema, dialect: type[csv.Dialect]
) -> list[Column | None]:
    """The header read into columns (None: an unnamed column, which must stay empty)."""
    at = Location(file, 1)
    names = [h.strip() for h in header]
    missing = [k for k in ("id", "type") if k not in names]
    if missing:
        other = next((c for c in ";\t," if len(names) == 1 and c in names[0]), None)
        raise BadInput(
            f"a records table needs the columns 'id' and 'type' (missing: {', '.join(missing)}); "
            "line 1 names the columns, each later line is a record"
            + (
                f" (its cells are separated by {other!r}, not {dialect.delimiter!r})"
                if other
                else ""
            ),
            at,
        )
    fields = {f for t in schema.types.values() for f in t.fields} | set(STRUCTURAL)
    columns: list[Column | None] = []
    for name in names:
        if name and name in [c.name for c in columns if c]:
            raise BadInput(f"column {name!r} is named twice", at)
        col = _column(name, at) if name else None
        if col is not None and col.field not in fields:
            raise BadInput(
                f"column {name!r} names no field of any record type"
                + did_you_mean(col.field, fields),
                at,
            )
        columns.append(col)
    return columns


def _column(name: str, at: Location) -> Column:
    base, _, lang = name.partition("@")
    field, *part = base.split(".")
    if field == "corrections":
        raise BadInput(
            "corrections cannot be written in a table; write the record that has them in YAML",
            at,
        )
    if field == "sources":
        part = ["sources", *part]
    if part and not (
        (part[0] in ANNOTATIONS and len(part) == 1)
        or (part[0] == "sources" and len(part) == 2 and part[1] in CITATION_KEYS - {"source"})
    ):
        raise BadInput(
            f"column {name!r}: after a field, a table takes .qualifier, .note@LANG, .sources "
            f"and .sources.quote (.locator, .lang, .via)",
            at,
        )
    if lang and part and part[0] != "note":
        raise BadInput(f"column {name!r}: only text and notes take @LANG", at)
    if field == "sources":
        part = part[1:]  # the record's citations: (), or (quote,) ...
    return Column(name, field, lang or None, tuple(part))


def _row(
    cells: list[str],
    columns: list[Column | None],
    where: Location,
    schema: Schema,
    problems: _Problems,
) -> _Node | None:
    """One row as a record mapping; None for an empty row."""
    if not any(c.strip() for c in cells):
        return None
    if len(cells) > len(columns):
        problems.add(f"the row has {len(cells)} cells, the header {len(columns)}", where)
        return None
    line = where.line or 0
    # A row may be short: spreadsheets drop trailing empty cells.
    pairs = zip(columns, cells, strict=False)
    filled = [(col, cell.strip()) for col, cell in pairs if cell.strip()]
    named = {c.name: v for c, v in filled if c is not None}
    record_type = schema.types.get(named.get("type", ""))
    record: dict[str, _Node] = {}
    for col, cell in filled:
        if col is None:
            problems.add("a cell in a column without a name", where)
            continue
        loc = Location(where.file, line, named.get("id"), col.name)
        spec = record_type.fields.get(col.field) if record_type else None
        many = spec is not None and spec.many
        refused = _refused(col, many, "text" in spec.kinds if spec else None)
        if refused:
            problems.add(refused, loc)
            continue
        _put(record, col, cell, many, line, loc, problems)
    for field, node in list(record.items()):
        if isinstance(node.value, dict) and _is_qualified(node.value) and "value" not in node.value:
            del record[field]  # reported here, not again by the record check
            problems.add(
                f"column {field!r} is empty: its qualifier, note or sources qualify no value",
                Location(where.file, line, named.get("id"), field),
            )
        elif record_type is not None and field in record_type.fields:
            _cite_each(record, field, record_type.fields[field].many)
    return _Node(record, line)


def _cite_each(record: dict[str, _Node], field: str, many: bool) -> None:
    """``FIELD.sources`` on a field of many values cites each of them: each value
    becomes ``{value: …, sources: …}`` with the same citations (a theme, say,
    whose every tag must cite the words that give it)."""
    node = record[field]
    if not (many and isinstance(node.value, dict) and "sources" in node.value):
        return
    values = node.value.get("value")
    if values is None or not isinstance(values.value, list):
        return
    cites = node.value["sources"]
    record[field] = _Node(
        [_Node({"value": item, "sources": cites}, item.line) for item in values.value], node.line
    )


def _refused(col: Column, many: bool, is_text: bool | None) -> str | None:
    """Why a column's cell cannot be read for a field that takes ``many`` values
    and is text or not (``is_text`` None: a field of no type, for the record
    check to report), or None."""
    if col.part == ("note",) and col.lang is None:
        return f"column {col.name!r} holds text: name it {col.name}@en (its language after @)"
    if col.field == "sources" or is_text is None:
        return None
    if col.part and many and col.part[:1] != ("sources",):
        return (
            f"column {col.name!r}: a table cannot qualify or annotate one value of "
            f"{col.field!r}, which takes many; write this record in YAML"
        )
    if not col.part and is_text and col.lang is None:
        return f"column {col.name!r} holds text: name it {col.field}@en (its language after @)"
    if not col.part and not is_text and col.lang is not None:
        return f"column {col.name!r}: {col.field!r} is not text and takes no @LANG"
    return None


def _split(cell: str, many: bool, line: int) -> _Node:
    if not many:
        return _Node(cell, line)
    return _Node([_Node(p.strip(), line) for p in cell.split(SEPARATOR)], line)


def _put(
    record: dict[str, _Node],
    col: Column,
    cell: str,
    many: bool,
    line: int,
    loc: Location,
    problems: _Problems,
) -> None:
    """Put one cell where the YAML form of the record has it."""
    if col.field == "sources" or col.part[:1] == ("sources",):
        holder = record if col.field == "sources" else _qualified(record, col.field, line)
        _cite(holder, col.part[1:] if col.field != "sources" else col.part, cell, line, loc,
              problems)  # fmt: skip
    elif col.part == ("qualifier",):
        _qualified(record, col.field, line)["qualifier"] = _split(cell, True, line)
    elif col.part == ("note",):
        note = _qualified(record, col.field, line).setdefault("note", _Node({}, line))
        note.value[col.lang] = _Node(cell, line)
    elif col.lang is not None:
        text = _value_slot(record, col.field, line, {})
        text.value[col.lang] = _split(cell, many, line)
    elif col.field in record and isinstance(record[col.field].value, dict):
        record[col.field].value["value"] = _split(cell, many, line)
    else:
        record[col.field] = _split(cell, many, line)


def _qualified(record: dict[str, _Node], field: str, line: int) -> dict[str, _Node]:
    """The mapping {value: …, qualifier: …} of ``field``, made from its plain value."""
    node = record.get(field)
    if node is None:
        node = record[field] = _Node({}, line)
    elif not (isinstance(node.value, dict) and _is_qualified(node.value)):
        node = record[field] = _Node({"value": node}, line)
    return node.value  # type: ignore[no-any-return]


def _value_slot(record: dict[str, _Node], field: str, line: int, empty: dict) -> _Node:
    """The node a text column fills: the field's, or its qualified value's."""
    node = record.get(field)
    if node is not None and isinstance(node.value, dict) and _is_qualified(node.value):
        return node.value.setdefault("value", _Node(empty, line))  # type: ignore[no-any-return]
    if node is None:
        node = record[field] = _Node(empty, line)
    return node


def _is_qualified(mapping: dict[str, _Node]) -> bool:
    return "value" in mapping or any(k in mapping for k in ANNOTATIONS)


def _cite(
    holder: dict[str, _Node],
    part: tuple[str, ...],
    cell: str,
    line: int,
    loc: Location,
    problems: _Problems,
) -> None:
    """A citation column: the source ids (``part`` empty) or one key of each citation."""
    parts = [p.strip() for p in cell.split(SEPARATOR)]
    cites = holder.setdefault("sources", _Node([], line))
    key = part[0] if part else "source"
    if cites.value and len(cites.value) != len(parts):
        problems.add(
            f"column {loc.field!r} has {len(parts)} part(s) separated by {SEPARATOR!r}, "
            f"for {len(cites.value)} citation(s): one part per source, empty where none",
            loc,
        )
        return
    if not cites.value:
        cites.value.extend(_Node({}, line) for _ in parts)
    for citation, value in zip(cites.value, parts, strict=True):
        if value:
            citation.value[key] = _Node(value, line)
