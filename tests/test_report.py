"""kg report: the static site (pages, content, escaping, determinism, atomic writes)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import pytest
from rdflib import OWL, RDF, URIRef

import kg.views
from kg.builder.graph import records_to_graph
from kg.builder.ontology import load_ontology
from kg.errors import WriteFailed
from kg.records.display import load_display
from kg.records.load import load_records
from kg.resources import record_display_file
from kg.sparql.canned import catalog
from kg.terms.namespaces import KG
from kg.validate.engines import validate_graph
from kg.views.report.site import MARKER, build_site, write_site

MINI = Path(__file__).parent / "fixtures" / "mini"

TOP_PAGES = [
    "entities.html",
    "index.html",
    "network.html",
    "ontology.html",
    "queries.html",
    "search.html",
    "timeline.html",
    "validation.html",
]
MINI_IDS = sorted(
    [
        "alice", "capital", "day-2020", "declaration-2019", "interest-cyber", "org-alliance",
        "org-division", "post-chair", "quote-alice", "role-alice-chair", "ruritania",
        "src-test", "theme-cyber", "theme-security", "visit-2020",
    ]
)  # fmt: skip


SCRIPTS = [
    # search and filters
    "filters.js",
    "search.js",
    "search/meta.js",
    "vendor/minisearch/LICENSE.txt",
    "vendor/minisearch/index.js",
    # the link chart and live queries, and the graph for the latter
    "data/graph-000.js",  # the triples holding blank nodes (the ontology's): a piece of their own
    "data/graph-001.js",
    "live/oxigraph-LICENSE.txt",
    "live/oxigraph.js",
    "live/pages.js",
    "live/query.js",
    "live/rules.js",
    "network/chart.js",
    "network/cytoscape-LICENSE.txt",
    "network/cytoscape.min.js",
    "network/data.js",
]

# Libraries' own code: no record's text goes there.
LIBRARIES = ("vendor/", "live/oxigraph.js", "network/cytoscape.min.js")


def expected_files(ids: list[str], shards: Sequence[str] = ()) -> list[str]:
    """Every file of a site; ``shards``: the search index's, as its meta.js lists them."""
    return sorted(
        [MARKER, "style.css", *TOP_PAGES, *SCRIPTS, *shards]
        + [f"entity/{i}.html" for i in ids]
        + [f"query/{q}.html" for q in catalog()]
    )


