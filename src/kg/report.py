"""A static, self-contained HTML site about the graph: ``kg report``.

:func:`build_site` turns a graph into a mapping from relative file name to
bytes: an index, a timeline of events (SVG), a network picture of actors,
organisations, events and documents (SVG, laid out with networkx), one page
per record (the same facts as ``kg describe``, with a neighbourhood picture),
one page per canned query with its results, the ontology's documentation with
a diagram of the model, and the validation findings. :func:`write_site` writes
it atomically; :func:`generate` does both for the bundled records or a file.

The site needs no network to be viewed: no scripts, no web fonts, one local
style sheet, SVG inline. The same graph always gives the same bytes (every
list is sorted; layouts use fixed seeds; coordinates are rounded).

>>> from kg.builder import build_graph
>>> files = build_site(build_graph(), validation=None)
>>> "index.html" in files and "entity/shinzo-abe.html" in files
True
"""

from __future__ import annotations

import math
import os
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from kg import __version__
from kg.describe import (
    KIND_ORDER,
    KIND_TITLES,
    Description,
    GraphView,
    Ref,
    describe,
    record_id,
)
from kg.errors import UsageError, write_error
from kg.namespaces import KG, PREFIXES
from kg.rdfio import Staged, output_folder
from kg.validate import Report, compact

TEMPLATES = Path(__file__).parent / "templates"
MARKER = ".kg-report"  # a site folder kg may replace carries this file
SEED = 7  # layout seed: the same graph always gets the same picture

# Okabe–Ito colours (readable by colour-blind people), then a few more.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#8C6D31",
    "#6B6ECF",
    "#3B8686",
    "#B5495B",
)
OTHER_THEME = "#8A8F98"
NO_THEME = "#C9CED6"
KIND_COLOURS = {
    "person": "#2563EB",
    "organisation": "#059669",
    "group": "#7C3AED",
    "event": "#D97706",
    "document": "#DC2626",
}
NETWORK_KINDS = tuple(KIND_COLOURS)


# --- small helpers ------------------------------------------------------------------------


def _r(x: float) -> float:
    """Round a coordinate so layouts print the same on every machine."""
    return round(x, 1) + 0.0


def _short(text: str, n: int = 34) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def _year_value(text: str) -> float | None:
    """A date as a fractional year (2013-07-01 -> about 2013.5)."""
    m = re.match(r"^(-?\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", text)
    if not m:
        return None
    year = int(m.group(1))
    month = int(m.group(2) or 1)
    day = int(m.group(3) or 1)
    return year + (month - 1) / 12 + (day - 1) / 365


@dataclass
class SiteResult:
    """What :func:`generate` wrote."""

    out_dir: Path
    pages: list[str]
    bytes: int
    entities: int
    queries: int
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)


# --- timeline -------------------------------------------------------------------------------


@dataclass
class TimelineRow:
    ref: Ref
    start: str
    end: str
    depth: int
    colour: str
    themes: list[tuple[str, str]]  # (theme label, colour)
    kind: str
    x: float = 0.0
    y: float = 0.0


@dataclass
class Timeline:
    rows: list[TimelineRow]
    legend: list[tuple[str, str, str | None]]  # (label, colour, theme id)
    ticks: list[tuple[float, str]]
    marks: list[tuple[float, float, str, Ref, str]]  # x, y, colour, event, date
    spans: list[tuple[float, float, float, str]]
    width: int
    height: int
    axis_y: float
    rows_top: float
    row_height: int
    x0: float
    x1: float


def _theme_roots(view: GraphView) -> tuple[dict[Node, Node], list[Node]]:
    """Each theme's top theme (following skos:broader), and the top themes sorted."""
    g = view.g
    themes = [t for t in view.records if view.kind(t) == "theme"]
    root: dict[Node, Node] = {}
    for t in themes:
        cur: Node = t
        seen: set[Node] = {t}
        while True:
            ups = sorted(g.objects(cur, SKOS.broader), key=str)
            if not ups or ups[0] in seen:
                break
            cur = ups[0]
            seen.add(cur)
        root[t] = cur
    tops = sorted(set(root.values()), key=lambda t: (view.label(t).casefold(), str(t)))
    return root, tops


