"""kg serve in a real browser (headless Chromium over the DevTools pipe): the
YASGUI page runs its query through kg's front door, and a page of another origin
can read the answers only when kg serve was started with ``--cors``."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_chromium import DevTools

from kg.serve.endpoint import LocalEndpoint, serve

MINI = Path(__file__).parents[1] / "fixtures" / "mini"

RUN_YASGUI = """(async () => {
  document.querySelector('.yasqe_queryButton').click();
  for (let i = 0; i < 100; i++) {
    await new Promise(r => setTimeout(r, 100));
    if (document.querySelectorAll('.yasr table tbody tr').length) break;
  }
  return document.querySelectorAll('.yasr table tbody tr').length;
})()"""

# A preflighted request (its Content-Type is not a form's) from another origin.
CROSS_ORIGIN_ASK = """fetch('{url}', {{method: 'POST',
  headers: {{'Content-Type': 'application/sparql-query',
            'Accept': 'application/sparql-results+json'}},
  body: 'ASK {{ ?s ?p ?o }}'}})
  .then(r => r.json()).then(j => 'boolean: ' + j.boolean, e => 'failed: ' + e)"""


@pytest.fixture(scope="module")
def page(chromium) -> Iterator[tuple[DevTools, str]]:
    with tempfile.TemporaryDirectory(prefix="kg-chromium-") as profile:
        browser = DevTools(chromium, profile)
        try:
            target = browser.send("Target.createTarget", url="about:blank")["targetId"]
            session = browser.send("Target.attachToTarget", targetId=target, flatten=True)
            for domain in ("Page", "Runtime", "Network"):
                browser.send(f"{domain}.enable", session["sessionId"])
            yield browser, session["sessionId"]
        finally:
            browser.close()


def _open(page: tuple[DevTools, str], url: str) -> None:
    browser, session = page
    browser.events.clear()
    nav = browser.send("Page.navigate", session, url=url)
    assert not nav.get("errorText"), nav
    browser.wait_for("Page.loadEventFired", session)


def _run(page: tuple[DevTools, str], script: str) -> Any:
    browser, session = page
    done = browser.send("Runtime.evaluate", session, expression=script, awaitPromise=True)
    return done["result"].get("value")


def _posts(page: tuple[DevTools, str]) -> list[str]:
    browser, _ = page
    return [
        e["params"]["request"]["url"]
        for e in browser.events
        if e.get("method") == "Network.requestWillBeSent"
        and e["params"]["request"]["method"] == "POST"
    ]


def test_the_yasgui_page_runs_its_query_through_kg_serve(page):
    with serve(records=MINI, port=0) as ep:
        _open(page, ep.url)
        time.sleep(0.5)  # YASGUI builds its editor after the load event
        assert _run(page, RUN_YASGUI) == 10  # its default query: LIMIT 10
        assert _posts(page) == [f"http://127.0.0.1:{ep.port}/sparql"]


@pytest.mark.parametrize("cors", [False, True])
def test_another_origin_reads_the_answers_only_with_cors(page, cors):
    ep: LocalEndpoint
    with serve(records=MINI, port=0, cors=cors) as ep:
        # localhost:PORT and 127.0.0.1:PORT are two origins to the browser.
        _open(page, f"http://localhost:{ep.port}/logo.svg")
        answer = _run(page, CROSS_ORIGIN_ASK.format(url=ep.query_url))
    assert answer == ("boolean: true" if cors else "failed: TypeError: Failed to fetch")
