"""Facts as sentences: each triple put into words from the phrase table, with
its dates, qualifiers, notes and numbered citations.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS
from rdflib.term import Node

from kg.records.display import TEMPLATE_TOKEN_RE
from kg.terms.namespaces import KG, expand
from kg.views.graphview import GraphView, date_phrase, lang_key, record_id
from kg.views.model import CitationView, Fact, Segment

# --- citations ---------------------------------------------------------------------------


class Citations:
    """The numbered citations of one description: each (source, via, locator,
    quote) once, numbered as first cited."""

    def __init__(self, view: GraphView) -> None:
        self.view = view
        self.items: list[CitationView] = []
        self._index: dict[tuple[str, str, str, str], int] = {}

    def cite(self, nodes: Iterable[URIRef]) -> list[int]:
        """The numbers of these citation nodes, each once, in order."""
        out = []
        for c in nodes:
            n = self.cite_one(c)
            if n is not None and n not in out:
                out.append(n)
        return out

    def cite_one(self, c: URIRef) -> int | None:
        g = self.view.g
        src = g.value(c, KG.citedSource)
        if src is None:
            return None
        quote = g.value(c, KG.quote)
        locator = g.value(c, KG.locator)
        via = g.value(c, KG.via)
        key = (str(src), str(via or ""), str(locator or ""), str(quote or ""))
        if key in self._index:
            return self._index[key]
        n = len(self.items) + 1
        self._index[key] = n
        rel = g.value(src, KG.reliability)
        address = g.value(src, KG.address)
        self.items.append(
            CitationView(
                n=n,
                source=self.view.ref(src),
                quote=str(quote) if quote is not None else None,
                quote_lang=quote.language if isinstance(quote, Literal) else None,
                locator=str(locator) if locator is not None else None,
                via=self.view.ref(via) if via is not None else None,
                reliability=self.view.label(rel) if rel is not None else None,
                address=str(address) if address is not None else None,
            )
        )
        return n


# Citation numbers inside a qualifier's words ("derived per [1][10]") are given
# while the description is put together, before the numbers are put in reading
# order: they are written as marks, and the description renumbers them with the
# citations (:func:`renumber_marks`).
_MARK = "\x1f"
_MARKS_RE = re.compile(r"(?:\[\x1f\d+\x1f\])+")


def cite_marks(numbers: Iterable[int]) -> str:
    return "".join(f"[{_MARK}{n}{_MARK}]" for n in sorted(numbers))


def mark_numbers(texts: Iterable[str]) -> list[int]:
    """The citation numbers marked in ``texts``, in the order written."""
    return [int(n) for t in texts for n in re.findall(r"\x1f(\d+)\x1f", t)]


def renumber_marks(text: str, order: dict[int, int]) -> str:
    """``text`` with its marks as the final citation numbers, each run sorted.

    >>> renumber_marks("derived per " + cite_marks([1, 2]), {1: 7, 2: 3})
    'derived per [3][7]'
    """

    def run(m: re.Match[str]) -> str:
        return "".join(f"[{n}]" for n in sorted(order[x] for x in mark_numbers([m.group(0)])))

    return _MARKS_RE.sub(run, text)


# --- sentences -------------------------------------------------------------------------------

Support = tuple[list[int], list[str], list[tuple[str, str | None]]]  # citations, qualifiers, notes


@dataclass
class _Extra:
    """What filling a template adds to a fact: the citations and qualifiers of
    the values it quotes, and whether it names the subject."""

    cites: list[int] = field(default_factory=list)
    quals: list[str] = field(default_factory=list)
    names_subject: bool = False


class FactBuilder:
    """Puts the facts of one description into words (phrases of the
    record-display file), collecting their citations."""

    def __init__(self, view: GraphView, node: URIRef) -> None:
        self.view = view
        self.node = node
        self.citations = Citations(view)

    # support of one triple

    def support(self, s: Node, p: Node, o: Node) -> Support:
        """Citations, qualifiers and notes behind the triple (s, p, o)."""
        view = self.view
        stmts = view.statements.get((s, p, o), [])
        cites: list[URIRef] = []
        quals: list[str] = []
        notes: list[tuple[str, str | None]] = []
        readings = [(st, view.qualifier_labels(st)) for st in stmts]
        for st, qs in readings:
            cites += view.citations_of(st)
            quals += [q for q in qs if all(q in other for _, other in readings)]
            notes += [n for n in view.notes(st) if n not in notes]  # each reading repeats it
        quals += self.reading_qualifiers(readings)
        for words, parts in view.part_readings(s, p, o):
            nodes = [c for st in parts for c in view.citations_of(st)]
            quals.append(f"{cite_marks(self.citations.cite(nodes))} for the words “{words}” only")
        if not cites:
            cites = view.citations_of(s)
        if s != self.node:
            quals += [q for q in view.qualifier_labels(s) if q not in quals]
        return self.citations.cite(cites), sorted(set(quals)), notes

    def reading_qualifiers(self, readings: list[tuple[URIRef, list[str]]]) -> list[str]:
        """The qualifiers some sources' readings of a fact carry and others' do not,
        each with the citations of the readings that carry it ("derived per [1][10]");
        a qualifier every reading carries is the fact's own, shown bare."""
        out = []
        for q in sorted({q for _, qs in readings for q in qs}):
            if all(q in qs for _, qs in readings):
                continue
            nodes = [c for st, qs in readings if q in qs for c in self.view.citations_of(st)]
            numbers = cite_marks(self.citations.cite(nodes))
            out.append(f"{q} per {numbers}" if numbers else q)
        return out

    # the subject's own date, for {when}

    def when(self, s: Node) -> tuple[list[Segment], list[int], list[str]]:
        """The subject's date as words (signed on, date, start–end or attested
        on), with the citations and qualifiers of that date."""
        extra = _Extra()

        def use(p: URIRef, o: Node) -> None:
            c, q, _n = self.support(s, p, o)
            extra.cites.extend(x for x in c if x not in extra.cites)
            extra.quals.extend(f"date {x}" for x in q if f"date {x}" not in extra.quals)

        return self._date_words(s, use), extra.cites, extra.quals

    def _date_words(self, s: Node, use: Callable[[URIRef, Node], None]) -> list[Segment]:
        g = self.view.g
        for single in (KG.signedOn, KG.date):
            v = g.value(s, single)
            if v is not None:
                use(single, v)
                return [Segment(" " + date_phrase(v), value=True)]
        start, end = g.value(s, KG.startDate), g.value(s, KG.endDate)
        if start is not None:
            use(KG.startDate, start)
            if end is not None and str(end) != str(start):
                use(KG.endDate, end)
                return [Segment(f" from {start} to {end}", value=True)]
            return [Segment(" " + date_phrase(start), value=True)]
        values = sorted(g.objects(s, KG.attestedOn), key=str)
        attested = [str(v) for v in values]
        if not attested:
            return []
        for v in values:  # in order: the citations' numbers must not follow the store's
            use(KG.attestedOn, v)
        listed = (
            attested[0] if len(attested) == 1 else ", ".join(attested[:-1]) + " and " + attested[-1]
        )
        return [Segment(f" (attested on {listed})", value=True)]

    # values as sentence segments

    def value_segments(self, value: Node) -> list[Segment]:
        if isinstance(value, Literal):
            return [Segment(str(value), lang=value.language, value=True)]
        if value == self.node:
            return self.entity_segments(value)
        ref = self.view.ref(value)
        return [Segment(ref.label, ref=ref if (ref.id or ref.term) else None)]

    def entity_segments(self, node: Node) -> list[Segment]:
        ref = self.view.ref(node)
        if node == self.node:
            return [Segment(ref.label)]
        return [Segment(ref.label, ref=ref if (ref.id or ref.term) else None)]

    # templates

    def sentence(
        self, template: str, s: Node, o: Node
    ) -> tuple[list[Segment], list[int], list[str], bool]:
        """Fill a template; returns segments, extra citations, extra qualifiers and
        whether the subject was named."""
        extra = _Extra()
        out: list[Segment] = []
        optional: list[Segment] | None = None  # the [optional part] being filled
        optional_ok = True
        for m in TEMPLATE_TOKEN_RE.finditer(template):
            tok, name = m.group(0), m.group(1)
            if tok == "[":
                optional, optional_ok = [], True
            elif tok == "]":
                if optional is not None and optional_ok:
                    out += optional
                optional = None
            elif name is None:
                (out if optional is None else optional).append(Segment(tok))
            else:
                segs = self._placeholder(name, s, o, extra)
                if segs is None:
                    continue
                if not segs and optional is not None:
                    optional_ok = False
                (out if optional is None else optional).extend(segs)
        if out and out[0].ref is None and not out[0].value and out[0].text:
            out[0] = Segment(out[0].text[0].upper() + out[0].text[1:], lang=out[0].lang)
        return _merge(out), extra.cites, extra.quals, extra.names_subject

    def _placeholder(self, name: str, s: Node, o: Node, extra: _Extra) -> list[Segment] | None:
        """The segments of one placeholder; None when it is left out altogether."""
        if name == "s":
            extra.names_subject = True
            return self.entity_segments(s)
        if name == "o":
            return self.value_segments(o)
        if name == "o:when":
            return [Segment(date_phrase(o), value=True)]
        if name == "when":
            if s == self.node:
                return None  # the page lists its subject's own dates
            segs, c, q = self.when(s)
            extra.cites += c
            extra.quals += q
            return segs
        return self._subject_values(s, URIRef(expand(name[2:])), extra)  # {s.PREFIX:NAME}

    def _subject_values(self, s: Node, prop: URIRef, extra: _Extra) -> list[Segment]:
        vals = self.view.values(s, prop)
        if isinstance(vals[0] if vals else None, Literal):
            vals = _prefer_lang(vals)
        segs: list[Segment] = []
        for i, v in enumerate(vals):
            if i:
                segs.append(Segment(" and "))
            segs += self.value_segments(v)
            c, q, _n = self.support(s, prop, v) if self.view.g.value(s, prop) else ([], [], [])
            extra.cites += c
            extra.quals += [x for x in q if x not in extra.quals]
        if any(v == self.node for v in vals):
            extra.names_subject = True
        return segs

    # facts

    def fact_support(self, s: Node, p: URIRef, o: Node) -> Fact:
        """Just the value and its support (for qualified labels)."""
        cites, quals, notes = self.support(s, p, o)
        return Fact(self.value_segments(o), cites, quals, notes, prop=self.view.prop_ref(p))

    def fact(self, s: Node, p: URIRef, o: Node, *, inverse: bool) -> Fact | None:
        """The triple (s, p, o) as a fact of this description: a field value, a
        sentence, or None for a hidden property. ``inverse``: on the object's page."""
        view = self.view
        ph = view.phrases.get(p)
        if ph is not None and ph.hidden:
            return None
        cites, quals, notes = self.support(s, p, o)
        if ph is not None and ph.field and not inverse:
            return Fact(
                segments=self.value_segments(o),
                citations=cites,
                qualifiers=quals,
                notes=notes,
                field_name=ph.field,
                prop=view.prop_ref(p),
            )
        template = None
        if ph is not None:
            template = (ph.inverse or ph.sentence) if inverse else ph.sentence
        if template is None:
            template = "{s} — " + view.label(p) + " — {o}"
        segs, c2, q2, names_subject = self.sentence(template, s, o)
        cites += [c for c in c2 if c not in cites]
        return Fact(
            segments=segs,
            citations=cites,
            qualifiers=sorted(set(quals) | set(q2)),
            notes=notes,
            record=None if names_subject or s == self.node else view.ref(s),
            prop=view.prop_ref(p),
            date=_date_of(view.g, s),
        )