def build_timeline(view: GraphView, width: int = 1180) -> Timeline:
    """Events with a start date, as rows in time order (parts under their event)."""
    g = view.g
    events: list[Node] = [
        e for e in view.records if view.kind(e) == "event" and g.value(e, KG.startDate)
    ]
    root, _tops = _theme_roots(view)
    in_set = set(events)
    parent = {}
    for e in events:
        p = g.value(e, KG.subEventOf)
        if p in in_set:
            parent[e] = p

    def key(e: Node) -> tuple[str, str, str, str]:
        return (
            str(g.value(e, KG.startDate)),
            str(g.value(e, KG.endDate) or g.value(e, KG.startDate)),
            view.label(e).casefold(),
            str(e),
        )

    children: dict[Node | None, list[Node]] = defaultdict(list)
    for e in events:
        children[parent.get(e)].append(e)
    ordered: list[tuple[Node, int]] = []

    def walk(node: Node | None, depth: int) -> None:
        for c in sorted(children.get(node, []), key=key):
            ordered.append((c, depth))
            walk(c, depth + 1)

    walk(None, 0)

    # Each event's main theme: the top theme most of its themes fall under.
    main: dict[Node, list[Node]] = {}
    for e, _depth in ordered:
        counts = Counter(root.get(theme, theme) for theme in g.objects(e, KG.theme))
        main[e] = sorted(counts, key=lambda x: (-counts[x], view.label(x).casefold(), str(x)))
    # The top themes that are the main theme of most events get a colour each.
    usage = Counter(ts[0] for ts in main.values() if ts)
    coloured = sorted(usage, key=lambda x: (-usage[x], view.label(x).casefold(), str(x)))
    coloured = coloured[: len(PALETTE)]
    colour_of = {x: PALETTE[i] for i, x in enumerate(coloured)}
    rows = []
    for e, depth in ordered:
        ts = main[e]
        colour = colour_of.get(ts[0], OTHER_THEME) if ts else NO_THEME
        rows.append(
            TimelineRow(
                ref=view.ref(e),
                start=str(g.value(e, KG.startDate)),
                end=str(g.value(e, KG.endDate) or ""),
                depth=depth,
                colour=colour,
                themes=[(view.label(t), colour_of.get(t, OTHER_THEME)) for t in ts],
                kind=", ".join(c.label for c in (view.ref(t) for t in view.types(e))),
            )
        )
    legend = [(view.label(t), colour_of[t], record_id(t)) for t in coloured]
    if any(r.colour == OTHER_THEME for r in rows):
        legend.append(("other themes", OTHER_THEME, None))
    if any(r.colour == NO_THEME for r in rows):
        legend.append(("no theme recorded", NO_THEME, None))

    years = [v for r in rows for v in (_year_value(r.start), _year_value(r.end or r.start)) if v]
    lo = math.floor(min(years)) if years else 2000
    hi = math.floor(max(years)) + 1 if years else 2001
    if hi - lo < 2:
        lo, hi = lo - 1, hi + 1
    x0, x1 = 60.0, float(width - 40)

    def x_of(v: float) -> float:
        return _r(x0 + (v - lo) / (hi - lo) * (x1 - x0))

    span = hi - lo
    step = 1 if span <= 16 else 2 if span <= 32 else 5 if span <= 80 else 10
    ticks = [(x_of(y), str(y)) for y in range(lo, hi + 1) if y % step == 0 or y in (lo, hi)]
    axis_y = 70.0
    # Dots above the axis, stacked where they would touch.
    marks = []
    spans = []
    placed: list[tuple[float, int]] = []
    for r in sorted(rows, key=lambda r: (r.start, r.ref.iri)):
        v = _year_value(r.start) or lo
        x = x_of(v)
        level = 0
        while any(abs(px - x) < 9 and lvl == level for px, lvl in placed):
            level += 1
        placed.append((x, level))
        marks.append((x, _r(axis_y - 10 - level * 9), r.colour, r.ref, r.start))
        if r.end:
            ve = _year_value(r.end)
            if ve and ve > v:
                spans.append((x, x_of(ve), axis_y, r.colour))
    top_rows = axis_y + 40
    row_h = 28
    for i, r in enumerate(rows):
        r.y = _r(top_rows + i * row_h)
        r.x = _r(200 + r.depth * 22)
    height = int(top_rows + len(rows) * row_h + 20)
    # Lift the axis above the tallest stack of dots.
    max_level = max((lvl for _x, lvl in placed), default=0)
    if max_level > 5:
        shift = (max_level - 5) * 9
        axis_y += shift
        marks = [(x, _r(y + shift), c, ref, d) for x, y, c, ref, d in marks]
        spans = [(a, b, axis_y, c) for a, b, _y, c in spans]
        for r in rows:
            r.y = _r(r.y + shift)
        height += int(shift)
        top_rows += shift
    return Timeline(
        rows, legend, ticks, marks, spans, width, height, axis_y, top_rows, row_h, x0, x1
    )


# --- network ----------------------------------------------------------------------------------


@dataclass
class NetNode:
    ref: Ref
    kind: str
    x: float
    y: float
    r: float
    label: str
    anchor: str = "start"


@dataclass
class NetEdge:
    a: NetNode
    b: NetNode
    relation: str


@dataclass
class Network:
    nodes: list[NetNode]
    edges: list[NetEdge]
    width: int
    height: int
    legend: list[tuple[str, str]]


def _short_label(view: GraphView, node: Node) -> str:
    acr = view.texts(node, [KG.acronym])
    if "en" in acr:
        return acr["en"][0]
    return _short(view.label(node), 30)


