"""The route of an atomic ``kg push`` chosen by what the store guarantees
(kg.remote.capabilities): one transactional request straight to the target on
an Oxigraph server that applies an upload whole, staging graphs and one update
everywhere else; a cut-off upload leaves the target as it was on both."""

from __future__ import annotations

import socket
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from servers import SocketStore, forward, read_head

import kg.remote.capabilities
import kg.remote.http
from kg.remote.capabilities import Capabilities, capabilities
from kg.remote.protocol import count_triples, remote_query

pytest_plugins = ["servers"]

G = "https://w3id.org/kg-nj/graph/route-test"


@pytest.fixture(scope="module")
def runner():
    from click.testing import CliRunner

    return CliRunner()


def run_cli(runner, *args: str):
    from kg.cli.app import cli

    return runner.invoke(cli, list(args), obj={}, catch_exceptions=False)


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        ("Oxigraph/0.5.13", Capabilities(True, "&no_transaction")),
        ("Oxigraph/0.5.10", Capabilities(True, "&no_transaction")),
        ("Oxigraph/0.6.0-alpha.1", Capabilities(True, "&no_transaction")),
        # Before 0.5.10 its PUT committed the clear first: staged, bulk-loaded.
        ("Oxigraph/0.5.9", Capabilities(False, "&no_transaction")),
        ("Oxigraph/0.4.11", Capabilities(False, "&no_transaction")),
        ("oxigraph", Capabilities(False, "&no_transaction")),
        ("Virtuoso/07.20.3240 (Linux) x86_64-pc-linux-gnu", Capabilities()),
        ("Apache Jena Fuseki (5.1.0)", Capabilities()),
        ("nginx/1.24.0", Capabilities()),
        ("", Capabilities()),
    ],
)
def test_capabilities_by_server_header(server, expected):
    assert capabilities(server) == expected


def nt(path, n: int, o: str = "o") -> None:
    path.write_text("".join(f"<http://e/s{i}> <http://e/p> <http://e/{o}> .\n" for i in range(n)))