def _date_of(g: Graph, s: Node) -> str:
    for prop in (KG.signedOn, KG.date, KG.startDate, KG.attestedOn, KG.datePublished):
        values = sorted(str(v) for v in g.objects(s, prop))
        if values:
            return values[0]
    return ""


def _prefer_lang(values: list[Node]) -> list[Node]:
    """Of language-tagged texts, keep one language (English first)."""
    lits = [v for v in values if isinstance(v, Literal)]
    if not lits:
        return values
    best = min((lang_key(v.language) for v in lits), default=(0, ""))
    return [v for v in lits if lang_key(v.language) == best]


def label_facts(b: FactBuilder, node: URIRef) -> list[Fact]:
    """Qualified labels, those with the same support merged into one fact."""
    merged: dict[tuple[Any, ...], Fact] = {}
    for o in _reified_objects(b.view, node, RDFS.label):
        f = b.fact_support(node, RDFS.label, o)
        key = (tuple(f.citations), tuple(f.qualifiers), tuple(f.notes))
        if key in merged:
            merged[key].segments += [Segment(" | "), *f.segments]
        else:
            merged[key] = f
    return list(merged.values())


def _reified_objects(view: GraphView, node: Node, prop: URIRef) -> list[Node]:
    # The node's statements only: a scan of every statement per record made the
    # report quadratic (most of its time at 1M triples).
    objs = [o for (_s, p, o) in view.statements_about(node) if p == prop]
    return sorted(objs, key=lambda o: (lang_key(getattr(o, "language", None)), str(o)))


def _merge(segs: list[Segment]) -> list[Segment]:
    out: list[Segment] = []
    for s in segs:
        if out and s.ref is None and not s.value and out[-1].ref is None and not out[-1].value:
            out[-1] = Segment(out[-1].text + s.text)
        elif s.text:
            out.append(s)
    return out


def phrase_order(view: GraphView, p: Node) -> tuple[int, str]:
    """Where a property's facts come on a page: the phrase table's order, then by IRI."""
    ph = view.phrases.get(p)  # type: ignore[call-overload]
    return (ph.order if ph is not None else 10_000, str(p))


def is_record_link(view: GraphView, node: Node) -> bool:
    """Whether ``node`` is a record of the graph (it has a page)."""
    return record_id(node) is not None and (node, RDF.type, None) in view.g
