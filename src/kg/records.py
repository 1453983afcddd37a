"""Load curated records (YAML) and check them against the record types.

Every problem is reported with the file, line, record id and field it is
about, and all problems of one pass are reported together. The YAML is read
strictly: every scalar is a string (no implicit typing: ``NO`` stays ``NO``,
``0755`` stays ``0755``), and anchors, aliases, tags and duplicate keys are
refused, so a record means what it says on the page.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date as _date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from kg.errors import BadInput, BadRecords, Location
from kg.schema import STRUCTURAL, FieldSpec, Schema, load_schema

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
LANG_RE = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")
DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
DATETIME_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$")
INTEGER_RE = re.compile(r"^(0|[1-9][0-9]*)$")
# Characters that are never valid in an IRI (RFC 3987) and would break N-Triples.
IRI_BAD_RE = re.compile(r'[\x00-\x20<>"{}|\\^`\x7f-\x9f]')
# C0/C1 control characters other than tab and newline have no place in text.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

MAX_FILE_BYTES = 16 * 1024 * 1024
ANNOTATION_KEYS = {"value", "qualifier", "note", "sources"}
CITATION_KEYS = {"source", "quote", "lang", "locator", "via"}
CORRECTION_KEYS = {"field", "printed", "corrected", "source", "note"}


@dataclass(frozen=True)
class Citation:
    source: str
    line: int
    quote: str | None = None
    lang: str | None = None
    locator: str | None = None
    via: str | None = None


@dataclass(frozen=True)
class Value:
    """One value of one field, already checked against its kind.

    ``value`` is, by kind: text -> (text, lang); date/datetime/integer/uri/
    lang/string -> (lexical form, xsd local name); ref -> record id;
    enum/iri -> full IRI.
    """

    kind: str
    value: Any
    line: int
    qualifiers: tuple[str, ...] = ()
    note: tuple[tuple[str, str], ...] = ()
    sources: tuple[Citation, ...] = ()
    item: int = 0  # index of the item within the field, for stable fact IRIs

    @property
    def annotated(self) -> bool:
        return bool(self.qualifiers or self.note or self.sources)


@dataclass(frozen=True)
class Correction:
    field: str
    printed: str
    corrected: str
    line: int
    source: str | None = None
    note: tuple[tuple[str, str], ...] = ()


@dataclass
class Record:
    id: str
    type: str
    file: str
    line: int
    fields: dict[str, list[Value]] = field(default_factory=dict)
    field_lines: dict[str, int] = field(default_factory=dict)
    sources: list[Citation] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)

    def location(self, field_name: str | None = None) -> Location:
        line = self.field_lines.get(field_name, self.line) if field_name else self.line
        return Location(self.file, line, self.id, field_name)


# --- strict YAML ---------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """Composes YAML to nodes, refusing anchors, aliases and explicit tags."""

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        event = self.peek_event()
        mark = event.start_mark
        if isinstance(event, yaml.AliasEvent):
            raise _YamlRefused("YAML aliases (*name) are not allowed in records", mark)
        if getattr(event, "anchor", None) is not None:
            raise _YamlRefused("YAML anchors (&name) are not allowed in records", mark)
        if getattr(event, "tag", None) is not None:
            raise _YamlRefused(f"YAML tags ({event.tag}) are not allowed in records", mark)
        return super().compose_node(parent, index)


class _YamlRefused(Exception):
    def __init__(self, message: str, mark: yaml.Mark) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


@dataclass
class _Node:
    """A YAML node reduced to str / list / dict, with its 1-based line."""

    value: Any
    line: int


def _convert(node: yaml.Node, file: str) -> _Node:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode):
        # Scalars stay text as written: records have no YAML null (`null`, `~`
        # and an empty value are the text they show), as the fast path reads them.
        return _Node(node.value, line)
    if isinstance(node, yaml.SequenceNode):
        return _Node([_convert(n, file) for n in node.value], line)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, _Node] = {}
        for knode, vnode in node.value:
            kline = knode.start_mark.line + 1
            if not isinstance(knode, yaml.ScalarNode):
                raise BadInput("mapping keys must be plain names", Location(file, kline))
            if knode.value in out:
                raise BadInput(
                    f"duplicate key {knode.value!r} (first at line {out[knode.value].line})",
                    Location(file, kline),
                )
            val = _convert(vnode, file)
            val.line = kline  # a field's problems are reported at its key's line
            out[knode.value] = val
        return _Node(out, line)
    raise BadInput(f"unsupported YAML node {node!r}", Location(file, line))


_SLOW: Any = object()


def _compose_fast(text: str) -> Any:
    """Read records YAML with libyaml's C parser (events), straight into :class:`_Node`.

    About 30 times faster than PyYAML's pure-Python composer, and no yaml node
    layer in between. Scalars are kept as written (no implicit typing: a
    records file has no null, no booleans, no numbers). It gives what
    ``_convert(yaml.compose(text, Loader=_StrictLoader))`` gives for a plain,
    well-formed, single document; for anything else (anchors, aliases, tags,
    several documents, complex or duplicate keys, a syntax error, no libyaml)
    it returns ``_SLOW`` and the strict pure-Python path runs instead, so
    every refusal and error message is exactly that path's own.
    """
    if not getattr(yaml, "__with_libyaml__", False):
        return _SLOW
    scalar_ev, map_ev, seq_ev = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    stack: list[_Node] = []  # open mappings and sequences
    keys: list[Any] = []  # per open mapping: the pending key (value, line), or None
    root = None
    docs = 0
    events: Any = yaml.parse(text, Loader=yaml.CSafeLoader)  # untyped attributes per kind
    try:
        for ev in events:
            cls = ev.__class__
            if cls is scalar_ev:
                if ev.anchor is not None or ev.tag is not None:
                    return _SLOW
                line = ev.start_mark.line + 1
                if stack and keys[-1] is None and stack[-1].value.__class__ is dict:
                    keys[-1] = (ev.value, line)  # a mapping key: kept as written
                    continue
                node = _Node(ev.value, line)
            elif cls is map_ev or cls is seq_ev:
                if ev.anchor is not None or ev.tag is not None:
                    return _SLOW
                if stack and keys[-1] is None and stack[-1].value.__class__ is dict:
                    return _SLOW  # a complex key: the strict path refuses it
                node = _Node({} if cls is map_ev else [], ev.start_mark.line + 1)
            elif cls in ends:
                stack.pop()
                keys.pop()
                continue
            elif cls is yaml.DocumentStartEvent:
                docs += 1
                if docs > 1:
                    return _SLOW
                continue
            elif cls is yaml.AliasEvent:
                return _SLOW
            else:  # stream start/end, document end
                continue
            if not stack:
                root = node
            else:
                parent = stack[-1].value
                if parent.__class__ is list:
                    parent.append(node)
                else:
                    key, kline = keys[-1]
                    if key in parent:
                        return _SLOW  # a duplicate key: reported by the strict path
                    node.line = kline  # a field's problems are reported at its key's line
                    parent[key] = node
                    keys[-1] = None
            if cls is not scalar_ev:
                stack.append(node)
                keys.append(None)
    except (yaml.YAMLError, RecursionError):
        return _SLOW
    return root


def parse_yaml(text: str, file: str) -> _Node | None:
    """Parse one records file strictly; ``None`` for an empty file."""
    try:
        fast = _compose_fast(text)
        if fast is not _SLOW:
            return fast  # type: ignore[no-any-return]
        node = yaml.compose(text, Loader=_StrictLoader)
    except _YamlRefused as exc:
        raise BadInput(exc.message, Location(file, exc.mark.line + 1)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise BadInput(f"malformed YAML: {exc.problem or exc}", Location(file, line)) from None
    except yaml.YAMLError as exc:
        raise BadInput(f"malformed YAML: {exc}", Location(file)) from None
    except RecursionError:
        raise BadInput("YAML nested too deeply", Location(file)) from None
    try:
        return None if node is None else _convert(node, file)
    except RecursionError:
        raise BadInput("YAML nested too deeply", Location(file)) from None


def read_text(path: Path, display: str) -> str:
    """Read a records file as UTF-8 (a leading BOM is allowed), NFC-normalised."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise BadInput(
            f"file is {size} bytes, over the {MAX_FILE_BYTES}-byte limit for one records file",
            Location(display),
        )
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BadInput(
            f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save the file as UTF-8",
            Location(display, line),
        ) from None
    bad = CONTROL_RE.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise BadInput(
            f"control character U+{ord(bad.group()):04X} in the file", Location(display, line)
        )
    return unicodedata.normalize("NFC", text)


