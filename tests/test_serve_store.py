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


@pytest.mark.parametrize("reason", [False, True])
def test_the_stamp_counts_what_a_count_gives(generated_build, reason):
    """The build stamps its store with the triples a query sees, without and with
    the inferred ones: the numbers a COUNT over those graphs gives."""
    import json

    from kg.store.persist import STAMP, STORE_DIR, open_persisted

    stamp = json.loads((generated_build.parent / STORE_DIR / STAMP).read_text())
    native = open_persisted(generated_build, reason=reason)
    assert native is not None
    stamped = stamp["triples"]["all" if reason else "default"]
    assert native.triples == stamped
    assert len(native) == native.count() == stamped


def _restamped(generated_build, tmp_path, triples):
    import json
    import shutil

    from kg.store.persist import STAMP, STORE_DIR

    copy = tmp_path / "build"
    shutil.copytree(generated_build.parent, copy)
    path = copy / STORE_DIR / STAMP
    stamp = json.loads(path.read_text())
    if triples is None:
        del stamp["triples"]
    else:
        stamp["triples"] = triples
    path.write_text(json.dumps(stamp))
    return copy / "kg.ttl"


def test_serve_reads_the_count_from_the_stamp(generated_build, tmp_path, monkeypatch):
    """The banner's count comes from the stamp: no COUNT over the store's graphs
    (at 1M triples most of kg serve's start)."""
    from kg.store.native import NativeGraph

    ttl = _restamped(generated_build, tmp_path, {"default": 11, "all": 12345})

    def refuse(self):
        raise AssertionError("kg serve counted the triples")

    monkeypatch.setattr(NativeGraph, "count", refuse)
    with serve(ttl, port=0, reason=True) as ep:
        assert ep.triples == 12345  # the stamp's, not a count (which differs)
        assert ep.pool is not None and ep.pool.db.parent == ep.folder
        assert _count(ep.query_url) != 12345


@pytest.mark.parametrize("triples", [None, {"default": -1, "all": "many"}, [3], {"all": True}])
def test_without_a_usable_count_serve_counts(generated_build, tmp_path, triples):
    """A stamp from before kg counted (or with a count that is no count): counted."""
    ttl = _restamped(generated_build, tmp_path, triples)
    with serve(ttl, port=0, reason=True) as ep:
        assert ep.pool is not None and ep.pool.db.parent == ep.folder  # still the store
        assert ep.triples == _count(ep.query_url)
