"""Search and filters of the report site in a real browser: Playwright for Python
driving Debian's Chromium (``executable_path``; Playwright's own browsers are never
downloaded). Each page is opened from file://, with scripts running; every test
also checks that the page logged no console error, threw nothing and asked for
nothing outside file://. Screenshots go to test-artifacts/ (CI keeps them)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kg.terms.iris import record_iri

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (test extra)")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


class Watched:
    """A page and what it did wrong: console errors, exceptions, requests off disk."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.problems: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.problems.append(m.text))
        page.on("pageerror", lambda e: self.problems.append(f"exception: {e}"))
        page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url}"))
        page.on(
            "request",
            lambda r: r.url.startswith("file://") or self.problems.append(f"request: {r.url}"),
        )

    def open(self, url: str) -> Any:
        self.page.goto(url)
        self.page.wait_for_load_state("load")
        return self.page

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / name), full_page=False)


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.fixture
def watched(browser: Any) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    w = Watched(context.new_page())
    yield w
    context.close()
    assert not w.problems, w.problems


def results(page: Any, query: str) -> list[tuple[str, str]]:
    page.wait_for_function("document.getElementById('status').textContent.includes('match')")
    assert query in page.inner_text("#status")
    links = page.query_selector_all("#results li > a")
    return [(a.inner_text(), a.get_attribute("href")) for a in links]


def test_search_link_finds_kiuchi(watched, site):
    page = watched.open((site / "search.html").as_uri() + "?q=Kiuchi")
    found = results(page, "Kiuchi")
    assert found[0] == ("Minoru Kiuchi", "entity/minoru-kiuchi.html")
    page.click("#results li > a >> text=Minoru Kiuchi")
    page.wait_for_load_state("load")
    assert page.url == (site / "entity" / "minoru-kiuchi.html").as_uri()
    assert page.inner_text("h1") == "Minoru Kiuchi"
    watched.open((site / "search.html").as_uri() + "?q=Kiuchi")
    results(watched.page, "Kiuchi")
    watched.shot("search-kiuchi.png")


def test_search_from_the_header_of_any_page(watched, site):
    page = watched.open((site / "entity" / "shinzo-abe.html").as_uri())
    page.fill("header.site input[name=q]", "minoru kiuchi")
    page.press("header.site input[name=q]", "Enter")
    page.wait_for_load_state("load")
    assert page.url.endswith("/search.html?q=minoru+kiuchi")
    assert results(page, "minoru kiuchi")[0] == ("Minoru Kiuchi", "entity/minoru-kiuchi.html")


def test_japanese_search_finds_the_japanese_label(watched, site):
    page = watched.open((site / "search.html").as_uri() + "?q=晋三")  # a part of 安倍晋三
    found = results(page, "晋三")
    assert found == [("Shinzo Abe", "entity/shinzo-abe.html")]
    assert "安倍晋三" in page.inner_text("#results li")
    watched.shot("search-japanese.png")


def test_search_ignores_case_and_accents(watched, site):
    page = watched.open((site / "search.html").as_uri())
    page.fill("#q", "AFFAIRES ÉTRANGÈRES")  # the French labels say "Affaires étrangères"
    page.press("#q", "Enter")
    accented = results(page, "AFFAIRES ÉTRANGÈRES")
    assert page.url.endswith("search.html?q=AFFAIRES+%C3%89TRANG%C3%88RES")
    page.fill("#q", "affaires etrangeres")
    page.press("#q", "Enter")
    plain = results(page, "affaires etrangeres")
    assert ("Ministry of Foreign Affairs of Japan", "entity/japan-mofa.html") in plain
    assert plain == accented


def test_search_loads_only_the_shards_it_needs(watched, site):
    page = watched.open((site / "search.html").as_uri() + "?q=Kiuchi")
    results(page, "Kiuchi")
    loaded = page.evaluate("Object.keys(window.kgSearchShard).sort()")
    assert loaded == ["1-k"]
    assert page.evaluate("Object.keys(window.kgSearchDocs)") == ["0"]
    assert len(list((site / "search").glob("*.js"))) > 40


def test_nothing_found_says_so(watched, site):
    page = watched.open((site / "search.html").as_uri() + "?q=zzqxv")
    assert results(page, "zzqxv") == []
    assert page.inner_text("#status") == "0 records match “zzqxv”."


