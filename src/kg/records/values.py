"""Checking one field's values against the record types: each kind, qualified
values, citations and corrections, every problem with its location.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kg.errors import Location, did_you_mean
from kg.records.model import (
    ANNOTATION_KEYS,
    CITATION_KEYS,
    CORRECTION_KEYS,
    Citation,
    Correction,
    Record,
    Value,
    _Problems,
)
from kg.records.schema import FieldSpec, Schema
from kg.records.yamlread import _Node
from kg.terms.checks import (
    MAX_INTEGER_DIGITS,
    character_name,
    control_character,
    date_datatype,
    datetime_lexical,
    is_absolute_iri,
    is_integer,
    is_language_tag,
    is_record_id,
)


def _scalar(node: _Node, what: str, loc: Location, problems: _Problems) -> str | None:
    if node.value is None:
        problems.add(f"{what} is empty; give a value or remove the field", loc)
        return None
    if not isinstance(node.value, str):
        problems.add(f"{what} must be a single value, not a list or mapping", loc)
        return None
    # After YAML has decoded its escapes: "\e" or "\x07" in a double-quoted
    # scalar is no raw control character in the file, but is one here.
    bad = control_character(node.value)
    if bad is not None:
        problems.add(f"{character_name(bad)} in {what}", loc)
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
        if not is_language_tag(lang):
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


def _hint(unknown: set[str], allowed: set[str]) -> str:
    """The closest allowed key to a single unknown one ("" for several)."""
    return did_you_mean(next(iter(unknown)), allowed) if len(unknown) == 1 else ""


def _datetime_value(s: str) -> tuple[str, str] | None:
    lex = datetime_lexical(s)
    return (lex, "dateTime") if lex else None


def _date_value(s: str) -> tuple[str, str] | None:
    xsd = date_datatype(s)
    return (s, xsd) if xsd else None


# kind -> checker: the value the builder needs, or None if ``s`` is not of that kind.
_SCALAR_KINDS: dict[str, Callable[[str, FieldSpec], Any]] = {
    "date": lambda s, spec: _date_value(s),
    "datetime": lambda s, spec: _datetime_value(s),
    "integer": lambda s, spec: (s, "integer") if is_integer(s) else None,
    "string": lambda s, spec: (s, "string"),
    "lang": lambda s, spec: (s, "language") if is_language_tag(s) else None,
    "uri": lambda s, spec: (s, "anyURI") if is_absolute_iri(s, ("http", "https")) else None,
    "iri": lambda s, spec: s if is_absolute_iri(s) else None,
    "ref": lambda s, spec: s if is_record_id(s) else None,
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
        "integer": "a whole number written in digits, without leading zeros, of at most "
        f"{MAX_INTEGER_DIGITS} digits",
        "lang": "a language tag such as en, fr or ja",
        "uri": "an absolute http(s) address",
        "iri": "an absolute IRI",
        "ref": "the id of another record",
        "enum": "one of: " + ", ".join(sorted(spec.values)),
    }
    shown = repr(s) if len(s) <= 60 else f"{s[:30]!r}…({len(s)} characters)"
    problems.add(
        f"{shown} is not " + " or ".join(expected[k] for k in spec.kinds if k in expected), loc
    )
    return []


def _citations(
    node: _Node, loc: Location, problems: _Problems, qualifier_spec: FieldSpec | None = None
) -> list[Citation]:
    """A list of citations; ``qualifier_spec`` given where a citation may carry its
    source's reading (the sources of a qualified value)."""
    items = node.value if isinstance(node.value, list) else None
    if items is None:
        problems.add("'sources' must be a list of {source: ..., quote: ...}", loc)
        return []
    found = (
        _citation(
            item, Location(loc.file, item.line, loc.record, loc.field), problems, qualifier_spec
        )
        for item in items
    )
    return [c for c in found if c is not None]


