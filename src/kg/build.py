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
    # The triples each source supports (record ids of sources -> triples), for
    # one named graph per source in dataset exports.
    by_source: dict[str, list[tuple]] = field(default_factory=dict)


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
        self.by_source: dict[str, list[tuple]] = {}
        self.scope: tuple[str, ...] = ()  # the sources of the record being built

    def emit(self, triple: tuple, extra: tuple[str, ...] = ()) -> None:
        self.g.add(triple)
        for src in (*self.scope, *extra):
            self.by_source.setdefault(src, []).append(triple)

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
        for n, c in enumerate(cites, start=1):
            node = URIRef(f"{owner}/citation/{n}")
            loc = Location(rec.file, c.line, rec.id, fname)
            self.index.nodes[node] = loc
            self.emit((owner, KG.citation, node))
            self.emit((node, RDF.type, KG.Citation))
            self.emit((node, KG.citedSource, record_iri(c.source)))
            self.emit((owner, PROV.wasDerivedFrom, record_iri(c.source)))
            if c.quote:
                lang = c.lang or (self.source_lang(c.via) if c.via else self.source_lang(c.source))
                self.emit((node, KG.quote, Literal(c.quote, lang=lang)))
            if c.locator:
                self.emit((node, KG.locator, Literal(c.locator)))
            if c.via:
                self.emit((node, KG.via, record_iri(c.via)))
                self.emit((owner, PROV.wasDerivedFrom, record_iri(c.via)))

    def add_record(self, rec: Record) -> None:
        s = record_iri(rec.id)
        rtype = self.schema.types[rec.type]
        # A source record describes the source itself: it goes in that source's graph.
        own = (rec.id,) if rec.type == "source" else ()
        self.scope = tuple(dict.fromkeys((*own, *(c.source for c in rec.sources))))
        self.index.nodes[s] = rec.location()
        self.index.field_names[s] = self.field_names(rec.type)
        self.emit((s, RDF.type, URIRef(rtype.cls)))
        is_theme = rec.type == "theme"
        if is_theme:
            self.emit((s, SKOS.inScheme, THEME_SCHEME))
            if not rec.fields.get("broader"):
                self.emit((s, SKOS.topConceptOf, THEME_SCHEME))
        for fname, values in rec.fields.items():
            prop = URIRef(rtype.fields[fname].property)
            self.index.fields[(s, prop)] = rec.location(fname)
            annotated = 0
            for v in values:
                obj = self.term(v)
                self.emit((s, prop, obj))
                if is_theme and prop == RDFS.label:
                    self.emit((s, SKOS.prefLabel, obj))
                    self.index.fields[(s, SKOS.prefLabel)] = rec.location(fname)
                if v.annotated:
                    annotated += 1
                    self.fact(rec, s, fname, prop, obj, v, annotated)
        self.citations(s, rec.sources, rec, "sources")
        for n, corr in enumerate(rec.corrections, start=1):
            node = URIRef(f"{s}/correction/{n}")
            self.index.nodes[node] = Location(rec.file, corr.line, rec.id, "corrections")
            self.emit((node, RDF.type, KG.Correction))
            self.emit((node, KG.corrects, s))
            self.emit((node, KG.onProperty, URIRef(rtype.fields[corr.field].property)))
            self.emit((node, KG.asPrinted, Literal(corr.printed)))
            self.emit((node, KG.correctedValue, Literal(corr.corrected)))
            if corr.source:
                self.emit((node, KG.citedSource, record_iri(corr.source)))
            for text, lang in corr.note:
                self.emit((node, SKOS.editorialNote, Literal(text, lang=lang)))

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
        outer = self.scope
        self.scope = tuple(dict.fromkeys((*outer, *(c.source for c in v.sources))))
        self.emit((s, prop, obj))
        node = URIRef(f"{s}/fact/{fname}/{n}")
        loc = Location(rec.file, v.line, rec.id, fname)
        self.index.nodes[node] = loc
        self.emit((node, RDF.type, RDF.Statement))
        self.emit((node, RDF.subject, s))
        self.emit((node, RDF.predicate, prop))
        self.emit((node, RDF.object, obj))
        for q in v.qualifiers:
            self.emit((node, KG.qualifier, URIRef(q)))
        for text, lang in v.note:
            self.emit((node, SKOS.editorialNote, Literal(text, lang=lang)))
        self.citations(node, v.sources, rec, fname)
        self.scope = outer


def records_to_graph(records: Records, schema: Schema | None = None) -> BuiltGraph:
    """Turn checked records into the asserted graph and its source index."""
    schema = schema or load_schema()
    builder = _Builder(records, schema)
    for rec in sorted(records, key=lambda r: r.id):
        builder.add_record(rec)
    by_source = {k: sorted(set(v)) for k, v in sorted(builder.by_source.items())}
    return BuiltGraph(builder.g, builder.index, records, by_source)


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
