"""The report's timeline: events by date, coloured by theme."""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right, insort
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from rdflib.namespace import SKOS
from rdflib.term import Node

from kg.terms.namespaces import KG
from kg.views.graphview import GraphView, record_id
from kg.views.model import Ref
from kg.views.report.common import rounded, year_value
from kg.views.report.facets import Choices, Facets, choices, event_facets

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
    facets: Facets | None = None  # what the filters filter on; place, people, sources


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
    choices: Choices = field(default_factory=Choices)
    clusters: list[tuple[float, float, str]] = field(default_factory=list)  # x, y, label


def _theme_roots(view: GraphView) -> tuple[dict[Node, Node], list[Node]]:
    """Each theme's top theme (following skos:broader), and the top themes sorted."""
    g = view.g
    themes = [t for t in view.records if view.is_a(t, KG.SecurityTheme)]
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
    """Events with a start date, as rows in time order (parts under their event),
    coloured by main theme (the palette of ``view.display``)."""
    ordered = _events_in_order(view)
    main = _main_themes(view, [e for e, _depth in ordered])
    colour_of = _theme_colours(view, main)
    rows = [_row(view, e, depth, main[e], colour_of) for e, depth in ordered]
    for row, (e, _depth) in zip(rows, ordered, strict=True):
        row.facets = event_facets(view, e)
    years = [v for r in rows for v in (year_value(r.start), year_value(r.end or r.start)) if v]
    lo = math.floor(min(years)) if years else 2000
    hi = math.floor(max(years)) + 1 if years else 2001
    if hi - lo < 2:
        lo, hi = lo - 1, hi + 1
    x0, x1 = 60.0, float(width - 40)

    def x_of(v: float) -> float:
        return rounded(x0 + (v - lo) / (hi - lo) * (x1 - x0))

    span = hi - lo
    step = 1 if span <= 16 else 2 if span <= 32 else 5 if span <= 80 else 10
    ticks = [(x_of(y), str(y)) for y in range(lo, hi + 1) if y % step == 0 or y in (lo, hi)]
    strip = _strip(rows, x_of, lo)
    row_h = 28
    for i, r in enumerate(rows):
        r.y = rounded(strip.top_rows + i * row_h)
        r.x = rounded(200 + r.depth * 22)
    height = int(strip.top_rows + len(rows) * row_h + 20)
    height += strip.lift(rows)
    return Timeline(
        rows,
        _legend(view, colour_of, rows),
        ticks,
        strip.marks,
        strip.spans,
        width,
        height,
        strip.axis_y,
        strip.top_rows,
        row_h,
        x0,
        x1,
        choices(view, [r.facets for r in rows if r.facets]),
        strip.clusters,
    )


def _events_in_order(view: GraphView) -> list[tuple[Node, int]]:
    """Events with a start date, oldest first, each followed by its parts
    (one level deeper)."""
    g = view.g
    events = [e for e in view.records if view.is_a(e, KG.Event) and g.value(e, KG.startDate)]
    in_set = set(events)
    children: dict[Node | None, list[Node]] = defaultdict(list)
    for e in events:
        p = g.value(e, KG.subEventOf)
        children[p if p in in_set else None].append(e)

    def key(e: Node) -> tuple[str, str, str, str]:
        return (
            str(g.value(e, KG.startDate)),
            str(g.value(e, KG.endDate) or g.value(e, KG.startDate)),
            view.label(e).casefold(),
            str(e),
        )

    ordered: list[tuple[Node, int]] = []

    def walk(node: Node | None, depth: int) -> None:
        for c in sorted(children.get(node, []), key=key):
            ordered.append((c, depth))
            walk(c, depth + 1)

    walk(None, 0)
    return ordered


def _main_themes(view: GraphView, events: list[Node]) -> dict[Node, list[Node]]:
    """Each event's top themes, the one most of its themes fall under first."""
    root, _tops = _theme_roots(view)
    main: dict[Node, list[Node]] = {}
    for e in events:
        counts = Counter(root.get(theme, theme) for theme in view.g.objects(e, KG.theme))
        main[e] = sorted(counts, key=lambda x: (-counts[x], view.label(x).casefold(), str(x)))
    return main


def _theme_colours(view: GraphView, main: dict[Node, list[Node]]) -> dict[Node, str]:
    """The top themes that are the main theme of most events get a colour each."""
    palette = view.display.themes.palette
    usage = Counter(ts[0] for ts in main.values() if ts)
    coloured = sorted(usage, key=lambda x: (-usage[x], view.label(x).casefold(), str(x)))
    return {x: palette[i] for i, x in enumerate(coloured[: len(palette)])}