def timeline_rows(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        "#events tbody tr", "rows => rows.filter(r => !r.hidden).map(r => r.id)"
    )


def test_timeline_theme_filter_matches_sparql(watched, site, invoke):
    out = invoke("query", "events-by-theme", "-p", "theme=theme-cyber-defence", "--format", "csv")
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.output)))
    # The timeline lists events with a start date; the query also gives bounds ("≥ 2013-04").
    dated = {r["event"] for r in rows if r["start"][:1].isdigit()}
    assert len(dated) >= 5
    page = watched.open((site / "timeline.html").as_uri() + "?theme=theme-cyber-defence")
    shown = timeline_rows(page)
    assert {str(record_iri(i)) for i in shown} == dated
    assert len(shown) == len(dated)
    assert page.inner_text(".filter-status") == f"{len(shown)} of 47 shown."
    assert page.input_value("select[name=theme]") == "theme-cyber-defence"
    bright = page.eval_on_selector_all(
        "svg.timeline circle[data-event]:not(.dim)", "dots => dots.map(d => d.dataset.event)"
    )
    assert sorted(bright) == sorted(shown)  # the year strip fades the other events
    watched.shot("timeline-cyber-defence.png")


def test_timeline_filters_combine_and_write_the_url(watched, site):
    base = (site / "timeline.html").as_uri()
    every_year = timeline_rows(watched.open(base + "?theme=theme-cyber-defence"))
    page = watched.open(base + "?theme=theme-cyber-defence&from=2013&to=2015")
    period = timeline_rows(page)
    assert period and set(period) < set(every_year)
    for rid in period:
        row = page.query_selector(f"tr#{rid}")
        assert row.get_attribute("data-from") <= "2015" and row.get_attribute("data-to") >= "2013"
    page.select_option("select[name=actor]", "shinzo-abe")
    page.wait_for_function(
        "location.search === '?theme=theme-cyber-defence&actor=shinzo-abe&from=2013&to=2015'"
    )
    with_abe = timeline_rows(page)
    assert with_abe and set(with_abe) < set(period)
    for rid in with_abe:
        row = page.query_selector(f"tr#{rid}")
        assert "shinzo-abe" in row.get_attribute("data-actor").split()
        assert "Shinzo Abe" in row.inner_text()
    page.click("form.filters button[type=reset]")
    page.wait_for_function("location.search === ''")
    assert len(timeline_rows(page)) == 47


def test_timeline_rows_show_place_people_and_sources(watched, site):
    page = watched.open((site / "timeline.html").as_uri())
    row = page.query_selector("tr#joint-press-conference-2013-04-15")
    cells = [c.inner_text() for c in row.query_selector_all("td")]
    assert cells[0] == "2013-04-15"
    assert cells[2] == "Tokyo"
    assert cells[3] == "Anders Fogh Rasmussen, Shinzo Abe"
    assert "S04" in cells[4] and "S22" in cells[4]
    assert "17 events, 2013-04 – 2013-06" in page.text_content("svg.timeline")


def test_entity_list_filters(watched, site):
    base = (site / "entities.html").as_uri()
    page = watched.open(base + "?actor=shinzo-abe&reliability=primary")
    shown = page.eval_on_selector_all(
        "ul.entity-list li", "items => items.filter(i => !i.hidden).map(i => i.id)"
    )
    assert "shinzo-abe" in shown and "signing-joint-political-declaration-2013" in shown
    assert "anders-fogh-rasmussen" not in shown and len(shown) < 100
    for rid in shown:
        item = page.query_selector(f"li#{rid}")
        assert "shinzo-abe" in item.get_attribute("data-actor").split()
        assert "primary" in item.get_attribute("data-reliability").split()
    sections = page.eval_on_selector_all(
        "section[data-group]", "s => s.filter(x => !x.hidden).map(x => x.id)"
    )
    assert "event" in sections and "theme" not in sections  # no theme links to Abe
    page.fill("input[name=from]", "2014")
    page.wait_for_function("location.search === '?actor=shinzo-abe&reliability=primary&from=2014'")
    later = page.eval_on_selector_all(
        "ul.entity-list li", "items => items.filter(i => !i.hidden).map(i => i.id)"
    )
    assert later and set(later) < set(shown) and "shinzo-abe" not in later  # undated: out
    watched.shot("entities-filtered.png")


