"""The report's ontology documentation: classes, properties and individuals."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from kg.terms.namespaces import KG, compact
from kg.views.graphview import GraphView
from kg.views.report.diagram import ModelBox, ModelEdge, TermDoc, model_diagram


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


_TERM_KINDS = (
    (OWL.Class, "Class"),
    (OWL.ObjectProperty, "Object property"),
    (OWL.DatatypeProperty, "Datatype property"),
    (OWL.AnnotationProperty, "Annotation property"),
    (OWL.NamedIndividual, "Individual"),
)


_CHARACTERISTICS = (
    OWL.TransitiveProperty,
    OWL.SymmetricProperty,
    OWL.FunctionalProperty,
    OWL.InverseFunctionalProperty,
    OWL.AsymmetricProperty,
    OWL.IrreflexiveProperty,
)


def build_ontology_doc(view: GraphView) -> OntologyDoc:
    """Every kg: term of the ontology, documented, and the diagram of the model."""
    ont = view.ont
    onto_iri = next(iter(sorted(ont.subjects(RDF.type, OWL.Ontology), key=str)), None)
    docs: dict[str, TermDoc] = {}
    for cls, kind_name in _TERM_KINDS:
        for t in ont.subjects(RDF.type, cls):
            local = _kg_local(t)
            if local and local not in docs:
                docs[local] = _term_doc(view, t, local, cls, kind_name)

    def sort(kind_names: tuple[str, ...]) -> list[TermDoc]:
        return sorted(
            (d for d in docs.values() if d.kind in kind_names), key=lambda d: d.term.casefold()
        )

    classes = sort(("Class",))
    properties = sort(("Object property", "Datatype property", "Annotation property"))
    individuals = sort(("Individual",))
    boxes, edges, w, h, value_lists = model_diagram(view, classes, properties)
    title = _texts(view, onto_iri, DCTERMS.title)
    desc = _texts(view, onto_iri, DCTERMS.description)
    version = str(ont.value(onto_iri, OWL.versionInfo) or "") if onto_iri else ""
    return OntologyDoc(
        _en(title) or "Ontology",
        _en(desc),
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


def _texts(view: GraphView, node: Node | None, prop: URIRef) -> dict[str, list[str]]:
    return view.texts(node, [prop]) if node is not None else {}


def _en(d: dict[str, list[str]]) -> str:
    """The English text, else the first there is."""
    return (d.get("en") or next(iter(d.values()), [""]))[0] if d else ""


def _term_doc(view: GraphView, t: Node, local: str, cls: URIRef, kind_name: str) -> TermDoc:
    ont, data = view.ont, view.g
    sup_prop = RDFS.subClassOf if cls == OWL.Class else RDFS.subPropertyOf
    supers = sorted(ont.objects(t, sup_prop), key=str)
    subs = sorted(ont.subjects(sup_prop, t), key=str)
    inverse = sorted(
        set(ont.objects(t, OWL.inverseOf)) | set(ont.subjects(OWL.inverseOf, t)), key=str
    )
    types = sorted(ont.objects(t, RDF.type), key=str)
    return TermDoc(
        term=local,
        iri=str(t),
        kind=kind_name,
        labels=_texts(view, t, RDFS.label),
        definitions=_texts(view, t, SKOS.definition),
        comments=_texts(view, t, RDFS.comment),
        supers=[view.ref(s) for s in supers if _kg_local(s)],
        alignments=[compact(s) for s in supers if not _kg_local(s)],
        subs=[view.ref(s) for s in subs if _kg_local(s)],
        domain=[view.ref(x) for x in sorted(ont.objects(t, RDFS.domain), key=str)],
        range=[view.ref(x) for x in sorted(ont.objects(t, RDFS.range), key=str)],
        inverse=[view.ref(x) for x in inverse],
        characteristics=_characteristics(view, t),
        types=[view.ref(x) for x in types if x != OWL.NamedIndividual]
        if cls == OWL.NamedIndividual
        else [],
        # A store's data graph holds the ontology too: its own individuals are not data.
        instances=len(set(data.subjects(RDF.type, t)) - set(ont.subjects(RDF.type, t)))
        if cls == OWL.Class
        else 0,
        uses=sum(1 for tr in data.triples((None, t, None)) if tr not in ont)
        if cls != OWL.Class
        else sum(1 for _ in data.triples((None, None, t))),
    )


def _characteristics(view: GraphView, t: Node) -> list[str]:
    """A property's characteristics (transitive, functional, ...), by label."""
    return sorted(
        view.label(c) if view.label(c) != compact(c) else compact(c).split(":")[1]
        for c in view.ont.objects(t, RDF.type)
        if c in _CHARACTERISTICS
    )