def network_edges(view: GraphView) -> list[tuple[Node, Node, str]]:
    """Links between actors, organisations, events and documents.

    Direct links, plus links through the nodes between them: a role links its
    holder to the post's organisation ("held a post in"), a statement links its
    speaker to the event it was said at ("spoke at").
    """
    g = view.g
    keep = {n for n in view.records if view.kind(n) in NETWORK_KINDS}
    edges: set[tuple[Node, Node, str]] = set()
    for s in keep:
        for p, o in g.predicate_objects(s):
            if o in keep and o != s and p not in (KG.citation,):
                edges.add((s, o, view.label(p)))
    for role in (n for n in view.records if view.kind(n) == "role"):
        holder = g.value(role, KG.holder)
        orgs = set(g.objects(role, KG.roleIn))
        for post in g.objects(role, KG.post):
            orgs |= set(g.objects(post, KG.postIn))
        for org in orgs:
            if holder is not None and holder in keep and org in keep:
                edges.add((holder, org, "held a post in"))
    for st in (n for n in view.records if view.kind(n) == "statement"):
        sp, at = g.value(st, KG.speaker), g.value(st, KG.saidAt)
        if sp is not None and at is not None and sp in keep and at in keep:
            edges.add((sp, at, "spoke at"))
    return sorted(edges, key=lambda e: (str(e[0]), str(e[1]), e[2]))


def _layout(
    nodes: list[Node] | list[str],
    edges: Iterable[tuple[Any, Any]],
    weights: dict[tuple[Any, Any], float] | None = None,
    seed: int = SEED,
) -> dict[Any, tuple[float, float]]:
    """ForceAtlas2 layout (networkx) with strong gravity, so that long chains do
    not squeeze the rest; fixed seed, nodes and edges added in sorted order."""
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(sorted(nodes, key=str))
    for a, b in sorted(edges, key=lambda e: (str(e[0]), str(e[1]))):
        if a != b:
            graph.add_edge(a, b, weight=(weights or {}).get((a, b), 1.0))
    if graph.number_of_nodes() == 0:
        return {}
    if graph.number_of_nodes() == 1:
        return {n: (0.0, 0.0) for n in graph}
    pos = nx.forceatlas2_layout(
        graph,
        seed=seed,
        max_iter=800,
        scaling_ratio=8.0,
        gravity=1.0,
        strong_gravity=True,
        node_size=dict.fromkeys(graph, 3.0),
        weight="weight",
    )
    return {n: (float(p[0]), float(p[1])) for n, p in pos.items()}


def build_network(view: GraphView, width: int = 1180) -> Network:
    edges = network_edges(view)
    linked = {n for e in edges for n in e[:2]}
    nodes = sorted(linked, key=str)
    degree = Counter(n for e in edges for n in {e[0], e[1]})
    pos = _layout(nodes, [(a, b) for a, b, _ in edges])
    n = max(len(nodes), 1)
    height = int(max(520, min(1600, 360 + 26 * math.sqrt(n) * 10)))
    xs = [p[0] for p in pos.values()] or [0.0]
    ys = [p[1] for p in pos.values()] or [0.0]
    pad_l, pad_r, pad_y = 40.0, 190.0, 40.0

    def sx(x: float) -> float:
        span = (max(xs) - min(xs)) or 1.0
        return _r(pad_l + (x - min(xs)) / span * (width - pad_l - pad_r))

    def sy(y: float) -> float:
        span = (max(ys) - min(ys)) or 1.0
        return _r(pad_y + (y - min(ys)) / span * (height - 2 * pad_y))

    net_nodes: dict[Node, NetNode] = {}
    for node in nodes:
        kind = view.kind(node)
        x, y = pos[node]
        net_nodes[node] = NetNode(
            ref=view.ref(node),
            kind=kind,
            x=sx(x),
            y=sy(y),
            r=_r(5 + min(9.0, 1.6 * math.sqrt(degree[node]))),
            label=_short_label(view, node),
        )
    net_edges = []
    seen: set[tuple[Node, Node]] = set()
    for a, b, _rel in edges:
        pair = (a, b) if str(a) < str(b) else (b, a)
        if pair in seen:
            continue
        seen.add(pair)
        rels = sorted({r for x, y, r in edges if {x, y} == {a, b}})
        net_edges.append(NetEdge(net_nodes[a], net_nodes[b], ", ".join(rels)))
    legend = [
        (KIND_TITLES[k][1], KIND_COLOURS[k])
        for k in NETWORK_KINDS
        if any(nn.kind == k for nn in net_nodes.values())
    ]
    ordered = sorted(net_nodes.values(), key=lambda nn: (nn.y, nn.x, nn.ref.iri))
    return Network(ordered, net_edges, width, height, legend)


@dataclass
class Ego:
    centre: NetNode
    nodes: list[NetNode]
    edges: list[NetEdge]
    width: int
    height: int
    more: int