def graphs(oxigraph) -> list[str]:
    res = remote_query(oxigraph.query, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    return sorted(str(row[0]) for row in res.rows)


@pytest.mark.parametrize("mode", ["--replace", "--append"])
def test_one_graph_goes_to_oxigraph_in_one_request(mode, oxigraph, fault, tmp_path, runner):
    """One PUT (POST to append) on the target, no staging graph, no update;
    the count read back."""
    store, update = fault(forward(oxigraph.base)), fault(forward(oxigraph.base))
    g = f"{G}{mode}"
    old, new = tmp_path / "old.nt", tmp_path / "new.nt"
    nt(old, 3, "old")
    nt(new, 2, "new")
    ends = ["--query-endpoint", oxigraph.query, "--update-endpoint", update.base + "/update"]
    base = ["push", "--endpoint", store.base + "/store", "--graph", g, "--no-ontology", *ends]
    assert run_cli(runner, *base, str(old)).exit_code == 0
    r = run_cli(runner, *base, mode, str(new))
    assert r.exit_code == 0, r.output
    if mode == "--replace":
        how, held, method = "replaced atomically: one transactional PUT", 2, "PUT"
    else:
        how, held, method = "appended to atomically: one transactional POST", 5, "POST"
    assert r.output.splitlines()[0] == (
        f"Pushed 2 triples to <{g}> ({how}); the store now holds {held}."
    )
    assert [(m, parse_qs(urlsplit(p).query)) for m, p, *_ in store.requests] == [
        ("PUT", {"graph": [g]}),
        (method, {"graph": [g]}),
    ]
    assert update.requests == []
    assert count_triples(oxigraph.query, g) == held
    assert graphs(oxigraph).count(g) == 1
    assert not [x for x in graphs(oxigraph) if "/staging/" in x]


def test_several_graphs_still_go_through_staging(oxigraph, tmp_path, runner):
    """A TriG push changes all its graphs in one update: one request per graph
    would not."""
    f = tmp_path / "d.trig"
    f.write_text("".join(f"<{G}-{g}> {{ <http://e/s> <http://e/p> {g!r} }}\n" for g in "ab"))
    r = run_cli(runner, "push", "--endpoint", oxigraph.store, str(f))
    assert r.exit_code == 0, r.output
    assert sorted(r.output.splitlines()[:2]) == [
        f"Pushed 1 triples to <{G}-a> (replaced atomically: staging graph, then one MOVE); "
        "the store now holds 1.",
        f"Pushed 1 triples to <{G}-b> (replaced atomically: staging graph, then one MOVE); "
        "the store now holds 1.",
    ]


class HalfProxy(SocketStore):
    """A Graph Store in front of a real one that passes on the request's
    headers and the start of its body (64 KiB or more), then hangs up on both
    sides: the store sees an upload cut off mid-way, kg a connection lost
    while it sends."""

    def __init__(self, target: str) -> None:
        host, port = urlsplit(target).hostname, urlsplit(target).port
        self.target = (host or "", port or 80)
        self.passed: list[int] = []
        super().__init__()

    def handle(self, conn: socket.socket) -> None:
        with socket.create_connection(self.target) as up:
            got = read_head(conn, 64 * 1024)
            up.sendall(got)
            self.passed.append(len(got))


def test_an_upload_cut_off_mid_way_leaves_the_target_as_it_was(oxigraph, tmp_path, runner):
    """The Oxigraph server gets the start of the new graph and the connection
    drops: it keeps the old graph whole (its PUT is one transaction), and kg,
    which had not sent the end, says so (exit 3)."""
    old, new = tmp_path / "old.nt", tmp_path / "new.nt"
    nt(old, 3, "old")
    nt(new, 300_000, "new")  # far more than the sockets' buffers hold
    base = ["push", "--graph", G + "-cut", "--no-ontology", "--retries", "0"]
    assert run_cli(runner, *base, "--endpoint", oxigraph.store, str(old)).exit_code == 0
    proxy = HalfProxy(oxigraph.base)
    r = run_cli(
        runner, *base, str(new), "--endpoint", proxy.url,
        "--query-endpoint", oxigraph.query, "--update-endpoint", oxigraph.update,
    )  # fmt: skip
    proxy.sock.close()
    assert r.exit_code == 3
    # Reset or closed, as the kernel has it: either way before the last byte.
    assert r.output in (
        f"Error: upload failed: PUT {proxy.url}: {why}; the target graph was not changed\n"
        for why in ("the store closed the connection without answering", "the connection was reset")
    )
    assert proxy.passed and 0 < proxy.passed[0] < new.stat().st_size
    assert count_triples(oxigraph.query, G + "-cut") == 3
    assert not [x for x in graphs(oxigraph) if "/staging/" in x]


def test_older_oxigraph_is_staged_with_its_bulk_loader(
    oxigraph, fault, tmp_path, runner, monkeypatch
):
    """Taken for an Oxigraph before 0.5.10, the server gets a staging graph
    loaded with ``no_transaction`` and one MOVE."""
    monkeypatch.setattr(kg.remote.capabilities, "OXIGRAPH_ATOMIC_PUT", (99, 0, 0))
    store = fault(forward(oxigraph.base))
    f = tmp_path / "one.nt"
    nt(f, 1)
    r = run_cli(
        runner, "push", str(f), "--endpoint", store.base + "/store", "--graph", G + "-old",
        "--no-ontology", "--query-endpoint", oxigraph.query, "--update-endpoint", oxigraph.update,
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "(replaced atomically: staging graph, then one MOVE)" in r.output
    ((method, path, *_),) = store.requests
    query = parse_qs(urlsplit(path).query, keep_blank_values=True)
    assert method == "PUT"
    assert query["graph"][0].startswith("https://w3id.org/kg-nj/graph/staging/")
    assert "no_transaction" in query
    assert count_triples(oxigraph.query, G + "-old") == 1


class SlowTaker(SocketStore):
    """A Graph Store that reads a request's headers, takes none of its body for
    ``stall`` seconds (as Oxigraph does while it clears the graph a PUT
    replaces), then reads it all and answers 204."""

    def __init__(self, stall: float) -> None:
        self.stall = stall
        self.received: list[int] = []
        super().__init__()

    def handle(self, conn: socket.socket) -> None:
        head, _, body = read_head(conn).partition(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        time.sleep(self.stall)
        while len(body) < length:
            chunk = conn.recv(1 << 20)
            if not chunk:
                break
            body += chunk
        self.received.append(len(body))
        conn.sendall(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")


def test_an_upload_waits_for_a_store_that_takes_its_body_late(tmp_path, runner, monkeypatch):
    """urllib3 sends a body under the connect timeout: a store that took none
    of it for longer (Oxigraph clearing a 170k-triple graph before it read the
    new one) had the upload cut, reported as a connection the store closed.
    An upload has ``--timeout`` for it. (The connect timeout is shortened here
    to keep the test short; it is 10 s.)"""
    monkeypatch.setattr(kg.remote.http, "CONNECT_TIMEOUT", 0.5)
    f = tmp_path / "big.nt"
    nt(f, 300_000)  # far more than the sockets' buffers hold
    store = SlowTaker(stall=2.0)
    r = run_cli(
        runner, "push", str(f), "--endpoint", store.url, "--direct", "--no-verify",
        "--no-ontology", "--timeout", "20", "--retries", "0",
    )  # fmt: skip
    store.sock.close()
    assert r.exit_code == 0, r.output
    assert r.output.startswith("Pushed 300000 triples to the default graph (replaced directly).")
    assert store.received == [f.stat().st_size]


def test_an_upload_the_store_stops_taking_says_so(tmp_path, runner, monkeypatch):
    """Past ``--timeout`` without the store taking more of the body: exit 3,
    saying so (not that the store closed the connection)."""
    f = tmp_path / "big.nt"
    nt(f, 300_000)
    store = SlowTaker(stall=5.0)
    r = run_cli(
        runner, "push", str(f), "--endpoint", store.url, "--direct", "--no-verify",
        "--no-ontology", "--timeout", "1", "--retries", "0",
    )  # fmt: skip
    store.sock.close()
    assert r.exit_code == 3
    assert r.output == (
        f"Error: upload failed: PUT {store.url}: the store took no more of the request "
        "for 1 s (--timeout)\n"
    )


def test_a_push_waits_minutes_for_the_store_by_default_a_query_seconds(runner, monkeypatch):
    """A 1M-triple replace on Oxigraph takes minutes to clear and load (bench/RESULTS.md):
    with a query's 30 s every large push failed. --timeout still overrides it."""
    import kg.remote.protocol
    import kg.remote.push
    from kg.errors import RemoteError
    from kg.sandbox.limits import PUSH_TIMEOUT

    seen = []

    def record(*_args, conn=None, **_kwargs):
        seen.append(conn.timeout)
        raise RemoteError("stopped here")

    monkeypatch.setattr(kg.remote.push, "push", record)
    monkeypatch.setattr(kg.remote.protocol, "remote_query", record)
    store = "http://127.0.0.1:9/store"
    assert run_cli(runner, "push", "--endpoint", store).exit_code == 3
    assert run_cli(runner, "push", "--endpoint", store, "--timeout", "5").exit_code == 3
    assert run_cli(runner, "query", "timeline", "--endpoint", store).exit_code == 3
    assert seen == [PUSH_TIMEOUT, 5.0, 30.0]
