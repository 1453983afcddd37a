"""Records -> RDF: the asserted graph, with an index back to the records.

Every node gets a stable IRI under ``https://w3id.org/kg-nj/id/`` (no blank
nodes), so the same records always give the same triples.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, PROV, RDF, RDFS, SKOS, XSD

from kg.errors import Location
from kg.namespaces import ID, KG, bind_prefixes
from kg.records import Citation, Record, Records, Value, load_records
from kg.resources import ontology_files, records_dir
from kg.schema import Schema, load_schema

THEME_SCHEME = KG["SecurityThemes"]


@dataclass
class SourceIndex:
    """Maps graph nodes (and node + property) back to record file, line and field."""

    nodes: dict[URIRef, Location] = field(default_factory=dict)
    fields: dict[tuple[URIRef, URIRef], Location] = field(default_factory=dict)
    # For a field the record lacks: which field name a property has, per node.
    field_names: dict[URIRef, dict[URIRef, str]] = field(default_factory=dict)

    def locate(self, node: object, path: object = None) -> Location | None:
        if not isinstance(node, URIRef):
            return None
        if isinstance(path, URIRef):
            if (node, path) in self.fields:
                return self.fields[(node, path)]
            loc = self.nodes.get(node)
            name = self.field_names.get(node, {}).get(path)
            if loc is not None and name is not None:
                # A missing field has no line of its own: point at the record.
                return Location(loc.file, loc.line, loc.record, name)
        return self.nodes.get(node)


@dataclass
class BuiltGraph:
    graph: Graph
    index: SourceIndex
    records: Records


def record_iri(rid: str) -> URIRef:
    """The IRI of a record.

    >>> str(record_iri("shinzo-abe"))
    'https://w3id.org/kg-nj/id/shinzo-abe'
    """
    return ID[rid]


class _Builder:
    def __init__(self, records: Records, schema: Schema) -> None:
        self.records = records
        self.schema = schema
        self.g = Graph()
        bind_prefixes(self.g)
        self.index = SourceIndex()
        self._field_names: dict[str, dict[URIRef, str]] = {}

    def field_names(self, rtype: str) -> dict[URIRef, str]:
        if rtype not in self._field_names:
            names = {URIRef(f.property): n for n, f in self.schema.types[rtype].fields.items()}
            names[KG.citation] = "sources"
            self._field_names[rtype] = names
        return self._field_names[rtype]

    def term(self, v: Value) -> URIRef | Literal:
        if v.kind == "text":
            text, lang = v.value
            return Literal(text, lang=lang)
        if v.kind == "ref":
            return record_iri(v.value)
        if v.kind in ("enum", "iri"):
            return URIRef(v.value)
        lexical, xsd = v.value
        if xsd == "string":
            return Literal(lexical)
        return Literal(lexical, datatype=XSD[xsd])

    def source_lang(self, source_id: str) -> str | None:
        rec = self.records.records.get(source_id)
        if rec is None:
            return None
        langs = rec.fields.get("language", [])
        return langs[0].value[0].lower() if langs else None

    def citations(self, owner: URIRef, cites: Iterable[Citation], rec: Record, fname: str) -> None:
        g = self.g
        for n, c in enumerate(cites, start=1):
            node = URIRef(f"{owner}/citation/{n}")
            loc = Location(rec.file, c.line, rec.id, fname)
            self.index.nodes[node] = loc
            g.add((owner, KG.citation, node))
            g.add((node, RDF.type, KG.Citation))
            g.add((node, KG.citedSource, record_iri(c.source)))
            g.add((owner, PROV.wasDerivedFrom, record_iri(c.source)))
            if c.quote:
                lang = c.lang or (self.source_lang(c.via) if c.via else self.source_lang(c.source))
                g.add((node, KG.quote, Literal(c.quote, lang=lang)))
            if c.locator:
                g.add((node, KG.locator, Literal(c.locator)))
            if c.via:
                g.add((node, KG.via, record_iri(c.via)))
                g.add((owner, PROV.wasDerivedFrom, record_iri(c.via)))

    def add_record(self, rec: Record) -> None:
        g = self.g
        s = record_iri(rec.id)
        rtype = self.schema.types[rec.type]
        self.index.nodes[s] = rec.location()
        self.index.field_names[s] = self.field_names(rec.type)
        g.add((s, RDF.type, URIRef(rtype.cls)))
        is_theme = rec.type == "theme"
        if is_theme:
            g.add((s, SKOS.inScheme, THEME_SCHEME))
            if not rec.fields.get("broader"):
                g.add((s, SKOS.topConceptOf, THEME_SCHEME))
        for fname, values in rec.fields.items():
            prop = URIRef(rtype.fields[fname].property)
            self.index.fields[(s, prop)] = rec.location(fname)
            annotated = 0
            for v in values:
                obj = self.term(v)
                g.add((s, prop, obj))
                if is_theme and prop == RDFS.label:
                    g.add((s, SKOS.prefLabel, obj))
                    self.index.fields[(s, SKOS.prefLabel)] = rec.location(fname)
                if v.annotated:
                    annotated += 1
                    self.fact(rec, s, fname, prop, obj, v, annotated)
        self.citations(s, rec.sources, rec, "sources")
        for n, corr in enumerate(rec.corrections, start=1):
            node = URIRef(f"{s}/correction/{n}")
            self.index.nodes[node] = Location(rec.file, corr.line, rec.id, "corrections")
            g.add((node, RDF.type, KG.Correction))
            g.add((node, KG.corrects, s))
            g.add((node, KG.onProperty, URIRef(rtype.fields[corr.field].property)))
            g.add((node, KG.asPrinted, Literal(corr.printed)))
            g.add((node, KG.correctedValue, Literal(corr.corrected)))
            if corr.source:
                g.add((node, KG.citedSource, record_iri(corr.source)))
            for text, lang in corr.note:
                g.add((node, SKOS.editorialNote, Literal(text, lang=lang)))

    def fact(
        self,
        rec: Record,
        s: URIRef,
        fname: str,
        prop: URIRef,
        obj: URIRef | Literal,
        v: Value,
        n: int,
    ) -> None:
        """Reify one qualified fact so its qualifiers and citations can be queried."""
        g = self.g
        node = URIRef(f"{s}/fact/{fname}/{n}")
        loc = Location(rec.file, v.line, rec.id, fname)
        self.index.nodes[node] = loc
        g.add((node, RDF.type, RDF.Statement))
        g.add((node, RDF.subject, s))
        g.add((node, RDF.predicate, prop))
        g.add((node, RDF.object, obj))
        for q in v.qualifiers:
            g.add((node, KG.qualifier, URIRef(q)))
        for text, lang in v.note:
            g.add((node, SKOS.editorialNote, Literal(text, lang=lang)))
        self.citations(node, v.sources, rec, fname)


def records_to_graph(records: Records, schema: Schema | None = None) -> BuiltGraph:
    """Turn checked records into the asserted graph and its source index."""
    schema = schema or load_schema()
    builder = _Builder(records, schema)
    for rec in sorted(records, key=lambda r: r.id):
        builder.add_record(rec)
    return BuiltGraph(builder.g, builder.index, records)


def build_graph(path: Path | None = None) -> Graph:
    """Load the records under ``path`` (the bundled ones by default) into a graph.

    >>> g = build_graph()
    >>> (record_iri("shinzo-abe"), None, None) in g
    True
    """
    return records_to_graph(load_records(path or records_dir())).graph


def load_ontology() -> Graph:
    """The bundled ontology (all of ``ontology/*.ttl``) as one graph."""
    g = Graph()
    bind_prefixes(g)
    for triple in _ontology_triples():
        g.add(triple)
    return g


@cache
def _ontology_triples() -> tuple:
    g = Graph()
    for path in ontology_files():
        g.parse(path, format="turtle")
    # Never follow owl:imports: the ontology is self-contained by design.
    g.remove((None, OWL.imports, None))
    return tuple(g)
