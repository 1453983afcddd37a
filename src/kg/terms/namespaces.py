"""The namespaces kg mints and reuses, and the prefixes it writes."""

from __future__ import annotations

from rdflib import Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SKOS, XSD

KG = Namespace("https://w3id.org/kg-nj/ontology#")


ID = Namespace("https://w3id.org/kg-nj/id/")


KGSH = Namespace("https://w3id.org/kg-nj/shapes#")


GRAPH = Namespace("https://w3id.org/kg-nj/graph/")


SCHEMA = Namespace("https://schema.org/")


SEM = Namespace("http://semanticweb.cs.vu.nl/2009/11/sem/")


ASSERTED_GRAPH = GRAPH["asserted"]


INFERRED_GRAPH = GRAPH["inferred"]


ONTOLOGY_GRAPH = GRAPH["ontology"]


# Written into every output and known to every query, in this order.
PREFIXES: dict[str, Namespace] = {
    "kg": KG,
    "id": ID,
    "kgsh": KGSH,
    "rdf": Namespace(str(RDF)),
    "rdfs": Namespace(str(RDFS)),
    "owl": Namespace(str(OWL)),
    "xsd": Namespace(str(XSD)),
    "skos": Namespace(str(SKOS)),
    "dct": Namespace(str(DCTERMS)),
    "prov": Namespace(str(PROV)),
    "org": Namespace(str(ORG)),
    "foaf": Namespace(str(FOAF)),
    "schema": SCHEMA,
    "sem": SEM,
}


def bind_prefixes(graph) -> None:  # type: ignore[no-untyped-def]
    """Bind kg's prefixes on a Graph or Dataset, replacing rdflib's defaults."""
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True, replace=True)


def expand(curie: str) -> str:
    """Expand a prefixed name such as ``kg:Person`` to a full IRI.

    >>> expand("kg:Person")
    'https://w3id.org/kg-nj/ontology#Person'
    """
    prefix, _, local = curie.partition(":")
    if prefix in PREFIXES and not local.startswith("//"):
        return str(PREFIXES[prefix]) + local
    return curie


def compact(term: object) -> str:
    """A short, readable form of an RDF term (prefixed name or quoted literal).

    >>> compact(URIRef("https://w3id.org/kg-nj/id/shinzo-abe"))
    'id:shinzo-abe'
    """
    if isinstance(term, URIRef):
        s = str(term)
        for prefix, ns in PREFIXES.items():
            if s.startswith(str(ns)) and s != str(ns):
                return f"{prefix}:{s[len(str(ns)) :]}"
        return f"<{s}>"
    if isinstance(term, Literal):
        text = str(term)
        if term.language:
            return f'"{text}"@{term.language}'
        if term.datatype:
            return f'"{text}"^^{compact(term.datatype)}'
        return f'"{text}"'
    return str(term)
