"""kg's OWL RL rule schema (kg.reason.rules.RuleSchema): the closures the
reasoner and the incremental build both read.

Which properties entail ``owl:sameAs`` decides whether the reasoner must take
every triple as a premise (the eq-rep-* rules rewrite any triple) and whether
an incremental build must fall back: they are read from one place, and the
closure goes through any number of sub-property and inverse steps. An earlier
copy stopped after two steps (sub-properties, their inverses), another after
three; each case below gives owlrl's triples only with the whole closure.
"""

from __future__ import annotations

import pytest
from rdflib import Graph, Namespace
from rdflib.namespace import OWL, RDF, RDFS

from kg.builder.ontology import ontology_triples
from kg.generate import generate_records
from kg.pipeline.open import load
from kg.reason.engines import infer
from kg.reason.native import infer_triples
from kg.reason.rules import RuleSchema, ontology_schema
from kg.terms.namespaces import ID, KG

EX = Namespace("https://example.org/onto#")

# alias ⊑ sameAs; aliasOf = alias⁻; knownAs ⊑ aliasOf; akaOf = knownAs⁻; aka ⊑ akaOf.
# A triple of each entails an owl:sameAs triple: alias in one step, aliasOf in
# two (an inverse), knownAs in three (a sub-property of that inverse), aka in five.
CHAIN = [
    (EX.alias, RDFS.subPropertyOf, OWL.sameAs),
    (EX.aliasOf, OWL.inverseOf, EX.alias),
    (EX.knownAs, RDFS.subPropertyOf, EX.aliasOf),
    (EX.akaOf, OWL.inverseOf, EX.knownAs),
    (EX.aka, RDFS.subPropertyOf, EX.akaOf),
]

# Related to owl:sameAs, but entailing no owl:sameAs triple. (Not for owlrl: its
# reflexive x owl:sameAs x, which kg leaves out, would give x broader x.)
ABOVE = [
    (OWL.sameAs, RDFS.subPropertyOf, EX.broader),
    (EX.narrower, OWL.inverseOf, EX.broader),
]


def test_sameas_properties_go_through_every_step() -> None:
    schema = RuleSchema([*CHAIN, *ABOVE])
    assert schema.sameas_properties == {
        OWL.sameAs, EX.alias, EX.aliasOf, EX.knownAs, EX.akaOf, EX.aka
    }  # fmt: skip
    assert schema.uses_sameas([(ID.a, EX.aka, ID.b)])
    assert not schema.uses_sameas([(ID.a, EX.narrower, ID.b), (ID.a, EX.broader, ID.b)])


def test_chain_properties_go_through_every_step() -> None:
    """Properties whose triples extend a transitive chain: the same closure."""
    schema = RuleSchema(
        [
            (EX.partOf, RDF.type, OWL.TransitiveProperty),
            (EX.hasPart, OWL.inverseOf, EX.partOf),
            (EX.component, RDFS.subPropertyOf, EX.hasPart),
            (EX.componentOf, OWL.inverseOf, EX.component),
            (EX.partOf, RDFS.subPropertyOf, EX.related),
        ]
    )
    assert schema.chain_properties == {EX.partOf, EX.hasPart, EX.component, EX.componentOf}


def test_the_bundled_ontology_has_no_property_entailing_sameas() -> None:
    """So kg's own records reach the rewriting only through their sameAs field."""
    assert ontology_schema().sameas_properties == {OWL.sameAs}
    assert KG.subOrganizationOf in ontology_schema().chain_properties


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("generated")
    generate_records(out, events=20, seed=5)
    return load(out)


@pytest.mark.parametrize("prop", [EX.aliasOf, EX.knownAs, EX.aka])
def test_native_reasoning_through_a_deep_sameas_chain_infers_owlrls_triples(
    generated,  # type: ignore[no-untyped-def]
    prop,  # type: ignore[no-untyped-def]
) -> None:
    people = sorted(
        {s for s, p, o in generated.triples if p == RDF.type and o == KG.Person}, key=str
    )
    a, b = people[0], people[1]
    data = dict.fromkeys(generated.triples)
    data[(a, prop, b)] = None
    onto = (*ontology_triples(), *CHAIN)
    native = infer_triples(data, onto)
    graph, onto_graph = Graph(), Graph()
    for t in data:
        graph.add(t)
    for t in onto:
        onto_graph.add(t)
    assert set(native) == set(infer(graph, onto_graph))
    # The rewriting happened: a's label is b's too (eq-rep-s), which only a
    # premise set holding every triple gives.
    label = next(o for s, p, o in data if s == a and p == RDFS.label)
    assert (b, RDFS.label, label) in native


def test_doctests() -> None:
    import doctest

    import kg.reason.rules

    result = doctest.testmod(kg.reason.rules)
    assert result.attempted > 0 and result.failed == 0
