"""Inverse properties: the reasoned graph holds each stated link read from the
other side too (kg:placeOf for kg:place, ...), and pages show such a link once,
in the words and with the sources of the triple the records state, whether or
not the graph they read holds the inferred inverse (issue 18, item 8)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import OWL

from kg.builder.ontology import load_ontology
from kg.pipeline.open import load
from kg.reason.engines import infer
from kg.records.schema import load_schema
from kg.store.native import memory_graph
from kg.store.view import store_graph
from kg.terms.namespaces import ID, KG
from kg.views.describe import describe, describe_indexed, describe_thing
from kg.views.graphview import GraphView
from kg.views.model import Description, Fact
from kg.views.report.site import build_site
from kg.views.text import render_text

MINI = Path(__file__).parent / "fixtures" / "mini"

NEW_INVERSES = {
    KG.followsUp: KG.followedUpBy,
    KG.party: KG.partyTo,
    KG.priority: KG.priorityIn,
    KG.place: KG.placeOf,
    KG.signedAt: KG.placeOfSigning,
    KG.listedBy: KG.madeListing,
    KG.interestedParty: KG.hasInterest,
}


def reasoned(graph: Graph, engine: str) -> Graph:
    out = Graph()
    for t in graph:
        out.add(t)
    for t in infer(graph, engine=engine):
        out.add(t)
    return out


@pytest.fixture(scope="module")
def mini_graph() -> Graph:
    return load(MINI).graph


@pytest.fixture(scope="module")
def bundled_reasoned(bundled) -> Graph:
    return reasoned(bundled.graph, "native")


def test_inverses_are_declared_on_the_property_records_state():
    """Pages read a pair's derived property as the stated one (GraphView.read_as):
    the subject of each owl:inverseOf is written by a record field, its object never."""
    onto = load_ontology()
    stated = {f.property for t in load_schema().types.values() for f in t.fields.values()}
    pairs = set(onto.subject_objects(OWL.inverseOf))
    assert {(p, NEW_INVERSES[p]) for p in NEW_INVERSES} <= pairs
    for p, q in pairs:
        assert str(p) in stated and str(q) not in stated, (p, q)


@pytest.mark.parametrize("engine", ["native", "reference"])
def test_the_reasoned_graph_reads_every_new_link_backwards(bundled, engine):
    inferred = infer(bundled.graph, engine=engine)
    for p, q in NEW_INVERSES.items():
        stated = list(bundled.graph.subject_objects(p))
        assert stated, p  # the bundled records use every one of them
        assert all((o, q, s) in inferred for s, o in stated), q
        assert set(inferred.subject_objects(q)) == {(o, s) for s, o in stated}, q


def _mentions(d: Description, node: URIRef) -> list[Fact]:
    """The facts of a page that link ``node``."""
    facts = [*d.facts, *d.details, *(f for sec in d.related for f in sec.facts)]
    iri = str(node)
    return [f for f in facts if any(s.ref and s.ref.iri == iri for s in f.segments)]


@pytest.mark.parametrize("engine", ["native", "reference"])
def test_place_lists_its_events_once_on_the_reasoned_graph(mini_graph, engine):
    """The place's page on the reasoned graph is its page on the records' graph:
    neither kg:placeOf nor sem:hasPlace says the same fact again."""
    plain = describe(GraphView(mini_graph), ID["capital"])
    closed = describe(GraphView(reasoned(mini_graph, engine)), ID["capital"])
    assert [s.title for s in closed.related] == ["Events here", "Signed here"]
    for attr in ("facts", "details", "related", "citations", "neighbours"):
        assert getattr(closed, attr) == getattr(plain, attr), attr
    for event in ("visit-2020", "day-2020"):
        assert len(_mentions(closed, ID[event])) == 1


def _section(d: Description, title: str) -> list[str]:
    sec = d.section(title)
    assert sec is not None, title
    return [f.text for f in sec.facts]


def test_bundled_pages_read_the_reverse_direction_once(bundled, bundled_reasoned):
    """Brussels' events, NATO's documents and the documents following up the 2013
    declaration: each once, in the same words as on the records' graph."""
    cases = [
        ("brussels", "Events here", KG.place),
        ("nato", "Party to", KG.party),
        ("joint-political-declaration-2013", "Followed up by", KG.followsUp),
    ]
    plain_view, closed_view = GraphView(bundled.graph), GraphView(bundled_reasoned)
    for rid, title, prop in cases:
        node = ID[rid]
        plain, closed = describe(plain_view, node), describe(closed_view, node)
        linked = sorted(bundled.graph.subjects(prop, node))
        assert len(linked) >= 2, rid
        assert _section(closed, title) == _section(plain, title)
        assert len(_section(closed, title)) == len(linked)
        for other in linked:
            assert len(_mentions(closed, other)) == len(_mentions(plain, other)) == 1, other
        assert not [
            f for f in closed.facts if f.prop and f.prop.iri in map(str, NEW_INVERSES.values())
        ]


def test_describe_from_the_derived_side_alone(mini_graph):
    """A graph holding only kg:placeOf (no kg:place) still shows the events, in kg:place's words."""
    flipped = Graph()
    for s, p, o in mini_graph:
        flipped.add((o, KG.placeOf, s) if p == KG.place else (s, p, o))
    want = render_text(describe(GraphView(mini_graph), ID["capital"]))
    got = render_text(describe(GraphView(flipped), ID["capital"]))
    events = want.split("Events here\n")[1].split("\n\n")[0]
    assert events.count("took place in Capital City") == 2
    assert events in got


def test_store_and_rdflib_describe_the_reasoned_graph_alike(bundled_reasoned):
    graph = store_graph(memory_graph(bundled_reasoned))
    for thing in ("brussels", "nato", "japan", "joint-political-declaration-2013", "shinzo-abe"):
        assert describe_indexed(graph, thing) == describe_thing(bundled_reasoned, thing), thing


def test_report_entity_page_of_a_place_lists_its_events_once(mini_graph):
    """The entity page built from the reasoned graph lists what the records' graph's does."""
    plain = build_site(mini_graph, validation=None)["entity/capital.html"].decode()
    closed = build_site(reasoned(mini_graph, "native"), validation=None)
    html = closed["entity/capital.html"].decode()

    def facts(page: str) -> list[str]:
        return re.findall(r'<ul class="facts">.*?</ul>', page, re.S)

    assert facts(html) == facts(plain)
    assert '<h2>Events here <span class="count">2</span></h2>' in html
    assert html.count('<a href="../entity/visit-2020.html">') == plain.count(
        '<a href="../entity/visit-2020.html">'
    )
