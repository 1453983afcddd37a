"""Load curated records (YAML) and check them against the record types.

Every problem is reported with the file, line, record id and field it is
about, and all problems of one pass are reported together. The YAML is read
strictly: every scalar is a string (no implicit typing: ``NO`` stays ``NO``,
``0755`` stays ``0755``), and anchors, aliases, tags and duplicate keys are
refused, so a record means what it says on the page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path, PurePath
from typing import NamedTuple

from kg.errors import BadInput, BadRecords, Location, did_you_mean
from kg.records.model import Record, Records, _Problems
from kg.records.schema import STRUCTURAL, Schema, load_schema
from kg.records.tables import DIALECTS, parse_table
from kg.records.values import _citations, _corrections, _field_values, _scalar
from kg.records.yamlread import _Node, parse_yaml, read_text
from kg.terms.checks import is_record_id


def _record(node: _Node, file: str, schema: Schema, problems: _Problems) -> Record | None:
    """One record, its problems added to ``problems``; None without a usable id and type."""
    if not isinstance(node.value, dict):
        problems.add(
            "each record must be a mapping with 'id' and 'type'", Location(file, node.line)
        )
        return None
    m: dict[str, _Node] = node.value
    rid = _record_id(m, file, node.line, problems)
    rtype = _record_type(m, file, node.line, rid, schema, problems)
    if rid is None or rtype is None:
        return None
    rec = Record(id=rid, type=rtype, file=file, line=node.line)
    for key, vnode in m.items():
        rec.field_lines[key] = vnode.line
        _read_field(rec, key, vnode, schema, problems)
    if "corrections" in m:  # after all fields, so they can name any field
        rec.corrections = _corrections(m["corrections"], rec, schema, problems)
    return rec


def _record_id(m: dict[str, _Node], file: str, line: int, problems: _Problems) -> str | None:
    if "id" not in m:
        problems.add("record has no 'id'", Location(file, line))
        return None
    rid = _scalar(m["id"], "'id'", Location(file, m["id"].line), problems)
    if rid is not None and not is_record_id(rid):
        problems.add(
            f"id {rid!r} must be lower-case letters, digits and hyphens",
            Location(file, m["id"].line, rid, "id"),
        )
        return None
    return rid


def _record_type(
    m: dict[str, _Node], file: str, line: int, rid: str | None, schema: Schema, problems: _Problems
) -> str | None:
    if "type" not in m:
        problems.add("record has no 'type'", Location(file, line, rid))
        return None
    where = Location(file, m["type"].line, rid, "type")
    rtype = _scalar(m["type"], "'type'", where, problems)
    if rtype is not None and rtype not in schema.types:
        problems.add(
            f"unknown type {rtype!r}{did_you_mean(rtype, schema.types)}; "
            f"known types: {', '.join(sorted(schema.types))}",
            where,
        )
        return None
    return rtype


def _read_field(rec: Record, key: str, vnode: _Node, schema: Schema, problems: _Problems) -> None:
    """One key of a record: its citations, or a field's values checked against its kind."""
    if key in ("id", "type", "corrections"):
        return
    specs = schema.types[rec.type].fields
    floc = Location(rec.file, vnode.line, rec.id, key)
    if key == "sources":
        rec.sources = _citations(vnode, floc, problems)
    elif key not in specs:
        allowed = sorted([*specs, *STRUCTURAL[2:]])
        problems.add(
            f"unknown field for type {rec.type!r}{did_you_mean(key, allowed)}; "
            f"allowed: {', '.join(allowed)}",
            floc,
        )
    else:
        rec.fields[key] = _field_values(specs[key], vnode, floc, problems, specs["qualifier"])


# --- the collection --------------------------------------------------------------


# The files a records folder reads: YAML lists of records, and tables (kg.records.tables).
RECORDS_SUFFIXES = (".yaml", ".yml", *DIALECTS)


def record_files(path: Path) -> list[Path]:
    """The records files under ``path`` (a file or a folder), in a stable order.

    A file named on its own is read, whatever it is a link to. In a folder,
    every entry named ``*.yaml``, ``*.yml``, ``*.csv`` or ``*.tsv`` (a table)
    that is not a folder is a records file (reading one that is not a regular
    file, a named pipe say, refuses it). A symbolic link there is followed only to a target inside
    the folder: a link out of it (to another project's records, to a secret)
    is refused, naming the link and its target. A link to nothing (an
    editor's lock file) is skipped, and links to folders are not followed:
    the folder's own files are read where they are.
    """
    if not path.is_dir():
        if not (path.exists() or path.is_symlink()):
            raise BadInput(f"no such file or folder: {path}")
        return [path]
    root = path.resolve()
    files = []
    for p in path.rglob("*"):
        if p.suffix.lower() not in RECORDS_SUFFIXES:
            continue
        if p.is_symlink():
            if not p.exists():
                continue
            if not p.resolve().is_relative_to(root):
                raise BadInput(
                    f"a link to {p.resolve()}, outside the records folder {display_name(path)}; "
                    "kg follows links only within the folder it reads",
                    Location(display_name(p)),
                )
        if not p.is_dir():
            files.append(p)
    return sorted(files, key=lambda p: p.relative_to(path).as_posix())


def display_name(path: Path) -> str:
    """How messages and findings name a records file: relative to the working
    folder when it is under it, else as given.

    >>> display_name(Path.cwd() / "records" / "people.yaml")
    'records/people.yaml'
    """
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.as_posix()