# --- checking values -------------------------------------------------------------


class _Problems:
    def __init__(self) -> None:
        self.items: list[BadInput] = []

    def add(self, message: str, loc: Location) -> None:
        self.items.append(BadInput(message, loc))


def _check_date(s: str) -> str | None:
    """Return the xsd type name for a date string, or None if it is not a real date."""
    m = DATE_RE.match(s)
    if not m:
        return None
    year, month, day = m.group(1), m.group(2), m.group(3)
    try:
        if day:
            _date(int(year), int(month), int(day))
            return "date"
        if month:
            if not 1 <= int(month) <= 12:
                return None
            return "gYearMonth"
        return "gYear"
    except ValueError:
        return None


def _check_datetime(s: str) -> str | None:
    m = DATETIME_RE.match(s)
    if not m:
        return None
    y, mo, d, h, mi, sec = m.groups()
    try:
        _date(int(y), int(mo), int(d))
    except ValueError:
        return None
    if int(h) > 23 or int(mi) > 59 or (sec is not None and int(sec) > 59):
        return None
    return s if sec is not None else s + ":00"


_BAD_PERCENT_RE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _is_absolute_iri(s: str, schemes: Iterable[str] | None = None) -> bool:
    """An absolute IRI (RFC 3987): a scheme, an authority (or urn:), no
    forbidden characters and no broken %-escapes.

    >>> _is_absolute_iri("https://w3id.org/kg-nj/id/x"), _is_absolute_iri("http://[::1")
    (True, False)
    """
    if IRI_BAD_RE.search(s) or _BAD_PERCENT_RE.search(s):
        return False
    try:
        parts = urlsplit(s)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    if not parts.scheme or not (parts.netloc or parts.scheme == "urn"):
        return False
    if schemes is not None and parts.scheme not in schemes:
        return False
    # Oxigraph's IRI parser is stricter than urlsplit (a second "#", say): what
    # it refuses could be neither stored, exported nor pushed.
    import pyoxigraph

    try:
        pyoxigraph.NamedNode(s)
    except ValueError:
        return False
    return True


