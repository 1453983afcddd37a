"""The ontology (ontology/kg.ttl) against its contract (ontology/record-types.yaml).

Checks that every term the records and the builder use is defined and documented in
English and French, that domains and ranges fit every record type that uses a
property (an OWL RL reasoner would otherwise infer wrong types), that the file stays
in OWL 2 RL without imports, and that the owlrl closure is consistent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import owlrl
import pytest
import rdflib
import yaml
from rdflib import OWL, RDF, RDFS, SKOS, BNode, Graph, Literal, Namespace, URIRef
from rdflib.term import Node

ONTOLOGY_DIR = Path(__file__).parents[1] / "ontology"
KG_TTL = ONTOLOGY_DIR / "kg.ttl"
RECORD_TYPES = ONTOLOGY_DIR / "record-types.yaml"

KG = Namespace("https://w3id.org/kg-nj/ontology#")
ID = Namespace("https://w3id.org/kg-nj/id/")
DCT = Namespace("http://purl.org/dc/terms/")
ONTOLOGY_IRI = URIRef("https://w3id.org/kg-nj/ontology")

# owlrl (Closure.py, Core.closure) writes each inconsistency it finds as
#   [] a err:ErrorMessage ; err:error "message" .
# in this namespace; a resource typed owl:Nothing is reported the same way.
ERR = Namespace("http://www.daml.org/2002/03/agents/agent-ont#")

PREFIXES = {
    "kg": str(KG),
    "rdfs": str(RDFS),
    "rdf": str(RDF),
    "owl": str(OWL),
    "skos": str(SKOS),
    "dct": str(DCT),
}

# Terms the builder emits besides those named in record-types.yaml.
BUILDER_CLASSES = [
    "Agent",
    "Citation",
    "Correction",
    "Qualifier",
    "Reliability",
    "InterestKind",
    "Statement",
]
BUILDER_PROPERTIES = [
    "citation",
    "citedSource",
    "quote",
    "locator",
    "via",
    "corrects",
    "onProperty",
    "asPrinted",
    "correctedValue",
]
BUILDER_INDIVIDUALS = ["SecurityThemes"]

# Inverse pairs the canned queries rely on.
REQUIRED_INVERSES = [
    ("holdsRole", "holder"),
    ("organizes", "organizer"),
    ("participatesIn", "participant"),
    ("hasSubEvent", "subEventOf"),
    ("precededBy", "followedBy"),
    ("signed", "signatory"),
    ("madeStatement", "speaker"),
    ("hasStatement", "saidAt"),
    ("referencedBy", "references"),
    ("hasSubOrganization", "subOrganizationOf"),
    ("succeededBy", "succeeds"),
    ("hasMember", "memberOf"),
]

# (subclass, superclass) axioms the queries and shapes rely on.
REQUIRED_SUBCLASSES = [
    (KG.Person, KG.Agent),
    (KG.Group, KG.Agent),
    (KG.Organization, KG.Agent),
    (KG.State, KG.Organization),
    (KG.IntergovernmentalOrganization, KG.Organization),
    (KG.GovernmentBody, KG.Organization),
    (KG.Ministry, KG.GovernmentBody),
    (KG.OrganizationalUnit, KG.Organization),
    (KG.Division, KG.OrganizationalUnit),
    (KG.Programme, KG.OrganizationalUnit),
    (KG.DiplomaticMission, KG.Organization),
    (KG.Delegation, KG.Organization),
    (KG.MilitaryBody, KG.Organization),
    (KG.Operation, KG.Organization),
    (KG.Discussion, KG.Meeting),
    (KG.CourtesyCall, KG.Meeting),
    (KG.Talks, KG.Meeting),
    (KG.Meeting, KG.Event),
    (KG.Declaration, KG.Agreement),
    (KG.PartnershipProgramme, KG.Agreement),
    (KG.Agreement, KG.Document),
    (KG.SourceDocument, KG.Document),
    (KG.Quotation, KG.Statement),
    (KG.SecurityTheme, SKOS.Concept),
]

# Range expected for each non-reference field kind.
# (rdflib.XSD is not bound at module level: pytest's collector trips over it.)
KIND_RANGES = {
    "text": RDF.langString,
    "string": rdflib.XSD.string,
    "date": RDFS.Literal,
    "datetime": rdflib.XSD.dateTime,
    "integer": rdflib.XSD.integer,
    "uri": rdflib.XSD.anyURI,
    "lang": rdflib.XSD.language,
}
OBJECT_KINDS = {"ref", "enum", "iri"}


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def onto() -> Graph:
    return Graph().parse(KG_TTL, format="turtle")


def _load_record_types() -> dict[str, Any]:
    with RECORD_TYPES.open(encoding="utf-8") as f:
        data: dict[str, Any] = yaml.safe_load(f)
    return data


@pytest.fixture(scope="module")
def record_types() -> dict[str, Any]:
    return _load_record_types()


# --------------------------------------------------------------------------- helpers


def expand(curie: str) -> URIRef:
    prefix, _, local = curie.partition(":")
    return URIRef(PREFIXES[prefix] + local)


def type_fields(record_types: dict[str, Any], type_name: str) -> dict[str, Any]:
    """All fields a record of this type may carry: the common ones and its own."""
    fields = dict(record_types["common"])
    fields.update(record_types["types"][type_name].get("fields") or {})
    return fields


def field_usages(record_types: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(type name, field name, field spec) for every field of every record type."""
    for type_name in record_types["types"]:
        for field_name, spec in type_fields(record_types, type_name).items():
            yield type_name, field_name, spec


