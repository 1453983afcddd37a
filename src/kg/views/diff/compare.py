"""Two graphs compared as facts: the triples each has that the other has not
(two set differences, linear in the graphs' size), grouped by the entity
they are about and put into words as ``kg describe`` puts them, with the
sources behind each fact on each side.

A fact is a triple about a thing. Its reified statement, its citations and
its sources are its support: a change there (a qualifier added, a source
dropped) is shown as a change of that fact's support, not as facts of their
own. A property that lost one value and gained another (same subject and
property, and the same language for a text) is one *changed* fact.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from kg.builder.ontology import load_ontology
from kg.records.display import Display, load_display
from kg.terms.convert import TermConverter
from kg.terms.namespaces import KG, compact
from kg.views.diff.stored import AnySide, differences, index_of
from kg.views.diff.support import Fact, Lookups, line, rdf_triples, split
from kg.views.facts import FactBuilder, phrase_order
from kg.views.graphview import GraphView, lang_key, record_id


@dataclass(frozen=True)
class Stated:
    """A fact as one side states it: in words, its object as N-Triples, the
    sources that support it (record ids) and its qualifiers."""

    text: str
    term: str
    sources: tuple[str, ...] = ()
    qualifiers: tuple[str, ...] = ()


@dataclass
class FactChange:
    """One fact that differs: ``added``, ``removed``, ``changed`` (another value
    for the same property) or ``support`` (the same fact, other qualifiers or
    sources), with what each side states and what changed in its support."""

    change: str
    prop: str  # the property, as a prefixed name ("" for the record as a whole)
    old: list[Stated] = field(default_factory=list)
    new: list[Stated] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # "now disputed", "no longer from src-x"


@dataclass
class EntityChange:
    """The changed facts of one thing, which is ``added``, ``removed`` or ``changed``."""

    iri: str
    id: str | None
    label: str
    kind: str
    status: str
    facts: list[FactChange]


@dataclass
class Diff:
    """What NEW says that OLD did not, and the other way round."""

    old: AnySide
    new: AnySide
    added: frozenset[str]  # N-Triples lines
    removed: frozenset[str]
    entities: list[EntityChange]

    @property
    def same(self) -> bool:
        return not self.added and not self.removed


class _Words:
    """One side's changed facts in words: a :class:`GraphView` over just the
    triples the changed entities need (:meth:`Lookups.neighbourhood`)."""

    def __init__(
        self, index: Lookups, entities: set[str], ont: Graph, disp: Display, conv: TermConverter
    ) -> None:
        self.index = index
        self.conv = conv
        self.view = GraphView(index.neighbourhood(entities, conv), ont, disp)
        self._builders: dict[Node, FactBuilder] = {}
        self._terms: dict[Fact, tuple[Node, Node, Node]] = {}

    def prepare(self, facts: list[Fact]) -> None:
        """Read the terms of the facts to be put into words, in one parse."""
        self._terms.update(zip(facts, rdf_triples(map(line, facts), self.conv), strict=True))

    def stated(self, fact: Fact) -> Stated:
        sources, quals = self.index.support(fact)
        return Stated(
            self.sentence(fact),
            fact[2],
            tuple(sorted(_name(x) for x in sources)),
            tuple(sorted(self._label(q) for q in quals)),
        )

    def _label(self, term: str) -> str:
        return self.view.label(_iri(term)) if term.startswith("<") else term

    def sentence(self, fact: Fact) -> str:
        if fact not in self._terms:
            self.prepare([fact])
        s, p, o = self._terms[fact]
        b = self._builders.get(s)
        if b is None:
            b = self._builders[s] = _Phrases(self.view, s)  # type: ignore[arg-type]
        f = b.fact(s, p, o, inverse=False)  # type: ignore[arg-type]
        lang = f" @{o.language}" if isinstance(o, Literal) and o.language else ""
        if f is None:  # a property describe shows elsewhere (a label, a type)
            return f"{self.view.prop_ref(p).label}{lang}: {self.view.label(o)}"
        return f"{f.field_name}{lang}: {f.text}" if f.field_name else f.text

    def record_support(self, node: str) -> Stated:
        sources = self.index.derived_of(node)
        quals = self.index.qualifiers_of(node)
        return Stated(
            "the record as a whole",
            "",
            tuple(sorted(_name(x) for x in sources)),
            tuple(sorted(self._label(q) for q in quals)),
        )

    def corrections(self, node: str) -> dict[str, Stated]:
        g, out = self.view.g, {}
        for c in g.subjects(KG.corrects, _iri(node)):
            prop = g.value(c, KG.onProperty)
            field_name = self.view.prop_ref(prop).label if prop is not None else ""
            text = (
                f"{field_name}: printed {str(g.value(c, KG.asPrinted) or '')!r}, "
                f"corrected to {str(g.value(c, KG.correctedValue) or '')!r}"
            )
            src = g.value(c, KG.citedSource)
            out[text] = Stated(text, "", (_name(f"<{src}>"),) if src is not None else ())
        return out


class _Phrases(FactBuilder):
    """describe's sentences without its numbered citations (a diff names the
    sources itself): at 26k changed facts, numbering them took a quarter of the time."""

    def support(self, s: Node, p: Node, o: Node) -> tuple[list[int], list[str], list]:
        return [], [], []


def _iri(term: str) -> URIRef:
    """The IRI an N-Triples term ``<…>`` writes."""
    return URIRef(term[1:-1])


def _name(term: str) -> str:
    """A source as a diff names it: its record id, else its prefixed name, else
    the term as written (a literal, in RDF from elsewhere)."""
    if not term.startswith("<"):
        return term
    node = _iri(term)
    rid = record_id(node)
    return rid if rid is not None else compact(node)


def _lang(term: str) -> str | None:
    """The language tag of an N-Triples literal, else None."""
    if not term.startswith('"'):
        return None
    tail = term[term.rindex('"') + 1 :]
    return tail[1:] if tail.startswith("@") else None


def compare(old: AnySide, new: AnySide, display: Display | None = None) -> Diff:
    """``old`` and ``new`` compared as facts (see the module docstring): two
    kg builds by their stores (:mod:`kg.views.diff.stored`), else as lines.

    >>> from kg.views.diff.sides import Side
    >>> a = Side("a", "rdf", frozenset())
    >>> compare(a, a).same
    True
    """
    old, new, removed, added = differences(old, new)
    if not added and not removed:
        return Diff(old, new, added, removed, [])
    oi, ni = index_of(old), index_of(new)
    touched: dict[str, _Touched] = defaultdict(_Touched)
    for index, lines, side in ((oi, removed, "old"), (ni, added, "new")):
        for text in lines:
            _touch(touched, index, split(text), side)
    ont, disp, conv = load_ontology(), display or load_display(), TermConverter()
    ow = _Words(oi, set(touched), ont, disp, conv)
    nw = _Words(ni, set(touched), ont, disp, conv)
    support = [f for t in touched.values() for f in t.support]
    ow.prepare([f for t in touched.values() for f in t.old_facts] + support)
    nw.prepare([f for t in touched.values() for f in t.new_facts] + support)
    entities = [_entity(node, touched[node], ow, nw) for node in touched]
    entities = [e for e in entities if e.facts]
    entities.sort(key=lambda e: (e.label.casefold(), e.iri))
    return Diff(old, new, added, removed, entities)


@dataclass
class _Touched:
    """What changed about one entity, as triples of each side."""

    old_facts: list[Fact] = field(default_factory=list)
    new_facts: list[Fact] = field(default_factory=list)
    support: set[Fact] = field(default_factory=set)  # facts whose support may differ
    record: bool = False  # the record's own sources or qualifiers
    corrections: bool = False


def _touch(touched: dict[str, _Touched], index: Lookups, t: Fact, side: str) -> None:
    node, what = index.anchor(t[0])
    entry = touched[node]
    if isinstance(what, tuple):
        entry.support.add(what)
    elif what == "correction":
        entry.corrections = True
    elif what == "citation" or not index.is_fact(t):
        entry.record = True
    else:
        (entry.old_facts if side == "old" else entry.new_facts).append(t)


def _entity(node: str, t: _Touched, ow: _Words, nw: _Words) -> EntityChange:
    in_old, in_new = ow.index.has_subject(node), nw.index.has_subject(node)
    words = nw if in_new else ow
    facts = _fact_changes(t, ow, nw)
    for fact in sorted(t.support, key=_order):
        if ow.index.has(fact) and nw.index.has(fact):
            facts += _support_change(fact[1], ow.stated(fact), nw.stated(fact))
    if t.record and in_old and in_new:
        facts += _support_change(None, ow.record_support(node), nw.record_support(node))
    if t.corrections:
        facts += _correction_changes(ow.corrections(node), nw.corrections(node))
    iri = _iri(node)
    return EntityChange(
        iri=str(iri),
        id=record_id(iri),
        label=words.view.label(iri),
        kind=words.view.display.title(words.view.kind(iri)),
        status="changed" if in_old and in_new else ("added" if in_new else "removed"),
        facts=facts,
    )


def _order(fact: Fact) -> tuple:
    """Facts in a stable order: by property, language, then value."""
    return (fact[1], lang_key(_lang(fact[2])), fact[2])


def _fact_changes(t: _Touched, ow: _Words, nw: _Words) -> list[FactChange]:
    """Removed and added facts, paired by property (and language) into changed ones."""
    groups: dict[tuple, tuple[list[Fact], list[Fact]]] = defaultdict(lambda: ([], []))
    for i, facts in enumerate((t.old_facts, t.new_facts)):
        for fact in facts:
            groups[(fact[1], _lang(fact[2]))][i].append(fact)
    out = []
    for key in sorted(groups, key=lambda k: (phrase_order(nw.view, _iri(k[0])), lang_key(k[1]))):
        olds, news = (sorted(x, key=_order) for x in groups[key])
        change = "changed" if olds and news else ("added" if news else "removed")
        fc = FactChange(
            change,
            compact(_iri(key[0])),
            [ow.stated(f) for f in olds],
            [nw.stated(f) for f in news],
        )
        if change == "changed":
            fc.notes = _notes(_union(fc.old), _union(fc.new))
        out.append(fc)
    return out


def _union(stated: list[Stated]) -> Stated:
    return Stated(
        "",
        "",
        tuple(sorted({x for s in stated for x in s.sources})),
        tuple(sorted({x for s in stated for x in s.qualifiers})),
    )


def _notes(old: Stated, new: Stated) -> list[str]:
    """What changed in a fact's support, in words: "now disputed", "no longer
    from src-x"."""
    out = [f"now {q}" for q in new.qualifiers if q not in old.qualifiers]
    out += [f"no longer {q}" for q in old.qualifiers if q not in new.qualifiers]
    gained = [s for s in new.sources if s not in old.sources]
    lost = [s for s in old.sources if s not in new.sources]
    if gained:
        out.append("now also from " + ", ".join(gained))
    if lost:
        out.append("no longer from " + ", ".join(lost))
    return out


def _support_change(prop: str | None, old: Stated, new: Stated) -> list[FactChange]:
    notes = _notes(old, new)
    if not notes:
        return []
    name = compact(_iri(prop)) if prop is not None else ""
    return [FactChange("support", name, [old], [new], notes)]


def _correction_changes(old: dict[str, Stated], new: dict[str, Stated]) -> list[FactChange]:
    out = [FactChange("removed", "kg:corrects", [old[k]]) for k in sorted(old.keys() - new)]
    out += [FactChange("added", "kg:corrects", [], [new[k]]) for k in sorted(new.keys() - old)]
    return out
