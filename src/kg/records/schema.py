"""The record types: which fields each type allows and how they map to RDF.

Read from ``ontology/record-types.yaml``; nothing about record types is
hard-coded here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from kg.resources import record_types_file
from kg.terms.namespaces import expand

KINDS = {"text", "string", "date", "datetime", "integer", "uri", "iri", "lang", "ref", "enum"}


# Keys every record may have besides its fields; handled by the loader itself.
STRUCTURAL = ("id", "type", "sources", "corrections")


@dataclass(frozen=True)
class FieldSpec:
    name: str
    property: str  # full IRI
    kinds: tuple[str, ...]
    many: bool = False
    to: frozenset[str] = frozenset()  # record types a ref may point at
    values: dict[str, str] = field(default_factory=dict)  # enum key -> IRI


@dataclass(frozen=True)
class RecordType:
    name: str
    cls: str  # full IRI of the RDF class
    fields: dict[str, FieldSpec]
    # Where a record of this type without a `label` gets its rdfs:label: the
    # first template whose fields it has ("{title}": the title in each of its
    # languages; "{key} · {dateAsShown}": one English label). See
    # kg.builder.graph.derived_labels.
    label_from: tuple[str, ...] = ()


@dataclass(frozen=True)
class Schema:
    base: str
    types: dict[str, RecordType]
    groups: dict[str, frozenset[str]]


_TEMPLATE_FIELD = re.compile(r"\{(\w+)\}")


def _label_templates(
    tname: str, raw: str | list[str], fields: dict[str, FieldSpec]
) -> tuple[str, ...]:
    """A type's ``labelFrom``, each template checked to name only its fields."""
    templates = (raw,) if isinstance(raw, str) else tuple(raw)
    for template in templates:
        names = set(_TEMPLATE_FIELD.findall(template))
        if not names or names - fields.keys():
            raise ValueError(
                f"record-types.yaml: type {tname!r}: labelFrom {template!r} names no "
                f"field or unknown fields {sorted(names - fields.keys())}"
            )
    return templates


def _expand_group(name: str, groups: dict[str, list[str]], seen: frozenset[str]) -> set[str]:
    if name in seen:
        raise ValueError(f"record-types.yaml: group {name!r} includes itself")
    if name not in groups:
        return {name}
    out: set[str] = set()
    for member in groups[name]:
        # A group may share its name with a type (organization): that member is the type.
        out |= {member} if member == name else _expand_group(member, groups, seen | {name})
    return out


def load_schema(path: Path | None = None) -> Schema:
    """Read a record-types file (the bundled one by default).

    >>> load_schema().types["person"].cls
    'https://w3id.org/kg-nj/ontology#Person'
    """
    path = path or record_types_file()
    return _load_schema(path.resolve())


@cache
def _load_schema(path: Path) -> Schema:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw_groups: dict[str, list[str]] = raw.get("groups", {})
    enums: dict[str, dict[str, str]] = {
        name: {k: expand(v) for k, v in values.items()} for name, values in raw["enums"].items()
    }
    groups = {g: frozenset(_expand_group(g, raw_groups, frozenset())) for g in raw_groups}

    def spec(name: str, d: dict) -> FieldSpec:
        kinds = d["kind"] if isinstance(d["kind"], list) else [d["kind"]]
        bad = set(kinds) - KINDS
        if bad:
            raise ValueError(f"record-types.yaml: field {name!r} has unknown kind {bad}")
        to: set[str] = set()
        for t in d.get("to", []):
            to |= _expand_group(t, raw_groups, frozenset())
        values = enums[d["values"]] if "values" in d else {}
        return FieldSpec(
            name=name,
            property=expand(d["property"]),
            kinds=tuple(kinds),
            many=bool(d.get("many", False)),
            to=frozenset(to),
            values=values,
        )

    common = {n: spec(n, d) for n, d in raw.get("common", {}).items()}
    types: dict[str, RecordType] = {}
    for tname, t in raw["types"].items():
        fields = dict(common)
        fields.update({n: spec(n, d) for n, d in t.get("fields", {}).items()})
        types[tname] = RecordType(
            name=tname,
            cls=expand(t["class"]),
            fields=fields,
            label_from=_label_templates(tname, t.get("labelFrom", ()), fields),
        )
    for g, members in groups.items():
        unknown = members - types.keys()
        if unknown:
            raise ValueError(f"record-types.yaml: group {g!r} names unknown types {unknown}")
    return Schema(base=raw["base"], types=types, groups=groups)
