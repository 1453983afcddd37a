"""Everything the graph says about one thing, in plain language, with its sources.

:func:`describe` turns a node of the graph into a :class:`Description`: its
labels in every language, its facts as English sentences (built from the
phrases of ``ontology/record-display.yaml``), the facts other records state about
it grouped under headings ("Roles held", "Took part in", "Statements made"),
each fact's qualifiers and notes, and a numbered list of the citations behind
them (source, locator, verbatim quote). ``kg describe`` prints it with
:func:`render_text`; ``kg report`` renders the same object as an entity page.

>>> from kg.builder.graph import build_graph
>>> graph = build_graph()
>>> d = describe(GraphView(graph), resolve(graph, "Shinzo Abe"))
>>> d.label, d.kind
('Shinzo Abe', 'person')
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import replace
from functools import cached_property

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, RDFS, SKOS
from rdflib.term import Node

from kg.records.display import OTHER, Display
from kg.terms.namespaces import KG
from kg.views.facts import (
    FactBuilder,
    is_record_link,
    label_facts,
    mark_numbers,
    phrase_order,
    renumber_marks,
)
from kg.views.graphview import GraphView, cite_key, lang_key, record_id, resolve
from kg.views.model import (
    CitationView,
    CorrectionView,
    Description,
    Fact,
    Neighbour,
    Ref,
    Section,
    SupportView,
)

SKIP_INCOMING = {
    PROV.wasDerivedFrom,
    KG.citedSource,
    KG.via,
    KG.corrects,
    RDF.subject,
    RDF.object,
}


def describe(view: GraphView, node: URIRef) -> Description:
    """Gather what the graph says about ``node`` (see the module docstring)."""
    b = FactBuilder(view, node)
    record_cites = b.citations.cite(view.citations_of(node))
    labelled = label_facts(b, node)
    out, into = view.links(node)
    facts, details = _own_facts(b, node, out)
    related = _related(b, node, into)
    corrections = _corrections(b, node)
    all_facts = [*labelled, *facts, *details, *(f for sec in related for f in sec.facts)]
    cited = [record_cites, *([*f.citations, *mark_numbers(f.qualifiers)] for f in all_facts)]
    order = _reading_order(b, cited, corrections)
    for f in all_facts:
        f.citations = [order[n] for n in f.citations]
        f.qualifiers = [renumber_marks(q, order) for q in f.qualifiers]
    for corr in corrections:
        corr.citations = [order[n] for n in corr.citations]
    kind = view.kind(node)
    return Description(
        iri=str(node),
        id=record_id(node),
        label=view.label(node),
        kind=kind,
        kind_title=view.display.title(kind),
        classes=[view.ref(t) for t in view.types(node)],
        labels=view.texts(node, [RDFS.label]),
        alt_labels=view.texts(node, [SKOS.altLabel]),
        qualifiers=view.qualifier_labels(node),
        label_facts=labelled,
        facts=facts,
        details=details,
        related=related,
        corrections=corrections,
        supports=_supports(view, node),
        citations=_renumbered(b.citations.items, order),
        neighbours=neighbours(view, node, (out, into)),
        record_citations=[order[n] for n in record_cites],
    )


def _own_facts(
    b: FactBuilder, node: URIRef, out: set[tuple[URIRef, Node]]
) -> tuple[list[Fact], list[Fact]]:
    """What the record states (``out``, from :meth:`GraphView.links`): sentences
    (facts) and field values (details)."""
    view = b.view
    facts: list[Fact] = []
    details: list[Fact] = []
    by_prop: dict[URIRef, list[Node]] = defaultdict(list)
    for p, o in out:
        by_prop[p].append(o)
    for p in sorted(by_prop, key=lambda p: phrase_order(view, p)):
        objects = sorted(by_prop[p], key=lambda o: (view.label(o), str(o), o.n3()))
        literal = [o for o in objects if isinstance(o, Literal)]
        objects = sorted(literal, key=lambda o: (lang_key(o.language), str(o))) + [
            o for o in objects if not isinstance(o, Literal)
        ]
        for o in objects:
            f = b.fact(node, p, o, inverse=False)
            if f is not None:
                (details if f.field_name else facts).append(f)
    return facts, details


def _related(b: FactBuilder, node: URIRef, into: set[tuple[Node, URIRef]]) -> list[Section]:
    """What other records state about ``node`` (``into``, from
    :meth:`GraphView.links`), a section per property."""
    view = b.view
    grouped: dict[URIRef, list[Fact]] = defaultdict(list)
    incoming = sorted(into, key=lambda sp: (phrase_order(view, sp[1]), str(sp[0])))
    for s, p in incoming:
        if p in SKIP_INCOMING or not is_record_link(view, s):
            continue
        if s == node:
            continue
        f = b.fact(s, p, node, inverse=True)
        if f is not None:
            grouped[p].append(f)
    related = []
    for p in sorted(grouped, key=lambda p: phrase_order(view, p)):
        ph = view.phrases.get(p)
        title = ph.heading if ph is not None and ph.heading else f"Is {view.label(p)} of"
        items = sorted(
            grouped[p], key=lambda f: (f.date or "~", f.text.casefold(), f.record or Ref("", ""))
        )
        related.append(Section(title, items, view.prop_ref(p)))
    return related


def _corrections(b: FactBuilder, node: URIRef) -> list[CorrectionView]:
    """What sources print wrongly about ``node``, and the corrected values."""
    view, g = b.view, b.view.g
    corrections = []
    for c in sorted(g.subjects(KG.corrects, node), key=cite_key):
        prop = g.value(c, KG.onProperty)
        src = g.value(c, KG.citedSource)
        cites: list[int] = []
        if src is not None:
            # Quote the record's own citations of that source: they show the misprint.
            own = (x for x in view.citations_of(node) if g.value(x, KG.citedSource) == src)
            cites = b.citations.cite(own)
        corrections.append(
            CorrectionView(
                field=view.prop_ref(prop).label if prop is not None else "",
                printed=str(g.value(c, KG.asPrinted) or ""),
                corrected=str(g.value(c, KG.correctedValue) or ""),
                citations=cites,
                notes=view.notes(c),
            )
        )
    return corrections


def _reading_order(
    b: FactBuilder, cited: list[list[int]], corrections: list[CorrectionView]
) -> dict[int, int]:
    """Citation numbers in the order a reader meets them: the record's own,
    then the facts' (``cited``), the corrections', then any left."""
    order: dict[int, int] = {}
    for numbers in [*cited, *(c.citations for c in corrections)]:
        for n in numbers:
            order.setdefault(n, len(order) + 1)
    for cv in b.citations.items:
        order.setdefault(cv.n, len(order) + 1)
    return order


def _renumbered(citations: list[CitationView], order: dict[int, int]) -> list[CitationView]:
    return sorted((replace(c, n=order[c.n]) for c in citations), key=lambda c: c.n)


def _owner(view: GraphView, citation: Node) -> tuple[Node | None, Ref | None]:
    """The record a citation node belongs to, and the property of its fact, if any."""
    g = view.g
    for owner in g.subjects(KG.citation, citation):
        if (owner, RDF.type, RDF.Statement) in g:
            subj = g.value(owner, RDF.subject)
            prop = g.value(owner, RDF.predicate)
            return subj, view.prop_ref(prop) if prop is not None else None
        return owner, None
    return None, None


def _supports(view: GraphView, node: URIRef) -> list[SupportView]:
    g = view.g
    out = []
    for prop, through in ((KG.citedSource, False), (KG.via, True)):
        for c in g.subjects(prop, node):
            if (c, RDF.type, KG.Citation) not in g:
                continue
            owner, fact_prop = _owner(view, c)
            if owner is None:
                continue
            quote = g.value(c, KG.quote)
            via = g.value(c, KG.via)
            src = g.value(c, KG.citedSource)
            out.append(
                SupportView(
                    record=view.ref(owner),
                    prop=fact_prop,
                    locator=str(g.value(c, KG.locator) or "") or None,
                    quote=str(quote) if quote is not None else None,
                    quote_lang=quote.language if isinstance(quote, Literal) else None,
                    via=view.ref(via) if via is not None and not through else None,
                    through=view.ref(src) if through and src is not None else None,
                )
            )
    out.sort(
        key=lambda s: (
            s.record.label.casefold(),
            s.record.iri,
            s.prop.label if s.prop else "",
            s.locator or "",
            s.quote or "",
            s.through.iri if s.through else "",
        )
    )
    return out


def neighbours(
    view: GraphView,
    node: URIRef,
    links: tuple[set[tuple[URIRef, Node]], set[tuple[Node, URIRef]]] | None = None,
) -> list[Neighbour]:
    """The records linked to ``node`` in either direction (sources left out);
    ``links``: :meth:`GraphView.links` of ``node``, when already read."""
    out, into = links if links is not None else view.links(node)
    seen: dict[tuple[str, str, bool], Neighbour] = {}
    for p, o in out:
        if p in SKIP_INCOMING or p == KG.citation or o == node or not is_record_link(view, o):
            continue
        n = Neighbour(view.ref(o), view.label(p), True)
        seen.setdefault((n.ref.iri, n.relation, True), n)
    for s, p in into:
        if p in SKIP_INCOMING or s == node or not is_record_link(view, s):
            continue
        ph = view.phrases.get(p)
        relation = ph.heading if ph and ph.heading else f"{view.label(p)} (of)"
        n = Neighbour(view.ref(s), relation[0].lower() + relation[1:], False)
        seen.setdefault((n.ref.iri, n.relation, False), n)
    return sorted(
        seen.values(),
        key=lambda n: (
            view.display.rank(n.ref.kind or OTHER),
            n.ref.label.casefold(),
            n.ref.iri,
            n.relation,
            n.outgoing,
        ),
    )


def describe_thing(
    graph: Graph, thing: str, ontology: Graph | None = None, display: Display | None = None
) -> Description:
    """Resolve ``thing`` (IRI, prefixed name, record id or name) and describe it."""
    view = GraphView(graph, ontology, display)
    return describe(view, resolve(graph, thing, display=view.display))


class _StatementsAbout(Mapping[tuple[Node, Node, Node], list[URIRef]]):
    """:attr:`GraphView.statements` read on demand: a triple's reified statements
    are looked up by their subject when asked for (once per subject), and
    iteration gives those about ``node`` alone, as describing ``node`` needs
    (:func:`kg.views.facts.label_facts`). Reading every statement of the graph
    was most of a description's time on the store at 1M triples."""

    def __init__(self, g: Graph, node: Node) -> None:
        self.g, self.node = g, node
        self._by_subject: dict[Node, dict[tuple[Node, Node, Node], list[URIRef]]] = {}

    def about(self, subject: Node) -> dict[tuple[Node, Node, Node], list[URIRef]]:
        found = self._by_subject.get(subject)
        if found is None:
            g = self.g
            out: dict[tuple[Node, Node, Node], list[URIRef]] = defaultdict(list)
            for st in g.subjects(RDF.subject, subject):
                if not isinstance(st, URIRef) or (st, RDF.type, RDF.Statement) not in g:
                    continue
                s, p, o = (
                    g.value(st, RDF.subject),
                    g.value(st, RDF.predicate),
                    g.value(st, RDF.object),
                )
                if s is not None and p is not None and o is not None:
                    out[(s, p, o)].append(st)
            found = self._by_subject[subject] = {k: sorted(v) for k, v in out.items()}
        return found

    def __getitem__(self, key: tuple[Node, Node, Node]) -> list[URIRef]:
        return self.about(key[0])[key]

    def __iter__(self) -> Iterator[tuple[Node, Node, Node]]:
        return iter(self.about(self.node))

    def __len__(self) -> int:
        return len(self.about(self.node))


