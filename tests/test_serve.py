"""kg serve: a read-only SPARQL 1.1 endpoint on 127.0.0.1, on the Oxigraph server,
answering clients that are separate processes or plain HTTP (requests).

Every canned query, with its parameters, gives the same rows locally, on an
Oxigraph server the graph was pushed to, and through kg serve. The front
door's guard, time limit and CORS are tested in hostile/test_serve_door.py.
"""

from __future__ import annotations

import doctest
import os
import signal
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from servers import OxigraphServer, free_port, kg_subprocess

import kg.serve.endpoint
import kg.serve.scratch
from kg.pipeline.open import open_graph
from kg.serve.endpoint import serve
from kg.serve.scratch import LOCK_NAME, sweep
from kg.sparql.canned import bind_params, catalog
from kg.sparql.render import render
from kg.sparql.run import run_query

MINI = Path(__file__).parent / "fixtures" / "mini"
KG = "https://w3id.org/kg-nj/ontology#"
RESULTS_JSON = {"Accept": "application/sparql-results+json"}


@pytest.mark.parametrize("module", [kg.serve.endpoint, kg.serve.scratch])
def test_doctests(module):
    result = doctest.testmod(module)
    assert (result.failed, result.attempted > 0) == (0, True)


def test_serve_answers_a_separate_client_and_is_read_only():
    expected = len(open_graph(None, MINI))
    with serve(records=MINI, port=0) as ep:
        assert ep.query_url == f"http://127.0.0.1:{ep.port}/query"
        assert ep.triples == expected
        r = requests.get(
            ep.query_url,
            params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
            headers=RESULTS_JSON,
            timeout=10,
        )
        assert r.status_code == 200
        assert r.json()["results"]["bindings"][0]["n"]["value"] == str(expected)
        # A form POST, as the SPARQL 1.1 Protocol allows.
        r = requests.post(
            ep.query_url, data={"query": "ASK { ?s a ?c }"}, headers=RESULTS_JSON, timeout=10
        )
        assert r.json()["boolean"] is True
        # Read-only: updates and Graph Store writes are refused.
        r = requests.post(
            f"http://127.0.0.1:{ep.port}/update",
            data={"update": "INSERT DATA { <http://e/s> <http://e/p> <http://e/o> }"},
            timeout=10,
        )
        assert r.status_code == 403
        folder = ep.folder
        assert folder.exists()
    assert not folder.exists()  # stopping removes the temporary database
    with pytest.raises(requests.ConnectionError):
        requests.get(ep.query_url, params={"query": "ASK {}"}, timeout=2)


def test_serve_with_reason_serves_the_reference_graph():
    """The served triples, made natively, are owlrl's graph (ontology included)."""
    from rdflib import Graph
    from rdflib.compare import isomorphic

    expected = open_graph(None, MINI, reason=True, engine="reference")
    with serve(records=MINI, reason=True, port=0) as ep:
        assert ep.triples == len(expected)
        r = requests.get(
            ep.query_url,
            params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
            headers={"Accept": "application/n-triples"},
            timeout=10,
        )
        assert r.status_code == 200
    assert isomorphic(Graph().parse(data=r.content, format="nt"), expected)


def test_kg_query_against_kg_serve_equals_local(invoke):
    """The whole round trip: kg serve's endpoint gives kg query the local rows."""
    graph = open_graph(None, MINI)
    with serve(records=MINI, port=0) as ep:
        for name in ("timeline", "meetings", "theme-hierarchy"):
            q = catalog()[name]
            local = render(run_query(graph, q.text, bind_params(q, {})), "csv")
            r = invoke("query", name, "--format", "csv", "--endpoint", ep.query_url)
            assert r.exit_code == 0, r.output
            assert sorted(r.stdout_bytes.decode().splitlines()) == sorted(local.splitlines())


