"""kg report at scale: a kg build read from its store (the same site as the rdflib
path), the graph for live queries in pieces with its blank nodes apart and not
shipped above a size, the network capped, query pages showing their first rows."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef

import kg.views.report.network as network
import kg.views.report.queries as queries
from kg.builder.graph import records_to_graph
from kg.records.load import load_records
from kg.store.persist import STORE_DIR
from kg.validate.engines import validate_graph
from kg.views.report.common import year_value
from kg.views.report.live import LIVE_LIMIT, graph_pieces, live_files
from kg.views.report.site import build_site, generate

MINI = Path(__file__).parent / "fixtures" / "mini"
EX = "https://example.org/"


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from click.testing import CliRunner

    from kg.cli import cli

    tmp = tmp_path_factory.mktemp("scale")
    runner = CliRunner()
    r = runner.invoke(cli, ["generate", "--events", "12", "--seed", "5", "-o", str(tmp / "g")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["build", "--reason", str(tmp / "g"), "-o", str(tmp / "b")])
    assert r.exit_code == 0, r.output
    return tmp / "b" / "kg.ttl"


def test_a_build_read_from_its_store_gives_the_rdflib_paths_site(built, tmp_path, monkeypatch):
    import kg.views.report.site as site

    calls = []
    real = site.store_inputs
    monkeypatch.setattr(site, "store_inputs", lambda *a: calls.append(a) or real(*a))
    assert (built.parent / STORE_DIR).is_dir()
    generate(tmp_path / "store", built, reason=True)
    assert calls and calls[0][0] == built
    # The same file without its store: read into rdflib, validated by pySHACL.
    (tmp_path / "plain").mkdir()
    shutil.copy(built, tmp_path / "plain" / "kg.ttl")
    shutil.copy(built.parent / "kg-inferred.ttl", tmp_path / "plain" / "kg-inferred.ttl")
    assert site.store_inputs(tmp_path / "plain" / "kg.ttl", True) is None
    generate(tmp_path / "rdflib", tmp_path / "plain" / "kg.ttl", reason=True)
    store, plain = _files(tmp_path / "store"), _files(tmp_path / "rdflib")
    assert sorted(store) == sorted(plain)
    # Query pages differ by engine: the store's are Oxigraph's, as `kg query` gives
    # them; the rdflib path's are rdflib's SPARQL (fact-sources: 0 rows and 64 here).
    differ = [f for f in store if store[f] != plain[f]]
    assert [f for f in differ if not f.startswith("quer")] == []


def test_blank_node_triples_come_in_a_piece_of_their_own_and_the_rest_is_split():
    lst, head = BNode(), URIRef(EX + "c")
    triples = [(head, URIRef(EX + "list"), lst), (lst, URIRef(EX + "first"), URIRef(EX + "x"))]
    triples += [(URIRef(f"{EX}s{i:03d}"), URIRef(EX + "p"), Literal("v" * 40)) for i in range(200)]
    pieces = graph_pieces(triples, size=2000)
    assert len(pieces) > 3
    texts = [p.decode("utf-8").split(".push(", 1)[1][:-3] for p in pieces]
    import json

    docs = [json.loads(t) for t in texts]
    assert "_:" in docs[0] and all("_:" not in d for d in docs[1:])
    merged = Graph()
    for d in docs:
        merged.parse(data=d, format="turtle")
    assert len(merged) == len(triples)
    assert graph_pieces(triples, size=2000) == pieces  # same labels every run


def test_a_graph_above_the_limit_is_not_shipped_nor_read():
    def never():
        raise AssertionError("read")
        yield

    assert live_files(never(), {}, LIVE_LIMIT + 1) == {}
    one = [(URIRef(EX + "a"), URIRef(EX + "p"), URIRef(EX + "b"))]
    assert "data/graph-000.js" in live_files(iter(one), {}, LIVE_LIMIT)


@pytest.fixture(scope="module")
def mini():
    built = records_to_graph(load_records(MINI))
    return built.graph, validate_graph(built.graph, built.index)


def test_query_pages_say_live_queries_are_off_above_the_limit(mini, monkeypatch):
    import kg.views.report.live as live

    monkeypatch.setattr(live, "LIVE_LIMIT", 10)
    site = build_site(mini[0], validation=mini[1])
    assert not [f for f in site if f.startswith(("data/", "live/"))]
    page = site["query/timeline.html"].decode()
    assert "Live queries are off for this site" in page and "live/query.js" not in page
    assert 'id="live-form"' not in page
    assert "Live queries are off for this site" in site["queries.html"].decode()
    assert 'id="sparql-form"' not in site["queries.html"].decode()


def test_the_network_shows_the_most_linked_nodes_and_says_so(mini, monkeypatch):
    full = build_site(mini[0], validation=mini[1])
    assert "network-cap" not in full["network.html"].decode()
    monkeypatch.setattr(network, "MAX_NODES", 3)
    site = build_site(mini[0], validation=mini[1])
    page = site["network.html"].decode()
    net = network.build_network(_view(mini[0]))
    whole = network.network_edges(_view(mini[0]))
    degree = Counter(n for e in whole for n in {e[0], e[1]})
    most = sorted(degree, key=lambda n: (-degree[n], str(n)))[:3]
    assert sorted(n.ref.iri for n in net.nodes) == sorted(map(str, most))
    assert net.total == len(degree) > 3
    assert f"the 3 most linked of the {len(degree)} records" in page
    assert site["network/data.js"].decode().count('"degree"') == 3


def _view(graph: Graph):
    from kg.views.graphview import GraphView

    return GraphView(graph)


def test_query_pages_show_their_first_rows_and_how_many_there_are(mini, monkeypatch):
    full = build_site(mini[0], validation=mini[1])
    monkeypatch.setattr(queries, "SHOWN_ROWS", 1)
    site = build_site(mini[0], validation=mini[1])
    cut = [f for f in site if f.startswith("query/") and "are shown" in site[f].decode()]
    assert cut
    for f in cut:
        name = f[len("query/") : -len(".html")]
        page = site[f].decode()
        total = full[f].decode().split('<section id="default-results">')[1].count("<tr><td")
        assert f"{total} rows; the first 1 are shown (<code>kg query {name}</code>" in page
        assert page.split('<section id="default-results">')[1].count("<tr><td") == 1


def _rows(html: str, tag: str) -> list[str]:
    return re.findall(rf"<{tag} id=.*?</{tag}>", html, flags=re.S)


def _script_rows(data: bytes) -> list[str]:
    import json

    return json.loads(data.decode("utf-8").split("] = ", 1)[1].rstrip(";\n"))


def test_a_long_entity_list_and_timeline_come_in_pages_with_every_row_once(
    built, tmp_path, monkeypatch
):
    import kg.views.report.listing as listing

    generate(tmp_path / "one", built, reason=True)
    monkeypatch.setattr(listing, "PAGE_ROWS", 10)
    generate(tmp_path / "paged", built, reason=True)
    one, paged = _files(tmp_path / "one"), _files(tmp_path / "paged")
    lists = re.compile(r"(entities|timeline)(-\d+\.html|/rows-\d+\.js)$")
    # Only the two lists change: every other file is the one-page site's.
    assert {f for f in paged if not lists.match(f)} == set(one)
    assert [f for f in one if f in paged and one[f] != paged[f] and not lists.match(f)] == [
        "entities.html",
        "timeline.html",
    ]
    for base, tag in (("entities", "li"), ("timeline", "tr")):
        whole = _rows(one[f"{base}.html"].decode(), tag)
        count = -(-len(whole) // 10)
        assert count > 1
        names = [f"{base}.html"] + [f"{base}-{k}.html" for k in range(2, count + 1)]
        assert sorted(f for f in paged if re.match(rf"{base}(-\d+)?\.html$", f)) == sorted(names)
        parts = [_rows(paged[n].decode(), tag) for n in names]
        assert [len(p) for p in parts] == [10] * (count - 1) + [len(whole) - 10 * (count - 1)]
        # Every row once, in the one page's order; each page's rows also in its script,
        # which filters.js loads to filter every page.
        assert [r for p in parts for r in p] == whole
        for k, part in enumerate(parts, start=1):
            assert _script_rows(paged[f"{base}/rows-{k}.js"]) == part
            page = paged[names[k - 1]].decode()
            assert f'data-pages="{count}" data-row-scripts="{base}/rows-"' in page
            prev, next_ = names[k - 2] if k > 1 else None, names[k] if k < count else None
            assert re.findall(r'rel="prev" href="([^"]+)"', page) == [prev] * 2 * (k > 1)
            assert re.findall(r'rel="next" href="([^"]+)"', page) == [next_] * 2 * (k < count)
        # The year strip is on the first page only: each page is small.
        assert ["<figure" in paged[n].decode() for n in names] == (
            [base == "timeline"] + [False] * (count - 1)
        )
    # A kind's link in the table of contents goes to the page where its list starts.
    first = paged["entities.html"].decode()
    links = re.findall(r'<a href="(entities(?:-\d+)?\.html)?#(\w+)"', first.split("</nav>", 2)[1])
    assert len(links) > 1
    for href, kind in links:
        assert f'<section id="{kind}" data-group>' in paged[href or "entities.html"].decode()


def test_the_timelines_dots_stack_as_a_scan_of_every_dot_stacks_them():
    import random

    from kg.views.model import Ref
    from kg.views.report.common import rounded
    from kg.views.report.timeline import TimelineRow, _strip

    rng = random.Random(7)
    rows = [
        TimelineRow(Ref(f"e{i}", f"{EX}e{i}", f"e{i}", "event"), start, "", 0, "#000", [], "")
        for i, start in enumerate(
            f"{rng.randint(1990, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            for _ in range(3000)
        )
    ]

    def x_of(v: float) -> float:
        return rounded(60 + (v - 1990) / 35 * 1100)

    strip = _strip(rows, x_of, 1990)
    # The reference: each dot tested against every dot placed before (what the
    # strip did until it was too slow for 15,000 events).
    placed: list[tuple[float, int]] = []
    want = []
    for r in sorted(rows, key=lambda r: (r.start, r.ref.iri)):
        x = x_of(year_value(r.start))
        level = 0
        while any(abs(px - x) < 9 and lvl == level for px, lvl in placed):
            level += 1
        placed.append((x, level))
        want.append((x, rounded(70.0 - 10 - level * 9)))
    assert [(m[0], m[1]) for m in strip.marks] == want
    assert strip.max_level == max(lvl for _x, lvl in placed) > 20