class FileRecords(NamedTuple):
    """The records of one file, each checked on its own (references to other
    records are not), and the problems found. ``records`` is None when the file
    cannot be read as a list of records at all."""

    records: list[Record] | None
    problems: list[BadInput]


def read_records_file(path: Path, display: str, schema: Schema) -> FileRecords:
    """Read and check the records of the file at ``path``, named ``display`` in
    messages, as :func:`load_records` reads each file."""
    problems = _Problems()
    records = _read_file(path, display, schema, problems)
    return FileRecords(None if records is None else list(records), problems.items)


def _read_file(
    path: Path, display: str, schema: Schema, problems: _Problems
) -> Iterator[Record] | None:
    """The records of one file, read as they are asked for (each one's problems
    added to ``problems`` then); None when the file is not a list of records."""
    dialect = DIALECTS.get(PurePath(display).suffix.lower())
    node: _Node | None
    try:
        text = read_text(path, display)
        if dialect is not None:
            node = parse_table(text, display, dialect, schema, problems)
        else:
            node = parse_yaml(text, display)
    except BadInput as exc:
        problems.items.append(exc)
        return None
    if node is None:
        return iter(())
    if not isinstance(node.value, list):
        problems.add("a records file must be a YAML list of records", Location(display, 1))
        return None
    items = node.value
    return (r for item in items if (r := _record(item, display, schema, problems)) is not None)


def load_records(paths: Path | Iterable[Path], schema: Schema | None = None) -> Records:
    """Load and check every record under ``paths`` (files or folders).

    Raises :class:`BadRecords` listing every problem found (unknown fields,
    wrong kinds, duplicate ids, dangling references, malformed YAML, ...).

    >>> from kg.resources import records_dir
    >>> len(load_records(records_dir())) > 0
    True
    """
    schema = schema or load_schema()
    roots = [paths] if isinstance(paths, Path) else list(paths)
    problems = _Problems()
    records: dict[str, Record] = {}
    for root in roots:
        for path in record_files(root):
            for rec in _read_file(path, display_name(path), schema, problems) or ():
                first = records.setdefault(rec.id, rec)
                if first is not rec:
                    problems.add(
                        f"duplicate id (first defined at {first.file}:{first.line})",
                        Location(rec.file, rec.line, rec.id, "id"),
                    )
    problems.items += check_references(records.values(), _type_in(records), schema, records)
    raise_problems(problems.items)
    return Records(records, roots[0] if roots else Path("."))


def _type_in(records: dict[str, Record]) -> Callable[[str], str | None]:
    def type_of(rid: str) -> str | None:
        rec = records.get(rid)
        return rec.type if rec is not None else None

    return type_of


def raise_problems(problems: list[BadInput]) -> None:
    """Raise :class:`BadRecords` with ``problems`` in file and line order, if any."""
    if problems:
        raise BadRecords(
            sorted(
                problems,
                key=lambda p: (
                    (p.location.file or "", p.location.line or 0) if p.location else ("", 0)
                ),
            )
        )


# How many distinct unknown ids get a "did you mean" (see check_references).
MAX_HINTS = 20


def check_references(
    records: Iterable[Record],
    type_of: Callable[[str], str | None],
    schema: Schema,
    known: Iterable[str] = (),
) -> list[BadInput]:
    """The problems of the references ``records`` make (fields, citations and
    corrections): each must name a record, of a type the field allows;
    ``type_of`` gives the type of the record with an id (None: there is none),
    and an unknown id is told the closest of the ``known`` ids.

    >>> from kg.records.model import Citation
    >>> rec = Record("p", "person", "a.yaml", 1, sources=[Citation("src-x", 3)])
    >>> [str(p) for p in check_references([rec], {"p": "person"}.get, load_schema())]
    ["a.yaml:3, record 'p', field 'sources': refers to 'src-x', which is not the id of any record"]
    """
    problems = _Problems()
    hints: dict[str, str] = {}  # one look-up per unknown id, however often it is named

    def hint(ref: str) -> str:
        # A look-up among 25,000 ids takes about 0.09 s: the first MAX_HINTS unknown
        # ids get one, so a folder whose records lost their targets still fails fast.
        if ref not in hints:
            hints[ref] = did_you_mean(ref, known) if len(hints) < MAX_HINTS else ""
        return hints[ref]

    def check(rec: Record, ref: str, to: frozenset[str], field_name: str, line: int) -> None:
        loc = Location(rec.file, line, rec.id, field_name)
        rtype = type_of(ref)
        if rtype is None:
            problems.add(f"refers to {ref!r}, which is not the id of any record{hint(ref)}", loc)
        elif to and rtype not in to:
            problems.add(
                f"refers to {ref!r} of type {rtype!r}; expected one of: " + ", ".join(sorted(to)),
                loc,
            )

    sources_only = frozenset({"source"})
    for rec in records:
        specs = schema.types[rec.type].fields
        for fname, values in rec.fields.items():
            for v in values:
                if v.kind == "ref":
                    check(rec, v.value, specs[fname].to, fname, v.line)
                for c in v.sources:
                    check(rec, c.source, sources_only, fname, c.line)
                    if c.via:
                        check(rec, c.via, sources_only, fname, c.line)
        for c in rec.sources:
            check(rec, c.source, sources_only, "sources", c.line)
            if c.via:
                check(rec, c.via, sources_only, "sources", c.line)
        for corr in rec.corrections:
            if corr.source:
                check(rec, corr.source, sources_only, "corrections", corr.line)
    return problems.items