def expand_to(record_types: dict[str, Any], names: list[str]) -> set[str]:
    """Type names a `to:` list allows, groups expanded."""
    out: set[str] = set()
    for name in names:
        out.update(record_types["groups"].get(name, [name]))
    return out


def class_of(record_types: dict[str, Any], type_name: str) -> URIRef:
    return expand(record_types["types"][type_name]["class"])


def superclasses(g: Graph, cls: Node) -> set[Node]:
    """cls and all its named superclasses (reflexive, transitive)."""
    return {c for c in g.transitive_objects(cls, RDFS.subClassOf) if c is not None}


def kinds(spec: dict[str, Any]) -> list[str]:
    kind = spec["kind"]
    return list(kind) if isinstance(kind, list) else [kind]


def yaml_kg_terms() -> dict[str, set[str]]:
    """kg: terms named in record-types.yaml, by sort (read at collection time)."""
    rt = _load_record_types()
    classes = {spec["class"] for spec in rt["types"].values()}
    properties = {spec["property"] for _, _, spec in field_usages(rt)}
    individuals = {iri for values in rt["enums"].values() for iri in values.values()}
    return {
        "class": {c for c in classes if c.startswith("kg:")},
        "property": {p for p in properties if p.startswith("kg:")},
        "individual": {i for i in individuals if i.startswith("kg:")},
    }


YAML_TERMS = yaml_kg_terms()


def assert_documented(g: Graph, term: URIRef) -> None:
    for pred in (RDFS.label, SKOS.definition):
        langs = {o.language for o in g.objects(term, pred) if isinstance(o, Literal)}
        missing = {"en", "fr"} - langs
        assert not missing, f"{term.n3(g.namespace_manager)} has no {pred} in {missing}"
    assert (term, RDFS.isDefinedBy, ONTOLOGY_IRI) in g, f"{term} lacks rdfs:isDefinedBy"


def assert_class(g: Graph, term: URIRef) -> None:
    assert (term, RDF.type, OWL.Class) in g, f"{term} is not declared an owl:Class"
    assert_documented(g, term)


def assert_property(g: Graph, term: URIRef) -> None:
    types = set(g.objects(term, RDF.type))
    assert types & {OWL.ObjectProperty, OWL.DatatypeProperty}, f"{term} is not a property"
    assert not {OWL.ObjectProperty, OWL.DatatypeProperty} <= types, f"{term} is both kinds"
    assert_documented(g, term)


def assert_individual(g: Graph, term: URIRef) -> None:
    assert (term, RDF.type, OWL.NamedIndividual) in g, f"{term} is not an owl:NamedIndividual"
    assert_documented(g, term)


def closure(g: Graph) -> Graph:
    out = Graph()
    for triple in g:
        out.add(triple)
    # owlrl leaves its own literal converters installed in the whole process
    # ("--06-25"^^xsd:gMonthDay then reads as ill-typed); put rdflib's back, as
    # kg.reason.engines does, so tests run later in this worker see rdflib's.
    converters = dict(rdflib.term._toPythonMapping)
    try:
        owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(out)
    finally:
        rdflib.term._toPythonMapping.clear()
        rdflib.term._toPythonMapping.update(converters)
    return out


