"""The native SHACL engine's view of the shapes: each shape compiled once into
its targets, path, constraints and SPARQL checks.

Only the parameters listed in ``SUPPORTED`` are implemented; shapes using any
other make compiling raise :class:`Unsupported`, and the caller falls back to
pySHACL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH

from kg.terms.iris import intern

SUPPORTED = {
    SH.path, SH.property, SH.targetClass, SH.targetSubjectsOf, SH.minCount, SH.maxCount,
    SH["class"], SH.datatype, SH.nodeKind, SH["in"], SH.languageIn, SH.uniqueLang, SH["or"],
    SH.hasValue, SH.minInclusive, SH.qualifiedValueShape, SH.qualifiedMinCount, SH.sparql,
    SH.message, SH.severity, SH.name, SH.description, SH.order, SH.group,
}  # fmt: skip


# A module constant (namespace look-ups are slow in hot loops), interned: dict hits on identity.
_TYPE = intern(RDF.type)


_IGNORED = {RDF.type, RDFS.label, RDFS.comment, SH.name, SH.description}


class Unsupported(Exception):
    """The shapes use a SHACL feature this engine does not implement."""


@dataclass
class SparqlCheck:
    select: str
    component: URIRef
    messages: list[Literal]


@dataclass
class Shape:
    node: Any
    is_property: bool
    path: Any = None  # URIRef, or ("alt", [URIRef, ...])
    path_node: Any = None
    constraints: list[tuple[Any, Any]] = field(default_factory=list)
    properties: list[Shape] = field(default_factory=list)
    sparql: list[SparqlCheck] = field(default_factory=list)
    severity: URIRef = SH.Violation
    messages: list[Literal] = field(default_factory=list)
    target_classes: list[Any] = field(default_factory=list)
    target_subjects_of: list[Any] = field(default_factory=list)


@dataclass
class Result:
    focus: Any
    path: Any
    value: Any
    component: URIRef
    shape: Shape
    messages: list[Literal]


def _list(g: Graph, head: Any) -> list[Any]:
    out = []
    while head is not None and head != RDF.nil:
        out.append(g.value(head, RDF.first))
        head = g.value(head, RDF.rest)
    return out


class CompiledShapes:
    def __init__(self, shapes: Graph) -> None:
        self.g = shapes
        self.by_node: dict[Any, Shape] = {}
        self.prefixes = self._prefixes()
        self.components = self._components()
        targeted = set(shapes.subjects(SH.targetClass, None)) | set(
            shapes.subjects(SH.targetSubjectsOf, None)
        )
        for p in (SH.targetNode, SH.targetObjectsOf, SH.target):
            if any(shapes.subjects(p, None)):
                raise Unsupported(f"{p} is not supported")
        self.targeted = [self.shape(n) for n in sorted(targeted, key=str)]

    def _prefixes(self) -> str:
        lines = []
        for decl in self.g.objects(None, SH.declare):
            prefix = self.g.value(decl, SH.prefix)
            ns = self.g.value(decl, SH.namespace)
            lines.append(f"PREFIX {prefix}: <{ns}>")
        return "\n".join(sorted(set(lines))) + "\n"

    def _components(self) -> dict[Any, tuple[Any, Any, str]]:
        """Custom constraint components: parameter -> (component, parameter, select)."""
        out = {}
        for comp in self.g.subjects(RDF.type, SH.ConstraintComponent):
            params = [self.g.value(p, SH.path) for p in self.g.objects(comp, SH.parameter)]
            validator = self.g.value(comp, SH.propertyValidator)
            if len(params) != 1 or validator is None:
                raise Unsupported(f"constraint component {comp}")
            select = self.g.value(validator, SH.select)
            if any(self.g.objects(validator, SH.message)):
                raise Unsupported("messages on validators")
            out[params[0]] = (comp, params[0], str(select))
        return out

    def shape(self, node: Any) -> Shape:
        if node in self.by_node:
            return self.by_node[node]
        g = self.g
        path_node = g.value(node, SH.path)
        sh = Shape(node, path_node is not None)
        self.by_node[node] = sh
        if path_node is not None:
            self._read_path(sh, node, path_node)
        sh.severity = g.value(node, SH.severity) or SH.Violation
        sh.messages = [m for m in g.objects(node, SH.message) if isinstance(m, Literal)]
        sh.target_classes = sorted(g.objects(node, SH.targetClass), key=str)
        sh.target_subjects_of = sorted(g.objects(node, SH.targetSubjectsOf), key=str)
        for p, o in sorted(g.predicate_objects(node), key=lambda po: (str(po[0]), str(po[1]))):
            if p not in _IGNORED and p not in _READ_ELSEWHERE:
                self._read_parameter(sh, node, p, o)
        if any(p == SH.qualifiedValueShape for p, _ in sh.constraints):
            self._read_qualified_count(sh, node)
        _intern_terms(sh)
        return sh

    def _read_path(self, sh: Shape, node: Any, path_node: Any) -> None:
        """An IRI, or an ``sh:alternativePath`` of IRIs; any other path is Unsupported."""
        sh.path_node = path_node
        if isinstance(path_node, URIRef):
            sh.path = path_node
            return
        alt = self.g.value(path_node, SH.alternativePath)
        members = _list(self.g, alt) if alt is not None else []
        if not members or not all(isinstance(m, URIRef) for m in members):
            raise Unsupported(f"path of {node}")
        sh.path = ("alt", members)

    def _read_parameter(self, sh: Shape, node: Any, p: Any, o: Any) -> None:
        """One parameter of the shape: a nested shape, a SPARQL check or a
        constraint; a SHACL feature the engine lacks raises Unsupported."""
        g = self.g
        if p == SH.property:
            sh.properties.append(self.shape(o))
        elif p == SH.sparql:
            sh.sparql.append(self._sparql_check(o))
        elif p in self.components:
            sh.sparql.append(self._component_check(sh, p, o))
        elif p == SH["or"]:
            sh.constraints.append((p, [self.shape(m) for m in _list(g, o)]))
        elif p == SH.qualifiedValueShape:
            sh.constraints.append((p, self.shape(o)))
        elif p in (SH["in"], SH.languageIn):
            sh.constraints.append((p, _list(g, o)))
        elif p == SH.qualifiedMinCount:
            return  # read with sh:qualifiedValueShape
        elif p == SH.datatype and type(o) is not URIRef:
            # _datatype_ok compares datatypes as strings, which only IRIs
            # may be; pySHACL judges the odd case.
            raise Unsupported(f"sh:datatype {o!r} is not an IRI")
        elif p in SUPPORTED or p in (SH.order, SH.group):
            if p not in (SH.order, SH.group, SH.name, SH.description):
                sh.constraints.append((p, o))
        elif str(p).startswith(str(SH)) or p in (RDFS.subClassOf,):
            raise Unsupported(f"{p} on {node}")

    def _sparql_check(self, o: Any) -> SparqlCheck:
        select = self.g.value(o, SH.select)
        if select is None or any(self.g.objects(o, SH.deactivated)):
            raise Unsupported("sh:sparql without sh:select")
        msgs = [m for m in self.g.objects(o, SH.message) if isinstance(m, Literal)]
        return SparqlCheck(str(select), SH.SPARQLConstraintComponent, msgs)

    def _component_check(self, sh: Shape, p: Any, o: Any) -> SparqlCheck:
        comp, param, template = self.components[p]
        if not sh.is_property or not isinstance(sh.path, URIRef):
            raise Unsupported("custom component on a node shape or complex path")
        text = template.replace("$PATH", f"<{sh.path}>").replace("$" + _local(param), f"<{o}>")
        return SparqlCheck(text, comp, [])

    def _read_qualified_count(self, sh: Shape, node: Any) -> None:
        g = self.g
        disjoint = g.value(node, SH.qualifiedValueShapesDisjoint)
        if g.value(node, SH.qualifiedMaxCount) is not None or disjoint not in (
            None,
            Literal(False),
        ):
            raise Unsupported("qualifiedMaxCount / qualifiedValueShapesDisjoint")
        sh.constraints.append((SH.qualifiedMinCount, g.value(node, SH.qualifiedMinCount)))


# Parameters the shape reads before its loop over the others.
_READ_ELSEWHERE = (
    SH.path, SH.message, SH.severity, SH.targetClass, SH.targetSubjectsOf, SH.declare, SH.prefixes,
)  # fmt: skip


def _intern_terms(sh: Shape) -> None:
    """One object per IRI (shared with the data and _CORE): look-ups in the hot
    loops then hit on identity."""
    sh.constraints = [(intern(p), intern(a)) for p, a in sh.constraints]
    if isinstance(sh.path, URIRef):
        sh.path = intern(sh.path)
    elif sh.path is not None:
        sh.path = ("alt", [intern(m) for m in sh.path[1]])
    sh.target_classes = [intern(c) for c in sh.target_classes]
    sh.target_subjects_of = [intern(c) for c in sh.target_subjects_of]


def _local(iri: Any) -> str:
    s = str(iri)
    return s.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
