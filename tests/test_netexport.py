"""kg export --format graphml|gexf: the entity network for Gephi, Cytoscape and networkx."""

from __future__ import annotations

import hashlib

import networkx as nx

import kg
from kg.rdfio.formats import EXPORT_FORMATS, NETWORK_FORMATS, format_from_path

ACTORS_AND_EVENTS = """
SELECT DISTINCT ?x WHERE {
  { ?x a/rdfs:subClassOf* kg:Agent } UNION { ?x a/rdfs:subClassOf* kg:Event }
  FILTER(STRSTARTS(STR(?x), STR(id:)))
}"""


def test_must_show_graphml_reads_back_with_every_actor_and_event(invoke, tmp_path):
    out = tmp_path / "net.graphml"
    r = invoke("export", "-o", str(out))
    assert r.exit_code == 0, r.output
    assert r.output == f"Wrote {out} (graphml)\n"
    net = nx.read_graphml(out)
    wanted = {str(row[0]) for row in kg.run_query(kg.open_graph(), ACTORS_AND_EVENTS).rows}
    assert len(wanted) > 60
    assert wanted <= set(net.nodes)
    abe = net.nodes["https://w3id.org/kg-nj/id/shinzo-abe"]
    assert abe == {"label": "Shinzo Abe", "kind": "person", "record_id": "shinzo-abe"}
    summit = net.nodes["https://w3id.org/kg-nj/id/nato-lisbon-summit-2010"]
    assert (summit["kind"], summit["startDate"]) == ("event", "2010")
    kinds = {d["kind"] for _n, d in net.nodes(data=True)}
    assert kinds == {"person", "group", "organisation", "event", "document", "theme"}
    edge = net.edges["https://w3id.org/kg-nj/id/shinzo-abe", "https://w3id.org/kg-nj/id/japan"]
    assert edge == {"relation": "held a post in"}
    assert all(d["relation"] for _a, _b, d in net.edges(data=True))


def test_gexf_holds_the_same_network(invoke, tmp_path):
    r = invoke("export", "-o", str(tmp_path / "a.graphml"))
    assert r.exit_code == 0, r.output
    r = invoke("export", "--format", "gexf", "-o", str(tmp_path / "net.xml"))
    assert r.exit_code == 0, r.output
    graphml = nx.read_graphml(tmp_path / "a.graphml")
    gexf = nx.read_gexf(tmp_path / "net.xml")
    assert set(gexf.nodes) == set(graphml.nodes)
    assert set(gexf.edges) == set(graphml.edges)
    assert gexf.nodes["https://w3id.org/kg-nj/id/shinzo-abe"]["label"] == "Shinzo Abe"
    assert b"lastmodifieddate" not in (tmp_path / "net.xml").read_bytes()


def test_network_files_are_byte_identical_twice_and_atomic(invoke, tmp_path):
    for fmt in NETWORK_FORMATS:
        digests = set()
        for n in (1, 2):
            out = tmp_path / f"{n}.{fmt}"
            assert invoke("export", "-o", str(out)).exit_code == 0
            digests.add(hashlib.sha256(out.read_bytes()).hexdigest())
        assert len(digests) == 1, fmt
    # Standard output gives the same bytes as the file.
    r = invoke("export", "--format", "gexf")
    assert r.stdout_bytes == (tmp_path / "1.gexf").read_bytes()
    # A refused option leaves an existing file as it was.
    keep = tmp_path / "1.graphml"
    before = keep.read_bytes()
    r = invoke("export", "-o", str(keep), "--with-ontology")
    assert r.exit_code == 2
    assert "Error: --with-ontology goes with the RDF formats, not the network's" in r.output
    assert keep.read_bytes() == before


def test_the_registry_names_the_network_formats():
    assert list(NETWORK_FORMATS) == ["graphml", "gexf"]
    assert list(EXPORT_FORMATS)[-2:] == ["graphml", "gexf"]
    assert format_from_path("x.gexf", kind=("rdf", "network")) == "gexf"
    assert format_from_path("x.ttl", kind=("rdf", "network")) == "turtle"


def test_unknown_extension_names_every_export_format(invoke, tmp_path):
    r = invoke("export", "-o", str(tmp_path / "x.dot"))
    assert r.exit_code == 2
    assert (
        f"Error: cannot tell the RDF or network format of '{tmp_path / 'x.dot'}' from its "
        "extension; use --format (turtle, nt, nquads, trig, jsonld, xml, graphml, gexf)"
    ) in r.output