def closure_errors(g: Graph) -> list[str]:
    return [str(m) for e in g.subjects(RDF.type, ERR.ErrorMessage) for m in g.objects(e, ERR.error)]


# --------------------------------------------------------------------------- header


def test_ontology_header(onto: Graph) -> None:
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in onto
    titles = onto.objects(ONTOLOGY_IRI, DCT.title)
    title_langs = {t.language for t in titles if isinstance(t, Literal)}
    assert {"en", "fr"} <= title_langs
    assert (ONTOLOGY_IRI, OWL.versionInfo, Literal("0.1.0")) in onto
    for pred in (DCT.description, DCT.license, RDFS.comment):
        assert onto.value(ONTOLOGY_IRI, pred) is not None, f"header lacks {pred}"


def test_no_imports(onto: Graph) -> None:
    assert not list(onto.triples((None, OWL.imports, None)))


# --------------------------------------------------------------------------- OWL 2 RL


FORBIDDEN_IN_RL = [
    OWL.someValuesFrom,
    OWL.unionOf,
    OWL.minCardinality,
    OWL.minQualifiedCardinality,
    OWL.cardinality,
    OWL.qualifiedCardinality,
    OWL.disjointUnionOf,
    OWL.hasSelf,
]


@pytest.mark.parametrize("pred", FORBIDDEN_IN_RL, ids=lambda p: p.split("#")[-1])
def test_no_constructs_outside_owl2_rl(onto: Graph, pred: URIRef) -> None:
    assert not list(onto.triples((None, pred, None)))


def _max_cardinality_outside_rl(g: Graph) -> list[tuple[URIRef, Literal]]:
    """OWL 2 RL allows max cardinality 0 or 1 only."""
    bad = []
    for pred in (OWL.maxCardinality, OWL.maxQualifiedCardinality):
        for value in g.objects(None, pred):
            if not (isinstance(value, Literal) and str(value) in ("0", "1")):
                bad.append((pred, value))
    return bad


def _equivalences_with_reused_terms(g: Graph) -> list[tuple[URIRef, URIRef]]:
    out = []
    for pred in (OWL.equivalentClass, OWL.equivalentProperty):
        for s, o in g.subject_objects(pred):
            if not (str(s).startswith(str(KG)) and str(o).startswith(str(KG))):
                out.append((s, o))
    return out


def test_max_cardinality_at_most_one(onto: Graph) -> None:
    assert _max_cardinality_outside_rl(onto) == []
    # The check itself finds what it looks for (the ontology states no cardinality).
    probe = Graph()
    probe.add((KG.Probe, OWL.maxCardinality, Literal(2)))
    probe.add((KG.Probe, OWL.maxQualifiedCardinality, Literal(1)))
    assert _max_cardinality_outside_rl(probe) == [(OWL.maxCardinality, Literal(2))]


def test_no_equivalence_with_reused_terms(onto: Graph) -> None:
    # The ontology aligns by rdfs:subClassOf / rdfs:subPropertyOf only (its header).
    assert list(onto.triples((None, OWL.equivalentClass, None))) == []
    assert list(onto.triples((None, OWL.equivalentProperty, None))) == []
    probe = Graph()
    probe.add((KG.Person, OWL.equivalentClass, URIRef("http://xmlns.com/foaf/0.1/Person")))
    probe.add((KG.Person, OWL.equivalentClass, KG.Human))
    assert _equivalences_with_reused_terms(probe) == [
        (KG.Person, URIRef("http://xmlns.com/foaf/0.1/Person"))
    ]


# --------------------------------------------------------------------------- coverage


@pytest.mark.parametrize("curie", sorted(YAML_TERMS["class"]))
def test_record_type_class_defined(onto: Graph, curie: str) -> None:
    assert_class(onto, expand(curie))


@pytest.mark.parametrize("curie", sorted(YAML_TERMS["property"]))
def test_record_type_property_defined(onto: Graph, curie: str) -> None:
    assert_property(onto, expand(curie))


@pytest.mark.parametrize("curie", sorted(YAML_TERMS["individual"]))
def test_enum_individual_defined(onto: Graph, curie: str) -> None:
    assert_individual(onto, expand(curie))