def build_ego(view: GraphView, d: Description, limit: int = 24, width: int = 1180) -> Ego | None:
    """The record and the records linked to it, around a circle."""
    if not d.neighbours:
        return None
    by_node: dict[str, tuple[Ref, list[str]]] = {}
    for nb in d.neighbours:
        ref, rels = by_node.setdefault(nb.ref.iri, (nb.ref, []))
        if nb.relation not in rels:
            rels.append(nb.relation)
    items = list(by_node.values())
    more = max(0, len(items) - limit)
    items = items[:limit]
    n = len(items)
    # Neighbours on the two sides of an ellipse, evenly spaced in height, so that
    # each label has its own line: the right side first (top to bottom), then the left.
    right = (n + 1) // 2
    step = 34.0
    half = max(right - 1, 1) * step / 2
    rx, ry = 300.0, half + 40.0
    height = int(2 * half + 120)
    cx, cy = width / 2, height / 2
    centre = NetNode(
        Ref(d.label, d.iri, d.id, d.kind),
        d.kind,
        _r(cx),
        _r(cy),
        11.0,
        _short(d.label, 40),
        "middle",
    )
    nodes, edges = [], []
    for i, (ref, rels) in enumerate(items):
        side, k = (1, i) if i < right else (-1, i - right)
        count = right if side == 1 else n - right
        dy = (k - (count - 1) / 2) * step
        dx = side * rx * math.sqrt(max(0.0, 1 - (dy / ry) ** 2))
        anchor = "start" if side == 1 else "end"
        label = _short(ref.label, 34)
        nn = NetNode(ref, ref.kind or "other", _r(cx + dx), _r(cy + dy), 7.0, label, anchor)
        nodes.append(nn)
        edges.append(NetEdge(centre, nn, ", ".join(rels)))
    return Ego(centre, nodes, edges, width, height, more)


# --- ontology ---------------------------------------------------------------------------------


@dataclass
class TermDoc:
    term: str  # local name (the page anchor)
    iri: str
    kind: str  # Class, Object property, Datatype property, Annotation property, Individual
    labels: dict[str, list[str]]
    definitions: dict[str, list[str]]
    comments: dict[str, list[str]]
    supers: list[Ref]  # kg: super terms
    alignments: list[str]  # external super terms, as prefixed names
    subs: list[Ref]
    domain: list[Ref]
    range: list[Ref]
    inverse: list[Ref]
    characteristics: list[str]
    types: list[Ref]
    instances: int = 0
    uses: int = 0


@dataclass
class ModelBox:
    term: str
    label: str
    subs: list[tuple[str, str]]  # (term, text shown)
    x: float
    y: float
    w: float
    h: float


@dataclass
class ModelEdge:
    x1: float
    y1: float
    x2: float
    y2: float
    labels: list[str]
    lx: float
    ly: float
    loop: bool = False


@dataclass
class OntologyDoc:
    title: str
    description: str
    iri: str
    version: str
    classes: list[TermDoc]
    properties: list[TermDoc]
    individuals: list[TermDoc]
    boxes: list[ModelBox]
    model_edges: list[ModelEdge]
    width: int
    height: int
    value_lists: list[str]

    @property
    def terms(self) -> set[str]:
        return {t.term for t in self.classes + self.properties + self.individuals}


def _kg_local(node: Node) -> str | None:
    s = str(node)
    return s[len(str(KG)) :] if isinstance(node, URIRef) and s.startswith(str(KG)) else None


