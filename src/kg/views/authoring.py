"""For people who write records: a record type's empty template (YAML, CSV or
TSV) and the record types' part of the authoring guide (docs/records.md),
both from :class:`kg.views.fieldguide.FieldGuide`.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from rdflib import URIRef

from kg.errors import UsageError
from kg.records.tables import DIALECTS, SEPARATOR
from kg.sandbox.inputs import read_input
from kg.terms.namespaces import compact
from kg.views.fieldguide import FieldDoc, FieldGuide, record_type

TEMPLATE_FORMATS = ("yaml", "csv", "tsv")


def template(rtype: str, fmt: str = "yaml", guide: FieldGuide | None = None) -> tuple[str, str]:
    """A record type's empty template, and the legend saying what each field or
    column takes and whether a record needs it (for YAML: in the template's
    comments, and the legend is empty).

    >>> text, legend = template("place", "csv")
    >>> text.split(",")[:4], legend.splitlines()[-1][:40]
    (['id', 'type', 'label@en', 'altLabel@en'], 'Corrections cannot be written in a table')
    """
    if fmt not in TEMPLATE_FORMATS:
        raise UsageError(f"unknown template format {fmt!r}; use {', '.join(TEMPLATE_FORMATS)}")
    guide = guide or FieldGuide()
    docs = guide.docs(rtype)
    if fmt == "yaml":
        return _yaml_template(rtype, docs, guide), ""
    return _table_template(docs, fmt), _legend(rtype, docs)


def _yaml_template(rtype: str, docs: list[FieldDoc], guide: FieldGuide) -> str:
    cls = compact(URIRef(record_type(rtype, guide.schema).cls))
    lines = [
        f"# A record of type {rtype} ({cls}): fill in the values, delete the fields you",
        "# do not use. What each field takes, and examples: docs/records.md.",
    ]
    for i, d in enumerate(docs):
        key = f"- {d.name}:" if i == 0 else f"  {d.name}:"
        if d.name == "sources":
            lines.append(_commented(key, d))
            lines.append(_commented("    - source:", None, "id of a source record"))
            lines.append(_commented('      quote: ""', None, "the source's words, verbatim"))
            continue
        lines.append(_commented(f"{key} {_placeholder(d)}".rstrip(), d))
    return "\n".join(lines) + "\n"


def _placeholder(d: FieldDoc) -> str:
    if d.name == "type":
        return d.example
    if d.name == "corrections":
        return "[]"
    if d.text:
        return '{en: [""]}' if d.many else '{en: ""}'
    if d.name == "id":
        return ""
    return "[]" if d.many else '""'


def _commented(code: str, d: FieldDoc | None, what: str = "") -> str:
    parts = [d.need_text, d.takes] if d is not None else [what]
    comment = "; ".join(p for p in parts if p)
    return f"{code:<30} # {comment}" if comment else code


def _columns(docs: list[FieldDoc]) -> list[tuple[str, FieldDoc | None]]:
    """The columns of a table of the type: text in English, the citations' sources
    and quotes, no corrections."""
    cols: list[tuple[str, FieldDoc | None]] = []
    for d in docs:
        if d.name == "corrections":
            continue
        cols.append((f"{d.name}@en" if d.text else d.name, d))
        if d.name == "sources":
            cols.append(("sources.quote", None))
    return cols


def _table_template(docs: list[FieldDoc], fmt: str) -> str:
    out = io.StringIO()
    # Lines end in a line feed, as kg writes text (a table's reader takes CRLF too).
    writer = csv.writer(out, dialect=DIALECTS[f".{fmt}"], lineterminator="\n")
    writer.writerow([c for c, _ in _columns(docs)])
    return out.getvalue()


def _legend(rtype: str, docs: list[FieldDoc]) -> str:
    """What each column of a table of ``rtype`` takes."""
    lines = [
        f"Columns of a table of {rtype} records (line 1; then one row per record, an empty "
        f"cell for no value; many values separated by {SEPARATOR!r}):"
    ]
    for name, d in _columns(docs):
        if d is None:
            what = f"the quote of each source, in their order, separated by {SEPARATOR!r}"
            need = ""
        elif d.name == "type":
            what, need = f"{rtype} (or any other type: each row names its own)", d.need_text
        elif d.name == "sources":
            what, need = f"ids of the sources cited, separated by {SEPARATOR!r}", d.need_text
        else:
            what, need = d.takes, d.need_text
            if d.text:
                what = f"text in English ({d.name}@fr, {d.name}@ja … for other languages)"
                what += " (many)" if d.many else ""
        lines.append(f"  {name:<18} {what}" + (f" ({need})" if need else ""))
    lines.append("Corrections cannot be written in a table: write that record in YAML.")
    return "\n".join(lines) + "\n"


# --- the guide -----------------------------------------------------------------------


BEGIN = "<!-- record types: written by `kg records guide -o docs/records.md`; edit the record types, not this part -->"  # noqa: E501
END = "<!-- end of the record types -->"


def guide_text(guide: FieldGuide | None = None) -> str:
    """The record types' part of docs/records.md (Markdown, between its markers)."""
    guide = guide or FieldGuide()
    out = [BEGIN, "", "## Record types", "", *_INTRO, "", *_groups_text(guide)]
    for names in _type_groups(guide):
        out += _group_section(names, guide)
    return "\n".join([*out, END]) + "\n"


