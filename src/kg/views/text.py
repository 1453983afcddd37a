"""A description as text for the terminal (``kg describe``)."""

from __future__ import annotations

import textwrap

from rdflib import URIRef

from kg.terms.checks import visible
from kg.terms.namespaces import compact
from kg.views.model import Description, Fact

# --- the terminal ----------------------------------------------------------------------------


def _lang_tag(lang: str | None) -> str:
    return f" @{lang}" if lang else ""


def _fact_line(f: Fact) -> str:
    text = "".join(s.text for s in f.segments)
    if f.field_name:
        lang = next((s.lang for s in f.segments if s.lang), None)
        text = f"{f.field_name}{_lang_tag(lang)}: {text}"
    if f.qualifiers:
        text += " (" + ", ".join(f.qualifiers) + ")"
    if f.citations:
        text += "  " + "".join(f"[{n}]" for n in f.citations)
    return text


def _wrap(text: str, indent: str, width: int = 100) -> list[str]:
    return textwrap.wrap(
        text,
        width=width,
        initial_indent=indent,
        subsequent_indent=indent + "  ",
        break_long_words=False,
        break_on_hyphens=False,
    ) or [indent]


def render_text(d: Description, width: int = 100) -> str:
    """The description as plain text for a terminal (the same facts as the entity page).

    Text from the graph is shown, not obeyed: a control character in it is
    written as an escape (:func:`kg.terms.checks.visible`), a line feed too
    when no wrapping turned it into a space.
    """
    lines = _head(d, width)
    for title, facts in [("Facts", d.facts), ("Details", d.details)] + [
        (sec.title, sec.facts) for sec in d.related
    ]:
        lines += _fact_block(title, facts, width)
    lines += _corrections(d, width) + _supports(d, width) + _sources(d, width)
    return "\n".join(visible(line) for line in lines) + "\n"


def _head(d: Description, width: int) -> list[str]:
    """Name, classes, IRI, labels in every language, and the record's own sources."""
    classes = ", ".join(c.label for c in d.classes) or d.kind_title
    lines = [f"{d.label}  ({classes})", f"{compact(URIRef(d.iri))}  <{d.iri}>"]
    for tag, values in d.labels.items():
        lines += _wrap(f"label{_lang_tag(tag)}: {' | '.join(values)}", "  ", width)
    for tag, values in d.alt_labels.items():
        lines += _wrap(f"also known as{_lang_tag(tag)}: {' | '.join(values)}", "  ", width)
    if d.qualifiers:
        lines.append(f"  qualified as a whole: {', '.join(d.qualifiers)}")
    for f in d.label_facts:
        labels = " | ".join(f"{g.text}{_lang_tag(g.lang)}" for g in f.segments if g.value)
        lines += _wrap(
            f"labels {labels}:{_fact_line(Fact([], f.citations, f.qualifiers))}", "  ", width
        )
        lines += _notes(f.notes, width)
    if d.record_citations:
        lines.append("  sources of the record: " + "".join(f"[{n}]" for n in d.record_citations))
    return lines


def _notes(notes: list[tuple[str, str | None]], width: int) -> list[str]:
    return [
        line
        for text, lang in notes
        for line in _wrap(f"note{_lang_tag(lang)}: {text}", "      ", width)
    ]


def _fact_block(title: str, facts: list[Fact], width: int) -> list[str]:
    if not facts:
        return []
    lines = ["", title]
    for f in facts:
        lines += _wrap("- " + _fact_line(f), "  ", width)
        if f.record is not None:
            lines.append(f"      (record: {f.record.id or f.record.iri})")
        lines += _notes(f.notes, width)
    return lines


def _corrections(d: Description, width: int) -> list[str]:
    if not d.corrections:
        return []
    lines = ["", "Corrections"]
    for c in d.corrections:
        cites = "".join(f"[{n}]" for n in c.citations)
        lines += _wrap(
            f"- {c.field}: the source prints “{c.printed}”; corrected to “{c.corrected}”"
            + (f"  {cites}" if cites else ""),
            "  ",
            width,
        )
        lines += _notes(c.notes, width)
    return lines


def _supports(d: Description, width: int) -> list[str]:
    """For a source: every citation of it."""
    if not d.supports:
        return []
    lines = ["", f"What this source supports ({len(d.supports)} citations)"]
    for s in d.supports:
        what = s.record.label + (f" — {s.prop.label}" if s.prop else "")
        where = f", {s.locator}" if s.locator else ""
        through = f" (citing {s.through.id or s.through.label})" if s.through else ""
        lines += _wrap(f"- {what}{where}{through}", "  ", width)
        if s.quote:
            lines += _wrap(f"“{s.quote}”", "      ", width)
    return lines


def _sources(d: Description, width: int) -> list[str]:
    """The numbered citations; each source's address once."""
    if not d.citations:
        return []
    lines = ["", "Sources"]
    shown: set[str] = set()
    for cv in d.citations:
        head = f"[{cv.n}] {cv.source.id or cv.source.iri}"
        if cv.via is not None:
            head += f", via {cv.via.id or cv.via.iri}"
        if cv.locator:
            head += f", {cv.locator}"
        if cv.reliability:
            head += f" ({cv.reliability})"
        lines += _wrap(head, "  ", width)
        if cv.quote:
            lines += _wrap(f"“{cv.quote}”{_lang_tag(cv.quote_lang)}", "      ", width)
        if cv.address and cv.source.iri not in shown:
            lines.append(f"      {cv.address}")
        shown.add(cv.source.iri)
    return lines