def _scalar(node: _Node, what: str, loc: Location, problems: _Problems) -> str | None:
    if node.value is None:
        problems.add(f"{what} is empty; give a value or remove the field", loc)
        return None
    if not isinstance(node.value, str):
        problems.add(f"{what} must be a single value, not a list or mapping", loc)
        return None
    if node.value.strip() == "":
        problems.add(f"{what} is blank", loc)
        return None
    return node.value


def _text_pairs(
    node: _Node, spec_many: bool, what: str, loc: Location, problems: _Problems
) -> list[tuple[str, str]]:
    """A text field: {lang: text} (or {lang: [text, ...]} when many)."""
    if not isinstance(node.value, dict):
        problems.add(f"{what} must map language tags to text, e.g. {{en: ..., fr: ...}}", loc)
        return []
    pairs: list[tuple[str, str]] = []
    for lang, vnode in node.value.items():
        vloc = Location(loc.file, vnode.line, loc.record, loc.field)
        if not LANG_RE.match(lang):
            problems.add(f"{what}: {lang!r} is not a language tag (such as en, fr, ja)", vloc)
            continue
        items = vnode.value if isinstance(vnode.value, list) and spec_many else [vnode]
        if isinstance(vnode.value, list) and not spec_many:
            problems.add(f"{what}: one text per language here, not a list", vloc)
            continue
        for item in items:
            text = _scalar(item, f"{what} [{lang}]", vloc, problems)
            if text is not None:
                pairs.append((text.strip(), lang.lower()))
    return pairs