@pytest.mark.parametrize("name", BUILDER_CLASSES)
def test_builder_class_defined(onto: Graph, name: str) -> None:
    assert_class(onto, KG[name])


@pytest.mark.parametrize("name", BUILDER_PROPERTIES)
def test_builder_property_defined(onto: Graph, name: str) -> None:
    assert_property(onto, KG[name])


@pytest.mark.parametrize("name", BUILDER_INDIVIDUALS)
def test_builder_individual_defined(onto: Graph, name: str) -> None:
    assert_individual(onto, KG[name])


def test_security_themes_is_a_concept_scheme(onto: Graph) -> None:
    assert (KG.SecurityThemes, RDF.type, SKOS.ConceptScheme) in onto


def test_every_kg_term_used_is_defined_and_documented(onto: Graph) -> None:
    """Catches typos: any kg: IRI mentioned anywhere must be a documented term."""
    used = {n for triple in onto for n in triple if isinstance(n, URIRef) and n.startswith(KG)}
    for term in sorted(used):
        assert (term, RDF.type, None) in onto, f"{term} is used but not declared"
        assert_documented(onto, term)


def test_enum_individuals_typed_by_their_class(onto: Graph, record_types: dict[str, Any]) -> None:
    expected = {"qualifiers": KG.Qualifier, "reliability": KG.Reliability}
    expected["interest-kinds"] = KG.InterestKind
    for enum_name, values in record_types["enums"].items():
        for curie in values.values():
            assert (expand(curie), RDF.type, expected[enum_name]) in onto, curie


@pytest.mark.parametrize("sub,sup", REQUIRED_SUBCLASSES, ids=lambda t: t.split("#")[-1])
def test_class_hierarchy(onto: Graph, sub: URIRef, sup: URIRef) -> None:
    assert sup in superclasses(onto, sub)


# --------------------------------------------------------------------------- domains, ranges


def test_property_kind_matches_field_kind(onto: Graph, record_types: dict[str, Any]) -> None:
    for type_name, field_name, spec in field_usages(record_types):
        if not spec["property"].startswith("kg:"):
            continue
        prop = expand(spec["property"])
        field_kinds = kinds(spec)
        where = f"{type_name}.{field_name} ({spec['property']})"
        if set(field_kinds) <= OBJECT_KINDS:
            assert (prop, RDF.type, OWL.ObjectProperty) in onto, where
            continue
        assert (prop, RDF.type, OWL.DatatypeProperty) in onto, where
        ranges = set(onto.objects(prop, RDFS.range))
        # Several kinds (for example [datetime, date]) can only share rdfs:Literal.
        expected = KIND_RANGES[field_kinds[0]] if len(field_kinds) == 1 else RDFS.Literal
        assert ranges == {expected}, f"{where}: range {ranges}, expected {expected}"


def test_domains_fit_every_record_type_using_the_property(
    onto: Graph, record_types: dict[str, Any]
) -> None:
    """A domain must be a superclass of the class of every type whose fields use it."""
    for type_name, field_name, spec in field_usages(record_types):
        prop = expand(spec["property"])
        cls_supers = superclasses(onto, class_of(record_types, type_name))
        for domain in onto.objects(prop, RDFS.domain):
            assert domain in cls_supers, (
                f"{spec['property']} has domain {domain}, but {type_name}.{field_name} uses it"
            )


def test_ranges_fit_every_referenced_type(onto: Graph, record_types: dict[str, Any]) -> None:
    """A reference range must be a superclass of the class of every type `to:` allows."""
    for type_name, field_name, spec in field_usages(record_types):
        if spec["kind"] != "ref":
            continue
        prop = expand(spec["property"])
        for target in expand_to(record_types, spec["to"]):
            target_supers = superclasses(onto, class_of(record_types, target))
            for range_ in onto.objects(prop, RDFS.range):
                assert range_ in target_supers, (
                    f"{type_name}.{field_name}: range {range_} of {spec['property']} "
                    f"does not cover referenced type {target}"
                )


def test_enum_ranges_cover_their_values(onto: Graph, record_types: dict[str, Any]) -> None:
    for type_name, field_name, spec in field_usages(record_types):
        if spec["kind"] != "enum":
            continue
        prop = expand(spec["property"])
        for curie in record_types["enums"][spec["values"]].values():
            types = set(onto.objects(expand(curie), RDF.type))
            for range_ in onto.objects(prop, RDFS.range):
                assert range_ in types, f"{type_name}.{field_name}: {curie} is not a {range_}"


