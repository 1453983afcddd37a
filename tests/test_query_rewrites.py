"""Canned queries rewritten for speed give exactly the rows of the text they
replaced (kept in tests/fixtures/queries-before, as it was at baa84c7), on
generated and bundled records, with and without the inferred triples, with
their defaults and with parameters."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.pipeline.open import open_native
from kg.sparql.canned import bind_params, get_query, parse_query_file
from kg.sparql.run import run_query
from kg.store.persist import open_persisted

BEFORE = Path(__file__).parent / "fixtures" / "queries-before"
REWRITTEN = sorted(p.stem for p in BEFORE.glob("*.rq"))
PARAMS = {
    "timeline": [{}, {"from": "2013", "to": "2015-06"}, {"lang": "ja"}],
    "secondary-only": [{}],
}


@pytest.fixture(scope="module")
def rewrite_build(tmp_path_factory) -> Path:
    """``kg.ttl`` of a ``kg build --reason`` of 150 generated events (about 11k
    triples): the 40 events of ``generated_build`` hold no fact that rests on
    secondary sources alone, so secondary-only would compare empty results."""
    from click.testing import CliRunner

    from kg.cli.app import cli

    root = tmp_path_factory.mktemp("rewrites")
    for args in (
        ["generate", "--events", "150", "--seed", "3", "-o", str(root / "records")],
        ["build", str(root / "records"), "--reason", "-o", str(root / "build")],
    ):
        result = CliRunner().invoke(cli, args, obj={})
        assert result.exit_code == 0, result.output
    return root / "build" / "kg.ttl"


def _rows(graph, query, params):
    return run_query(graph, query.text, bind_params(query, params)).rows


def test_every_rewrite_has_its_cases():
    assert REWRITTEN and set(REWRITTEN) <= set(PARAMS)


@pytest.mark.parametrize("reason", [False, True], ids=["asserted", "reasoned"])
@pytest.mark.parametrize("name", REWRITTEN)
def test_same_rows_as_before_on_generated_records(name, reason, rewrite_build):
    graph = open_persisted(rewrite_build, reason=reason)
    assert graph is not None
    new, old = get_query(name), parse_query_file(BEFORE / f"{name}.rq")
    assert new.text != old.text
    for params in PARAMS[name]:
        rows = _rows(graph, new, params)
        assert rows, params  # the comparison compares something
        assert rows == _rows(graph, old, params), params


@pytest.mark.parametrize("name", REWRITTEN)
def test_same_rows_as_before_on_the_bundled_records(name):
    graph = open_native(None, None, reason=True)
    new, old = get_query(name), parse_query_file(BEFORE / f"{name}.rq")
    for params in PARAMS[name]:
        assert _rows(graph, new, params) == _rows(graph, old, params), params


def test_every_event_class_is_an_owl_class():
    """timeline reads the class labels of owl:Class nodes only: every event class
    must be declared one, or its events lose their kind."""
    from rdflib import OWL, RDF, RDFS

    from kg.builder.ontology import load_ontology
    from kg.terms.namespaces import KG

    onto = load_ontology()
    classes = set(onto.transitive_subjects(RDFS.subClassOf, KG.Event))
    assert len(classes) > 10
    assert {c for c in classes if (c, RDF.type, OWL.Class) not in onto} == set()
