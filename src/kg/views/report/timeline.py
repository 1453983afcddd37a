"""The report's timeline: events by date, coloured by theme."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass

from rdflib.namespace import SKOS
from rdflib.term import Node

from kg.terms.namespaces import KG
from kg.views.graphview import GraphView, record_id
from kg.views.model import Ref
from kg.views.report.common import _r, _year_value

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