@pytest.mark.parametrize("stop", ["SIGINT", "SIGHUP"])
def test_cli_serve_prints_the_url_answers_and_stops_on_ctrl_c(tmp_path, stop):
    """Ctrl-C, or its terminal closed (SIGHUP): it stops and removes its folder."""
    port = free_port()
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = kg_subprocess("serve", "--port", str(port), "--records", str(MINI), env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        expected = len(open_graph(None, MINI))
        assert line == f"Serving {expected} triples, read-only, at http://127.0.0.1:{port}/query\n"
        assert proc.stderr is not None
        assert proc.stderr.readline() == (
            f"(SPARQL 1.1 Protocol; web page at http://127.0.0.1:{port}/; "
            "time limit per query: 30 s; CORS off; Ctrl-C stops)\n"
        )
        r = requests.get(
            f"http://127.0.0.1:{port}/query",
            params={"query": f"SELECT ?p WHERE {{ ?p a <{KG}Person> }} ORDER BY ?p"},
            headers={"Accept": "text/csv"},
            timeout=10,
        )
        assert r.status_code == 200
        assert r.text.splitlines()[0] == "p"
        assert len(r.text.splitlines()) > 1
        assert list(tmp_path.glob("kg-serve-*"))
        proc.send_signal(getattr(signal, stop))
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert err == "Stopped.\n"
    assert not list(tmp_path.glob("kg-serve-*"))  # the database is removed
    with socket.socket() as s:  # and nothing listens on the port any more
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))


def test_port_in_use_is_a_usage_error(invoke):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = invoke("serve", "--port", str(port), "--records", str(MINI))
    assert r.exit_code == 2
    assert r.output == (f"Error: port {port} on 127.0.0.1 is in use; choose another with --port\n")


@pytest.mark.parametrize(
    ("binary", "why"),
    [("README.md", "Permission denied"), ("missing", "No such file or directory")],
)
def test_a_kg_oxigraph_that_cannot_run_is_a_usage_error(invoke, monkeypatch, tmp_path, binary, why):
    """Named with the reason, exit 2, no traceback: a path set by hand."""
    target = tmp_path / binary
    if binary != "missing":
        target.write_text("not a program\n", encoding="utf-8")
    monkeypatch.setenv("KG_OXIGRAPH", str(target))
    r = invoke("serve", "--port", "0", "--records", str(MINI))
    assert (r.exit_code, r.output) == (
        2,
        f"Error: KG_OXIGRAPH={str(target)!r}: cannot run it: {why}\n",
    )


def test_a_negative_timeout_is_a_usage_error(invoke):
    r = invoke("serve", "--port", "0", "--timeout", "-1", "--records", str(MINI))
    assert r.exit_code == 2
    assert (
        "Invalid value for '--timeout': must be 0 (no limit) or a number of seconds of at "
        "most 9223372036 (got -1.0)" in r.output
    )


def _engines_of(pid: int) -> dict[int, int]:
    """The Oxigraph servers ``pid`` started: {process id: port}."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmd = (stat.parent / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if int(fields[1]) == pid and b"serve-read-only" in cmd:
            found[int(stat.parent.name)] = int(cmd[cmd.index(b"--bind") + 1].rsplit(b":", 1)[1])
    return found


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_kill_9_of_kg_serve_leaves_no_engine_answering(tmp_path):
    port = free_port()
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    args = ("serve", "--port", str(port), "--records", str(MINI), "--timeout", "5", "--cors")
    proc = kg_subprocess(*args, env=env)
    try:
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline().startswith("Serving ")
        assert "time limit per query: 5 s; CORS on;" in proc.stderr.readline()
        r = requests.get(f"http://127.0.0.1:{port}/query", params={"query": "ASK {}"}, timeout=10)
        assert r.headers["Access-Control-Allow-Origin"] == "*"
        engines = _engines_of(proc.pid)
        assert len(engines) >= 2
        assert all(_answers(p) for p in engines.values())
        proc.kill()
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    deadline = time.monotonic() + 10
    while any(_answers(p) for p in engines.values()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in engines.values() if _answers(p)]
    assert not _answers(port)


def _serving(port: int, env: dict[str, str]):  # type: ignore[no-untyped-def]
    """``kg serve`` on the mini records as a process, once it answers."""
    proc = kg_subprocess("serve", "--port", str(port), "--records", str(MINI), env=env)
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith("Serving "), proc.stderr and proc.stderr.read()
    return proc


def _tree(folder: Path) -> list[str]:
    """Everything in ``folder``, as paths relative to it, links not followed."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _stop(proc) -> None:  # type: ignore[no-untyped-def]
    if proc.poll() is None:
        proc.kill()
    proc.communicate(timeout=30)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_the_next_kg_serve_sweeps_the_folder_a_killed_one_left_and_nothing_else(tmp_path):
    """A kill -9 leaves kg serve's folder (the database copy) in TMPDIR; the
    next start removes it: only folders whose server is dead, never a running
    one's, and nothing else (a folder being made, with its lock file still
    empty; another program's; a link; a file)."""
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    killed = _serving(free_port(), env)
    (left,) = tmp_path.glob("kg-serve-*")
    assert (left / LOCK_NAME).read_text() == f"{killed.pid}\n"
    killed.kill()
    _stop(killed)
    assert (left / "db").is_dir()  # what a kill -9 leaves
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / LOCK_NAME).write_text("1\n")
    (tmp_path / "kg-serve-link").symlink_to(elsewhere)
    (tmp_path / "kg-serve-being-made").mkdir()
    (tmp_path / "kg-serve-being-made" / LOCK_NAME).touch()
    (tmp_path / "kg-serve-no-lock").mkdir()
    (tmp_path / "kg-serve-file").write_text("1\n")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / LOCK_NAME).write_text("1\n")
    before = _tree(tmp_path)
    live = _serving(free_port(), env)
    try:
        (own,) = {p for p in tmp_path.glob("kg-serve-*") if p.name not in before}
        assert not left.exists()
        assert [p for p in _tree(tmp_path) if not p.startswith(own.name)] == [
            p for p in before if not p.startswith(left.name)
        ]
        assert sweep(tmp_path) == []  # a running server's folder is never touched
        assert (own / "db").is_dir()
    finally:
        _stop(live)


