"""kg serve's front door, over plain HTTP (requests) from outside kg: the SPARQL
guard before any engine (a SERVICE listener on 127.0.0.1 sees no connection),
read-only, the per-query time limit (the engine's work stops, the others go on
answering), CORS only when asked, and requests for other host names refused."""

from __future__ import annotations

import doctest
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

import kg.serve.engines
import kg.serve.front
from kg.errors import BadInput
from kg.serve.endpoint import LocalEndpoint, serve
from kg.sparql.guard import check_sparql

MINI = Path(__file__).parent.parent / "fixtures" / "mini"
RESULTS_JSON = {"Accept": "application/sparql-results+json"}
FORM = "application/x-www-form-urlencoded"
TIMEOUT = 2.0  # --timeout of the endpoint the time-limit tests use

# A cartesian product that streams rows as fast as it can, and one that
# computes for ages before its first byte: both past any time limit.
STREAMING = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
AGGREGATE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@pytest.fixture(scope="module")
def ep() -> Iterator[LocalEndpoint]:
    with serve(records=MINI, port=0) as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def short() -> Iterator[LocalEndpoint]:
    with serve(records=MINI, port=0, timeout=TIMEOUT, engines=2) as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def cors() -> Iterator[LocalEndpoint]:
    with serve(records=MINI, port=0, cors=True) as endpoint:
        yield endpoint


class Listener:
    """A TCP listener on 127.0.0.1 that counts the connections it accepts."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def refusal(text: str) -> str:
    """The guard's own message for ``text``, as it words it for an endpoint (no
    kg query options to point at)."""
    with pytest.raises(BadInput) as caught:
        check_sparql(text, options=False)
    return str(caught.value)


def send(ep: LocalEndpoint, how: str, text: str, path: str = "/query") -> requests.Response:
    """The query ``text`` by one of the SPARQL 1.1 Protocol's three ways."""
    url = f"http://127.0.0.1:{ep.port}{path}"
    if how == "get":
        return requests.get(url, params={"query": text}, headers=RESULTS_JSON, timeout=30)
    if how == "form":
        return requests.post(url, data={"query": text}, headers=RESULTS_JSON, timeout=30)
    headers = {**RESULTS_JSON, "Content-Type": "application/sparql-query"}
    return requests.post(url, data=text.encode("utf-8"), headers=headers, timeout=30)


def test_doctests():
    for module in (kg.serve.engines, kg.serve.front):
        result = doctest.testmod(module)
        assert (result.failed, result.attempted > 0) == (0, True), module.__name__


# --- the guard ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/query", "/sparql"])
@pytest.mark.parametrize("how", ["get", "form", "body"])
@pytest.mark.parametrize(
    "template",
    [
        "SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ SERVICE SILENT <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ ?s ?p ?o FILTER(?s <?o)SERVICE<http://127.0.0.1:{port}/#> {{}} }}",
        # Oxigraph reads a keyword at the start of a longer word: SERVICE SILENT.
        "SELECT * WHERE {{ SERVICESILENT <http://127.0.0.1:{port}/> {{ }} }}",
        # A page's form POST sending the graph out, one label per request.
        'SELECT * {{ ?s rdfs:label ?o BIND(IRI(CONCAT("http://127.0.0.1:{port}/leak?",'
        "ENCODE_FOR_URI(STR(?o)))) AS ?u) LATERAL {{ SERVICESILENT ?u {{ }} }} }} LIMIT 3",
        "SELECT * WHERE {{ ?s ?p trueSERVICE<http://127.0.0.1:{port}/> {{ }} }}",
    ],
)
def test_service_is_refused_before_any_engine(ep, listener, how, path, template):
    text = template.format(port=listener.port)
    r = send(ep, how, text, path)
    assert (r.status_code, r.text) == (400, refusal(text))
    time.sleep(0.2)
    assert listener.connections == 0


def test_the_listener_would_see_an_engine_that_ran_the_service(ep, listener):
    """The control for the test above: an engine reached directly makes the call."""
    assert ep.pool is not None
    engine = ep.pool.acquire(10)
    assert engine is not None
    try:
        text = f"SELECT * WHERE {{ SERVICE SILENT <http://127.0.0.1:{listener.port}/> {{ }} }}"
        requests.get(f"http://127.0.0.1:{engine.port}/query", params={"query": text}, timeout=30)
    finally:
        ep.pool.release(engine)
    assert listener.connections >= 1


