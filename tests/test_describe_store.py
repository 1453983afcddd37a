"""kg describe by the store's indexes: the description today's rdflib path gives."""

from __future__ import annotations

import pytest

from kg.errors import UsageError
from kg.pipeline.open import load, open_graph, open_native
from kg.store.native import memory_graph
from kg.store.view import store_graph
from kg.views.describe import describe_indexed, describe_thing
from kg.views.graphview import GraphView, NotFound
from kg.views.text import render_text


def test_every_bundled_record_described_alike(bundled):
    """Every record of the bundled graph: the store's description is the rdflib graph's."""
    graph = store_graph(memory_graph(bundled.triples))
    records = GraphView(bundled.graph).records
    assert len(records) > 200
    for node in records:
        assert describe_indexed(graph, str(node)) == describe_thing(bundled.graph, str(node)), node


@pytest.mark.parametrize("reason", [False, True])
def test_generated_entities_described_alike(generated_build, invoke, reason):
    """On generated data, ``kg describe --graph build/kg.ttl`` (the persisted store)
    prints what the whole graph read by rdflib describes."""
    reference = open_graph(generated_build, reason=reason, with_ontology=False)
    flag = ["--reason"] if reason else []
    things = [
        "g-event-7", "g-event-39", "g-person-3", "g-org-0", "g-org-5", "g-declaration-1",
        "Ormi Division", "id:g-person-10",
    ]  # fmt: skip
    for thing in things:
        try:
            want = render_text(describe_thing(reference, thing))
        except NotFound:
            continue
        result = invoke("describe", thing, "--graph", str(generated_build), *flag)
        assert result.exit_code == 0, result.output
        assert result.output == want, thing


def test_describe_opens_the_persisted_store(generated_build, invoke, monkeypatch):
    """The store kg build wrote is opened; the Turtle is never parsed."""
    want = render_text(
        describe_thing(open_graph(generated_build, with_ontology=False), "g-event-7")
    )
    import kg.pipeline.open as opening
    from tests.patching import patch_everywhere

    def refuse(*args, **kwargs):
        raise AssertionError("kg describe read the whole graph")

    patch_everywhere(monkeypatch, opening, "read_triples", refuse)
    patch_everywhere(monkeypatch, opening, "read_graph", refuse)
    result = invoke("describe", "g-event-7", "--graph", str(generated_build))
    assert result.exit_code == 0
    assert result.output == want


def test_unknown_and_ambiguous_names_alike(bundled):
    graph = store_graph(open_native())
    for thing in ("nobody at all", "abe", "NATO summit", "id:no-such-thing"):
        with pytest.raises(UsageError) as ours:
            describe_indexed(graph, thing)
        with pytest.raises(UsageError) as theirs:
            describe_thing(load().graph, thing)
        assert str(ours.value) == str(theirs.value)