# --- every canned query: locally, on the Oxigraph server, through kg serve -----------

# Each canned query with every parameter it takes, none at its default value.
CANNED_PARAMS: dict[str, dict[str, str]] = {
    "agreements": {"lang": "fr"},
    "cooperation-areas": {"area": "theme-cyber-defence", "lang": "fr"},
    "corrections": {},
    "declarations": {"lang": "fr"},
    "disputed": {},
    "event-structure": {"event": "abe-visit-nato-hq-2014-05-06", "lang": "fr"},
    "events-by-theme": {"theme": "theme-cbrn-defence", "lang": "fr"},
    "fact-sources": {"about": "shinzo-abe"},
    "interests": {"lang": "fr"},
    "meetings": {"who": "shinzo-abe", "lang": "fr"},
    "organisation-units": {"org": "japan", "lang": "fr"},
    "qualified-facts": {"qualifier": "kg:Approximate"},
    "roles-at-date": {"date": "2014-05-06", "lang": "fr"},
    "secondary-only": {},
    "source-facts": {"source": "src-s05"},
    "stated-facts": {"source": "src-s03"},
    "statements": {"speaker": "michael-gaul", "theme": "theme-global-security", "lang": "fr"},
    "theme-hierarchy": {},
    "timeline": {"from": "2013-04-15", "to": "2014-05", "lang": "fr"},
}


def test_the_parameters_cover_every_canned_query_and_none_is_a_default():
    assert sorted(CANNED_PARAMS) == sorted(catalog())
    for name, given in CANNED_PARAMS.items():
        params = catalog()[name].params
        assert sorted(given) == sorted(p.name for p in params), name
        assert [p.name for p in params if given[p.name] == p.default] == [], name


@pytest.fixture(scope="module")
def three_ways(tmp_path_factory) -> Iterator[tuple[OxigraphServer, str]]:
    """An Oxigraph server holding the bundled graph (kg push), and kg serve."""
    from click.testing import CliRunner

    from kg.cli.app import cli

    folder = tmp_path_factory.mktemp("oxigraph")
    with OxigraphServer(folder / "data") as store, serve(port=0) as ep:
        pushed = CliRunner().invoke(cli, ["push", "--endpoint", store.store], obj={})
        assert pushed.exit_code == 0, pushed.output
        yield store, ep.query_url


@pytest.mark.parametrize("name", sorted(CANNED_PARAMS))
def test_every_canned_query_same_rows_locally_on_oxigraph_and_through_kg_serve(
    name, three_ways, invoke
):
    store, served = three_ways
    args = ["query", name, "--format", "tsv"]
    args += [a for k, v in CANNED_PARAMS[name].items() for a in ("-p", f"{k}={v}")]
    local = invoke(*args)
    answers = [invoke(*args, "--endpoint", url) for url in (store.query, served)]
    assert [r.exit_code for r in (local, *answers)] == [0, 0, 0], local.output
    assert len(local.stdout.splitlines()) > 1  # some rows, not only the header
    assert [r.stdout for r in answers] == [local.stdout, local.stdout]
