"""What each field of each record type takes, whether a record needs it, and an
example: the facts the authoring guide and the record templates show.

Nothing here is written twice: the fields and kinds come from the record types
(``ontology/record-types.yaml``), what a record needs from the shapes
(``shapes/*.ttl``: a property shape with ``sh:minCount``, its severity, on a
class the type's class is or falls under in the ontology), and the examples
from the bundled records.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDFS, SH
from rdflib.term import Node

from kg.builder.graph import field_names
from kg.builder.ontology import load_ontology
from kg.errors import UsageError, did_you_mean
from kg.records.load import load_records
from kg.records.model import Value
from kg.records.schema import FieldSpec, RecordType, Schema, load_schema
from kg.resources import records_dir
from kg.validate.shapes import load_shapes

# sh:severity -> what the guide says of a field a record lacks.
LEVELS: dict[Node, str] = {
    SH.Violation: "required",
    SH.Warning: "recommended",
    SH.Info: "suggested",
}


_RANK = ("required", "recommended", "suggested", "")


@dataclass(frozen=True)
class FieldDoc:
    """One field of a record type, as the guide and templates show it."""

    name: str
    takes: str  # what a value is, in words
    need: str  # "required", "recommended", "suggested" or ""
    either: tuple[str, ...] = ()  # the fields any one of which meets ``need``
    example: str = ""  # a value as a YAML record writes it
    many: bool = False
    text: bool = False

    @property
    def need_text(self) -> str:
        if not self.need:
            return ""
        if self.either:
            return f"{self.need}: one of {', '.join(self.either)}"
        return self.need


def record_type(name: str, schema: Schema | None = None) -> RecordType:
    """The record type ``name``, or a :class:`UsageError` with the closest names."""
    schema = schema or load_schema()
    if name not in schema.types:
        raise UsageError(
            f"unknown record type {name!r}{did_you_mean(name, schema.types)}; "
            f"known types: {', '.join(sorted(schema.types))}"
        )
    return schema.types[name]


class FieldGuide:
    """The fields of every record type, what they take, need and look like.

    >>> guide = FieldGuide()
    >>> [(d.name, d.need_text) for d in guide.docs("talks")][:4]
    [('id', 'required'), ('type', 'required'), ('label', 'required'), ('altLabel', '')]
    """

    def __init__(self, schema: Schema | None = None) -> None:
        self.schema = schema or load_schema()
        self.needs = _needs(self.schema)
        self.examples = _examples(self.schema)

    def docs(self, rtype: str) -> list[FieldDoc]:
        """Every key a record of type ``rtype`` may have, in the order the record
        types list them (``id``, ``type`` first, ``sources`` and ``corrections``
        last)."""
        spec = record_type(rtype, self.schema)
        needs = self.needs[rtype]
        docs = [
            FieldDoc("id", "lower-case letters, digits and hyphens, unique", "required"),
            FieldDoc("type", f"`{rtype}`", "required", example=rtype),
        ]
        for name, f in spec.fields.items():
            need, either = needs.get(name, ("", ()))
            example = self.examples.get((rtype, name), "")
            docs.append(
                FieldDoc(
                    name, takes(f, self.schema), need, either, example, f.many, "text" in f.kinds
                )
            )
        need, either = needs.get("sources", ("", ()))
        docs.append(
            FieldDoc(
                "sources",
                "citations: a list of {source: id of a source, quote: …}",
                need,
                either,
                many=True,
            )
        )
        docs.append(
            FieldDoc("corrections", "what a source prints wrongly (YAML only)", "", many=True)
        )
        return docs


_KINDS = {
    "text": "text by language: {en: …, fr: …}",
    "string": "plain text",
    "date": "a date: YYYY-MM-DD, YYYY-MM or YYYY",
    "datetime": "a date and time: YYYY-MM-DDThh:mm[:ss]",
    "integer": "a whole number",
    "uri": "an http(s) address",
    "iri": "an IRI",
    "lang": "a language tag (en, fr, ja)",
}


def takes(spec: FieldSpec, schema: Schema) -> str:
    """What a value of the field is, in words.

    >>> takes(load_schema().types["event"].fields["participant"], load_schema())
    'ids of: agent (many)'
    """
    kinds = []
    for kind in spec.kinds:
        if kind == "ref":
            kinds.append(("ids of: " if spec.many else "id of: ") + _targets(spec.to, schema))
        elif kind == "enum":
            kinds.append("one of: " + ", ".join(spec.values))
        else:
            kinds.append(_KINDS[kind])
    return " or ".join(kinds) + (" (many)" if spec.many else "")


def _targets(to: frozenset[str], schema: Schema) -> str:
    """``to`` in the fewest names: a group stands for all its types."""
    if not to:
        return "any record"
    left, names = set(to), []
    for group, members in sorted(schema.groups.items(), key=lambda g: (-len(g[1]), g[0])):
        if members <= left and len(members) > 1:
            names.append(group)
            left -= members
    return ", ".join(sorted(names) + sorted(left))


# --- what a record needs: the shapes -----------------------------------------------


def _needs(schema: Schema) -> dict[str, dict[str, tuple[str, tuple[str, ...]]]]:
    """type -> field -> (level, the fields any one of which meets it)."""
    shapes, onto = load_shapes(), load_ontology()
    out: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {}
    for tname, rtype in schema.types.items():
        classes = set(onto.transitive_objects(URIRef(rtype.cls), RDFS.subClassOf))
        names = field_names(schema, tname)
        needs: dict[str, tuple[str, tuple[str, ...]]] = {}
        for node_shape in {s for c in classes for s in shapes.subjects(SH.targetClass, c)}:
            for prop in shapes.objects(node_shape, SH.property):
                count = shapes.value(prop, SH.minCount)
                if not isinstance(count, Literal) or int(count) < 1:
                    continue
                level = LEVELS[shapes.value(prop, SH.severity) or SH.Violation]
                fields = [names[p] for p in _path(shapes, prop) if p in names]
                either = tuple(fields) if len(fields) > 1 else ()
                for f in fields:
                    if _RANK.index(level) < _RANK.index(needs.get(f, ("", ()))[0]):
                        needs[f] = (level, either)
        out[tname] = needs
    return out


def _path(shapes: Graph, prop: Node) -> list[URIRef]:
    """The properties of a property shape's path: one, or those of an alternative path."""
    path = shapes.value(prop, SH.path)
    alt = shapes.value(path, SH.alternativePath) if path is not None else None
    steps = list(Collection(shapes, alt)) if alt is not None else [path]
    return [p for p in steps if isinstance(p, URIRef)]