def shards_listed(meta_js: bytes) -> list[str]:
    """The index's files that search/meta.js implies: its shards and record files."""
    meta = json.loads(meta_js.decode("utf-8").split(" = ", 1)[1].rstrip(";\n"))
    docs = range(-(-meta["documentCount"] // meta["docsPerFile"]))
    return [f"search/{length}-{key}.js" for length, key in meta["shards"]] + [
        f"search/docs-{k}.js" for k in docs
    ]


@pytest.fixture(scope="module")
def mini_site() -> dict[str, bytes]:
    built = records_to_graph(load_records(MINI))
    return build_site(built.graph, validation=validate_graph(built.graph, built.index))


def page(site: dict[str, bytes], name: str) -> str:
    return site[name].decode("utf-8")


def test_cli_writes_every_page(invoke, tmp_path):
    out = tmp_path / "site"
    result = invoke("report", "--records", str(MINI), "-o", str(out))
    assert result.exit_code == 0, result.output
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    shards = shards_listed((out / "search" / "meta.js").read_bytes())
    assert len(shards) > 10
    assert files == expected_files(MINI_IDS, shards)
    lines = result.output.splitlines()
    n_pages = len(TOP_PAGES) + len(MINI_IDS) + len(catalog())
    assert lines[0].startswith(
        f"Wrote {n_pages} pages ({len(MINI_IDS)} entity pages, {len(catalog())} query pages), "
    )
    assert lines[0].endswith(" s.")
    assert lines[1] == f"Open {out / 'index.html'}"


def test_same_graph_same_bytes(mini_site):
    built = records_to_graph(load_records(MINI))
    again = build_site(built.graph, validation=validate_graph(built.graph, built.index))
    assert again == mini_site


def test_entity_page_states_facts_in_plain_language_with_sources(mini_site):
    html = page(mini_site, "entity/alice.html")
    assert "<h1>Alice Example</h1>" in html
    assert (
        '<span class="sentence">Alice Example signed '
        '<a href="../entity/declaration-2019.html">Test Declaration</a>'
        '<span class="value"> on 2019-05-05</span></span>'
    ) in html
    # labels in every language the graph has
    assert '<td lang="fr">Alice Exemple</td>' in html
    # each fact points at a numbered citation that quotes the source
    assert '<a class="cite" href="#cite-4">[4]</a>' in html
    assert re.search(
        r'<li id="cite-4">\s*<div class="cite-head">'
        r'<a href="../entity/src-test.html">Test release</a>'
        r'.*?<blockquote lang="en">the declaration signed on 5 May</blockquote>',
        html,
        re.S,
    )
    # the source address is shown as text, never as a link
    assert 'Address (not linked): <span class="url">https://example.org/release</span>' in html
    assert 'href="http' not in html


def test_qualifiers_are_visible(mini_site):
    html = page(mini_site, "entity/day-2020.html")
    assert re.search(
        r'was attended by <span class="value">40</span> people</span>\s*'
        r'<span class="qualifier q-approximate">approximate</span>',
        html,
    )
    assert '<p class="note" lang="en"><span class="note-label">Note</span> The release says' in html


def test_person_page_sections(mini_site):
    html = page(mini_site, "entity/alice.html")
    titles = re.findall(r"<h2>([^<]+?)(?: <span class=\"count\">\d+</span>)?</h2>", html)
    assert titles == [
        "Roles held",
        "Statements made",
        "Signed",
        "Took part in",
        "Neighbourhood",
        "Sources",
    ]


def test_timeline_lists_events_in_order_with_links(mini_site):
    html = page(mini_site, "timeline.html")
    rows = re.findall(r'<tr id="([a-z0-9-]+)" data-theme=', html)
    assert rows == ["visit-2020", "day-2020"]  # the part under its event
    depths = re.findall(r'<td class="event depth-(\d)"><span class="swatch" style="[^"]+"></span>'
                        r'<a href="entity/([a-z0-9-]+)\.html">', html)  # fmt: skip
    assert depths == [("0", "visit-2020"), ("1", "day-2020")]
    assert '<td class="date">2020-01-01 – 2020-01-03</td>' in html
    marks = re.findall(r'<circle class="mark" [^>]+ data-event="([a-z0-9-]+)">', html)
    assert sorted(marks) == ["day-2020", "visit-2020"]  # the year strip: a dot each
    assert '<svg class="timeline"' in html and '<g class="rows">' not in html


def test_network_and_neighbourhood_are_svg_with_links(mini_site):
    net = page(mini_site, "network.html")
    linked = set(re.findall(r'<a href="entity/([a-z0-9-]+)\.html"><g class="node', net))
    assert {"alice", "org-alliance", "visit-2020", "day-2020", "declaration-2019"} <= linked
    ego = page(mini_site, "entity/alice.html")
    assert '<svg class="ego"' in ego
    assert '<a href="../entity/visit-2020.html"><g class="node kind-event">' in ego


def test_every_query_page_shows_text_parameters_and_results(mini_site):
    for name, q in catalog().items():
        html = page(mini_site, f"query/{name}.html")
        assert f"<code>kg query {name}</code>" in html
        for p in q.params:
            assert f"<tr><td><code>{p.name}</code></td>" in html
        assert "<h2>SPARQL</h2>" in html
        assert "<h2>Results with the default parameters</h2>" in html
    timeline = page(mini_site, "query/timeline.html")
    assert '<p class="muted">2 rows</p>' in timeline


def test_ontology_page_documents_every_term(mini_site):
    html = page(mini_site, "ontology.html")
    onto = load_ontology()
    for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty):
        for term in onto.subjects(RDF.type, kind):
            if isinstance(term, URIRef) and str(term).startswith(str(KG)):
                local = str(term)[len(str(KG)) :]
                assert f'<section class="term" id="{local}">' in html, local
    assert '<svg class="model"' in html
    # alignments to reused vocabularies are shown
    assert "<code>foaf:Person</code>" in html


def test_validation_page_counts(mini_site):
    html = page(mini_site, "validation.html")
    built = records_to_graph(load_records(MINI))
    counts = validate_graph(built.graph, built.index).counts
    for sev, word in (("violation", "violations"), ("warning", "warnings"), ("info", "notes")):
        assert (
            f'<div class="sev sev-{sev}"><span class="n">{counts[sev]}</span> {word}</div>' in html
        )


def test_everything_is_escaped(tmp_path, mini):
    (mini / "evil.yaml").write_text(
        "- id: evil\n"
        "  type: person\n"
        '  label: {en: "<script>alert(1)</script> & <b>bold</b>"}\n'
        "  sources: [{source: src-test, quote: '<img src=x onerror=alert(1)>'}]\n",
        encoding="utf-8",
    )
    built = records_to_graph(load_records(mini))
    site = build_site(built.graph, validation=None)
    # The site's own scripts, by address, and JSON data (tojson writes < as \u003c).
    own_script = re.compile(
        r'<script src="(?:\.\./)*[\w/.-]+\.js"></script>'
        r'|<script type="application/json" id="[\w-]+">[^<]*</script>'
    )
    for name, data in site.items():
        if name.startswith(LIBRARIES):
            continue
        text = own_script.sub("", data.decode("utf-8"))
        assert "<script" not in text, name
        assert "<img" not in text, name
    index = b"".join(v for k, v in site.items() if k.startswith("search/")).decode("utf-8")
    assert "\\u003cscript>alert(1)\\u003c/script> & \\u003cb>bold\\u003c/b>" in index
    assert "\\u003cscript>alert(1)" in page(site, "live/pages.js")
    html = page(site, "entity/evil.html")
    assert "<h1>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;</h1>" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_write_site_replaces_an_old_site_whole(tmp_path, mini_site):
    out = tmp_path / "report"
    write_site({**mini_site, "stale.html": b"old"}, out)
    assert (out / "stale.html").exists()
    write_site(mini_site, out)
    assert not (out / "stale.html").exists()
    assert (out / "index.html").read_bytes() == mini_site["index.html"]
    assert [p.name for p in tmp_path.iterdir()] == ["report"]  # no temporary folders left


def test_write_site_refuses_a_folder_that_is_not_a_report(invoke, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    result = invoke("report", "--records", str(MINI), "-o", str(out))
    assert result.exit_code == 2
    assert "is not empty and is not a kg report" in result.output
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_failed_write_leaves_the_old_site(tmp_path, mini_site, monkeypatch):
    out = tmp_path / "report"
    write_site(mini_site, out)
    before = sorted(p.name for p in out.rglob("*"))

    calls = {"n": 0}
    original = Path.write_bytes

    def flaky(self: Path, data: bytes) -> int:
        calls["n"] += 1
        if calls["n"] > 5:
            raise OSError("disk full")
        return original(self, data)

    monkeypatch.setattr(Path, "write_bytes", flaky)
    with pytest.raises(WriteFailed, match=f"^cannot write {re.escape(str(out))}: disk full$"):
        write_site(mini_site, out)
    monkeypatch.undo()
    assert sorted(p.name for p in out.rglob("*")) == before
    assert [p.name for p in tmp_path.iterdir()] == ["report"]


def test_a_killed_runs_half_written_site_is_cleared(tmp_path, mini_site):
    half = tmp_path / ".report.new"
    half.mkdir()
    (half / "index.html").write_bytes(b"half")
    write_site(mini_site, tmp_path / "report")
    assert [p.name for p in tmp_path.iterdir()] == ["report"]
    assert (tmp_path / "report" / "index.html").read_bytes() == mini_site["index.html"]


def test_an_old_site_set_aside_by_a_killed_swap_is_put_back(tmp_path, mini_site, monkeypatch):
    """Killed between its two renames, a run leaves the old site aside and none
    in place; the next run puts it back before writing, so even if that run
    fails the old site is where it was."""
    out = tmp_path / "report"
    write_site(mini_site, out)
    out.rename(tmp_path / ".report.old")

    def full(self: Path, data: bytes) -> int:
        raise OSError("disk full")

    monkeypatch.setattr(Path, "write_bytes", full)
    with pytest.raises(WriteFailed, match="disk full"):
        write_site(mini_site, out)
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == ["report"]
    assert (out / "index.html").read_bytes() == mini_site["index.html"]


def test_a_folder_another_kg_process_writes_in_is_refused(tmp_path, mini_site):
    from kg.errors import FolderBusy
    from kg.rdfio.folders import folder_lock

    with folder_lock(tmp_path), pytest.raises(FolderBusy):
        write_site(mini_site, tmp_path / "report")
    assert list(tmp_path.iterdir()) == []


# --- the bundled records ---------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled_site(bundled) -> dict[str, bytes]:
    return build_site(bundled.graph, validation=validate_graph(bundled.graph, bundled.index))


def test_bundled_every_record_and_every_query_has_a_page(bundled, bundled_site):
    ids = sorted(bundled.records.records)
    shards = shards_listed(bundled_site["search/meta.js"])
    assert sorted(bundled_site) == expected_files(ids, shards)


def test_bundled_key_pages(bundled_site):
    abe = page(bundled_site, "entity/shinzo-abe.html")
    assert "<h1>Shinzo Abe</h1>" in abe
    assert '<td lang="ja">安倍晋三</td>' in abe
    for title in ("Roles held", "Took part in", "Statements made", "Signed"):
        assert f"<h2>{title} " in abe
    assert re.search(
        r'Shinzo Abe signed <a href="../entity/joint-political-declaration-2013.html">'
        r"[^<]+</a><span class=\"value\"> on 2013-04-15</span>",
        abe,
    )
    timeline = page(bundled_site, "timeline.html")
    assert 'href="entity/signing-joint-political-declaration-2013.html"' in timeline


# --- kinds and colours are data (ontology/record-display.yaml) ------------------------------


def test_kinds_and_colours_come_from_the_display_data(tmp_path, mini_site):
    text = record_display_file().read_text(encoding="utf-8")
    for old, new in [
        ('plural: People, colour: "#2563EB"', 'plural: People, colour: "#123456"'),
        (
            "  organisation: {type: organization,",
            '  state: {type: state, singular: Country, plural: Countries, colour: "#ABCDEF",'
            " network: true}\n  organisation: {type: organization,",
        ),
        ("order: [person,", "order: [person, state,"),
        ('palette: ["#0072B2",', 'palette: ["#111111",'),
    ]:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    (tmp_path / "record-display.yaml").write_text(text, encoding="utf-8")
    display = load_display(tmp_path / "record-display.yaml")
    built = records_to_graph(load_records(MINI))
    site = build_site(built.graph, display=display)

    css, default_css = page(site, "style.css"), page(mini_site, "style.css")
    assert "svg .kind-person circle { fill: #123456; }\n" in css
    assert "svg .kind-person circle { fill: #2563EB; }\n" in default_css
    assert "svg .kind-state circle { fill: #ABCDEF; }\n" in css
    assert "kind-state " not in default_css
    network = page(site, "network.html")
    assert '<span class="swatch" style="background: #ABCDEF"></span>Countries</span>' in network
    assert '<span class="swatch" style="background: #123456"></span>People</span>' in network
    assert '<g class="node kind-state"><title>Ruritania (Country)</title>' in network
    assert '<a href="#state">Countries <span class="count">1</span></a>' in page(
        site, "entities.html"
    )
    assert 'entities.html#state">Countries</a>' in page(site, "entity/ruritania.html")
    assert 'entities.html#organisation">Organisations</a>' in page(
        mini_site, "entity/ruritania.html"
    )
    timeline, default_timeline = page(site, "timeline.html"), page(mini_site, "timeline.html")
    assert 'fill="#111111"' in timeline and "#0072B2" not in timeline
    assert 'fill="#0072B2"' in default_timeline


def test_the_views_hard_code_no_colours_or_kinds():
    """What pages list and colour is read from the display data: no colour in
    the views' code, no kind's colour in the style sheet."""
    views = Path(kg.views.__file__).parent
    for path in sorted(views.rglob("*.py")):
        assert not re.search(r"#[0-9A-Fa-f]{6}\b", path.read_text(encoding="utf-8")), path
    css = (views / "templates" / "style.css").read_text(encoding="utf-8")
    assert ".kind-" not in css
