"""Live queries of the report site, without a browser: the templates the browser
fills give, for every canned query, the text the CLI runs (kg.sparql.door.prepare)."""

from __future__ import annotations

import json
import re

import pytest

from kg.sparql.bind import terms_of
from kg.sparql.canned import bind_params, catalog, get_query
from kg.sparql.door import prepare
from kg.sparql.rewrite import with_prefixes
from kg.views.report.live import fill, graph_pieces, query_spec, rules_script
from kg.views.report.vendored import oxigraph_script

# Values of every type, the optional parameters given and not, a literal with
# characters N-Triples escapes.
SAMPLES = {
    "date": ["2013-06-25", "2013-06", "2014", "1900"],
    "lang": ["en", "ja", "FR"],
    "iri": ["shinzo-abe", "nato", "id:theme-cyber-defence", "kg:Approximate", "urn:x:y"],
    "string": ['a "quoted" \\ text\nline'],
    "integer": ["3", "-12"],
}


def _cases(name):
    q = get_query(name)
    yield {}
    for p in q.params:
        for value in SAMPLES[p.type]:
            yield {p.name: value}
    yield {p.name: SAMPLES[p.type][-1] for p in q.params}


@pytest.mark.parametrize("name", sorted(catalog()))
def test_filled_templates_are_the_texts_the_cli_runs(name):
    q = get_query(name)
    spec = query_spec(q)
    for given in _cases(name):
        bindings = bind_params(q, given)
        expected = with_prefixes(prepare(q.text, bindings).text)
        assert fill(spec, terms_of(bindings)) == expected, given


def test_a_query_naming_its_placeholder_is_refused():
    from kg.errors import UsageError
    from kg.sparql.canned import CannedQuery, Param

    q = get_query("roles-at-date")
    bad = CannedQuery(
        q.name, q.title, q.description, q.text + '\n# "kg-live-parameter:date"', q.path, q.params
    )
    assert isinstance(bad.params[0], Param)
    with pytest.raises(UsageError, match="placeholder"):
        query_spec(bad)


def test_graph_pieces_hold_every_triple_in_pieces():
    from rdflib import Graph

    from kg.builder.graph import build_graph

    graph = build_graph()
    pieces = graph_pieces(graph, size=100_000)
    assert len(pieces) > 3
    back = Graph()
    for piece in pieces:
        m = re.fullmatch(
            rb"\(globalThis\.kgGraph = globalThis\.kgGraph \|\| \[\]\)\.push\((.*)\);\n",
            piece,
            re.S,
        )
        assert m, piece[:80]
        back.parse(data=json.loads(m.group(1)), format="turtle")
    assert len(back) == len(graph)
    assert graph_pieces(graph, size=100_000) == pieces  # deterministic


def test_graph_pieces_are_the_same_whatever_the_blank_nodes_are_called():
    """The ontology's OWL lists are blank nodes, named anew by every parse (every
    process): the site's graph must not carry those names."""
    from rdflib import Graph

    text = (
        "@prefix owl: <http://www.w3.org/2002/07/owl#> . @prefix ex: <https://example.org/> .\n"
        "[] a owl:AllDisjointClasses ; owl:members (ex:A ex:B ex:C) . ex:A a owl:Class .\n"
    )
    first, second = (
        Graph().parse(data=text, format="turtle"),
        Graph().parse(data=text, format="turtle"),
    )
    assert set(first) != set(second)  # the same graph, its blank nodes named apart
    assert graph_pieces(first) == graph_pieces(second)


def test_rules_are_exported_from_the_modules_that_own_them():
    rules = json.loads(rules_script().decode().removeprefix("globalThis.kgRules = ").rstrip(";\n"))
    assert rules["guard"]["words"][0] == "SERVICE"
    assert rules["patterns"]["record_id"] == "^(?:[a-z0-9][a-z0-9-]*)$"
    assert rules["record_base"] == "https://w3id.org/kg-nj/id/"
    assert rules["formula_start"][0] == "="


def test_oxigraph_script_is_a_classic_script():
    script = oxigraph_script().decode()
    assert "import.meta" not in script
    assert not re.search(r"^export ", script, re.M)
    assert "globalThis.kgOxigraph = (function () {" in script


def test_chart_data_nodes_carry_what_the_filters_ask():
    from kg.builder.graph import build_graph
    from kg.views.graphview import GraphView
    from kg.views.report.linkchart import chart_data
    from kg.views.report.network import build_network

    view = GraphView(build_graph())
    data = chart_data(view, build_network(view))
    nodes = {n["id"]: n for n in data["nodes"]}
    assert len(nodes) == len(data["nodes"]) == 112 and len(data["edges"]) == 222
    assert nodes["shinzo-abe"]["kind"] == "person" and nodes["shinzo-abe"]["start"] is None
    assert nodes["japan"]["degree"] == 26  # the most linked
    visit = nodes["esc-visit-tokyo-2013"]
    assert visit["start"] == "2013-06-25" and visit["end"] >= visit["start"]
    # A theme's node also carries the broader themes, so a filter on a broad theme finds it.
    themed = [n for n in data["nodes"] if n["themes"]]
    assert themed and all(
        t in {x["id"] for x in data["themes"]} for n in themed for t in n["themes"]
    )
    assert [k["name"] for k in data["kinds"]] == [
        "person",
        "organisation",
        "group",
        "event",
        "document",
    ]


def test_vendored_files_are_the_pinned_packages():
    """VENDOR.md, the fetch script's pins and the committed files agree; each
    package has its licence."""
    import runpy
    from pathlib import Path

    from kg.views.report.vendored import VENDOR

    script = Path(__file__).parents[1] / "scripts" / "vendor_js.py"
    pins = runpy.run_path(str(script))["PACKAGES"]
    table = (VENDOR / "VENDOR.md").read_text(encoding="utf-8")
    for name, (version, integrity, files) in pins.items():
        assert f"| {name} | {version} | {integrity} |" in table
        assert [p.name for p in (VENDOR / name).glob("LICENSE*") if p.stat().st_size > 0], name
        for target in files.values():
            assert (VENDOR / name / target).stat().st_size > 0
    ox = json.loads((VENDOR / "oxigraph" / "package.json").read_text(encoding="utf-8"))
    assert ox["version"] == pins["oxigraph"][0]
