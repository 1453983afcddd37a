"""The report's link chart: the network page's nodes and links as data for the
browser (``network/data.js``), drawn there with Cytoscape.js (vendored).

The positions are the static picture's (ForceAtlas2, fixed seed: see
:mod:`kg.views.report.network`), so the chart opens as the printed SVG shows
it; a filtered or focused chart is laid out again in the browser from them.
Each node carries what the filters ask about: its kind, its themes (with the
broader themes above them, so a theme finds its narrower ones), and its
dates (events and documents; actors have none and stay when a kept node
links them).

>>> from rdflib import Graph
>>> data = chart_data(GraphView(Graph()), Network([], [], 1180, 520, []))
>>> data["nodes"], data["edges"]
([], [])
"""

from __future__ import annotations

from typing import Any

from rdflib import URIRef
from rdflib.namespace import SKOS
from rdflib.term import Node

from kg.terms.iris import record_iri
from kg.terms.namespaces import KG
from kg.views.graphview import GraphView
from kg.views.report.live import js_data
from kg.views.report.network import Network
from kg.views.report.vendored import asset, vendored

DATES = (KG.startDate, KG.date, KG.signedOn)


def _themes(view: GraphView, node: Node) -> list[str]:
    """The node's themes and every theme broader than one of them, as ids."""
    out: set[str] = set()
    todo = list(view.g.objects(node, KG.theme))
    while todo:
        theme = todo.pop()
        rid = view.ref(theme).id
        if rid is None or rid in out:
            continue
        out.add(rid)
        todo += [b for b in view.g.objects(theme, SKOS.broader) if b != theme]
    return sorted(out)


def _period(view: GraphView, node: Node) -> tuple[str | None, str | None]:
    start = next((v for p in DATES for v in sorted(map(str, view.g.objects(node, p)))), None)
    end = next(iter(sorted(map(str, view.g.objects(node, KG.endDate)))), start)
    return start, end


def chart_data(view: GraphView, net: Network) -> dict[str, Any]:
    """Nodes (id, label, kind, position, degree, themes, dates) and links."""
    degree: dict[str, int] = {}
    for e in net.edges:
        for nn in (e.a, e.b):
            degree[nn.ref.iri] = degree.get(nn.ref.iri, 0) + 1
    nodes = []
    themes: set[str] = set()
    for nn in sorted(net.nodes, key=lambda n: n.ref.iri):
        node = URIRef(nn.ref.iri)
        start, end = _period(view, node)
        ids = _themes(view, node)
        themes.update(ids)
        nodes.append(
            {
                "id": nn.ref.id or nn.ref.iri,
                "label": nn.ref.label,
                "short": nn.label,
                "kind": nn.kind,
                "x": nn.x,
                "y": nn.y,
                "degree": degree.get(nn.ref.iri, 0),
                "themes": ids,
                "start": start,
                "end": end,
            }
        )
    edges = [
        {
            "source": e.a.ref.id or e.a.ref.iri,
            "target": e.b.ref.id or e.b.ref.iri,
            "relation": e.relation,
        }
        for e in net.edges
    ]
    return {
        "nodes": nodes,
        "edges": edges,
        "kinds": [
            {
                "name": k,
                "title": view.display.title(k, plural=True),
                "colour": view.display.colour(k),
            }
            for k in view.display.network_kinds
            if any(n["kind"] == k for n in nodes)
        ],
        "themes": sorted(
            ({"id": t, "label": view.label(record_iri(t))} for t in themes),
            key=lambda t: (t["label"].casefold(), t["id"]),
        ),
    }


def chart_files(data: dict[str, Any]) -> dict[str, bytes]:
    """``network/data.js`` (of :func:`chart_data`), Cytoscape.js with its licence,
    and the page's script."""
    text = js_data(data, indent=0)
    return {
        "network/data.js": f"globalThis.kgNetwork = {text};\n".encode(),
        "network/cytoscape.min.js": vendored("cytoscape", "cytoscape.min.js"),
        "network/cytoscape-LICENSE.txt": vendored("cytoscape", "LICENSE"),
        "network/chart.js": asset("chart.js"),
    }
