"""The report site's scripts in headless Chromium (DevTools over a pipe, as in
test_chromium): live canned queries give the CLI's rows, the SPARQL box keeps
the CLI's guard, and the link chart draws, focuses, hovers and opens entities;
no console error and no request outside file:// on any of them. Screenshots go
to test-artifacts/."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner
from test_chromium import ARTIFACTS, DevTools, problems_in

from kg.cli import cli
from kg.errors import BadInput
from kg.pipeline.open import open_native
from kg.sparql.canned import bind_params, catalog, get_query
from kg.sparql.guard import check_sparql
from kg.sparql.render import render
from kg.sparql.run import run_query

WAIT_DONE = """(async () => {
  for (let i = 0; i < 400; i++) {
    const out = document.getElementById('live-results');
    if (out && out.dataset.state === 'done') return out.kgText || out.textContent;
    await new Promise(r => setTimeout(r, 50));
  }
  return 'timed out';
})()"""

SAMPLES = {
    "date": ["2013-06-25", "2014-05", "2007"],
    "lang": ["ja", "fr"],
    "iri": ["shinzo-abe", "id:nato", "kg:Approximate", "theme-cyber-defence"],
}


class Tab:
    """One page of the browser, its events checked after each load."""

    def __init__(self, browser: DevTools) -> None:
        self.browser = browser
        target = browser.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = browser.send("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.send(f"{domain}.enable", self.session)

    def open(self, url: str) -> None:
        self.browser.events.clear()
        nav = self.browser.send("Page.navigate", self.session, url=url)
        assert not nav.get("errorText"), f"{url}: {nav.get('errorText')}"
        self.browser.wait_for("Page.loadEventFired", self.session)

    def eval(self, expression: str) -> Any:
        done = self.browser.send(
            "Runtime.evaluate",
            self.session,
            expression=expression,
            awaitPromise=True,
            returnByValue=True,
        )
        assert "exceptionDetails" not in done, done["exceptionDetails"]
        return done["result"].get("value")

    def problems(self) -> list[str]:
        return problems_in(self.browser.events, self.session)

    def screenshot(self, name: str) -> None:
        import base64

        ARTIFACTS.mkdir(exist_ok=True)
        shot = self.browser.send("Page.captureScreenshot", self.session, format="png")
        (ARTIFACTS / name).write_bytes(base64.b64decode(shot["data"]))


@pytest.fixture(scope="module")
def tab(chromium) -> Iterator[Tab]:
    with tempfile.TemporaryDirectory(prefix="kg-chromium-") as profile:
        browser = DevTools(chromium, profile)
        try:
            t = Tab(browser)
            browser.send("Emulation.setDeviceMetricsOverride", t.session, width=1280,
                         height=1000, deviceScaleFactor=1, mobile=False)  # fmt: skip
            yield t
        finally:
            browser.close()


@pytest.fixture(scope="module")
def graph() -> Any:
    """The graph `kg query` runs on: the bundled records and the ontology."""
    return open_native()


def _query_url(site: Path, name: str, given: dict[str, str]) -> str:
    return (site / "query" / f"{name}.html").as_uri() + "?" + urlencode(given or {"run": "1"})


def test_roles_at_date_gives_the_cli_rows(tab, site):
    tab.open(_query_url(site, "roles-at-date", {"date": "2013-06-25"}))
    shown = tab.eval(WAIT_DONE)
    cli_csv = CliRunner().invoke(
        cli, ["query", "roles-at-date", "-p", "date=2013-06-25", "--format", "csv"]
    )
    assert cli_csv.exit_code == 0, cli_csv.output
    assert shown == cli_csv.stdout_bytes.decode("utf-8")  # .output turns \r\n into \n
    assert shown.count("\r\n") == 7  # the header and six roles
    rows = tab.eval("document.querySelectorAll('#live-results tbody tr').length")
    assert rows == 6
    assert tab.eval("document.getElementById('default-results').hidden") is True
    assert tab.eval("document.querySelector('#live-results a.download').download") == (
        "roles-at-date.csv"
    )
    assert not tab.problems()
    tab.screenshot("query-roles-at-date.png")


def _cases(name: str) -> Iterator[dict[str, str]]:
    yield {}
    for p in get_query(name).params:
        for value in SAMPLES.get(p.type, []):
            yield {p.name: value}


@pytest.mark.parametrize("name", sorted(catalog()))
def test_every_canned_query_gives_the_cli_rows(tab, site, graph, name):
    """With the defaults and with values of each parameter: the CSV of the page
    is the CSV of `kg query NAME -p ... --format csv` (same run and render)."""
    q = get_query(name)
    for given in _cases(name):
        expected = render(run_query(graph, q.text, bind_params(q, given)), "csv")
        tab.open(_query_url(site, name, given))
        assert tab.eval(WAIT_DONE) == expected, given
        assert not tab.problems(), given


def test_a_bad_value_is_refused_as_the_cli_refuses_it(tab, site):
    tab.open(_query_url(site, "roles-at-date", {"date": "2013-02-30"}))
    shown = tab.eval(WAIT_DONE)
    cli_run = CliRunner().invoke(cli, ["query", "roles-at-date", "-p", "date=2013-02-30"])
    assert cli_run.exit_code == 2
    assert cli_run.output == f"Error: {shown}\n"
    assert shown.startswith("parameter 'date': '2013-02-30' is not a date")
    for value, message in [("it's", "parameter 'who': \"it's\" is not a record id"),
                           ("a b", "parameter 'who': 'a b' is not a record id")]:  # fmt: skip
        tab.open(_query_url(site, "meetings", {"who": value}))
        assert tab.eval(WAIT_DONE).startswith(message)


GUARD_CASES = [
    "SELECT * WHERE { ?s ?p ?o } LIMIT 1",
    "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { service silent <http://example.org/sparql> { ?s ?p ?o } }",
    "SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }",
    "INSERT DATA { <http://a> <http://b> <http://c> }",
    "LOAD <http://example.org/data.ttl>",
    "CLEAR ALL",
    "SELECT ?from WHERE { ?from ?p ?o } LIMIT 1",
    'SELECT ?s WHERE { ?s ?p "SERVICE <x>" }',
    "SELECT ?s WHERE { ?s ?p ?o # SERVICE <http://example.org/>\n}",
    "SELECT ?s WHERE { ?s ?p ?o FILTER(?o <?b)SERVICE:sparql#>) }",
    "SELECT ?s WHERE { ?s ?p ?o . ?o trueSERVICE<http://x/> {} }",
    "SELECT ?s WHERE { ?s kg:a.b.SERVICE <http://x/> }",
    "SELECT ?s WHERE { ?s <http://example.org/from> ?o }",
    "ASK { ?s a kg:Person }",
]


def test_the_sparql_box_keeps_the_cli_guard(tab, site):
    """The browser's guard refuses what kg.sparql.guard refuses, with its rules."""
    tab.open((site / "queries.html").as_uri())
    for text in GUARD_CASES:
        try:
            check_sparql(text)
            cli_refuses = False
        except BadInput:
            cli_refuses = True
        verdict = tab.eval(
            f"(() => {{ try {{ kgLive.guard({json.dumps(text)}); return false; }}"
            " catch (e) { return e instanceof kgLive.Refused; } })()"
        )
        assert verdict == cli_refuses, text
    assert not tab.problems()


