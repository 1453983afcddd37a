"""The entity network as a file for Gephi, Cytoscape or networkx: GraphML or
GEXF (``kg export --format graphml|gexf``, or ``-o net.graphml``).

The nodes are every record of the network's kinds (``ontology/record-display.yaml``:
the kinds marked ``network`` or ``export``: people, groups, organisations,
events, documents, themes), linked or not; the edges are the report's network
(:func:`kg.views.report.network.network_edges`): a record's links to another,
a role's holder to its organisation, a speaker to the event spoken at. Each
node has its IRI as id and ``label``, ``kind``, ``record_id`` and each date
it has (``startDate``, ``endDate``, ``signedOn``, …, by the property's local
name, as written: "2013", "2013-06" or "2013-06-25"); each edge its
``relation`` (the relations between one pair, in order, joined by "; ").

networkx writes the files; nodes and edges go in sorted, and GEXF's
modification date (networkx writes today's) is left out, so the same graph
gives the same bytes.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from rdflib import Literal
from rdflib.namespace import XSD

from kg.errors import BadInput, UsageError
from kg.pipeline.open import open_graph
from kg.rdfio.atomic import atomic_write
from kg.rdfio.formats import NETWORK_FORMATS
from kg.views.graphview import GraphView, record_id
from kg.views.report.network import network_edges

_DATES = {XSD.date, XSD.dateTime, XSD.gYear, XSD.gYearMonth}


def entity_network(view: GraphView) -> Any:
    """The network of the records of the export kinds, as a networkx DiGraph."""
    import networkx as nx

    kinds = view.display.export_kinds
    nodes = [n for n in view.records if view.kind(n) in kinds]
    net = nx.DiGraph()
    for node in nodes:  # view.records is sorted
        net.add_node(str(node), **_node_data(view, node))
    relations: dict[tuple[str, str], list[str]] = {}
    for s, o, relation in network_edges(view, kinds):
        rels = relations.setdefault((str(s), str(o)), [])
        if relation not in rels:
            rels.append(relation)
    for (source, target), rels in sorted(relations.items()):
        net.add_edge(source, target, relation="; ".join(sorted(rels)))
    return net


def _node_data(view: GraphView, node: Any) -> dict[str, str]:
    data = {"label": view.label(node), "kind": view.kind(node), "record_id": record_id(node) or ""}
    dates: dict[str, list[str]] = {}
    for p, o in view.g.predicate_objects(node):
        if isinstance(o, Literal) and o.datatype in _DATES:
            dates.setdefault(str(p).rsplit("#", 1)[-1].rsplit("/", 1)[-1], []).append(str(o))
    for name in sorted(dates):
        data[name] = "; ".join(sorted(dates[name]))
    return data


def network_bytes(net: Any, fmt: str) -> bytes:
    """``net`` in the network format ``fmt`` (``graphml`` or ``gexf``)."""
    import networkx as nx
    from networkx.readwrite.gexf import GEXFWriter

    if fmt not in NETWORK_FORMATS:
        raise UsageError(f"unknown network format {fmt!r}; use {', '.join(NETWORK_FORMATS)}")
    buf = io.BytesIO()
    if fmt == "graphml":
        nx.write_graphml(net, buf, encoding="utf-8", prettyprint=True)
        return buf.getvalue()
    writer = GEXFWriter(encoding="utf-8", prettyprint=True, version="1.2draft")
    meta = writer.xml.find("meta")
    if meta is not None:
        meta.attrib.pop("lastmodifieddate", None)  # today's date: the bytes would change daily
    writer.add_graph(net)
    writer.write(buf)
    return buf.getvalue()


def export_network(
    out: Path | None,
    fmt: str,
    graph_file: Path | None = None,
    records: Path | None = None,
    *,
    reason: bool = False,
    engine: str = "native",
) -> bytes | None:
    """Write the entity network of the graph (records, bundled by default, or an
    RDF file) to ``out`` atomically, read back by networkx first; or return
    the bytes (``out`` None)."""
    graph = open_graph(graph_file, records, reason=reason, with_ontology=False, engine=engine)
    data = network_bytes(entity_network(GraphView(graph)), fmt)
    if out is None:
        _read_back(data, fmt, "standard output")
        return data

    def check(tmp: Path) -> None:  # the file as written, before the rename
        _read_back(tmp.read_bytes(), fmt, str(out))

    atomic_write(out, lambda fh: fh.write(data), check)
    return None


def _read_back(data: bytes, fmt: str, name: str) -> None:
    """networkx's reader takes the bytes back, or nothing is written."""
    import networkx as nx

    try:
        if fmt == "graphml":
            nx.parse_graphml(data.decode("utf-8"))
        else:
            nx.read_gexf(io.BytesIO(data))
    except Exception as exc:  # whatever the reader raises: the bytes do not read
        raise BadInput(
            f"cannot write {name}: the {fmt} kg wrote does not read back ({exc})"
        ) from None