def test_required_inverse_pairs(onto: Graph) -> None:
    for a, b in REQUIRED_INVERSES:
        assert (KG[a], OWL.inverseOf, KG[b]) in onto or (KG[b], OWL.inverseOf, KG[a]) in onto, (
            f"kg:{a} and kg:{b} are not declared inverse"
        )


def test_inverse_pairs_have_matching_domain_and_range(onto: Graph) -> None:
    pairs = list(onto.subject_objects(OWL.inverseOf))
    assert pairs
    for p, q in pairs:
        assert (p, RDF.type, OWL.ObjectProperty) in onto
        assert (q, RDF.type, OWL.ObjectProperty) in onto
        assert set(onto.objects(p, RDFS.domain)) == set(onto.objects(q, RDFS.range)), (p, q)
        assert set(onto.objects(p, RDFS.range)) == set(onto.objects(q, RDFS.domain)), (p, q)
        p_transitive = (p, RDF.type, OWL.TransitiveProperty) in onto
        q_transitive = (q, RDF.type, OWL.TransitiveProperty) in onto
        assert p_transitive == q_transitive, f"only one of {p}, {q} is transitive"


# --------------------------------------------------------------------------- OWL RL closure


@pytest.fixture(scope="module")
def closed_onto(onto: Graph) -> Graph:
    return closure(onto)


def test_closure_of_ontology_is_consistent(closed_onto: Graph) -> None:
    assert closure_errors(closed_onto) == []
    assert not list(closed_onto.subjects(RDF.type, OWL.Nothing))


def test_every_kg_class_is_satisfiable(onto: Graph) -> None:
    """owlrl reports clashes only on individuals, so give every kg class one."""
    g = Graph()
    g += onto
    classes = [c for c in onto.subjects(RDF.type, OWL.Class) if str(c).startswith(str(KG))]
    assert len(classes) > 40
    for cls in classes:
        g.add((ID["test-instance-of-" + str(cls).split("#")[-1]], RDF.type, cls))
    assert closure_errors(closure(g)) == []


# Synthetic data shaped like the builder's output (placeholder ids, no real facts).
SAMPLE_DATA = """
@prefix kg: <https://w3id.org/kg-nj/ontology#> .
@prefix id: <https://w3id.org/kg-nj/id/> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

id:test-src a kg:SourceDocument ; rdfs:label "Test source"@en ;
    kg:datePublished "2000-01-02"^^xsd:date ; kg:dateModified "2000-01-02T03:04:05"^^xsd:dateTime ;
    kg:address "https://example.org/test"^^xsd:anyURI ; kg:reliability kg:Primary .
id:test-org a kg:IntergovernmentalOrganization ; rdfs:label "Test organisation"@en .
id:test-unit a kg:Division ; kg:subOrganizationOf id:test-org .
id:test-subunit a kg:OrganizationalUnit ; kg:subOrganizationOf id:test-unit .
id:test-state a kg:State ; kg:memberOf id:test-org .
id:test-group a kg:Group ; kg:affiliation id:test-org ; kg:size 10 .
id:test-person a kg:Person ; kg:givenName "Given"@en ; kg:nationality id:test-state ;
    kg:citation id:test-person\\/citation\\/1 ; prov:wasDerivedFrom id:test-src .
id:test-person\\/citation\\/1 a kg:Citation ; kg:citedSource id:test-src ;
    kg:quote "Quote"@en ; kg:locator "T01" ; kg:via id:test-src .
id:test-post a kg:Post ; kg:postIn id:test-org .
id:test-role a kg:RoleAssignment ; kg:holder id:test-person ; kg:post id:test-post ;
    kg:roleIn id:test-org ; kg:startDate "2000"^^xsd:gYear ; kg:endDate "2001-02"^^xsd:gYearMonth .
id:test-theme a kg:SecurityTheme ; skos:inScheme kg:SecurityThemes .
id:test-visit a kg:Visit ; kg:startDate "2000-01-02"^^xsd:date ; kg:theme id:test-theme .
id:test-session a kg:InformationDay ; kg:subEventOf id:test-visit ; kg:attendance 10 ;
    kg:participant id:test-person ; kg:organizer id:test-unit .
id:test-part a kg:WorkingSession ; kg:subEventOf id:test-session ; kg:followedBy id:test-talks .
id:test-talks a kg:Talks ; kg:subEventOf id:test-visit .
id:test-doc a kg:Declaration ; kg:date "2000-01"^^xsd:gYearMonth ; kg:signatory id:test-person ;
    kg:priority id:test-theme .
id:test-statement a kg:Quotation ; kg:speaker id:test-person ; kg:saidAt id:test-talks ;
    kg:speakerRole id:test-role ; kg:text "Words"@en ; kg:date "2000-01-02"^^xsd:date ;
    kg:references id:test-doc ; kg:theme id:test-theme .
id:test-interest a kg:InterestExpression ; kg:interestKind kg:InterestStated ;
    kg:interestedParty id:test-state ; kg:theme id:test-theme ; kg:expressedAt id:test-talks .
id:test-session\\/fact\\/attendance\\/1 a rdf:Statement ; rdf:subject id:test-session ;
    rdf:predicate kg:attendance ; rdf:object 10 ; kg:qualifier kg:Approximate .
id:test-person\\/correction\\/1 a kg:Correction ; kg:corrects id:test-person ;
    kg:onProperty rdfs:label ; kg:asPrinted "Misprint" ; kg:correctedValue "Name" ;
    kg:citedSource id:test-src .
"""


