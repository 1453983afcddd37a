"""What a description is made of: references, sentence segments, facts,
sections, citations, corrections and neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# --- small value objects ---------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Ref:
    """A link to a node: a record (with its id), an ontology term, or anything else."""

    label: str
    iri: str
    id: str | None = None  # record id: it has a page
    kind: str | None = None
    term: str | None = None  # local name of a kg: ontology term


@dataclass(frozen=True)
class Segment:
    """A piece of a sentence: plain text, a link, or a literal value."""

    text: str
    ref: Ref | None = None
    lang: str | None = None
    value: bool = False  # a literal value from the graph (shown in a distinct style)


@dataclass(frozen=True)
class CitationView:
    n: int
    source: Ref
    quote: str | None = None
    quote_lang: str | None = None
    locator: str | None = None
    via: Ref | None = None
    reliability: str | None = None
    address: str | None = None


@dataclass
class Fact:
    """One fact, ready to show: a sentence or a field value, with its support."""

    segments: list[Segment]
    citations: list[int] = field(default_factory=list)
    qualifiers: list[str] = field(default_factory=list)
    notes: list[tuple[str, str | None]] = field(default_factory=list)
    field_name: str | None = None  # set for attribute-like facts (Details)
    record: Ref | None = None  # the record stating it, when the sentence does not name it
    prop: Ref | None = None
    date: str = ""  # the stating record's date, for ordering

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments)


@dataclass
class Section:
    title: str
    facts: list[Fact]
    prop: Ref | None = None


@dataclass
class CorrectionView:
    field: str
    printed: str
    corrected: str
    citations: list[int]
    notes: list[tuple[str, str | None]]


@dataclass
class SupportView:
    """A citation of a source, seen from the source: what it supports."""

    record: Ref
    prop: Ref | None
    locator: str | None
    quote: str | None
    quote_lang: str | None
    via: Ref | None
    through: Ref | None  # the source cited, when this page is the compilation (via)


@dataclass
class Neighbour:
    ref: Ref
    relation: str
    outgoing: bool


@dataclass
class Description:
    iri: str
    id: str | None
    label: str
    kind: str
    kind_title: str  # the kind's singular title ("Person")
    classes: list[Ref]
    labels: dict[str, list[str]]
    alt_labels: dict[str, list[str]]
    qualifiers: list[str]
    label_facts: list[Fact]  # qualified labels: their qualifiers, notes and sources
    facts: list[Fact]
    details: list[Fact]
    related: list[Section]
    corrections: list[CorrectionView]
    supports: list[SupportView]
    citations: list[CitationView]
    neighbours: list[Neighbour]
    record_citations: list[int]

    def section(self, title: str) -> Section | None:
        """The related-facts section with this heading, if any."""
        return next((s for s in self.related if s.title == title), None)