def test_the_sparql_box_runs_a_query_from_the_address(tab, site, graph):
    text = "SELECT ?p ?label WHERE { ?p a kg:Person ; rdfs:label ?label } ORDER BY ?label LIMIT 5"
    tab.open((site / "queries.html").as_uri() + "?" + urlencode({"sparql": text}))
    assert tab.eval(WAIT_DONE) == render(run_query(graph, text), "csv")
    tab.open((site / "queries.html").as_uri() + "?" + urlencode({"sparql": GUARD_CASES[1]}))
    assert tab.eval(WAIT_DONE).startswith("SERVICE is refused")
    assert not tab.problems()


def _chart_data(site: Path) -> dict[str, Any]:
    text = (site / "network" / "data.js").read_text(encoding="utf-8")
    return json.loads(text.removeprefix("globalThis.kgNetwork = ").rstrip().rstrip(";"))


LABEL_BOXES = """kgChart.nodes('.labelled').map(n => {
  const b = n.renderedBoundingBox({includeNodes: false, includeEdges: false, includeLabels: true});
  return [n.id(), b.x1, b.y1, b.x2, b.y2];
})"""


LONGEST_EDGE = """(() => {
  const length = e => { const a = e.source().renderedPosition(), b = e.target().renderedPosition();
                        return Math.hypot(a.x - b.x, a.y - b.y); };
  const e = kgChart.edges().max(length).ele, m = e.renderedMidpoint();
  return [m.x, m.y, e.data('relation')];
})()"""


