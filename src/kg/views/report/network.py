"""The report's network pictures: actors, organisations, events and
documents, and each entity's neighbourhood.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rdflib.term import Node

from kg.terms.namespaces import KG
from kg.views.graphview import GraphView
from kg.views.kinds import KIND_TITLES
from kg.views.model import Description, Ref
from kg.views.report.common import _r, _short

SEED = 7  # layout seed: the same graph always gets the same picture


KIND_COLOURS = {
    "person": "#2563EB",
    "organisation": "#059669",
    "group": "#7C3AED",
    "event": "#D97706",
    "document": "#DC2626",
}


NETWORK_KINDS = tuple(KIND_COLOURS)


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
