"""The records as kg holds them once checked: records, values, citations and
corrections, and the list of problems a pass collects.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.errors import BadInput, Location

ANNOTATION_KEYS = {"value", "qualifier", "note", "sources"}


CITATION_KEYS = {"source", "quote", "lang", "locator", "via", "qualifier", "part"}


CORRECTION_KEYS = {"field", "printed", "corrected", "source", "note"}


@dataclass(frozen=True)
class Citation:
    source: str
    line: int
    quote: str | None = None
    lang: str | None = None
    locator: str | None = None
    via: str | None = None
    # The source's own reading of a qualified value (a fact's citation only).
    qualifiers: tuple[str, ...] = ()
    # The words of a text value this source gives, when it gives only part of
    # it (a fact's citation only): its reading is of those words, not the whole.
    part: str | None = None


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

    def readings(self, record_sources: list[Citation]) -> list[tuple[str, list[Citation]]]:
        """The sources that read this value, each with its citations of it, in the
        order first cited; a value citing no source of its own is read from the
        record's sources (with no citation of its own: the record's stand).

        >>> v = Value("string", ("x", "string"), 1, sources=(
        ...     Citation("src-a", 2), Citation("src-b", 3), Citation("src-a", 4)))
        >>> [(s, [c.line for c in cs]) for s, cs in v.readings([])]
        [('src-a', [2, 4]), ('src-b', [3])]
        >>> [(s, cs) for s, cs in Value("string", ("x", "string"), 1).readings(
        ...     [Citation("src-r", 9)])]
        [('src-r', [])]
        """
        if not self.sources:
            return [(src, []) for src in dict.fromkeys(c.source for c in record_sources)]
        out: dict[str, list[Citation]] = {}
        for c in self.sources:
            out.setdefault(c.source, []).append(c)
        return list(out.items())


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


# --- checking values -------------------------------------------------------------


class _Problems:
    def __init__(self) -> None:
        self.items: list[BadInput] = []

    def add(self, message: str, loc: Location) -> None:
        self.items.append(BadInput(message, loc))


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
