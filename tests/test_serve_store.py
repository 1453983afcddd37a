"""kg serve on a kg build: the persisted store is served, not reloaded."""

from __future__ import annotations

import pytest
import requests

from kg.serve.endpoint import serve

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def _count(url: str) -> int:
    r = requests.get(
        url, params={"query": COUNT}, headers={"Accept": "application/sparql-results+json"}
    )
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


@pytest.mark.parametrize("reason", [False, True])
def test_serves_the_persisted_store(generated_build, monkeypatch, reason):
    import kg.serve.endpoint as endpoint
    from kg.pipeline.export import export_bytes

    want = export_bytes("nt", generated_build, reason=reason, with_ontology=True).count(b"\n")

    def refuse(*args, **kwargs):
        raise AssertionError("kg serve reloaded the graph")

    monkeypatch.setattr(endpoint, "_load", refuse)
    with serve(generated_build, port=0, reason=reason) as ep:
        assert ep.triples == want
        assert _count(ep.query_url) == want
        assert ep.pool is not None and ep.pool.db.parent == ep.folder  # a linked copy
    assert (generated_build.parent / "kg.oxigraph").is_dir()  # the build's store stays


def test_a_stale_store_is_reloaded(generated_build, tmp_path):
    """A kg.ttl that is not the one the store was built from: loaded as before."""
    import shutil

    copy = tmp_path / "build"
    shutil.copytree(generated_build.parent, copy)
    ttl = copy / "kg.ttl"
    ttl.write_bytes(ttl.read_bytes() + b"\n<https://example.org/a> <https://example.org/p> 1 .\n")
    with serve(ttl, port=0) as ep:
        assert ep.pool is not None and ep.pool.db == ep.folder / "db"
        assert _count(ep.query_url) == ep.triples
        r = requests.get(ep.query_url, params={"query": "ASK { ?s <https://example.org/p> 1 }"},
                         headers={"Accept": "application/sparql-results+json"})  # fmt: skip
        assert r.json()["boolean"] is True
