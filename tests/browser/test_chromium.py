"""The report site in a real browser: headless Chromium opens every page from file://
and reports console errors, uncaught exceptions, failed loads and any request that
is not to a local file. Screenshots of three pages are saved to test-artifacts/.

How the browser is driven: Chromium's own DevTools protocol over a pipe
(``--remote-debugging-pipe``: JSON messages on file descriptors 3 and 4). No port
is opened and no extra package is needed; the events that matter are
``Runtime.exceptionThrown``, ``Runtime.consoleAPICalled`` (error), ``Log.entryAdded``
(error: failed resource loads, security errors) and ``Network.requestWillBeSent``.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT = 30.0


class DevTools:
    """A minimal DevTools-protocol client for one Chromium over --remote-debugging-pipe."""

    def __init__(self, exe: str, profile: str) -> None:
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def wire() -> None:  # in the child: the protocol's fds 3 (commands) and 4 (replies)
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        self.proc = subprocess.Popen(
            [exe, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(3, 4),
            preexec_fn=wire,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buf = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from chromium")
            ready, _, _ = select.select([self._from_chrome], [], [], left)
            if ready:
                chunk = os.read(self._from_chrome, 1 << 16)
                if not chunk:
                    raise RuntimeError("chromium closed the DevTools pipe")
                self._buf += chunk
        msg, _, self._buf = self._buf.partition(b"\0")
        return json.loads(msg)

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._next += 1
        msg: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self._to_chrome, json.dumps(msg).encode("utf-8") + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, session: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        for i, ev in enumerate(self.events):
            if ev.get("method") == method and ev.get("sessionId") == session:
                del self.events[i]
                return
        while True:
            ev = self._read(deadline)
            if ev.get("method") == method and ev.get("sessionId") == session:
                return
            self.events.append(ev)

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, TimeoutError, OSError):
            self.send("Browser.close")
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_chrome)
        os.close(self._from_chrome)


def problems_in(events: list[dict[str, Any]], session: str) -> list[str]:
    out = []
    for ev in events:
        if ev.get("sessionId") != session:
            continue
        method, params = ev.get("method"), ev.get("params", {})
        if method == "Runtime.exceptionThrown":
            out.append(f"exception: {params['exceptionDetails'].get('text')}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            args = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            out.append(f"console.{params['type']}: {args}")
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            entry = params["entry"]
            out.append(f"log: {entry.get('text')} {entry.get('url', '')}".rstrip())
        elif method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            if not url.startswith(("file://", "data:", "about:")):
                out.append(f"network request: {url}")
        elif method == "Network.loadingFailed":
            out.append(f"failed load: {params.get('errorText')}")
    return out


@pytest.fixture(scope="module")
def browser(chromium):
    with tempfile.TemporaryDirectory(prefix="kg-chromium-") as profile:
        dt = DevTools(chromium, profile)
        try:
            yield dt
        finally:
            dt.close()


def test_every_page_loads_without_console_errors(browser, site):
    target = browser.send("Target.createTarget", url="about:blank")["targetId"]
    session = browser.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        browser.send(f"{domain}.enable", session)
    failures = {}
    pages = sorted(site.rglob("*.html"))
    for path in pages:
        browser.events.clear()
        nav = browser.send("Page.navigate", session, url=path.as_uri())
        assert not nav.get("errorText"), f"{path}: {nav.get('errorText')}"
        browser.wait_for("Page.loadEventFired", session)
        # The page is laid out and styled: the style sheet applied, the title set.
        check = browser.send(
            "Runtime.evaluate",
            session,
            expression=(
                # Style sheets from files: the site's one (Cytoscape.js adds a <style>
                # of its own for the link chart's canvas).
                "JSON.stringify([document.title,"
                " Array.from(document.styleSheets).filter(s => s.href).length,"
                " getComputedStyle(document.querySelector('header.site')).backgroundColor])"
            ),
            returnByValue=True,
        )
        title, sheets, header_bg = json.loads(check["result"]["value"])
        found = problems_in(browser.events, session)
        if not title or sheets != 1 or header_bg != "rgb(20, 33, 61)":
            found.append(f"not rendered as expected: {title!r}, {sheets} sheets, {header_bg}")
        if found:
            failures[str(path.relative_to(site))] = found
    assert len(pages) > 20
    assert not failures, json.dumps(failures, indent=1)[:4000]


def test_screenshots(chromium, site):
    """Screenshots of the index, the timeline and an entity page (test artefacts)."""
    ARTIFACTS.mkdir(exist_ok=True)
    shots = {
        "index.png": site / "index.html",
        "timeline.png": site / "timeline.html",
        "entity-shinzo-abe.png": site / "entity" / "shinzo-abe.html",
    }
    for name, page in shots.items():
        out = ARTIFACTS / name
        out.unlink(missing_ok=True)
        with tempfile.TemporaryDirectory(prefix="kg-chromium-") as profile:
            subprocess.run(
                [chromium, *FLAGS, f"--user-data-dir={profile}", "--hide-scrollbars",
                 "--window-size=1280,1600", f"--screenshot={out}", page.as_uri()],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=120,
                check=False,
            )  # fmt: skip
        assert out.is_file(), f"no screenshot of {page}"
        data = out.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000, name
