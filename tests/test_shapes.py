"""The SHACL shapes (shapes/*.ttl), one fixture per constraint.

Each file tests/shapes/<shape local name>[.<variant>].ttl is a small data graph
that breaks exactly one shape, with the results it must give written in its
header, one line per result:

    # expect: <severity> <focus node> <path> <constraint component>

Terms are prefixed names (kg:, id:, sh:, kgsh:, rdfs:, skos:, dct:, ...) or
<relative IRIs> under https://w3id.org/kg-nj/id/; a path is `-` when the result
has none, and `a|b` for an alternative path. valid.ttl must give no result at
any severity. Files starting with `_` are not fixtures.

Each fixture is validated exactly as kg validates the graph: all shapes, the
ontology as ont_graph (for its class hierarchy), no inference, advanced mode.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pyshacl
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SH, SKOS

ROOT = Path(__file__).resolve().parents[1]
SHAPES_DIR = ROOT / "shapes"
FIXTURES_DIR = ROOT / "tests" / "shapes"
ONTOLOGY_DIR = ROOT / "ontology"

ID = "https://w3id.org/kg-nj/id/"
PREFIXES = {
    "sh": str(SH),
    "kg": "https://w3id.org/kg-nj/ontology#",
    "kgsh": "https://w3id.org/kg-nj/shapes#",
    "id": ID,
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": str(SKOS),
    "dct": str(DCTERMS),
    "prov": str(PROV),
}
SEVERITIES = {SH.Violation, SH.Warning, SH.Info}
# Ways a shape can use another shape (so that shape needs no target of its own).
SHAPE_REFERENCES = (SH["not"], SH.node, SH.qualifiedValueShape, SH.property)
SHAPE_LISTS = (SH["or"], SH["and"], SH.xone)
TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
# Parameters that make a node shape constrain its focus node directly.
NODE_LEVEL = (SH["or"], SH["and"], SH.xone, SH["not"], SH.node, SH["class"], SH.sparql)

FIXTURES = sorted(p for p in FIXTURES_DIR.glob("*.ttl") if not p.name.startswith("_"))
EXPECTING = [p for p in FIXTURES if p.name != "valid.ttl"]

Result = tuple[str, str, str, str]  # severity, focus, path, component (full IRIs)


def expand(term: str) -> str:
    """A prefixed name or <relative IRI> from an `# expect:` line, as a full IRI."""
    if term.startswith("<") and term.endswith(">"):
        return ID + term[1:-1]
    prefix, sep, local = term.partition(":")
    if not sep or prefix not in PREFIXES:
        raise ValueError(f"unknown prefix in {term!r}")
    return PREFIXES[prefix] + local


def expected_results(path: Path) -> set[Result]:
    found = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("# expect:"):
            continue
        words = line.removeprefix("# expect:").split()
        if words[0] == "nothing":
            continue
        assert len(words) == 4, f"{path.name}: bad expect line {line!r}"
        severity, focus, rpath, component = words
        rpath = "-" if rpath == "-" else "|".join(expand(p) for p in rpath.split("|"))
        found.add((expand(severity), expand(focus), rpath, expand(component)))
    return found


def path_text(g: Graph, node: object) -> str:
    """A result path as compared with the `# expect:` lines."""
    if node is None:
        return "-"
    if isinstance(node, URIRef):
        return str(node)
    alternatives = g.value(node, SH.alternativePath)  # type: ignore[arg-type]
    if alternatives is not None:
        return "|".join(path_text(g, p) for p in Collection(g, alternatives))
    raise AssertionError(f"path form not supported by these tests: {node!r}")


@cache
def shapes_graph() -> Graph:
    g = Graph()
    for path in sorted(SHAPES_DIR.glob("*.ttl")):
        g.parse(path, format="turtle")
    return g


@cache
def ontology_graph() -> Graph:
    g = Graph()
    for path in sorted(ONTOLOGY_DIR.glob("*.ttl")):
        g.parse(path, format="turtle")
    assert len(g), "no ontology/*.ttl"
    return g


@cache
def validate(path: Path) -> tuple[bool, Graph]:
    data = Graph().parse(path, format="turtle")
    conforms, report, _text = pyshacl.validate(
        data,
        shacl_graph=shapes_graph(),
        ont_graph=ontology_graph(),
        inference="none",
        advanced=True,
        allow_warnings=True,
    )
    return conforms, report


def results(path: Path) -> list[tuple[Result, URIRef]]:
    """Each result of validating a fixture, with the shape that gave it."""
    _conforms, report = validate(path)
    out = []
    for r in report.subjects(RDF.type, SH.ValidationResult):
        key = (
            str(report.value(r, SH.resultSeverity)),
            str(report.value(r, SH.focusNode)),
            path_text(report, report.value(r, SH.resultPath)),
            str(report.value(r, SH.sourceConstraintComponent)),
        )
        out.append((key, report.value(r, SH.sourceShape)))
    return out


def shape_nodes(g: Graph) -> set:
    """Every node the shapes graph uses as a shape."""
    nodes = set(g.subjects(RDF.type, SH.NodeShape)) | set(g.subjects(RDF.type, SH.PropertyShape))
    for p in SHAPE_REFERENCES:
        nodes |= set(g.objects(None, p))
    for p in SHAPE_LISTS:
        for lst in g.objects(None, p):
            nodes |= set(Collection(g, lst))
    return nodes


def property_shapes(g: Graph) -> set:
    return {s for s in shape_nodes(g) if (s, SH.path, None) in g}


def targeted_shapes(g: Graph) -> set:
    return {s for s in shape_nodes(g) if any((s, t, None) in g for t in TARGETS)}


def short(node: object) -> str:
    text = str(node)
    for prefix, ns in PREFIXES.items():
        if text.startswith(ns):
            return f"{prefix}:{text[len(ns) :]}"
    return text


# --- each fixture gives exactly the results it expects -------------------------------


@pytest.mark.parametrize("fixture", EXPECTING, ids=lambda p: p.stem)
def test_fixture_gives_expected_results(fixture: Path) -> None:
    expected = expected_results(fixture)
    assert expected, f"{fixture.name} has no `# expect:` line"
    got = [key for key, _shape in results(fixture)]
    assert len(got) == len(set(got)), f"duplicate results: {sorted(got)}"
    assert set(got) == expected


@pytest.mark.parametrize("fixture", EXPECTING, ids=lambda p: p.stem)
def test_fixture_triggers_the_shape_it_is_named_after(fixture: Path) -> None:
    shape = URIRef(PREFIXES["kgsh"] + fixture.name.split(".")[0])
    g = shapes_graph()
    assert shape in shape_nodes(g), f"{fixture.name}: no shape {short(shape)}"
    sources = {s for _key, s in results(fixture)}
    assert shape in sources | {n for s in sources for n in g.subjects(SH.property, s)}


def test_valid_graph_conforms_with_no_results() -> None:
    path = FIXTURES_DIR / "valid.ttl"
    assert expected_results(path) == set()
    conforms, _report = validate(path)
    assert [key for key, _shape in results(path)] == []
    assert conforms


# --- every shape is tested --------------------------------------------------------


def test_every_targeted_shape_and_its_property_shapes_have_a_fixture() -> None:
    g = shapes_graph()
    triggered = {shape for f in EXPECTING for _key, shape in results(f)}
    untested = []
    for node_shape in targeted_shapes(g):
        props = set(g.objects(node_shape, SH.property))
        if not (triggered & (props | {node_shape})):
            untested.append(node_shape)
        untested += [p for p in props if p not in triggered]
    assert not untested, "shapes no fixture triggers: " + ", ".join(
        sorted(short(s) for s in untested)
    )


def test_every_shape_is_used() -> None:
    """A shape is targeted, or used by another shape (sh:property, sh:or, ...)."""
    g = shapes_graph()
    used = set()
    for p in SHAPE_REFERENCES:
        used |= set(g.objects(None, p))
    for p in SHAPE_LISTS:
        for lst in g.objects(None, p):
            used |= set(Collection(g, lst))
    unused = shape_nodes(g) - used - targeted_shapes(g)
    assert not unused, "unused shapes: " + ", ".join(sorted(short(s) for s in unused))


# --- how shapes are written --------------------------------------------------------


def test_every_shape_is_named() -> None:
    g = shapes_graph()
    blank = [s for s in shape_nodes(g) if isinstance(s, BNode)]
    assert not blank, f"{len(blank)} blank-node shape(s); give every shape a kgsh: IRI"
    outside = [s for s in shape_nodes(g) if not str(s).startswith(PREFIXES["kgsh"])]
    assert not outside, f"shapes outside kgsh: {outside}"


def test_every_property_shape_has_a_name_and_a_message_naming_a_field() -> None:
    g = shapes_graph()
    problems = []
    for s in property_shapes(g):
        names = list(g.objects(s, SH.name))
        messages = list(g.objects(s, SH.message))
        if not names:
            problems.append(f"{short(s)}: no sh:name")
        if not messages:
            problems.append(f"{short(s)}: no sh:message")
        if not any(re.search(r"`[A-Za-z]+`", str(m)) for m in messages):
            problems.append(f"{short(s)}: no message names a record field in backticks")
    assert not problems, "\n".join(sorted(problems))


def test_node_shapes_with_node_level_constraints_have_a_message() -> None:
    g = shapes_graph()
    missing = [
        short(s)
        for s in targeted_shapes(g)
        if any((s, p, None) in g for p in NODE_LEVEL) and (s, SH.message, None) not in g
    ]
    assert not missing, f"node shapes without sh:message: {missing}"


def test_every_message_is_english_text() -> None:
    g = shapes_graph()
    bad = [
        f"{short(s)}: {m!r}"
        for s, m in g.subject_objects(SH.message)
        if not (isinstance(m, Literal) and m.language == "en" and str(m).strip())
    ]
    assert not bad, "messages must be non-empty @en literals:\n" + "\n".join(bad)


def test_severities_are_violation_warning_or_info() -> None:
    g = shapes_graph()
    bad = [(short(s), short(o)) for s, o in g.subject_objects(SH.severity) if o not in SEVERITIES]
    assert not bad


def test_fixture_headers_use_known_terms() -> None:
    for path in EXPECTING:
        for severity, _focus, _path, component in expected_results(path):
            assert URIRef(severity) in SEVERITIES, path.name
            assert component.endswith("ConstraintComponent"), path.name