def _datetime_value(s: str) -> tuple[str, str] | None:
    lex = _check_datetime(s)
    return (lex, "dateTime") if lex else None


def _date_value(s: str) -> tuple[str, str] | None:
    xsd = _check_date(s)
    return (s, xsd) if xsd else None


# kind -> checker: the value the builder needs, or None if ``s`` is not of that kind.
_SCALAR_KINDS: dict[str, Callable[[str, FieldSpec], Any]] = {
    "date": lambda s, spec: _date_value(s),
    "datetime": lambda s, spec: _datetime_value(s),
    "integer": lambda s, spec: (s, "integer") if INTEGER_RE.match(s) else None,
    "string": lambda s, spec: (s, "string"),
    "lang": lambda s, spec: (s, "language") if LANG_RE.match(s) else None,
    "uri": lambda s, spec: (s, "anyURI") if _is_absolute_iri(s, ("http", "https")) else None,
    "iri": lambda s, spec: s if _is_absolute_iri(s) else None,
    "ref": lambda s, spec: s if ID_RE.match(s) else None,
    "enum": lambda s, spec: spec.values.get(s),
}


def _check_kind(
    spec: FieldSpec, node: _Node, loc: Location, problems: _Problems
) -> list[tuple[str, Any]]:
    """Check one (unwrapped) value against the field's kind(s)."""
    what = "the value"
    if "text" in spec.kinds:
        return [("text", p) for p in _text_pairs(node, spec.many, what, loc, problems)]
    s = _scalar(node, what, loc, problems)
    if s is None:
        return []
    s = s.strip()
    for kind in spec.kinds:
        value = _SCALAR_KINDS[kind](s, spec)
        if value is not None:
            return [(kind, value)]
    expected = {
        "date": 'a real date written "YYYY-MM-DD", "YYYY-MM" or "YYYY"',
        "datetime": 'a date and time written "YYYY-MM-DDThh:mm[:ss]"',
        "integer": "a whole number written in digits, without leading zeros",
        "lang": "a language tag such as en, fr or ja",
        "uri": "an absolute http(s) address",
        "iri": "an absolute IRI",
        "ref": "the id of another record",
        "enum": "one of: " + ", ".join(sorted(spec.values)),
    }
    problems.add(
        f"{s!r} is not " + " or ".join(expected[k] for k in spec.kinds if k in expected), loc
    )
    return []


def _citations(node: _Node, loc: Location, problems: _Problems) -> list[Citation]:
    items = node.value if isinstance(node.value, list) else None
    if items is None:
        problems.add("'sources' must be a list of {source: ..., quote: ...}", loc)
        return []
    out = []
    for item in items:
        iloc = Location(loc.file, item.line, loc.record, loc.field)
        if not isinstance(item.value, dict):
            problems.add("each source must be a mapping {source: <id>, quote: ...}", iloc)
            continue
        unknown = set(item.value) - CITATION_KEYS
        if unknown:
            problems.add(
                f"unknown key(s) {sorted(unknown)} in a citation; allowed: {sorted(CITATION_KEYS)}",
                iloc,
            )
        if "source" not in item.value:
            problems.add("a citation needs 'source' (the id of a source record)", iloc)
            continue
        vals: dict[str, str | None] = {}
        for key in CITATION_KEYS & set(item.value):
            vals[key] = _scalar(item.value[key], f"citation {key!r}", iloc, problems)
        src = vals.get("source")
        if src is None:
            continue
        if not ID_RE.match(src):
            problems.add(f"citation source {src!r} is not a record id", iloc)
            continue
        lang = vals.get("lang")
        if lang is not None and not LANG_RE.match(lang):
            problems.add(f"citation lang {lang!r} is not a language tag", iloc)
        out.append(
            Citation(
                source=src,
                line=item.line,
                quote=vals.get("quote"),
                lang=lang,
                locator=vals.get("locator"),
                via=vals.get("via"),
            )
        )
    return out