def _row(
    view: GraphView, e: Node, depth: int, themes: list[Node], colour_of: dict[Node, str]
) -> TimelineRow:
    g, colours = view.g, view.display.themes
    colour = colour_of.get(themes[0], colours.other) if themes else colours.none
    return TimelineRow(
        ref=view.ref(e),
        start=str(g.value(e, KG.startDate)),
        end=str(g.value(e, KG.endDate) or ""),
        depth=depth,
        colour=colour,
        themes=[(view.label(t), colour_of.get(t, colours.other)) for t in themes],
        kind=", ".join(c.label for c in (view.ref(t) for t in view.types(e))),
    )


def _legend(
    view: GraphView, colour_of: dict[Node, str], rows: list[TimelineRow]
) -> list[tuple[str, str, str | None]]:
    colours = view.display.themes
    legend = [(view.label(t), c, record_id(t)) for t, c in colour_of.items()]
    if any(r.colour == colours.other for r in rows):
        legend.append(("other themes", colours.other, None))
    if any(r.colour == colours.none for r in rows):
        legend.append(("no theme recorded", colours.none, None))
    return legend


@dataclass
class _Strip:
    """The strip above the rows: a dot per event on the axis, a line for its span."""

    axis_y: float
    top_rows: float
    marks: list[tuple[float, float, str, Ref, str]]
    spans: list[tuple[float, float, float, str]]
    max_level: int

    @property
    def clusters(self) -> list[tuple[float, float, str]]:
        """A label above each stack of four dots or more: how many events, and when
        (a month, or the first and last month), so a pile of dots says what it is."""
        out = []
        marks = sorted(self.marks, key=lambda m: (m[0], m[4]))
        group: list[tuple[float, float, str, Ref, str]] = []
        for m in [*marks, None]:
            if m is not None and (not group or m[0] - group[-1][0] < 9):
                group.append(m)
                continue
            if len(group) >= 4:
                months = sorted(g[4][:7] for g in group)
                when = months[0] if months[0] == months[-1] else f"{months[0]} – {months[-1]}"
                x = rounded(sum(g[0] for g in group) / len(group))
                top = rounded(min(g[1] for g in group) - 9)
                out.append((x, top, f"{len(group)} events, {when}"))
            group = [m] if m is not None else []
        return out

    def lift(self, rows: list[TimelineRow]) -> int:
        """Lift the axis above the tallest stack of dots; returns the extra height."""
        if self.max_level <= 5:
            return 0
        shift = (self.max_level - 5) * 9 + 12  # room for the stack's label
        self.axis_y += shift
        self.marks = [(x, rounded(y + shift), c, ref, d) for x, y, c, ref, d in self.marks]
        self.spans = [(a, b, self.axis_y, c) for a, b, _y, c in self.spans]
        for r in rows:
            r.y = rounded(r.y + shift)
        self.top_rows += shift
        return int(shift)


def _touches(xs: list[float], x: float) -> bool:
    """Whether a dot at ``x`` would touch one of ``xs`` (sorted): those within 10
    of it, tested as the dots always were."""
    return any(abs(px - x) < 9 for px in xs[bisect_left(xs, x - 10) : bisect_right(xs, x + 10)])


def _strip(rows: list[TimelineRow], x_of: Callable[[float], float], lo: int) -> _Strip:
    """Dots above the axis, stacked where they would touch."""
    axis_y = 70.0
    marks = []
    spans = []
    # The dots placed on each level, by x: a look-up per level, not a scan of every
    # dot (at 15,000 events, stacked 100 high, the scan took hours).
    placed: dict[int, list[float]] = defaultdict(list)
    for r in sorted(rows, key=lambda r: (r.start, r.ref.iri)):
        v = year_value(r.start) or lo
        x = x_of(v)
        level = 0
        while _touches(placed[level], x):
            level += 1
        insort(placed[level], x)
        marks.append((x, rounded(axis_y - 10 - level * 9), r.colour, r.ref, r.start))
        if r.end:
            ve = year_value(r.end)
            if ve and ve > v:
                spans.append((x, x_of(ve), axis_y, r.colour))
    max_level = max((lvl for lvl, xs in placed.items() if xs), default=0)
    return _Strip(axis_y, axis_y + 40, marks, spans, max_level)