# --- examples: the bundled records ----------------------------------------------------


def _examples(schema: Schema) -> dict[tuple[str, str], str]:
    """(type, field) -> the field's value in the first bundled record (by id) that
    has it, among the records of the types with the same fields (the kinds of
    event share their examples)."""
    records = sorted(load_records(records_dir(), schema), key=lambda r: r.id)
    found: dict[tuple[tuple[str, ...], str], str] = {}
    for rec in records:
        specs = schema.types[rec.type].fields
        for name, values in rec.fields.items():
            if values:
                found.setdefault((tuple(specs), name), example(values, specs[name]))
    return {
        (tname, name): found[(tuple(rtype.fields), name)]
        for tname, rtype in schema.types.items()
        for name in rtype.fields
        if (tuple(rtype.fields), name) in found
    }


def example(values: Iterable[Value], spec: FieldSpec, width: int = 40) -> str:
    """Up to two values of a field as a YAML record writes them, each cut at ``width``.

    >>> spec = load_schema().types["event"].fields["start"]
    >>> example([Value("date", ("2013-06-18", "date"), 1)], spec)
    '"2013-06-18"'
    """
    if "text" in spec.kinds:  # one text per language
        values = list({v.value[1]: v for v in reversed(list(values))}.values())[::-1]
    shown = [_one(v, spec, width) for v in list(values)[:2]]
    if "text" in spec.kinds:
        return "{" + ", ".join(shown) + "}"
    return f"[{', '.join(shown)}]" if spec.many else shown[0]


def _one(v: Value, spec: FieldSpec, width: int) -> str:
    if v.kind == "text":
        text, lang = v.value
        return f"{lang}: {_cut(text, width)}"
    if v.kind == "enum":
        return next(k for k, iri in spec.values.items() if iri == v.value)
    if v.kind in ("ref", "iri"):
        return str(v.value)
    return f'"{_cut(v.value[0], width)}"' if v.kind != "integer" else f'"{v.value[0]}"'


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"