@pytest.fixture(scope="module")
def closed_sample(onto: Graph) -> Graph:
    g = Graph()
    g += onto
    g.parse(data=SAMPLE_DATA, format="turtle")
    return closure(g)


def test_closure_of_sample_data_is_consistent(closed_sample: Graph) -> None:
    assert closure_errors(closed_sample) == []
    assert not list(closed_sample.subjects(RDF.type, OWL.Nothing))


@pytest.mark.parametrize(
    "triple",
    [
        (ID["test-person"], KG.holdsRole, ID["test-role"]),
        (ID["test-person"], KG.participatesIn, ID["test-session"]),
        (ID["test-person"], KG.signed, ID["test-doc"]),
        (ID["test-person"], KG.madeStatement, ID["test-statement"]),
        (ID["test-talks"], KG.hasStatement, ID["test-statement"]),
        (ID["test-talks"], KG.precededBy, ID["test-part"]),
        (ID["test-doc"], KG.referencedBy, ID["test-statement"]),
        (ID["test-unit"], KG.organizes, ID["test-session"]),
        (ID["test-org"], KG.hasMember, ID["test-state"]),
        (ID["test-part"], KG.subEventOf, ID["test-visit"]),
        (ID["test-visit"], KG.hasSubEvent, ID["test-part"]),
        (ID["test-subunit"], KG.subOrganizationOf, ID["test-org"]),
        (ID["test-org"], KG.hasSubOrganization, ID["test-subunit"]),
        (ID["test-doc"], KG.theme, ID["test-theme"]),
        (ID["test-person"], RDF.type, KG.Agent),
        (ID["test-unit"], RDF.type, KG.Agent),
        (ID["test-talks"], RDF.type, KG.Event),
        (ID["test-doc"], RDF.type, KG.Document),
        (ID["test-statement"], RDF.type, KG.Statement),
    ],
    ids=lambda t: f"{t[0].split('/')[-1]}-{t[1].split('#')[-1]}",
)
def test_closure_of_sample_data_infers(
    closed_sample: Graph, triple: tuple[Node, Node, Node]
) -> None:
    assert triple in closed_sample


def test_closure_of_sample_data_infers_no_wrong_types(closed_sample: Graph) -> None:
    """Properties shared by several record types must not drag in a wrong class."""
    role_types = set(closed_sample.objects(ID["test-role"], RDF.type))
    assert not role_types & {KG.Event, KG.Document}
    statement_types = set(closed_sample.objects(ID["test-statement"], RDF.type))
    assert not statement_types & {KG.Event, KG.Document}
    interest_types = set(closed_sample.objects(ID["test-interest"], RDF.type))
    assert not interest_types & {KG.Event, KG.Document, KG.Statement}


def test_closure_reports_a_disjointness_clash(onto: Graph) -> None:
    """The error check above is not vacuous: owlrl does report an inconsistency."""
    g = Graph()
    g += onto
    g.add((ID["test-clash"], RDF.type, KG.Person))
    g.add((BNode(), KG.place, ID["test-clash"]))
    assert closure_errors(closure(g))