@pytest.mark.parametrize("name", ["timeline.html", "entity/shinzo-abe.html", "search.html"])
def test_pages_print_on_a4_without_navigation(watched, site, name):
    page = watched.open((site / name).as_uri())
    page.emulate_media(media="print")
    hidden = page.evaluate(
        "['header.site', 'form', '.site-search'].map(s => [...document.querySelectorAll(s)]"
        ".every(e => getComputedStyle(e).display === 'none'))"
    )
    assert hidden == [True, True, True]
    width = page.evaluate("getComputedStyle(document.querySelector('main')).borderTopWidth")
    assert width == "0px"
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = page.pdf(prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF")
    # A4 is 595 x 842 points: every page of the PDF has that media box.
    boxes = set(re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf))
    assert boxes and {(round(float(w)), round(float(h))) for w, h in boxes} == {(595, 842)}
    (ARTIFACTS / f"print-{name.replace('/', '-').replace('.html', '')}.pdf").write_bytes(pdf)


@pytest.fixture(scope="module")
def paged_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The bundled records' site with lists of 40 rows a page: 8 pages of records,
    2 of events."""
    import kg.views.report.listing as listing
    from kg.views.report.site import generate

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(listing, "PAGE_ROWS", 40)
        out = tmp_path_factory.mktemp("paged") / "report"
        generate(out)
    yield out


def every_page(page: Any, what: str) -> list[str]:
    """The links of the rows shown from every page (the copies have no id)."""
    page.wait_for_function("document.querySelector('.filter-status').textContent.includes('page')")
    return page.eval_on_selector_all(
        f".every-page {what}",
        "links => links.map(a => a.getAttribute('href'))",
    )


def test_a_paged_timeline_filters_every_page(watched, site, paged_site):
    one = watched.open((site / "timeline.html").as_uri() + "?theme=theme-cyber-defence")
    want = [f"entity/{i}.html" for i in timeline_rows(one)]
    url = (paged_site / "timeline-2.html").as_uri()
    page = watched.open(url + "?theme=theme-cyber-defence")
    assert every_page(page, "td.event > a") == want and len(want) >= 5
    assert page.inner_text(".filter-status") == f"{len(want)} of 47 shown, from every page."
    assert timeline_rows(page) == []  # the page's own rows give way to every page's
    assert page.eval_on_selector_all(".pager", "ps => ps.every(p => p.hidden)")
    page.click("form.filters button[type=reset]")
    page.wait_for_function("location.search === ''")
    assert len(timeline_rows(page)) == 7 and page.is_hidden(".every-page")
    assert page.inner_text(".filter-status") == "47 in all."
    # The first page has the year strip: the dots of the events that match stay bright.
    page = watched.open((paged_site / "timeline.html").as_uri() + "?theme=theme-cyber-defence")
    every_page(page, "td.event > a")
    bright = page.eval_on_selector_all(
        "svg.timeline circle[data-event]:not(.dim)", "dots => dots.map(d => d.dataset.event)"
    )
    assert sorted(f"entity/{b}.html" for b in bright) == sorted(want)
    watched.shot("timeline-paged-filtered.png")


def test_a_paged_entity_list_filters_every_page_and_finds_each_kind(watched, site, paged_site):
    query = "?actor=shinzo-abe&reliability=primary"
    one = watched.open((site / "entities.html").as_uri() + query)
    want = one.eval_on_selector_all(
        "ul.entity-list li:not([hidden]) a", "links => links.map(a => a.getAttribute('href'))"
    )
    page = watched.open((paged_site / "entities-5.html").as_uri() + query)
    assert every_page(page, "li > a") == want and len(want) > 3
    page.fill("input[name=from]", "2014")
    page.wait_for_function("location.search === '?actor=shinzo-abe&reliability=primary&from=2014'")
    later = every_page(page, "li > a")
    assert later and set(later) < set(want)
    # A kind's list starts on some page: entities.html#document goes there.
    page = watched.open((paged_site / "entities.html").as_uri() + "#document")
    page.wait_for_function(
        "location.hash === '#document' && /entities-\\d+\\.html/.test(location.pathname)"
    )
    page.wait_for_load_state("load")
    assert page.query_selector("section#document h2") is not None
    pages = page.eval_on_selector_all(".pager", "ps => ps.map(p => p.innerText)")
    assert pages[0].startswith("‹ previous Page ") and " of 8:" in pages[0]