_INTRO = [
    "Every record type with its fields: what each takes, whether a record needs it,",
    "and an example from the bundled records. *required*: a record without it does",
    "not conform (a violation); *recommended*: a warning; *suggested*: an info, as",
    "the shapes (`shapes/*.ttl`) say; *one of*: any one of the fields named will do.",
    "Types with the same fields and needs share a table. `kg records template TYPE`",
    "prints an empty record of a type (`--format csv` or `tsv`: a table's header).",
]


def _groups_text(guide: FieldGuide) -> list[str]:
    lines = ["A reference to a group takes a record of any of its types:", ""]
    for name, members in guide.schema.groups.items():
        lines.append(f"- `{name}`: {', '.join(f'`{m}`' for m in sorted(members))}")
    return [*lines, ""]


def _type_groups(guide: FieldGuide) -> list[list[str]]:
    """The types, those with the same fields and needs together, in the order the
    record types list them."""
    groups: dict[tuple, list[str]] = {}
    for name, rtype in guide.schema.types.items():
        key = (tuple(rtype.fields), tuple(sorted(guide.needs[name].items())))
        groups.setdefault(key, []).append(name)
    return list(groups.values())


def _group_section(names: list[str], guide: FieldGuide) -> list[str]:
    types = guide.schema.types
    heading = ", ".join(names)
    lines = [f"### {heading}", ""]
    classes = ", ".join(f"`{n}` ({compact(URIRef(types[n].cls))})" for n in names)
    lines += [("Types: " if len(names) > 1 else "Type: ") + classes + ".", ""]
    if types[names[0]].label_from:
        froms = " or else ".join(f"`{t}`" for t in types[names[0]].label_from)
        lines += [f"Without a `label`, the label is {froms}.", ""]
    lines += ["| field | takes | needed | example |", "|---|---|---|---|"]
    for d in guide.docs(names[0]):
        if d.name == "type":
            d = FieldDoc("type", " or ".join(f"`{n}`" for n in names), d.need)
        example = f"`{d.example}`" if d.example else ""
        row = [f"`{d.name}`", d.takes, d.need_text, example]
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    return [*lines, ""]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def guide_document(path: Path | None = None, guide: FieldGuide | None = None) -> str:
    """The record types' part of the guide; with ``path`` (an existing Markdown
    file), that file's text with its part replaced (:func:`splice`)."""
    part = guide_text(guide)
    if path is None or not path.exists():
        return part
    return splice(read_input(path, str(path)).decode("utf-8"), part, str(path))


def splice(document: str, part: str, name: str = "the document") -> str:
    """``document`` with its record types' part (between the markers) replaced by ``part``."""
    start, end = document.find(BEGIN), document.find(END)
    if start < 0 or end < start:
        raise UsageError(
            f"{name} has no record types' part to replace: it needs the lines {BEGIN!r} and {END!r}"
        )
    return document[:start] + part + document[end + len(END) + 1 :]
