"""The guard itself, used as a library: offline scopes, refusals that a
library swallows, strict scopes, and limits."""

from __future__ import annotations

import contextlib
import socket
import urllib.request

import pytest

from kg.errors import BadInput
from kg.sandbox import limits as guard_limits
from kg.sandbox import offline as guard_offline
from kg.sandbox import worker as guard_worker


def test_offline_refuses_urllib_and_sockets(listener):
    with (
        pytest.raises(BadInput, match=r"refused: kg does not fetch http://127\.0\.0\.1"),
        guard_offline.offline(),
    ):
        urllib.request.urlopen(f"http://127.0.0.1:{listener.port}/")
    with (
        pytest.raises(BadInput, match="kg does not open network connections"),
        guard_offline.offline(),
    ):
        socket.create_connection(("127.0.0.1", listener.port), timeout=1)
    assert listener.count == 0


def test_a_swallowed_refusal_is_still_reported(listener):
    """As SERVICE SILENT or a parser catching every exception would do."""
    with (
        pytest.raises(BadInput, match="kg does not fetch"),
        guard_offline.offline(),
        contextlib.suppress(Exception),
    ):
        urllib.request.urlopen(f"http://127.0.0.1:{listener.port}/")
    assert listener.count == 0


def test_strict_scope_refuses_other_files(tmp_path):
    secret = tmp_path / "SECRET.txt"
    secret.write_text("x", encoding="utf-8")
    with pytest.raises(BadInput, match="kg does not open"), guard_offline.offline(strict=True):
        secret.read_text(encoding="utf-8")
    with pytest.raises(BadInput, match="kg does not open"), guard_offline.offline(strict=True):
        (tmp_path / "new.txt").write_text("x", encoding="utf-8")
    assert not (tmp_path / "new.txt").exists()


def test_outside_a_scope_nothing_is_refused(listener):
    with socket.create_connection(("127.0.0.1", listener.port), timeout=2) as s:
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        s.recv(10)
    assert listener.count == 1


def test_library_run_query_refuses_service_silent(bundled, listener):
    from kg.sparql.run import run_query

    q = f"SELECT * {{ SERVICE SILENT <http://127.0.0.1:{listener.port}/> {{ ?s ?p ?o }} }}"
    with pytest.raises(BadInput, match=r"SERVICE .* is refused"):
        run_query(bundled.graph, q)
    assert listener.count == 0


def test_timeout_stops_a_native_engine():
    pyoxigraph = pytest.importorskip("pyoxigraph")
    store = pyoxigraph.Store()
    for i in range(300):
        store.add(
            pyoxigraph.Quad(
                pyoxigraph.NamedNode(f"http://x.test/{i}"),
                pyoxigraph.NamedNode("http://x.test/p"),
                pyoxigraph.Literal(str(i)),
            )
        )

    def count() -> int:
        q = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
        return len(list(store.query(q)))

    with guard_limits.limits(timeout=1), pytest.raises(BadInput, match="query stopped after 1 s"):
        guard_worker.run_limited(count)


def test_limits_from_the_environment(monkeypatch):
    monkeypatch.setenv("KG_MAX_ROWS", "7")
    assert guard_limits.current_limits().max_rows == 7
    monkeypatch.setenv("KG_TIMEOUT", "soon")
    with pytest.raises(Exception, match="KG_TIMEOUT must be a number"):
        guard_limits.current_limits()
