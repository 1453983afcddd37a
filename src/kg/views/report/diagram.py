"""The report's diagram of the model: class boxes and property arrows, placed
so that they do not overlap.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from rdflib import URIRef
from rdflib.namespace import OWL, RDF

from kg.views.graphview import GraphView
from kg.views.model import Ref
from kg.views.report.common import rounded
from kg.views.report.network import layout

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


def model_diagram(
    view: GraphView, classes: list[TermDoc], properties: list[TermDoc]
) -> tuple[list[ModelBox], list[ModelEdge], int, int, list[str]]:
    """Top classes as boxes (listing their direct subclasses); object properties
    between them. Classes of fixed value lists (qualifiers, ...) are left out of
    the picture and returned separately."""
    tree = _ClassTree(classes)
    value_lists = _value_lists(view, classes)
    tops = sorted({tree.top(c.term) for c in classes} - set(value_lists))
    links = _links(tree, properties, tops)
    pairs: list[tuple[str, str]] = sorted({(min(k), max(k)) for k in links if k[0] != k[1]})
    weights = {
        (a, b): float(len(links.get((a, b), [])) + len(links.get((b, a), []))) for a, b in pairs
    }
    width, height = 1180, 720
    sizes = {t: _box_size(tree, t) for t in tops}
    # A few seeds, keep the clearest picture (fewest crossings): still deterministic.
    boxes = min(
        (_place(tops, pairs, weights, sizes, seed, (width, height)) for seed in range(1, 13)),
        key=lambda placed: _badness(placed, pairs),
    )
    edges = [_edge(boxes[a], boxes[b], labels) for (a, b), labels in sorted(links.items())]
    return sorted(boxes.values(), key=lambda b: b.term), edges, width, height, value_lists


class _ClassTree:
    """The classes by term, with their top class and number of descendants."""

    def __init__(self, classes: list[TermDoc]) -> None:
        self.by_term = {c.term: c for c in classes}

    def top(self, term: str) -> str:
        seen = {term}
        while True:
            sups = [
                s.term
                for s in self.by_term[term].supers
                if s.term in self.by_term and s.term not in seen
            ]
            if not sups:
                return term
            term = sorted(sups)[0]
            seen.add(term)

    def descendants(self, term: str) -> int:
        subs = [s.term for s in self.by_term[term].subs if s.term in self.by_term]
        return len(subs) + sum(self.descendants(x) for x in subs)


def _value_lists(view: GraphView, classes: list[TermDoc]) -> list[str]:
    """The classes whose instances are named individuals (fixed lists of values)."""
    return sorted(
        c.term
        for c in classes
        if any(
            (i, RDF.type, OWL.NamedIndividual) in view.ont
            for i in view.ont.subjects(RDF.type, URIRef(c.iri))
        )
    )


def _links(
    tree: _ClassTree, properties: list[TermDoc], tops: list[str]
) -> dict[tuple[str, str], list[str]]:
    """The object properties between top classes, by (domain's top, range's top)."""
    by_prop = {p.term: p for p in properties}
    links: dict[tuple[str, str], list[str]] = defaultdict(list)
    for p in properties:
        if p.kind != "Object property" or not _drawn(p, by_prop):
            continue  # one of each pair of inverse properties: the one the data uses
        for d in p.domain:
            for r in p.range:
                if d.term in tree.by_term and r.term in tree.by_term:
                    a, b = tree.top(d.term), tree.top(r.term)
                    if a in tops and b in tops:
                        links[(a, b)].append(p.term)
    return links


_Size = tuple[float, float, list[tuple[str, str]]]  # width, height, subclasses listed


def _box_size(tree: _ClassTree, term: str) -> _Size:
    """A box wide enough for its name and its subclasses (with their descendants' count)."""
    subs = []
    for x in tree.by_term[term].subs:
        if x.term:
            n = tree.descendants(x.term)
            subs.append((x.term, x.term + (f" (+{n})" if n else "")))
    subs.sort(key=lambda st: st[0].casefold())
    w = max(7.9 * len(term) + 24, 6.7 * max((len(x[1]) for x in subs), default=0) + 30, 110)
    h = 26 + 15 * len(subs) + (6 if subs else 0)
    return w, h, subs


def _place(
    tops: list[str],
    pairs: list[tuple[str, str]],
    weights: dict[tuple[str, str], float],
    sizes: dict[str, _Size],
    seed: int,
    area: tuple[int, int],
) -> dict[str, ModelBox]:
    """Boxes where the layout puts them, scaled into the picture, pushed apart."""
    width, height = area
    pos = layout(tops, pairs, weights, seed=seed)
    xs = [p[0] for p in pos.values()] or [0.0]
    ys = [p[1] for p in pos.values()] or [0.0]
    boxes = {}
    for t in tops:
        w, h, subs = sizes[t]
        x, y = pos.get(t, (0.0, 0.0))
        cx = 130 + (x - min(xs)) / ((max(xs) - min(xs)) or 1) * (width - 260)
        cy = 100 + (y - min(ys)) / ((max(ys) - min(ys)) or 1) * (height - 200)
        boxes[t] = ModelBox(
            t, t, subs, rounded(cx - w / 2), rounded(cy - h / 2), rounded(w), rounded(h)
        )
    _separate(list(boxes.values()), width, height)
    return boxes


def _badness(boxes: dict[str, ModelBox], pairs: list[tuple[str, str]]) -> int:
    """Crossing links, and (four times worse) links through a box."""
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


def _edge(ba: ModelBox, bb: ModelBox, labels: list[str]) -> ModelEdge:
    """An arrow from box ``ba`` to box ``bb`` (a loop when they are one), with
    up to four property names."""
    names = sorted(labels)
    shown = names if len(names) <= 4 else [*names[:3], f"+{len(names) - 3} more"]
    if ba is bb:
        x1, x2 = ba.x + ba.w * 0.35, ba.x + ba.w * 0.65
        ly = ba.y - 22 - 6 * len(shown)
        return ModelEdge(
            rounded(x1),
            rounded(ba.y),
            rounded(x2),
            rounded(ba.y),
            shown,
            rounded(x2 + 12),
            rounded(ly),
            loop=True,
        )
    ax, ay = ba.x + ba.w / 2, ba.y + ba.h / 2
    bx, by = bb.x + bb.w / 2, bb.y + bb.h / 2
    x1, y1 = _clip(ax, ay, bx, by, ba)
    x2, y2 = _clip(bx, by, ax, ay, bb)
    # Labels a little off the middle, towards the domain, so two directions do not meet.
    lx, ly = x1 + (x2 - x1) * 0.42, y1 + (y2 - y1) * 0.42
    return ModelEdge(
        rounded(x1), rounded(y1), rounded(x2), rounded(y2), shown, rounded(lx), rounded(ly)
    )


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
                        a.x, b.x = rounded(a.x - shift), rounded(b.x + shift)
                    else:
                        shift = oy / 2 * (1 if dy >= 0 else -1)
                        a.y, b.y = rounded(a.y - shift), rounded(b.y + shift)
        for bx in boxes:
            bx.x = rounded(min(max(bx.x, 4), width - bx.w - 4))
            bx.y = rounded(min(max(bx.y, 30), height - bx.h - 4))
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