class _NodeView(GraphView):
    """A view for describing ``node`` alone (:class:`_StatementsAbout`)."""

    def __init__(self, graph: Graph, node: Node, ontology: Graph, display: Display) -> None:
        super().__init__(graph, ontology, display)
        self.node = node

    @cached_property
    def statements(self) -> _StatementsAbout:  # type: ignore[override]
        return _StatementsAbout(self.g, self.node)

    def statements_about(self, subject: Node) -> Mapping[tuple[Node, Node, Node], list[URIRef]]:
        return self.statements.about(subject)


def describe_indexed(graph: Graph, thing: str, display: Display | None = None) -> Description:
    """:func:`describe_thing` for a graph whose every look-up is an index hit
    (:func:`kg.store.view.store_graph`): the same description, with only the
    reified facts about the node read, never all of them.

    >>> from kg.store.native import memory_graph
    >>> from kg.store.view import store_graph
    >>> from kg.builder.graph import build_graph
    >>> built = build_graph()
    >>> describe_indexed(store_graph(memory_graph(built)), "Shinzo Abe") == describe_thing(
    ...     built, "Shinzo Abe")
    True
    """
    view = GraphView(graph, display=display)
    node = resolve(graph, thing, display=view.display)
    return describe(_NodeView(graph, node, view.ont, view.display), node)