def _citation(
    item: _Node, iloc: Location, problems: _Problems, qualifier_spec: FieldSpec | None = None
) -> Citation | None:
    """One citation, checked; None when it names no usable source."""
    if not isinstance(item.value, dict):
        problems.add("each source must be a mapping {source: <id>, quote: ...}", iloc)
        return None
    unknown = set(item.value) - CITATION_KEYS
    if unknown:
        problems.add(
            f"unknown key(s) {sorted(unknown)} in a citation{_hint(unknown, CITATION_KEYS)}; "
            f"allowed: {sorted(CITATION_KEYS)}",
            iloc,
        )
    if "source" not in item.value:
        problems.add("a citation needs 'source' (the id of a source record)", iloc)
        return None
    # In the order written, so that problems on one line always come in one order.
    vals: dict[str, str | None] = {
        key: _scalar(value, f"citation {key!r}", iloc, problems)
        for key, value in item.value.items()
        if key in CITATION_KEYS and key != "qualifier"
    }
    quals = _reading(item.value.get("qualifier"), iloc, problems, qualifier_spec)
    src = vals.get("source")
    if src is None:
        return None
    if not is_record_id(src):
        problems.add(f"citation source {src!r} is not a record id", iloc)
        return None
    via = vals.get("via")
    if via is not None and not is_record_id(via):
        problems.add(f"citation via {via!r} is not a record id", iloc)
        via = None
    lang = vals.get("lang")
    if lang is not None and not is_language_tag(lang):
        problems.add(f"citation lang {lang!r} is not a language tag", iloc)
    quote, locator, part = vals.get("quote"), vals.get("locator"), vals.get("part")
    if part is not None and qualifier_spec is None:
        problems.add(
            "a citation carries a 'part' only among the sources of a qualified value "
            "(the words of that value its source gives)",
            iloc,
        )
        part = None
    return Citation(src, item.line, quote, lang, locator, via, quals, part)


def _check_parts(values: list[Value], loc: Location, problems: _Problems) -> None:
    """Each citation's ``part`` is words of the text value it cites, and one source
    reads one part (or the whole) of it: its reading is of those words.

    >>> from dataclasses import replace
    >>> p, at = _Problems(), Location("f.yaml", 1, "r", "description")
    >>> v = Value("text", ("One. Two.", "en"), 1, sources=(Citation("s", 2, part="Two."),))
    >>> _check_parts([v], at, p)
    >>> _check_parts([replace(v, sources=(Citation("s", 2, part="Three."),))], at, p)
    >>> "'Three.' is not in the value ('en')" in str(p.items[0]), len(p.items)
    (True, 1)
    """
    for v in values:
        by_source: dict[str, set[str | None]] = {}
        for c in v.sources:
            by_source.setdefault(c.source, set()).add(c.part)
            if c.part is None:
                continue
            at = Location(loc.file, c.line, loc.record, loc.field)
            if v.kind != "text":
                problems.add("a citation's 'part' names words of a text value only", at)
            elif c.part not in v.value[0]:
                problems.add(
                    f"citation 'part' {c.part!r} is not in the value ({v.value[1]!r}): "
                    "give the words of the value, as written, that the source gives",
                    at,
                )
        for source, parts in by_source.items():
            if len(parts) > 1:
                problems.add(
                    f"the citations of {source!r} on one value give different 'part's: "
                    "a source reads one part of a value (or the whole)",
                    Location(loc.file, v.line, loc.record, loc.field),
                )


def _reading(
    node: _Node | None, iloc: Location, problems: _Problems, spec: FieldSpec | None
) -> tuple[str, ...]:
    """A citation's ``qualifier``: its source's reading of the value it cites."""
    if node is None:
        return ()
    if spec is None:
        problems.add(
            "a citation carries a 'qualifier' only among the sources of a qualified value "
            "(the reading of that source); the record's own reading goes in field 'qualifier'",
            iloc,
        )
        return ()
    return tuple(_enum_keys(node, spec, iloc, problems))


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
                    f"unknown key(s) {sorted(unknown)} in a qualified value"
                    f"{_hint(unknown, ANNOTATION_KEYS)}; "
                    f"allowed: {sorted(ANNOTATION_KEYS)}",
                    iloc,
                )
            inner = item.value["value"]
            if "qualifier" in item.value:
                quals = tuple(_enum_keys(item.value["qualifier"], qualifier_spec, iloc, problems))
            if "note" in item.value:
                note = tuple(_text_pairs(item.value["note"], False, "note", iloc, problems))
            if "sources" in item.value:
                cites = tuple(_citations(item.value["sources"], iloc, problems, qualifier_spec))
            if isinstance(inner.value, list):
                problems.add("a qualified value holds one value, not a list", iloc)
                continue
        found = [
            Value(kind, value, inner.line, quals, note, cites, index)
            for kind, value in _check_kind(spec, inner, iloc, problems)
        ]
        if any(c.part is not None for c in cites):
            _check_parts(found, iloc, problems)
        values += found
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
            problems.add(
                f"unknown key(s) {sorted(unknown)} in a correction"
                + _hint(unknown, CORRECTION_KEYS),
                iloc,
            )
        vals = {}
        for key in ("field", "printed", "corrected", "source"):
            if key in item.value:
                vals[key] = _scalar(item.value[key], f"correction {key!r}", iloc, problems)
            elif key != "source":
                problems.add(f"a correction needs {key!r}", iloc)
        named = vals.get("field")
        if named and named not in allowed:
            problems.add(
                f"correction names unknown field {named!r}{did_you_mean(named, allowed)}", iloc
            )
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