def test_the_link_chart_focuses_hovers_and_opens_an_entity(tab, site):
    data = _chart_data(site)
    ego = {"shinzo-abe"} | {
        e["source"] if e["target"] == "shinzo-abe" else e["target"]
        for e in data["edges"]
        if "shinzo-abe" in (e["source"], e["target"])
    }
    tab.open((site / "network.html").as_uri() + "?focus=shinzo-abe")
    shown = tab.eval("kgChart.nodes().map(n => n.id()).sort()")
    assert shown == sorted(ego)
    assert not tab.problems()
    # Labels do not overlap at the default zoom; the focus has one.
    boxes = tab.eval(LABEL_BOXES)
    assert "shinzo-abe" in [b[0] for b in boxes] and len(boxes) >= 6
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = a[3] <= b[1] or b[3] <= a[1] or a[4] <= b[2] or b[4] <= a[2]
            assert apart, (a, b)
    tab.screenshot("network-shinzo-abe.png")
    # Hover a link: its relation is shown. The tip is drawn on a later event
    # turn, and a loaded machine may still be placing the page: wait for it, and
    # point again (from where the link is now) if it has not come.
    tab.eval("document.getElementById('chart').scrollIntoView()")
    tip, relation = "", None
    for _ in range(5):
        x, y, relation = tab.eval(LONGEST_EDGE)
        offset = tab.eval("(() => { const r = document.getElementById('chart')"
                          ".getBoundingClientRect(); return [r.left, r.top]; })()")  # fmt: skip
        _mouse(tab, "mouseMoved", offset[0] + x + 1, offset[1] + y + 1)
        _mouse(tab, "mouseMoved", offset[0] + x, offset[1] + y)
        tip = tab.eval(
            "new Promise(done => { const want = " + json.dumps(relation) + ", t0 = Date.now();"
            " (function look() { const s = document.getElementById('chart-tip').textContent;"
            " if (s.includes(want) || Date.now() - t0 > 3000) done(s); else setTimeout(look, 50);"
            " })(); })"
        )
        if relation in tip:
            break
    assert relation in tip
    # Click a node: its entity page opens.
    nx, ny = tab.eval(
        "(() => { const p = kgChart.$id('japan').renderedPosition(); return [p.x, p.y]; })()"
    )
    _mouse(tab, "mousePressed", offset[0] + nx, offset[1] + ny)
    _mouse(tab, "mouseReleased", offset[0] + nx, offset[1] + ny)
    tab.browser.wait_for("Page.loadEventFired", tab.session)
    assert tab.eval("location.pathname").endswith("/entity/japan.html")
    assert not tab.problems()


def _mouse(tab: Tab, kind: str, x: float, y: float) -> None:
    extra = {"button": "left", "clickCount": 1} if kind != "mouseMoved" else {}
    tab.browser.send("Input.dispatchMouseEvent", tab.session, type=kind, x=x, y=y, **extra)


def test_the_link_chart_filters_from_the_address(tab, site):
    data = _chart_data(site)
    tab.open((site / "network.html").as_uri() + "?from=2014&to=2014&kind=event")
    shown = set(tab.eval("kgChart.nodes().map(n => n.id())"))
    expected = {
        n["id"]
        for n in data["nodes"]
        if n["kind"] == "event" and n["start"] and n["start"][:4] <= "2014" <= n["end"]
    }
    assert shown and shown == expected
    tab.open((site / "network.html").as_uri() + "?theme=theme-cyber-defence&kind=event")
    shown = set(tab.eval("kgChart.nodes().map(n => n.id())"))
    assert shown == {
        n["id"]
        for n in data["nodes"]
        if n["kind"] == "event" and "theme-cyber-defence" in n["themes"]
    }
    assert not tab.problems()
    tab.open((site / "network.html").as_uri())
    assert tab.eval("kgChart.nodes().length") == len(data["nodes"])
    tab.screenshot("network.png")
    assert not tab.problems()