@pytest.mark.parametrize(
    "text",
    [
        "INSERT DATA { <http://e/s> <http://e/p> <http://e/o> }",
        "LOAD <http://127.0.0.1:9/data.ttl>",
        "SELECT * FROM <http://e/g> WHERE { ?s ?p ?o }",
        "SELECT * FROM NAMED <http://e/g> WHERE { GRAPH ?g { ?s ?p ?o } }",
        "SELECT * WHERE " + "{ " * 300 + "?s ?p ?o" + " }" * 300,
    ],
    ids=["insert", "load", "from", "from-named", "too-deep"],
)
@pytest.mark.parametrize("how", ["get", "form", "body"])
def test_what_the_guard_refuses_is_answered_400_with_its_message(ep, how, text):
    r = send(ep, how, text)
    assert (r.status_code, r.text) == (400, refusal(text))


def test_updates_and_graph_store_writes_are_refused_and_change_nothing(ep):
    base = f"http://127.0.0.1:{ep.port}"
    insert = "INSERT DATA { <http://e/s> <http://e/p> <http://e/o> }"
    nt = {"Content-Type": "application/n-triples"}
    triple = b"<a:s> <a:p> <a:o> .\n"
    answers = [
        requests.post(f"{base}/update", data={"update": insert}, timeout=10),
        requests.post(f"{base}/sparql", data={"update": insert}, timeout=10),
        requests.post(f"{base}/query", data={"update": insert}, timeout=10),
        requests.post(
            f"{base}/sparql",
            data=insert,
            headers={"Content-Type": "application/sparql-update"},
            timeout=10,
        ),
        requests.put(f"{base}/store?default", data=triple, headers=nt, timeout=10),
        requests.post(f"{base}/store?default", data=triple, headers=nt, timeout=10),
        requests.delete(f"{base}/store?default", timeout=10),
    ]
    message = "kg serve is read-only: updates and Graph Store writes are refused"
    assert [(r.status_code, r.text) for r in answers] == [(403, message)] * len(answers)
    count = send(ep, "get", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert count.json()["results"]["bindings"][0]["n"]["value"] == str(ep.triples)


def test_the_three_ways_to_send_a_query_and_the_dataset_parameters(ep):
    text = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    for how in ("get", "form", "body"):
        r = send(ep, how, text)
        assert r.status_code == 200, how
        assert r.json()["results"]["bindings"][0]["n"]["value"] == str(ep.triples), how
    # default-graph-uri reaches the engine: an unknown graph is an empty dataset.
    r = requests.get(
        ep.query_url,
        params={"query": text, "default-graph-uri": "http://e/none"},
        headers=RESULTS_JSON,
        timeout=10,
    )
    assert r.json()["results"]["bindings"][0]["n"]["value"] == "0"


@pytest.mark.parametrize(
    "request_args,status,message",
    [
        ({"params": {}}, 200, None),  # the service description
        ({"params": {"query": ["ASK {}", "ASK {}"]}}, 400, "give the query once"),
        ({"params": {"other": "x"}}, 400, "give the query once"),
        ({"method": "POST", "data": b"ASK {}"}, 415, "a query POST is"),
        ({"method": "PUT", "data": b"ASK {}"}, 405, "PUT is not allowed here"),
        ({"path": "/elsewhere"}, 404, "no such page: /elsewhere"),
    ],
)
def test_malformed_requests(ep, request_args, status, message):
    method = request_args.pop("method", "GET")
    url = f"http://127.0.0.1:{ep.port}{request_args.pop('path', '/query')}"
    r = requests.request(method, url, timeout=10, **request_args)
    assert r.status_code == status
    if message:
        assert r.text.startswith(message)


def test_the_web_page_and_its_assets_are_passed_through(ep):
    page = requests.get(ep.url, timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html"
    assert "yasgui" in page.text.lower()
    for asset, media in [("yasgui.min.js", "application/javascript"), ("logo.svg", "image/svg")]:
        r = requests.get(ep.url + asset, timeout=10)
        assert (r.status_code, r.headers["Content-Type"].startswith(media)) == (200, True)
    # The service description names the front's port, not an engine's.
    r = requests.get(ep.query_url, headers={"Accept": "application/n-triples"}, timeout=10)
    assert f"<http://127.0.0.1:{ep.port}/query>" in r.text


def test_requests_for_another_host_name_are_refused(ep):
    """A page that rebinds its own name to 127.0.0.1 sends that name as Host."""
    text = "ASK { ?s ?p ?o }"
    other = requests.get(
        ep.query_url, params={"query": text}, headers={"Host": f"evil.test:{ep.port}"}, timeout=10
    )
    assert other.status_code == 421
    assert other.text == (
        f"kg serve answers requests for 127.0.0.1:{ep.port} or localhost:{ep.port} only"
    )
    local = requests.get(
        ep.query_url,
        params={"query": text},
        headers={"Host": f"localhost:{ep.port}", **RESULTS_JSON},
        timeout=10,
    )
    assert local.json()["boolean"] is True


# --- the time limit -------------------------------------------------------------------


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total


def _timed(ep: LocalEndpoint, text: str) -> tuple[requests.Response, float]:
    start = time.monotonic()
    r = requests.get(ep.query_url, params={"query": text}, headers=RESULTS_JSON, timeout=60)
    return r, time.monotonic() - start


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.parametrize("text", [STREAMING, AGGREGATE], ids=["streaming", "aggregate"])
def test_a_query_past_the_time_limit_is_stopped_and_the_others_answered(short, text):
    assert short.pool is not None
    before = set(short.pool.pids())
    runaway: dict[str, tuple[requests.Response, float]] = {}
    worker = threading.Thread(target=lambda: runaway.update(r=_timed(short, text)))
    worker.start()
    time.sleep(0.5)
    during, _ = _timed(short, "ASK { ?s ?p ?o }")
    assert worker.is_alive()  # answered while the runaway still runs
    assert (during.status_code, during.json()["boolean"]) == (200, True)
    worker.join(60)
    r, took = runaway["r"]
    assert (r.status_code, r.text) == (
        504,
        "the query ran past kg serve's time limit of 2 s (--timeout) and was stopped",
    )
    assert TIMEOUT <= took < TIMEOUT + 3
    # The engine that ran it was killed (its work ended with it) and replaced.
    deadline = time.monotonic() + 5
    while all(_alive(pid) for pid in before) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [_alive(pid) for pid in sorted(before)].count(False) == 1
    engines = short.pool.pids()
    ticks = _cpu_ticks(engines)
    time.sleep(1)
    assert _cpu_ticks(engines) - ticks <= 10  # no engine is busy any more (ticks of 10 ms)
    after, _ = _timed(short, "ASK { ?s ?p ?o }")
    assert (after.status_code, after.json()["boolean"]) == (200, True)
    deadline = time.monotonic() + 10
    while len(short.pool.pids()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(short.pool.pids()) == 2


def test_a_query_within_the_time_limit_is_relayed_whole(short):
    """The answer is read in full before it is sent: its length is announced."""
    text = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    r = requests.get(
        short.query_url, params={"query": text}, headers={"Accept": "text/csv"}, timeout=30
    )
    assert r.status_code == 200
    assert int(r.headers["Content-Length"]) == len(r.content)
    assert len(r.text.splitlines()) == short.triples + 1


# --- CORS -------------------------------------------------------------------------------


def test_no_cors_headers_unless_asked(ep):
    origin = {"Origin": "https://yasgui.example"}
    answers = [
        requests.get(ep.query_url, params={"query": "ASK {}"}, headers=origin, timeout=10),
        requests.post(ep.query_url, data={"query": "ASK {}"}, headers=origin, timeout=10),
        requests.options(
            ep.query_url, headers={**origin, "Access-Control-Request-Method": "POST"}, timeout=10
        ),
        requests.get(
            ep.query_url, params={"query": "LOAD <http://e/>"}, headers=origin, timeout=10
        ),
    ]
    assert [r.status_code for r in answers] == [200, 200, 204, 400]
    for r in answers:
        assert not [h for h in r.headers if h.lower().startswith("access-control-")]


def test_cors_when_asked(cors):
    origin = {"Origin": "https://yasgui.example"}
    r = requests.get(cors.query_url, params={"query": "ASK {}"}, headers=origin, timeout=10)
    assert (r.status_code, r.headers["Access-Control-Allow-Origin"]) == (200, "*")
    refused = requests.get(
        cors.query_url, params={"query": "LOAD <http://e/>"}, headers=origin, timeout=10
    )
    assert (refused.status_code, refused.headers["Access-Control-Allow-Origin"]) == (400, "*")
    preflight = requests.options(
        cors.query_url,
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=10,
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert preflight.headers["Access-Control-Allow-Headers"] == "content-type"


# --- the memory limit -----------------------------------------------------------------


def _address_space_limit(pid: int) -> int | None:
    with open(f"/proc/{pid}/limits") as fh:
        for line in fh:
            if line.startswith("Max address space"):
                soft = line.split()[3]
                return None if soft == "unlimited" else int(soft)
    return None


def _address_space(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as fh:
        return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not Path("/proc/self/limits").exists(), reason="reads /proc")
def test_every_engine_may_grow_by_kg_querys_memory_limit_only(monkeypatch):
    """The same limit as a kg query worker (KG_MAX_QUERY_MEMORY), on each engine,
    replacements included, so a runaway ORDER BY cannot take the machine."""
    monkeypatch.setenv("KG_MAX_QUERY_MEMORY", str(512 * 1024**2))
    # A time limit well past the few seconds the ORDER BY takes to fill 512 MiB.
    with serve(records=MINI, port=0, timeout=60, engines=2) as endpoint:
        assert endpoint.pool is not None
        pids = endpoint.pool.pids()
        assert len(pids) == 2
        for pid in pids:
            limit = _address_space_limit(pid)
            assert limit is not None
            # Set to its size then plus the limit. The size moves since: each new
            # thread's malloc arena reserves 64 MiB (seen once under load), so
            # allow four arenas; a missing or doubled limit is still far outside.
            assert abs(limit - _address_space(pid) - 512 * 1024**2) < 4 * 64 * 1024**2
        r, _took = _timed(
            endpoint, "SELECT ?a WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?f"
        )
        assert (r.status_code, r.text) == (
            500,
            "the query needed more memory than kg allows (KG_MAX_QUERY_MEMORY) and was "
            "stopped; make it narrower",
        )
        # Its replacement is capped before it takes a query.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            new = set(endpoint.pool.pids()) - set(pids)
            if len(new) == 1 and all(_address_space_limit(p) is not None for p in new):
                break
            time.sleep(0.1)
        else:
            pytest.fail(f"no capped replacement engine: {endpoint.pool.pids()} (was {pids})")


# --- the formats an answer comes in -------------------------------------------------


@pytest.mark.parametrize(
    "text,accept,media",
    [
        ("SELECT * WHERE { ?s ?p ?o } LIMIT 1", None, "application/sparql-results+json"),
        ("SELECT * WHERE { ?s ?p ?o } LIMIT 1", "*/*", "application/sparql-results+json"),
        ("SELECT * WHERE { ?s ?p ?o } LIMIT 1", "text/csv", "text/csv"),
        ("ASK { ?s ?p ?o }", "application/sparql-results+xml", "application/sparql-results+xml"),
        ("CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1", None, "text/turtle"),
        ("CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1", "application/ld+json", "application/ld+json"),
        (
            "DESCRIBE <https://w3id.org/kg-nj/id/alice>",
            "application/n-triples",
            "application/n-triples",
        ),
    ],
)
def test_the_answer_comes_in_a_format_of_kgs_registry(ep, text, accept, media):
    headers = {"Accept": accept} if accept else {}
    r = requests.get(ep.query_url, params={"query": text}, headers=headers, timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].split(";")[0] == media


def test_a_format_kg_does_not_offer_is_406(ep):
    r = requests.get(
        ep.query_url,
        params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1"},
        headers={"Accept": "image/png"},
        timeout=30,
    )
    assert r.status_code == 406
    assert r.text == (
        "this query's answer comes as one of: application/sparql-results+json, "
        "application/sparql-results+xml, text/csv, text/tab-separated-values; not image/png"
    )
