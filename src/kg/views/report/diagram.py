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
from kg.views.report.common import _r
from kg.views.report.network import _layout

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