def build_ontology_doc(view: GraphView) -> OntologyDoc:
    ont, data = view.ont, view.g
    onto_iri = next(iter(sorted(ont.subjects(RDF.type, OWL.Ontology), key=str)), None)

    def texts(node: Node, prop: URIRef) -> dict[str, list[str]]:
        return view.texts(node, [prop]) if node is not None else {}

    def en(d: dict[str, list[str]]) -> str:
        return (d.get("en") or next(iter(d.values()), [""]))[0] if d else ""

    kinds = (
        (OWL.Class, "Class"),
        (OWL.ObjectProperty, "Object property"),
        (OWL.DatatypeProperty, "Datatype property"),
        (OWL.AnnotationProperty, "Annotation property"),
        (OWL.NamedIndividual, "Individual"),
    )
    docs: dict[str, TermDoc] = {}
    for cls, kind_name in kinds:
        for t in ont.subjects(RDF.type, cls):
            local = _kg_local(t)
            if not local or local in docs:
                continue
            sup_prop = RDFS.subClassOf if cls == OWL.Class else RDFS.subPropertyOf
            supers = sorted(ont.objects(t, sup_prop), key=str)
            subs = sorted(ont.subjects(sup_prop, t), key=str)
            chars = sorted(
                view.label(c) if view.label(c) != compact(c) else compact(c).split(":")[1]
                for c in ont.objects(t, RDF.type)
                if c
                in (
                    OWL.TransitiveProperty,
                    OWL.SymmetricProperty,
                    OWL.FunctionalProperty,
                    OWL.InverseFunctionalProperty,
                    OWL.AsymmetricProperty,
                    OWL.IrreflexiveProperty,
                )
            )
            inverse = sorted(
                set(ont.objects(t, OWL.inverseOf)) | set(ont.subjects(OWL.inverseOf, t)), key=str
            )
            docs[local] = TermDoc(
                term=local,
                iri=str(t),
                kind=kind_name,
                labels=texts(t, RDFS.label),
                definitions=texts(t, SKOS.definition),
                comments=texts(t, RDFS.comment),
                supers=[view.ref(s) for s in supers if _kg_local(s)],
                alignments=[compact(s) for s in supers if not _kg_local(s)],
                subs=[view.ref(s) for s in subs if _kg_local(s)],
                domain=[view.ref(x) for x in sorted(ont.objects(t, RDFS.domain), key=str)],
                range=[view.ref(x) for x in sorted(ont.objects(t, RDFS.range), key=str)],
                inverse=[view.ref(x) for x in inverse],
                characteristics=chars,
                types=[
                    view.ref(x)
                    for x in sorted(ont.objects(t, RDF.type), key=str)
                    if x != OWL.NamedIndividual
                ]
                if cls == OWL.NamedIndividual
                else [],
                instances=len(set(data.subjects(RDF.type, t))) if cls == OWL.Class else 0,
                uses=sum(1 for _ in data.triples((None, t, None)))
                if cls != OWL.Class
                else sum(1 for _ in data.triples((None, None, t))),
            )

    def sort(kind_names: tuple[str, ...]) -> list[TermDoc]:
        return sorted(
            (d for d in docs.values() if d.kind in kind_names), key=lambda d: d.term.casefold()
        )

    classes = sort(("Class",))
    properties = sort(("Object property", "Datatype property", "Annotation property"))
    individuals = sort(("Individual",))
    boxes, edges, w, h, value_lists = _model_diagram(view, classes, properties)
    title = texts(onto_iri, URIRef("http://purl.org/dc/terms/title")) if onto_iri else {}
    desc = texts(onto_iri, URIRef("http://purl.org/dc/terms/description")) if onto_iri else {}
    version = str(ont.value(onto_iri, OWL.versionInfo) or "") if onto_iri else ""
    return OntologyDoc(
        en(title) or "Ontology",
        en(desc),
        str(onto_iri or KG),
        version,
        classes,
        properties,
        individuals,
        boxes,
        edges,
        w,
        h,
        value_lists,
    )


