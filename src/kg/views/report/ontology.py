"""The report's ontology documentation: classes, properties and individuals."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from kg.terms.namespaces import KG, compact
from kg.views.graphview import GraphView
from kg.views.report.diagram import ModelBox, ModelEdge, TermDoc, _model_diagram


@dataclass
class OntologyDoc:
    title: str
    description: str
    iri: str
    version: str
    classes: list[TermDoc]
    properties: list[TermDoc]
    individuals: list[TermDoc]
    boxes: list[ModelBox]
    model_edges: list[ModelEdge]
    width: int
    height: int
    value_lists: list[str]

    @property
    def terms(self) -> set[str]:
        return {t.term for t in self.classes + self.properties + self.individuals}


def _kg_local(node: Node) -> str | None:
    s = str(node)
    return s[len(str(KG)) :] if isinstance(node, URIRef) and s.startswith(str(KG)) else None


def build_ontology_doc(view: GraphView) -> OntologyDoc:
    ont, data = view.ont, view.g
    onto_iri = next(iter(sorted(ont.subjects(RDF.type, OWL.Ontology), key=str)), None)

    def texts(node: Node, prop: URIRef) -> dict[str, list[str]]:
        return view.texts(node, [prop]) if node is not None else {}

    def en(d: dict[str, list[str]]) -> str:
        return (d.get("en") or next(iter(d.values()), [""]))[0] if d else ""

    kinds = (
        (OWL.Class, "Class"),
        (OWL.ObjectProperty, "Object property"),
        (OWL.DatatypeProperty, "Datatype property"),
        (OWL.AnnotationProperty, "Annotation property"),
        (OWL.NamedIndividual, "Individual"),
    )
    docs: dict[str, TermDoc] = {}
    for cls, kind_name in kinds:
        for t in ont.subjects(RDF.type, cls):
            local = _kg_local(t)
            if not local or local in docs:
                continue
            sup_prop = RDFS.subClassOf if cls == OWL.Class else RDFS.subPropertyOf
            supers = sorted(ont.objects(t, sup_prop), key=str)
            subs = sorted(ont.subjects(sup_prop, t), key=str)
            chars = sorted(
                view.label(c) if view.label(c) != compact(c) else compact(c).split(":")[1]
                for c in ont.objects(t, RDF.type)
                if c
                in (
                    OWL.TransitiveProperty,
                    OWL.SymmetricProperty,
                    OWL.FunctionalProperty,
                    OWL.InverseFunctionalProperty,
                    OWL.AsymmetricProperty,
                    OWL.IrreflexiveProperty,
                )
            )
            inverse = sorted(
                set(ont.objects(t, OWL.inverseOf)) | set(ont.subjects(OWL.inverseOf, t)), key=str
            )
            docs[local] = TermDoc(
                term=local,
                iri=str(t),
                kind=kind_name,
                labels=texts(t, RDFS.label),
                definitions=texts(t, SKOS.definition),
                comments=texts(t, RDFS.comment),
                supers=[view.ref(s) for s in supers if _kg_local(s)],
                alignments=[compact(s) for s in supers if not _kg_local(s)],
                subs=[view.ref(s) for s in subs if _kg_local(s)],
                domain=[view.ref(x) for x in sorted(ont.objects(t, RDFS.domain), key=str)],
                range=[view.ref(x) for x in sorted(ont.objects(t, RDFS.range), key=str)],
                inverse=[view.ref(x) for x in inverse],
                characteristics=chars,
                types=[
                    view.ref(x)
                    for x in sorted(ont.objects(t, RDF.type), key=str)
                    if x != OWL.NamedIndividual
                ]
                if cls == OWL.NamedIndividual
                else [],
                instances=len(set(data.subjects(RDF.type, t))) if cls == OWL.Class else 0,
                uses=sum(1 for _ in data.triples((None, t, None)))
                if cls != OWL.Class
                else sum(1 for _ in data.triples((None, None, t))),
            )

    def sort(kind_names: tuple[str, ...]) -> list[TermDoc]:
        return sorted(
            (d for d in docs.values() if d.kind in kind_names), key=lambda d: d.term.casefold()
        )

    classes = sort(("Class",))
    properties = sort(("Object property", "Datatype property", "Annotation property"))
    individuals = sort(("Individual",))
    boxes, edges, w, h, value_lists = _model_diagram(view, classes, properties)
    title = texts(onto_iri, URIRef("http://purl.org/dc/terms/title")) if onto_iri else {}
    desc = texts(onto_iri, URIRef("http://purl.org/dc/terms/description")) if onto_iri else {}
    version = str(ont.value(onto_iri, OWL.versionInfo) or "") if onto_iri else ""
    return OntologyDoc(
        en(title) or "Ontology",
        en(desc),
        str(onto_iri or KG),
        version,
        classes,
        properties,
        individuals,
        boxes,
        edges,
        w,
        h,
        value_lists,
    )
