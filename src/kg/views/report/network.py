"""The report's network pictures: actors, organisations, events and
documents, and each entity's neighbourhood.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from rdflib.term import Node

from kg.records.display import OTHER, Display
from kg.terms.namespaces import KG
from kg.views.graphview import GraphView
from kg.views.model import Description, Ref
from kg.views.report.common import rounded, shorten

SEED = 7  # layout seed: the same graph always gets the same picture


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
    total: int = 0  # nodes linked in the graph; ``nodes`` holds the MAX_NODES most linked


def _short_label(view: GraphView, node: Node) -> str:
    acr = view.texts(node, [KG.acronym])
    if "en" in acr:
        return acr["en"][0]
    return shorten(view.label(node), 30)


def network_edges(
    view: GraphView, kinds: Iterable[str] | None = None
) -> list[tuple[Node, Node, str]]:
    """Links between actors, organisations, events and documents (the records
    of ``kinds``; by default the network picture's).

    Direct links, plus links through the nodes between them: a role links its
    holder to the post's organisation ("held a post in"), a statement links its
    speaker to the event it was said at ("spoke at").
    """
    g = view.g
    drawn = set(view.display.network_kinds if kinds is None else kinds)
    keep = {n for n in view.records if view.kind(n) in drawn}
    edges: set[tuple[Node, Node, str]] = set()
    for s in keep:
        for p, o in g.predicate_objects(s):
            if o in keep and o != s and p not in (KG.citation,):
                edges.add((s, o, view.label(p)))
    for role in (n for n in view.records if view.is_a(n, KG.RoleAssignment)):
        holder = g.value(role, KG.holder)
        orgs = set(g.objects(role, KG.roleIn))
        for post in g.objects(role, KG.post):
            orgs |= set(g.objects(post, KG.postIn))
        for org in orgs:
            if holder is not None and holder in keep and org in keep:
                edges.add((holder, org, "held a post in"))
    for st in (n for n in view.records if view.is_a(n, KG.Quotation)):
        sp, at = g.value(st, KG.speaker), g.value(st, KG.saidAt)
        if sp is not None and at is not None and sp in keep and at in keep:
            edges.add((sp, at, "spoke at"))
    return sorted(edges, key=lambda e: (str(e[0]), str(e[1]), e[2]))


def layout(
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


# The most linked nodes the network shows. Its layout (ForceAtlas2) takes time
# and memory growing with the square of the nodes (networkx's dense arrays: at
# 1M triples, about 30,000 nodes, tens of GB), and a picture of thousands of
# dots shows nothing; the bundled records have about 200.
MAX_NODES = 500


def build_network(view: GraphView, width: int = 1180) -> Network:
    """The records of the network's kinds that something links, laid out: the
    :data:`MAX_NODES` most linked of them (ties by IRI) and the links between those."""
    edges = network_edges(view)
    nodes = sorted({n for e in edges for n in e[:2]}, key=str)
    total = len(nodes)
    if total > MAX_NODES:
        degree = Counter(n for e in edges for n in {e[0], e[1]})
        kept = set(sorted(nodes, key=lambda n: (-degree[n], str(n)))[:MAX_NODES])
        edges = [e for e in edges if e[0] in kept and e[1] in kept]
        nodes = sorted(kept, key=str)
    height = int(max(520, min(1600, 360 + 26 * math.sqrt(max(len(nodes), 1)) * 10)))
    net_nodes = _placed_nodes(view, nodes, edges, width, height)
    display = view.display
    legend = [
        (display.title(k, plural=True), display.colour(k))
        for k in display.network_kinds
        if any(nn.kind == k for nn in net_nodes.values())
    ]
    ordered = sorted(net_nodes.values(), key=lambda nn: (nn.y, nn.x, nn.ref.iri))
    return Network(ordered, _net_edges(edges, net_nodes), width, height, legend, total)


def _placed_nodes(
    view: GraphView,
    nodes: list[Node],
    edges: list[tuple[Node, Node, str]],
    width: int,
    height: int,
) -> dict[Node, NetNode]:
    """Each node where the layout puts it, scaled into the picture (room on the
    right for labels), sized by its number of links."""
    degree = Counter(n for e in edges for n in {e[0], e[1]})
    pos = layout(nodes, [(a, b) for a, b, _ in edges])
    pad_l, pad_r, pad_y = 40.0, 190.0, 40.0
    sx = _scale([p[0] for p in pos.values()], pad_l, width - pad_l - pad_r)
    sy = _scale([p[1] for p in pos.values()], pad_y, height - 2 * pad_y)
    return {
        node: NetNode(
            ref=view.ref(node),
            kind=view.kind(node),
            x=sx(pos[node][0]),
            y=sy(pos[node][1]),
            r=rounded(5 + min(9.0, 1.6 * math.sqrt(degree[node]))),
            label=_short_label(view, node),
        )
        for node in nodes
    }


def _scale(values: list[float], start: float, length: float) -> Callable[[float], float]:
    """Map the range of ``values`` onto [start, start + length]."""
    lo, hi = (min(values), max(values)) if values else (0.0, 0.0)
    span = (hi - lo) or 1.0
    return lambda v: rounded(start + (v - lo) / span * length)


def _net_edges(edges: list[tuple[Node, Node, str]], nodes: dict[Node, NetNode]) -> list[NetEdge]:
    """One edge per linked pair, naming every relation between them."""
    rels: dict[tuple[Node, Node], tuple[Node, Node, set[str]]] = {}
    for a, b, rel in edges:  # each pair at its first edge, with every relation between them
        pair = (a, b) if str(a) < str(b) else (b, a)
        rels.setdefault(pair, (a, b, set()))[2].add(rel)
    return [NetEdge(nodes[a], nodes[b], ", ".join(sorted(r))) for a, b, r in rels.values()]


def kind_styles(display: Display) -> list[tuple[str, str]]:
    """The style sheet's rules colouring each kind's dots, as (selectors,
    colour): the network's kinds first (as its legend lists them), then the
    others as listed, then `other`; kinds of one colour share a rule."""
    network = display.network_kinds
    names = [*network, *(k.name for k in display.kinds if k.name not in network)]
    by_colour: dict[str, list[str]] = {}
    for name in [*names, display.other.name]:
        by_colour.setdefault(display.colour(name), []).append(name)
    return [
        (", ".join(f"svg .kind-{name} circle" for name in group), colour)
        for colour, group in by_colour.items()
    ]


@dataclass
class Ego:
    centre: NetNode
    nodes: list[NetNode]
    edges: list[NetEdge]
    width: int
    height: int
    more: int


def build_ego(d: Description, limit: int = 24, width: int = 1180) -> Ego | None:
    """The record and the records linked to it, around an ellipse."""
    if not d.neighbours:
        return None
    items = _ego_neighbours(d)
    more = max(0, len(items) - limit)
    items = items[:limit]
    # Neighbours on the two sides of an ellipse, evenly spaced in height, so that
    # each label has its own line: the right side first (top to bottom), then the left.
    right = (len(items) + 1) // 2
    step = 34.0
    half = max(right - 1, 1) * step / 2
    height = int(2 * half + 120)
    cx, cy = width / 2, height / 2
    centre = NetNode(
        Ref(d.label, d.iri, d.id, d.kind),
        d.kind,
        rounded(cx),
        rounded(cy),
        11.0,
        shorten(d.label, 40),
        "middle",
    )
    nodes = _ego_ring(items, right, step, (cx, cy), (300.0, half + 40.0))
    pairs = zip(nodes, items, strict=True)
    edges = [NetEdge(centre, nn, ", ".join(rels)) for nn, (_ref, rels) in pairs]
    return Ego(centre, nodes, edges, width, height, more)


def _ego_neighbours(d: Description) -> list[tuple[Ref, list[str]]]:
    """Each neighbour once, with its relations to the record."""
    by_node: dict[str, tuple[Ref, list[str]]] = {}
    for nb in d.neighbours:
        _ref, rels = by_node.setdefault(nb.ref.iri, (nb.ref, []))
        if nb.relation not in rels:
            rels.append(nb.relation)
    return list(by_node.values())


def _ego_ring(
    items: list[tuple[Ref, list[str]]],
    right: int,
    step: float,
    centre: tuple[float, float],
    radii: tuple[float, float],
) -> list[NetNode]:
    """The first ``right`` items down the right side of the ellipse, the rest down the left."""
    (cx, cy), (rx, ry) = centre, radii
    n = len(items)
    nodes = []
    for i, (ref, _rels) in enumerate(items):
        side, k = (1, i) if i < right else (-1, i - right)
        count = right if side == 1 else n - right
        dy = (k - (count - 1) / 2) * step
        dx = side * rx * math.sqrt(max(0.0, 1 - (dy / ry) ** 2))
        anchor = "start" if side == 1 else "end"
        label = shorten(ref.label, 34)
        x, y = rounded(cx + dx), rounded(cy + dy)
        nodes.append(NetNode(ref, ref.kind or OTHER, x, y, 7.0, label, anchor))
    return nodes