def _model_diagram(
    view: GraphView, classes: list[TermDoc], properties: list[TermDoc]
) -> tuple[list[ModelBox], list[ModelEdge], int, int, list[str]]:
    """Top classes as boxes (listing their direct subclasses); object properties
    between them. Classes of fixed value lists (qualifiers, ...) are left out of
    the picture and returned separately."""
    by_term = {c.term: c for c in classes}
    value_lists = sorted(
        c.term
        for c in classes
        if any(
            (i, RDF.type, OWL.NamedIndividual) in view.ont
            for i in view.ont.subjects(RDF.type, URIRef(c.iri))
        )
    )

    def top(term: str) -> str:
        seen = {term}
        while True:
            sups = [
                s.term for s in by_term[term].supers if s.term in by_term and s.term not in seen
            ]
            if not sups:
                return term
            term = sorted(sups)[0]
            seen.add(term)

    by_prop = {p.term: p for p in properties}

    def descendants(term: str) -> int:
        subs = [s.term for s in by_term[term].subs if s.term in by_term]
        return len(subs) + sum(descendants(x) for x in subs)

    tops = sorted({top(c.term) for c in classes} - set(value_lists))
    links: dict[tuple[str, str], list[str]] = defaultdict(list)
    for p in properties:
        if p.kind != "Object property" or not _drawn(p, by_prop):
            continue  # one of each pair of inverse properties: the one the data uses
        for d in p.domain:
            for r in p.range:
                if d.term in by_term and r.term in by_term:
                    a, b = top(d.term), top(r.term)
                    if a in tops and b in tops:
                        links[(a, b)].append(p.term)
    pairs: list[tuple[str, str]] = sorted({(min(k), max(k)) for k in links if k[0] != k[1]})
    weights = {
        (a, b): float(len(links.get((a, b), [])) + len(links.get((b, a), []))) for a, b in pairs
    }
    width, height = 1180, 720
    sizes = {}
    for t in tops:
        subs = sorted(
            (
                (x.term, x.term + (f" (+{descendants(x.term)})" if descendants(x.term) else ""))
                for x in by_term[t].subs
                if x.term
            ),
            key=lambda st: st[0].casefold(),
        )
        w = max(7.9 * len(t) + 24, 6.7 * max((len(x[1]) for x in subs), default=0) + 30, 110)
        h = 26 + 15 * len(subs) + (6 if subs else 0)
        sizes[t] = (w, h, subs)

    def place(seed: int) -> dict[str, ModelBox]:
        pos = _layout(tops, pairs, weights, seed=seed)
        xs = [p[0] for p in pos.values()] or [0.0]
        ys = [p[1] for p in pos.values()] or [0.0]
        boxes = {}
        for t in tops:
            w, h, subs = sizes[t]
            x, y = pos.get(t, (0.0, 0.0))
            cx = 130 + (x - min(xs)) / ((max(xs) - min(xs)) or 1) * (width - 260)
            cy = 100 + (y - min(ys)) / ((max(ys) - min(ys)) or 1) * (height - 200)
            boxes[t] = ModelBox(t, t, subs, _r(cx - w / 2), _r(cy - h / 2), _r(w), _r(h))
        _separate(list(boxes.values()), width, height)
        return boxes

    def badness(boxes: dict[str, ModelBox]) -> int:
        segs = [
            (
                (boxes[a].x + boxes[a].w / 2, boxes[a].y + boxes[a].h / 2),
                (boxes[b].x + boxes[b].w / 2, boxes[b].y + boxes[b].h / 2),
                a,
                b,
            )
            for a, b in pairs
        ]
        score = 0
        for i, (p1, p2, a, b) in enumerate(segs):
            for q1, q2, c, d in segs[i + 1 :]:
                if not {a, b} & {c, d} and _crosses(p1, p2, q1, q2):
                    score += 1
            for t, box in boxes.items():
                if t not in (a, b) and _through_box(p1, p2, box):
                    score += 4
        return score

    # A few seeds, keep the clearest picture (fewest crossings): still deterministic.
    boxes = min((place(seed) for seed in range(1, 13)), key=badness)
    edges = []
    for (a, b), labels in sorted(links.items()):
        ba, bb = boxes[a], boxes[b]
        names = sorted(labels)
        shown = names if len(names) <= 4 else [*names[:3], f"+{len(names) - 3} more"]
        if a == b:
            x1, x2 = ba.x + ba.w * 0.35, ba.x + ba.w * 0.65
            edges.append(
                ModelEdge(
                    _r(x1),
                    _r(ba.y),
                    _r(x2),
                    _r(ba.y),
                    shown,
                    _r(x2 + 12),
                    _r(ba.y - 22 - 6 * len(shown)),
                    loop=True,
                )
            )
            continue
        ax, ay = ba.x + ba.w / 2, ba.y + ba.h / 2
        bx, by = bb.x + bb.w / 2, bb.y + bb.h / 2
        x1, y1 = _clip(ax, ay, bx, by, ba)
        x2, y2 = _clip(bx, by, ax, ay, bb)
        # Labels a little off the middle, towards the domain, so two directions do not meet.
        lx, ly = x1 + (x2 - x1) * 0.42, y1 + (y2 - y1) * 0.42
        edges.append(ModelEdge(_r(x1), _r(y1), _r(x2), _r(y2), shown, _r(lx), _r(ly)))
    return sorted(boxes.values(), key=lambda b: b.term), edges, width, height, value_lists


def _drawn(p: TermDoc, by_prop: dict[str, TermDoc]) -> bool:
    """Of a property and its inverse, draw the one the data uses more (then by name)."""
    for inv in p.inverse:
        other = by_prop.get(inv.term or "")
        if other is not None and (other.uses, p.term) > (p.uses, other.term):
            return False
    return True


