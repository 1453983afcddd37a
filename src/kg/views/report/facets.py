"""What the timeline's filters filter on: each event's themes (with their broader
themes), people, organisations, kinds, reliability and years, written by the page
as ``data-`` attributes that ``filters.js`` reads; and the choices of each filter.

The filters' values are record ids (``theme=theme-cyber-defence``), as in the URL.
A theme matches its narrower themes, as the ``events-by-theme`` query does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import RDF, URIRef
from rdflib.namespace import PROV, SKOS
from rdflib.term import Node

from kg.terms.iris import record_iri
from kg.terms.namespaces import KG
from kg.views.graphview import GraphView, record_id
from kg.views.model import Description, Ref

RELIABILITY = (("primary", "a primary source"), ("secondary", "secondary sources only"),
               ("disputed", "disputed"))  # fmt: skip


@dataclass
class Facets:
    """One event's filter values, and what its timeline row shows besides."""

    themes: list[str]  # its themes' ids and their broader themes' ids
    people: list[Ref]
    organisations: list[Ref]
    kinds: list[str]  # class local names
    reliability: list[str]  # "primary" or "secondary", and "disputed"
    place: list[Ref]
    sources: list[Ref]

    def data(self) -> dict[str, str]:
        """The row's ``data-`` attributes (space-separated ids)."""
        return {
            "theme": " ".join(self.themes),
            "actor": " ".join(r.id or "" for r in self.people),
            "organisation": " ".join(r.id or "" for r in self.organisations),
            "kind": " ".join(self.kinds),
            "reliability": " ".join(self.reliability),
        }


@dataclass
class Choices:
    """The options of each filter: (value, label), sorted by label."""

    theme: list[tuple[str, str]] = field(default_factory=list)
    actor: list[tuple[str, str]] = field(default_factory=list)
    organisation: list[tuple[str, str]] = field(default_factory=list)
    kind: list[tuple[str, str]] = field(default_factory=list)
    reliability: tuple[tuple[str, str], ...] = RELIABILITY


def _refs(view: GraphView, nodes: set[Node]) -> list[Ref]:
    return sorted((view.ref(n) for n in nodes if record_id(n)), key=lambda r: (r.label, r.iri))


def _broader(view: GraphView, theme: Node) -> list[Node]:
    out, todo = [], [theme]
    while todo:
        t = todo.pop()
        if t not in out:
            out.append(t)
            todo.extend(view.g.objects(t, SKOS.broader))
    return out


def _reliability(view: GraphView, event: Node) -> list[str]:
    g = view.g
    sources = {g.value(c, KG.citedSource) for c in g.objects(event, KG.citation)}
    levels = {g.value(s, KG.reliability) for s in sources if s is not None}
    out = ["primary"] if KG.Primary in levels else ["secondary"] if sources else []
    statements = g.subjects(RDF.subject, event)
    if (event, KG.qualifier, KG.Disputed) in g or any(
        (st, KG.qualifier, KG.Disputed) in g for st in statements
    ):
        out.append("disputed")
    return out


def event_facets(view: GraphView, event: Node) -> Facets:
    """The filter values and the place, participants and sources of one event."""
    g = view.g
    themes = {b for t in g.objects(event, KG.theme) for b in _broader(view, t)}
    parts = set(g.objects(event, KG.participant))
    return Facets(
        themes=sorted(i for i in (record_id(t) for t in themes) if i),
        people=_refs(view, {p for p in parts if view.is_a(p, KG.Person)}),
        organisations=_refs(view, {p for p in parts if view.is_a(p, KG.Organization)}),
        kinds=sorted({r.term for r in (view.ref(t) for t in view.types(event)) if r.term}),
        reliability=_reliability(view, event),
        place=_refs(view, set(g.objects(event, KG.place))),
        sources=_refs(view, set(g.objects(event, PROV.wasDerivedFrom))),
    )


DATES = (KG.startDate, KG.endDate, KG.date, KG.foundingDate)


def record_facets(view: GraphView, d: Description) -> Facets:
    """The filter values of any record, for the entity list: its themes, the people
    and organisations it is linked with (either way), its classes, reliability and
    the years of its dates (start, end, date, founding)."""
    node = URIRef(d.iri)
    g = view.g
    themes = {b for t in g.objects(node, KG.theme) for b in _broader(view, t)}
    linked = [n.ref for n in d.neighbours if n.ref.id]
    linked.append(Ref(d.label, d.iri, d.id, d.kind))  # a person is linked with themself
    return Facets(
        themes=sorted(i for i in (record_id(t) for t in themes) if i),
        people=sorted({r for r in linked if r.kind == "person"}),
        organisations=sorted({r for r in linked if r.kind == "organisation"}),
        kinds=sorted({c.term for c in d.classes if c.term}),
        reliability=_reliability(view, node),
        place=[],
        sources=[],
    )


def years(view: GraphView, d: Description) -> tuple[str, str]:
    """The first and last year of a record's dates ("" when it has none)."""
    found = sorted(str(v)[:4] for p in DATES for v in view.g.objects(URIRef(d.iri), p))
    found = [y for y in found if y.isdigit()]
    return (found[0], found[-1]) if found else ("", "")


@dataclass
class FacetValues:
    """Every value that some row has, gathered one row at a time."""

    themes: set[str] = field(default_factory=set)
    people: set[tuple[str, str]] = field(default_factory=set)  # (id, label)
    organisations: set[tuple[str, str]] = field(default_factory=set)
    kinds: set[str] = field(default_factory=set)

    def add(self, f: Facets) -> None:
        self.themes.update(f.themes)
        self.people.update((r.id or "", r.label) for r in f.people)
        self.organisations.update((r.id or "", r.label) for r in f.organisations)
        self.kinds.update(f.kinds)

    def choices(self, view: GraphView) -> Choices:
        """The filters' menus."""
        out = Choices()
        out.theme = sorted(((t, _label(view, t)) for t in self.themes), key=lambda c: (c[1], c[0]))
        out.actor = sorted(self.people, key=lambda c: (c[1], c[0]))
        out.organisation = sorted(self.organisations, key=lambda c: (c[1], c[0]))
        out.kind = sorted(
            ((k, _kind_label(view, k)) for k in self.kinds), key=lambda c: (c[1], c[0])
        )
        return out


def choices(view: GraphView, facets: list[Facets]) -> Choices:
    """Every value that some row has, for the filters' menus."""
    values = FacetValues()
    for f in facets:
        values.add(f)
    return values.choices(view)


def _label(view: GraphView, rid: str) -> str:
    return view.label(record_iri(rid))


def _kind_label(view: GraphView, term: str) -> str:
    return view.label(KG[term])


@dataclass
class EntityFilters:
    """The entity list's filters: each record's ``data-`` attributes, and the menus,
    gathered one record at a time (:meth:`add`) so no description is kept."""

    data: dict[str, dict[str, str]] = field(default_factory=dict)  # record IRI -> attribute
    choices: Choices = field(default_factory=Choices)
    values: FacetValues = field(default_factory=FacetValues)

    def add(self, view: GraphView, d: Description) -> None:
        f = record_facets(view, d)
        first, last = years(view, d)
        self.data[d.iri] = {**f.data(), "from": first, "to": last}
        self.values.add(f)

    def close(self, view: GraphView) -> EntityFilters:
        self.choices = self.values.choices(view)
        return self


def entity_filters(view: GraphView, descriptions: list[Description]) -> EntityFilters:
    out = EntityFilters()
    for d in descriptions:
        out.add(view, d)
    return out.close(view)