def _enum_keys(node: _Node, spec: FieldSpec, loc: Location, problems: _Problems) -> list[str]:
    items = node.value if isinstance(node.value, list) else [node]
    out = []
    for item in items:
        iloc = Location(loc.file, item.line, loc.record, loc.field)
        for kind, value in _check_kind(spec, item, iloc, problems):
            if kind == "enum":
                out.append(value)
    return out


def _field_values(
    spec: FieldSpec,
    node: _Node,
    loc: Location,
    problems: _Problems,
    qualifier_spec: FieldSpec,
    note_spec: FieldSpec,
) -> list[Value]:
    raw = node.value
    if spec.many:
        items = raw if isinstance(raw, list) else [node]
    else:
        if isinstance(raw, list):
            problems.add(f"field {spec.name!r} takes one value, not a list", loc)
            return []
        items = [node]
    values: list[Value] = []
    for index, item in enumerate(items):
        iloc = Location(loc.file, item.line, loc.record, spec.name)
        quals: tuple[str, ...] = ()
        note: tuple[tuple[str, str], ...] = ()
        cites: tuple[Citation, ...] = ()
        inner = item
        if isinstance(item.value, dict) and "value" in item.value:
            unknown = set(item.value) - ANNOTATION_KEYS
            if unknown:
                problems.add(
                    f"unknown key(s) {sorted(unknown)} in a qualified value; "
                    f"allowed: {sorted(ANNOTATION_KEYS)}",
                    iloc,
                )
            inner = item.value["value"]
            if "qualifier" in item.value:
                quals = tuple(_enum_keys(item.value["qualifier"], qualifier_spec, iloc, problems))
            if "note" in item.value:
                note = tuple(_text_pairs(item.value["note"], False, "note", iloc, problems))
            if "sources" in item.value:
                cites = tuple(_citations(item.value["sources"], iloc, problems))
            if isinstance(inner.value, list):
                problems.add("a qualified value holds one value, not a list", iloc)
                continue
        for kind, value in _check_kind(spec, inner, iloc, problems):
            values.append(Value(kind, value, inner.line, quals, note, cites, index))
    return values


def _corrections(node: _Node, rec: Record, schema: Schema, problems: _Problems) -> list[Correction]:
    loc = rec.location("corrections")
    if not isinstance(node.value, list):
        problems.add("'corrections' must be a list", loc)
        return []
    allowed = schema.types[rec.type].fields
    out = []
    for item in node.value:
        iloc = Location(rec.file, item.line, rec.id, "corrections")
        if not isinstance(item.value, dict):
            problems.add("each correction must be a mapping {field, printed, corrected}", iloc)
            continue
        unknown = set(item.value) - CORRECTION_KEYS
        if unknown:
            problems.add(f"unknown key(s) {sorted(unknown)} in a correction", iloc)
        vals = {}
        for key in ("field", "printed", "corrected", "source"):
            if key in item.value:
                vals[key] = _scalar(item.value[key], f"correction {key!r}", iloc, problems)
            elif key != "source":
                problems.add(f"a correction needs {key!r}", iloc)
        if vals.get("field") and vals["field"] not in allowed:
            problems.add(f"correction names unknown field {vals['field']!r}", iloc)
            continue
        note = (
            tuple(_text_pairs(item.value["note"], False, "note", iloc, problems))
            if "note" in item.value
            else ()
        )
        if all(vals.get(k) for k in ("field", "printed", "corrected")):
            out.append(
                Correction(
                    field=vals["field"],  # type: ignore[arg-type]
                    printed=vals["printed"],  # type: ignore[arg-type]
                    corrected=vals["corrected"],  # type: ignore[arg-type]
                    line=item.line,
                    source=vals.get("source"),
                    note=note,
                )
            )
    return out


