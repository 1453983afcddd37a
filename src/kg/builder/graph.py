"""Records -> RDF: the asserted graph, with an index back to the records.

Every node gets a stable IRI under ``https://w3id.org/kg-nj/id/`` (no blank
nodes), so the same records always give the same triples.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, RDFS, SKOS, XSD

from kg.errors import Location
from kg.records.load import load_records
from kg.records.model import Citation, Record, Records, Value
from kg.records.schema import Schema, load_schema
from kg.resources import records_dir
from kg.terms.iris import iri, minted_iri, record_iri
from kg.terms.namespaces import KG, bind_prefixes

THEME_SCHEME = KG["SecurityThemes"]


# Terms used for every record, made once (rdflib validates each new URIRef).
_T = {
    name: ns[name]
    for ns, names in (
        (KG, ("citation", "Citation", "citedSource", "quote", "locator", "via", "Correction",
              "corrects", "onProperty", "asPrinted", "correctedValue", "qualifier",
              "accordingTo")),
        (RDF, ("type", "Statement", "subject", "predicate", "object")),
        (PROV, ("wasDerivedFrom",)),
        (SKOS, ("inScheme", "topConceptOf", "prefLabel", "editorialNote")),
    )
    for name in names
}  # fmt: skip


# The vocabulary's terms are the table's own objects too (see intern()).
_T = {name: iri(term) for name, term in _T.items()}


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


class BuiltGraph:
    """The asserted graph built from records, with its source index.

    ``triples`` are the distinct asserted triples in the order built; the
    rdflib ``graph`` and the per-source ``by_source`` map are made on first
    use, so the native engines never pay for them.
    """

    def __init__(
        self,
        graph: Graph | None,
        index: SourceIndex,
        records: Records,
        by_source: dict[str, list[tuple]] | None = None,
        *,
        triples: dict[tuple, None] | None = None,
        raw_by_source: dict[str, list[tuple]] | None = None,
    ) -> None:
        self._graph = graph
        self.index = index
        self.records = records
        self._by_source = by_source
        self._raw_by_source = raw_by_source or {}
        if triples is None:
            triples = dict.fromkeys(graph) if graph is not None else {}
        self.triples = triples

    @property
    def graph(self) -> Graph:
        if self._graph is None:
            g = Graph()
            bind_prefixes(g)
            add = g.add
            for t in self.triples:
                add(t)
            self._graph = g
        return self._graph

    @graph.setter
    def graph(self, g: Graph) -> None:
        self._graph = g

    @property
    def by_source(self) -> dict[str, list[tuple]]:
        """The triples each source supports (record ids of sources -> triples), for
        one named graph per source in dataset exports."""
        if self._by_source is None:
            self._by_source = {k: sorted(set(v)) for k, v in sorted(self._raw_by_source.items())}
        return self._by_source

    def __len__(self) -> int:
        return len(self.triples)


def source_language(rec: Record) -> str | None:
    """The language of a source record (its first ``language``, lower-cased), which
    a quote citing it without a ``lang`` of its own takes; None for other records."""
    if rec.type != "source":
        return None
    langs = rec.fields.get("language", [])
    return langs[0].value[0].lower() if langs else None


def field_names(schema: Schema, rtype: str) -> dict[URIRef, str]:
    """The field each property of a record of type ``rtype`` comes from (a
    citation's: ``sources``), to locate a finding about a field the record lacks."""
    names = {URIRef(f.property): n for n, f in schema.types[rtype].fields.items()}
    names[_T["citation"]] = "sources"
    return names


class GraphBuilder:
    """Builds the asserted triples of records, one :meth:`add_record` at a time,
    with the index of where each node and field came from.

    A quote takes the language of the source it cites, read from that source's
    record in ``records``; for a source not among them, ``outside_lang`` (a
    source id -> its language, or None) answers, so that some records can be
    built without the others (the incremental build reads the others' from its
    catalogue).
    """

    def __init__(
        self,
        records: Records,
        schema: Schema,
        outside_lang: Callable[[str], str | None] | None = None,
    ) -> None:
        self.records = records
        self.schema = schema
        self.outside_lang = outside_lang
        self.triples: dict[tuple, None] = {}
        self.index = SourceIndex()
        self._field_names: dict[str, dict[URIRef, str]] = {}
        self.by_source: dict[str, list[tuple]] = {}
        self.scope: tuple[str, ...] = ()  # the sources of the record being built

    def emit(self, triple: tuple) -> None:
        self.triples[triple] = None
        for src in self.scope:
            lst = self.by_source.get(src)
            if lst is None:
                self.by_source[src] = [triple]
            else:
                lst.append(triple)

    def field_names(self, rtype: str) -> dict[URIRef, str]:
        """:func:`field_names`, one dict per type (shared by its records' nodes)."""
        names = self._field_names.get(rtype)
        if names is None:
            names = self._field_names[rtype] = field_names(self.schema, rtype)
        return names

    def term(self, v: Value) -> URIRef | Literal:
        if v.kind == "text":
            text, lang = v.value
            return Literal(text, lang=lang)
        if v.kind == "ref":
            return record_iri(v.value)
        if v.kind in ("enum", "iri"):
            return iri(v.value)
        lexical, xsd = v.value
        if xsd == "string":
            return Literal(lexical)
        return Literal(lexical, datatype=XSD[xsd])

    def source_lang(self, source_id: str) -> str | None:
        rec = self.records.records.get(source_id)
        if rec is not None:
            return source_language(rec)
        return self.outside_lang(source_id) if self.outside_lang is not None else None

    def citations(self, owner: URIRef, cites: Iterable[Citation], rec: Record, fname: str) -> None:
        for n, c in enumerate(cites, start=1):
            node = minted_iri(f"{owner}/citation/{n}")
            loc = Location(rec.file, c.line, rec.id, fname)
            self.index.nodes[node] = loc
            self.emit((owner, _T["citation"], node))
            self.emit((node, _T["type"], _T["Citation"]))
            self.emit((node, _T["citedSource"], record_iri(c.source)))
            self.emit((owner, _T["wasDerivedFrom"], record_iri(c.source)))
            if c.quote:
                lang = c.lang or (self.source_lang(c.via) if c.via else self.source_lang(c.source))
                self.emit((node, _T["quote"], Literal(c.quote, lang=lang)))
            if c.locator:
                self.emit((node, _T["locator"], Literal(c.locator)))
            if c.via:
                self.emit((node, _T["via"], record_iri(c.via)))
                self.emit((owner, _T["wasDerivedFrom"], record_iri(c.via)))

    def add_record(self, rec: Record) -> None:
        s = record_iri(rec.id)
        rtype = self.schema.types[rec.type]
        # A source record describes the source itself: it goes in that source's graph.
        own = (rec.id,) if rec.type == "source" else ()
        self.scope = tuple(dict.fromkeys((*own, *(c.source for c in rec.sources))))
        self.index.nodes[s] = rec.location()
        self.index.field_names[s] = self.field_names(rec.type)
        self.emit((s, _T["type"], iri(rtype.cls)))
        is_theme = rec.type == "theme"
        if is_theme:
            self.emit((s, _T["inScheme"], THEME_SCHEME))
            if not rec.fields.get("broader"):
                self.emit((s, _T["topConceptOf"], THEME_SCHEME))
        for fname, values in rec.fields.items():
            prop = iri(rtype.fields[fname].property)
            self.index.fields[(s, prop)] = rec.location(fname)
            annotated = 0
            for v in values:
                obj = self.term(v)
                self.emit((s, prop, obj))
                if is_theme and prop == RDFS.label:
                    self.emit((s, _T["prefLabel"], obj))
                    self.index.fields[(s, _T["prefLabel"])] = rec.location(fname)
                if v.annotated:
                    annotated += 1
                    self.fact(rec, s, fname, prop, obj, v, annotated)
        if "label" not in rec.fields and rtype.label_from:
            for label, fname in derived_labels(rec, rtype.label_from):
                self.emit((s, RDFS.label, label))
                self.index.fields[(s, RDFS.label)] = rec.location(fname)
        self.citations(s, rec.sources, rec, "sources")
        for n, corr in enumerate(rec.corrections, start=1):
            node = minted_iri(f"{s}/correction/{n}")
            self.index.nodes[node] = Location(rec.file, corr.line, rec.id, "corrections")
            self.emit((node, _T["type"], _T["Correction"]))
            self.emit((node, _T["corrects"], s))
            self.emit((node, _T["onProperty"], iri(rtype.fields[corr.field].property)))
            self.emit((node, _T["asPrinted"], Literal(corr.printed)))
            self.emit((node, _T["correctedValue"], Literal(corr.corrected)))
            if corr.source:
                self.emit((node, _T["citedSource"], record_iri(corr.source)))
            for text, lang in corr.note:
                self.emit((node, _T["editorialNote"], Literal(text, lang=lang)))

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
        """Reify one qualified fact once per source that reads it, so that each
        source's reading (its qualifiers, its citations) can be queried: the node
        ``<record>/fact/<field>/<n>/<source id>``. The value's own qualifiers and
        note hold for every reading; a citation's qualifiers for its source's only.
        A source whose citations give a ``part`` of a text value reads those words
        (its reading's object), not the whole value: the loader has checked them.
        """
        outer = self.scope
        self.scope = tuple(dict.fromkeys((*outer, *(c.source for c in v.sources))))
        self.emit((s, prop, obj))
        base = f"{s}/fact/{fname}/{n}"
        readings = v.readings(rec.sources) or [("", [])]
        for source, cites in readings:
            node = minted_iri(f"{base}/{source}" if source else base)
            self.index.nodes[node] = Location(rec.file, v.line, rec.id, fname)
            self.scope = tuple(dict.fromkeys((*outer, *((source,) if source else ()))))
            self.emit((node, _T["type"], _T["Statement"]))
            self.emit((node, _T["subject"], s))
            self.emit((node, _T["predicate"], prop))
            part = cites[0].part if cites else None
            read = Literal(part, lang=obj.language) if part and isinstance(obj, Literal) else obj
            self.emit((node, _T["object"], read))
            if source:
                self.emit((node, _T["accordingTo"], record_iri(source)))
            own = [q for c in cites for q in c.qualifiers]
            for q in dict.fromkeys((*v.qualifiers, *own)):
                self.emit((node, _T["qualifier"], iri(q)))
            for text, lang in v.note:
                self.emit((node, _T["editorialNote"], Literal(text, lang=lang)))
            if cites:
                self.citations(node, cites, rec, fname)
            elif source:
                # Read from the record's sources: the record's citations stand for it.
                self.emit((node, _T["wasDerivedFrom"], record_iri(source)))
                for c in rec.sources:
                    if c.source == source and c.via:
                        self.emit((node, _T["wasDerivedFrom"], record_iri(c.via)))
        self.scope = outer


def derived_labels(rec: Record, templates: tuple[str, ...]) -> list[tuple[Literal, str]]:
    """The labels of a record that has none, from the first of ``templates`` (a
    type's ``labelFrom`` in record-types.yaml) whose fields it has, each with the
    field it came from: ``"{title}"`` gives the title in each of its languages;
    any other template one English label, each field written as its English
    (else first) text.

    >>> from kg.records.model import Value
    >>> rec = Record("src-s12", "source", "sources.yaml", 1, fields={
    ...     "key": [Value("string", ("S12", "string"), 3)],
    ...     "dateAsShown": [Value("string", ("version 2024-06-03", "string"), 5)]})
    >>> [str(label) for label, _ in derived_labels(rec, ("{title}", "{key} · {dateAsShown}"))]
    ['S12 · version 2024-06-03']
    """
    for template in templates:
        names = _TEMPLATE_FIELD.findall(template)
        if not all(rec.fields.get(n) for n in names):
            continue
        values = rec.fields[names[0]]
        if template == f"{{{names[0]}}}" and values[0].kind == "text":
            return [(Literal(v.value[0], lang=v.value[1]), names[0]) for v in values]
        text = _TEMPLATE_FIELD.sub(lambda m: _plain(rec.fields[m.group(1)]), template)
        return [(Literal(text, lang="en"), names[0])]
    return []


_TEMPLATE_FIELD = re.compile(r"\{(\w+)\}")


def _plain(values: list[Value]) -> str:
    """A field's text for a label: its English value, else its first."""
    if values[0].kind == "text":
        return next((v.value[0] for v in values if v.value[1] == "en"), values[0].value[0])
    return str(values[0].value[0] if isinstance(values[0].value, tuple) else values[0].value)


def records_to_graph(
    records: Records,
    schema: Schema | None = None,
    outside_lang: Callable[[str], str | None] | None = None,
) -> BuiltGraph:
    """Turn checked records into the asserted graph and its source index
    (``outside_lang``: see :class:`GraphBuilder`).

    >>> from kg.records.load import load_records
    >>> from kg.resources import records_dir
    >>> built = records_to_graph(load_records(records_dir()))
    >>> (record_iri("shinzo-abe"), RDF.type, KG.Person) in built.triples
    True
    """
    schema = schema or load_schema()
    builder = GraphBuilder(records, schema, outside_lang)
    for rec in sorted(records, key=lambda r: r.id):
        builder.add_record(rec)
    return BuiltGraph(
        None, builder.index, records, triples=builder.triples, raw_by_source=builder.by_source
    )


def build_graph(path: Path | None = None) -> Graph:
    """Load the records under ``path`` (the bundled ones by default) into a graph.

    >>> g = build_graph()
    >>> (record_iri("shinzo-abe"), None, None) in g
    True
    """
    return records_to_graph(load_records(path or records_dir())).graph
