"""A description as JSON for programs (``kg describe --format json``): the same
facts as the text and the entity page, structured.

One object: ``entity`` (iri, id, label, kind, classes), ``labels`` and
``alt_labels`` by language, ``qualifiers``, ``facts`` (each with its
``section``: Facts, Details or the heading of what other records state;
``text``, the phrasing; ``field`` and ``value`` for a field's value;
``values``, the literal values the phrasing quotes;
``property``; ``links``, the records it names; ``citations``, numbers into
``citations``; ``sources``, their source ids; ``qualifiers``; ``notes``;
``record``, the stating record when the phrasing does not name it),
``corrections``, ``supports`` (for a source), ``citations`` and
``neighbours`` (with the relation and its direction).
"""

from __future__ import annotations

import json
from typing import Any

from kg.views.model import CitationView, Description, Fact, Ref


def _ref(ref: Ref | None) -> dict[str, Any] | None:
    if ref is None:
        return None
    return {"iri": ref.iri, "id": ref.id, "label": ref.label, "kind": ref.kind}


def _notes(notes: list[tuple[str, str | None]]) -> list[dict[str, Any]]:
    return [{"text": text, "lang": lang} for text, lang in notes]


def _fact(f: Fact, section: str, sources: dict[int, str]) -> dict[str, Any]:
    return {
        "section": section,
        "text": f.text,
        "field": f.field_name,
        "value": f.text if f.field_name else None,
        "values": [s.text.strip() for s in f.segments if s.value],
        "lang": next((s.lang for s in f.segments if s.lang), None),
        "property": f.prop.iri if f.prop else None,
        "links": [_ref(s.ref) for s in f.segments if s.ref is not None],
        "citations": f.citations,
        "sources": list(dict.fromkeys(sources[n] for n in f.citations)),
        "qualifiers": f.qualifiers,
        "notes": _notes(f.notes),
        "record": _ref(f.record),
    }


def _citation(c: CitationView) -> dict[str, Any]:
    return {
        "n": c.n,
        "source": _ref(c.source),
        "via": _ref(c.via),
        "locator": c.locator,
        "quote": c.quote,
        "quote_lang": c.quote_lang,
        "reliability": c.reliability,
        "address": c.address,
    }


def description_json(d: Description) -> dict[str, Any]:
    """The description as a JSON-ready dict (see the module's docstring)."""
    sources = {c.n: c.source.id or c.source.iri for c in d.citations}
    sections = [("Facts", d.facts), ("Details", d.details)]
    sections += [(sec.title, sec.facts) for sec in d.related]
    return {
        "entity": {
            "iri": d.iri,
            "id": d.id,
            "label": d.label,
            "kind": d.kind,
            "kind_title": d.kind_title,
            "classes": [_ref(c) for c in d.classes],
        },
        "labels": d.labels,
        "alt_labels": d.alt_labels,
        "qualifiers": d.qualifiers,
        "record_citations": d.record_citations,
        "label_facts": [_fact(f, "Labels", sources) for f in d.label_facts],
        "facts": [_fact(f, title, sources) for title, facts in sections for f in facts],
        "corrections": [
            {
                "field": c.field,
                "printed": c.printed,
                "corrected": c.corrected,
                "citations": c.citations,
                "notes": _notes(c.notes),
            }
            for c in d.corrections
        ],
        "supports": [
            {
                "record": _ref(s.record),
                "property": s.prop.iri if s.prop else None,
                "locator": s.locator,
                "quote": s.quote,
                "quote_lang": s.quote_lang,
                "via": _ref(s.via),
                "through": _ref(s.through),
            }
            for s in d.supports
        ],
        "citations": [_citation(c) for c in d.citations],
        "neighbours": [
            {**(_ref(n.ref) or {}), "relation": n.relation, "outgoing": n.outgoing}
            for n in d.neighbours
        ],
    }


def render_json(d: Description) -> str:
    """The description as indented JSON text, keys in a fixed order."""
    return json.dumps(description_json(d), indent=2, ensure_ascii=False) + "\n"