def _crosses(
    p1: tuple[float, float],
    p2: tuple[float, float],
    q1: tuple[float, float],
    q2: tuple[float, float],
) -> bool:
    def orient(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> float:
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    return (orient(p1, p2, q1) * orient(p1, p2, q2) < 0) and (
        orient(q1, q2, p1) * orient(q1, q2, p2) < 0
    )


def _through_box(p1: tuple[float, float], p2: tuple[float, float], box: ModelBox) -> bool:
    corners = [
        (box.x, box.y),
        (box.x + box.w, box.y),
        (box.x + box.w, box.y + box.h),
        (box.x, box.y + box.h),
    ]
    return any(_crosses(p1, p2, corners[i], corners[(i + 1) % 4]) for i in range(4))


def _separate(boxes: list[ModelBox], width: int, height: int) -> None:
    """Push overlapping boxes apart (a few deterministic passes)."""
    for _ in range(60):
        moved = False
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                dx = (b.x + b.w / 2) - (a.x + a.w / 2)
                dy = (b.y + b.h / 2) - (a.y + a.h / 2)
                ox = (a.w + b.w) / 2 + 16 - abs(dx)
                oy = (a.h + b.h) / 2 + 16 - abs(dy)
                if ox > 0 and oy > 0:
                    moved = True
                    if ox < oy:
                        shift = ox / 2 * (1 if dx >= 0 else -1)
                        a.x, b.x = _r(a.x - shift), _r(b.x + shift)
                    else:
                        shift = oy / 2 * (1 if dy >= 0 else -1)
                        a.y, b.y = _r(a.y - shift), _r(b.y + shift)
        for bx in boxes:
            bx.x = _r(min(max(bx.x, 4), width - bx.w - 4))
            bx.y = _r(min(max(bx.y, 30), height - bx.h - 4))
        if not moved:
            break


def _clip(cx: float, cy: float, tx: float, ty: float, box: ModelBox) -> tuple[float, float]:
    """Where the line from the box centre towards (tx, ty) leaves the box."""
    dx, dy = tx - cx, ty - cy
    if dx == 0 and dy == 0:
        return cx, cy
    sx = (box.w / 2) / abs(dx) if dx else math.inf
    sy = (box.h / 2) / abs(dy) if dy else math.inf
    s = min(sx, sy)
    return cx + dx * s, cy + dy * s


# --- queries ----------------------------------------------------------------------------------


@dataclass
class QueryPage:
    name: str
    title: str
    description: str
    text: str
    params: list[Any]
    form: str
    vars: list[str] = field(default_factory=list)
    rows: list[list[tuple[str, Ref | None, str | None]]] = field(default_factory=list)
    boolean: bool | None = None
    graph_text: str | None = None
    error: str | None = None


def build_query_pages(
    view: GraphView, query_graph: Graph, queries: dict[str, Any]
) -> list[QueryPage]:
    from kg.query import bind_params, run_query
    from kg.rdfio import serialize

    pages = []
    for name in sorted(queries):
        q = queries[name]
        page = QueryPage(name, q.title, q.description, q.text, list(q.params), q.form)
        try:
            res = run_query(query_graph, q.text, bind_params(q, {}))
        except UsageError as exc:
            page.error = f"Not run: {exc}"
            pages.append(page)
            continue
        page.vars = res.vars
        page.boolean = res.boolean
        if res.graph is not None:
            page.graph_text = serialize(res.graph, "turtle").decode("utf-8")
        for row in res.rows:
            cells: list[tuple[str, Ref | None, str | None]] = []
            for t in row:
                if t is None:
                    cells.append(("", None, None))
                elif isinstance(t, Literal):
                    cells.append((str(t), None, t.language))
                else:
                    ref = view.ref(t)
                    cells.append((compact(t), ref if (ref.id or ref.term) else None, None))
            page.rows.append(cells)
        pages.append(page)
    return pages


# --- the site ---------------------------------------------------------------------------------


def _environment() -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "svg", "xml"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["short"] = _short
    env.globals["kind_titles"] = KIND_TITLES
    env.globals["kind_colours"] = KIND_COLOURS
    env.globals["version"] = __version__
    return env


def build_site(
    graph: Graph,
    *,
    ontology: Graph | None = None,
    query_graph: Graph | None = None,
    validation: Report | None = None,
    queries: dict[str, Any] | None = None,
    title: str = "NATO–Japan relations: knowledge graph",
) -> dict[str, bytes]:
    """Render the whole site; returns {relative path: content}.

    ``graph`` holds the records' triples (entity pages show these);
    ``query_graph`` is what the canned queries run on (default: ``graph``
    plus the ontology); ``validation`` is the SHACL report to summarise
    (``None`` leaves the page saying validation was not run).
    """
    from kg.query import catalog

    view = GraphView(graph, ontology)
    env = _environment()
    if queries is None:
        queries = catalog()
    if query_graph is None:
        query_graph = Graph()
        for t in graph:
            query_graph.add(t)
        for t in view.ont:
            query_graph.add(t)

    descriptions = {str(n): describe(view, n) for n in view.records}
    by_kind: dict[str, list[Description]] = defaultdict(list)
    for d in descriptions.values():
        by_kind[d.kind].append(d)
    for items in by_kind.values():
        items.sort(key=lambda d: (d.label.casefold(), d.iri))
    kinds = [(k, by_kind[k]) for k in KIND_ORDER if by_kind.get(k)]
    timeline = build_timeline(view)
    network = build_network(view)
    onto = build_ontology_doc(view)
    query_pages = build_query_pages(view, query_graph, queries)
    terms = onto.terms

    common = {
        "site_title": title,
        "terms": terms,
        "counts": {k: len(v) for k, v in kinds},
        "triples": len(graph),
    }
    files: dict[str, bytes] = {}

    def page(path: str, template: str, **ctx: Any) -> None:
        root = "../" * path.count("/")
        html = env.get_template(template).render(root=root, path=path, **common, **ctx)
        files[path] = html.encode("utf-8")

    summary = validation.counts if validation is not None else None
    page(
        "index.html",
        "index.html",
        kinds=kinds,
        validation=validation,
        summary=summary,
        timeline=timeline,
        network=network,
        queries=query_pages,
        onto=onto,
        active="index",
    )
    page("entities.html", "entities.html", kinds=kinds, active="entities")
    page("timeline.html", "timeline.html", tl=timeline, active="timeline")
    page("network.html", "network.html", net=network, active="network")
    page("queries.html", "queries.html", queries=query_pages, active="queries")
    for qp in query_pages:
        page(f"query/{qp.name}.html", "query.html", q=qp, active="queries")
    page("ontology.html", "ontology.html", onto=onto, active="ontology")
    page(
        "validation.html",
        "validation.html",
        validation=validation,
        summary=summary,
        findings=_findings(validation, descriptions),
        active="validation",
    )
    for d in descriptions.values():
        page(f"entity/{d.id}.html", "entity.html", d=d, ego=build_ego(view, d), active="entities")
    files["style.css"] = (TEMPLATES / "style.css").read_bytes()
    files[MARKER] = b"kg report site: `kg report` may replace this folder.\n"
    return dict(sorted(files.items()))


def _findings(report: Report | None, descriptions: dict[str, Description]) -> list[dict[str, Any]]:
    if report is None:
        return []
    out = []
    for f in report.findings:
        rid = f.location.record if f.location and f.location.record else None
        if rid is None and f.focus.startswith("id:"):
            rid = f.focus[3:].split("/")[0]
        has_page = rid is not None and any(d.id == rid for d in descriptions.values())
        out.append({"f": f, "record": rid if has_page else None})
    return out


def write_site(files: dict[str, bytes], out_dir: Path) -> None:
    """Write the site into ``out_dir``, replacing a previous site there as a whole.

    The files are written into a folder next to ``out_dir`` and swapped in by
    renaming (:class:`kg.rdfio.Staged`), so a reader sees the old site or the
    new one, never a mix. A non-empty ``out_dir`` that is not a kg site is
    refused, never overwritten. The folder holding ``out_dir`` is taken as
    :func:`kg.rdfio.output_folder` takes a build's: another kg process writing
    there is refused (exit 2), and what a killed run left (its half-written
    site, or the old site set aside just before the swap) is cleared or put
    back first.
    """
    out_dir = out_dir.resolve() if out_dir.exists() else Path(os.path.abspath(out_dir))
    if out_dir.exists():
        if not out_dir.is_dir():
            raise UsageError(f"{out_dir} exists and is not a folder")
        if any(out_dir.iterdir()) and not (out_dir / MARKER).exists():
            raise UsageError(
                f"{out_dir} is not empty and is not a kg report; "
                "choose another folder with -o (kg will not overwrite it)"
            )
    # A fixed name: under the folder lock no other run uses it, and the next
    # run's sweep removes it if this one is killed.
    staging = out_dir.parent / f".{out_dir.name}.new"
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(out_dir, exc) from exc  # named as given, not its folder
    scope = output_folder(out_dir.parent, re.escape(out_dir.name), scratch=[staging.name])
    with scope, Staged() as staged:
        staged.add(staging, out_dir)  # first: a failed write discards what was staged
        try:
            staging.mkdir()
            for rel, data in files.items():
                target = staging / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            for d in [staging, *sorted(p for p in staging.rglob("*") if p.is_dir())]:
                d.chmod(0o755)
        except OSError as exc:
            raise write_error(out_dir, exc) from exc
        staged.commit()


def generate(
    out_dir: Path,
    graph_file: Path | None = None,
    records: Path | None = None,
    *,
    reason: bool = False,
) -> SiteResult:
    """Build the graph (records, bundled by default, or an RDF file), validate it,
    render the site and write it to ``out_dir``."""
    from kg.builder import load_ontology
    from kg.pipeline import as_graph, load, read_triples
    from kg.validate import validate_graph

    start = time.perf_counter()
    if graph_file is not None and records is not None:
        raise UsageError("give either --graph or --records, not both")
    if graph_file is not None:
        data = as_graph(read_triples(graph_file))
        index = None
    else:
        built = load(records)
        data, index = built.graph, built.index
    ontology = load_ontology()
    validation = validate_graph(data, index)
    query_graph = Graph()
    for t in data:
        query_graph.add(t)
    if reason:
        from kg.reason import infer

        for t in infer(data, engine="native"):
            query_graph.add(t)
    for t in ontology:
        query_graph.add(t)
    for prefix, ns in PREFIXES.items():
        query_graph.bind(prefix, ns, override=True, replace=True)
    files = build_site(data, ontology=ontology, query_graph=query_graph, validation=validation)
    write_site(files, out_dir)
    pages = [p for p in files if p.endswith(".html")]
    counts = Counter(p.split("/")[0] if "/" in p else "top" for p in pages)
    return SiteResult(
        out_dir=out_dir,
        pages=pages,
        bytes=sum(len(b) for b in files.values()),
        entities=sum(1 for p in pages if p.startswith("entity/")),
        queries=sum(1 for p in pages if p.startswith("query/")),
        seconds=time.perf_counter() - start,
        counts=dict(counts),
    )


__all__ = ["SiteResult", "build_site", "generate", "write_site"]
