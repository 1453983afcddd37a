"""kg serve: a read-only SPARQL 1.1 endpoint on 127.0.0.1, on the Oxigraph server,
answering clients that are separate processes or plain HTTP (requests)."""

from __future__ import annotations

import doctest
import os
import signal
import socket
from pathlib import Path

import pytest
import requests
from servers import free_port, kg_subprocess

import kg.serve.endpoint
from kg.pipeline.open import open_graph
from kg.serve.endpoint import serve
from kg.sparql.canned import bind_params, catalog
from kg.sparql.render import render
from kg.sparql.run import run_query

MINI = Path(__file__).parent / "fixtures" / "mini"
KG = "https://w3id.org/kg-nj/ontology#"
RESULTS_JSON = {"Accept": "application/sparql-results+json"}


def test_doctests():
    result = doctest.testmod(kg.serve.endpoint)
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


def test_cli_serve_prints_the_url_answers_and_stops_on_ctrl_c(tmp_path):
    port = free_port()
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = kg_subprocess("serve", "--port", str(port), "--records", str(MINI), env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        expected = len(open_graph(None, MINI))
        assert line == f"Serving {expected} triples, read-only, at http://127.0.0.1:{port}/query\n"
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
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert err.endswith("Stopped.\n")
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