def _record(node: _Node, file: str, schema: Schema, problems: _Problems) -> Record | None:
    loc = Location(file, node.line)
    if not isinstance(node.value, dict):
        problems.add("each record must be a mapping with 'id' and 'type'", loc)
        return None
    m: dict[str, _Node] = node.value
    rid = None
    if "id" not in m:
        problems.add("record has no 'id'", loc)
    else:
        rid = _scalar(m["id"], "'id'", Location(file, m["id"].line), problems)
        if rid is not None and not ID_RE.match(rid):
            problems.add(
                f"id {rid!r} must be lower-case letters, digits and hyphens",
                Location(file, m["id"].line, rid, "id"),
            )
            rid = None
    rtype = None
    if "type" not in m:
        problems.add("record has no 'type'", Location(file, node.line, rid))
    else:
        rtype = _scalar(m["type"], "'type'", Location(file, m["type"].line, rid, "type"), problems)
        if rtype is not None and rtype not in schema.types:
            problems.add(
                f"unknown type {rtype!r}; known types: {', '.join(sorted(schema.types))}",
                Location(file, m["type"].line, rid, "type"),
            )
            rtype = None
    if rid is None or rtype is None:
        return None
    rec = Record(id=rid, type=rtype, file=file, line=node.line)
    specs = schema.types[rtype].fields
    common_q = specs["qualifier"]
    note_spec = specs["note"]
    for key, vnode in m.items():
        rec.field_lines[key] = vnode.line
        floc = Location(file, vnode.line, rid, key)
        if key in ("id", "type"):
            continue
        if key == "sources":
            rec.sources = _citations(vnode, floc, problems)
        elif key == "corrections":
            continue  # after all fields, so they can name any field
        elif key not in specs:
            problems.add(
                f"unknown field for type {rtype!r}; allowed: "
                + ", ".join(sorted([*specs, *STRUCTURAL[2:]])),
                floc,
            )
        else:
            rec.fields[key] = _field_values(specs[key], vnode, floc, problems, common_q, note_spec)
    if "corrections" in m:
        rec.corrections = _corrections(m["corrections"], rec, schema, problems)
    return rec


# --- the collection --------------------------------------------------------------


def record_files(path: Path) -> list[Path]:
    """The records files under ``path`` (a file or a folder), in a stable order."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise BadInput(f"no such file or folder: {path}")
    files = [p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()]
    return sorted(files, key=lambda p: p.relative_to(path).as_posix())


@dataclass
class Records:
    """All records of a dataset, checked and indexed by id."""

    records: dict[str, Record]
    root: Path

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records.values())

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, rid: str) -> Record:
        return self.records[rid]


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
        base = root if root.is_dir() else root.parent
        for path in record_files(root):
            display = _display(path, base)
            try:
                node = parse_yaml(read_text(path, display), display)
            except BadInput as exc:
                problems.items.append(exc)
                continue
            if node is None:
                continue
            if not isinstance(node.value, list):
                problems.add("a records file must be a YAML list of records", Location(display, 1))
                continue
            for item in node.value:
                rec = _record(item, display, schema, problems)
                if rec is None:
                    continue
                if rec.id in records:
                    first = records[rec.id]
                    problems.add(
                        f"duplicate id (first defined at {first.file}:{first.line})",
                        Location(display, rec.line, rec.id, "id"),
                    )
                    continue
                records[rec.id] = rec
    _check_references(records, schema, problems)
    if problems.items:
        problems.items.sort(
            key=lambda p: (p.location.file or "", p.location.line or 0) if p.location else ("", 0)
        )
        raise BadRecords(problems.items)
    return Records(records, roots[0] if roots else Path("."))


def _display(path: Path, base: Path) -> str:
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.as_posix()


def _check_references(records: dict[str, Record], schema: Schema, problems: _Problems) -> None:
    def check(rec: Record, ref: str, to: frozenset[str], field_name: str, line: int) -> None:
        loc = Location(rec.file, line, rec.id, field_name)
        target = records.get(ref)
        if target is None:
            problems.add(f"refers to {ref!r}, which is not the id of any record", loc)
        elif to and target.type not in to:
            problems.add(
                f"refers to {ref!r} of type {target.type!r}; expected one of: "
                + ", ".join(sorted(to)),
                loc,
            )

    sources_only = frozenset({"source"})
    for rec in records.values():
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
