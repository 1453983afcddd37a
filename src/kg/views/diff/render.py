"""A :class:`~kg.views.diff.compare.Diff` written out: text for people, JSON
for programs, or an RDF changeset (the removed and the added triples as two
named graphs, in a dataset format of :mod:`kg.rdfio.formats`: TriG by default).
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import asdict
from pathlib import Path

from kg.errors import UsageError
from kg.rdfio.formats import RDF_FORMATS, format_from_path
from kg.rdfio.write import rdf_bytes, read_back
from kg.terms.checks import visible
from kg.terms.convert import TermConverter
from kg.terms.namespaces import GRAPH
from kg.views.diff import CHANGESET_FORMATS
from kg.views.diff.compare import Diff, FactChange, Stated
from kg.views.diff.support import rdf_triples

REMOVED_GRAPH = GRAPH["diff/removed"]
"""The named graph of a changeset that holds the triples NEW no longer has."""

ADDED_GRAPH = GRAPH["diff/added"]
"""The named graph of a changeset that holds the triples NEW has and OLD had not."""


def format_for(fmt: str | None, output: Path | None) -> str:
    """The format to write: ``fmt``, else the one ``output``'s extension names
    (``.txt`` text, ``.json`` JSON, a dataset format's extension a changeset),
    else text.

    >>> format_for(None, Path("changes.trig")), format_for(None, Path("d.json"))
    ('trig', 'json')
    """
    if fmt is not None:
        return fmt
    if output is None or output.suffix.lower() in ("", ".txt"):
        return "text"
    if output.suffix.lower() == ".json":
        return "json"
    found = format_from_path(output, "text")
    if found not in ("text", *CHANGESET_FORMATS):
        raise UsageError(
            f"a changeset has two named graphs, which {RDF_FORMATS[found].label} cannot hold; "
            f"write it as {', '.join(RDF_FORMATS[f].extension for f in CHANGESET_FORMATS)} "
            "or use --format"
        )
    return found


def render(diff: Diff, fmt: str, width: int = 100) -> bytes:
    """``diff`` in the format ``fmt`` (one of :data:`DIFF_FORMATS`)."""
    if fmt == "text":
        return render_text(diff, width).encode("utf-8")
    if fmt == "json":
        return (json.dumps(as_json(diff), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    return changeset(diff, fmt)


def changeset(diff: Diff, fmt: str = "trig") -> bytes:
    """The removed and added triples as two named graphs (:data:`REMOVED_GRAPH`,
    :data:`ADDED_GRAPH`), sorted, read back by rdflib before they are returned."""
    conv = TermConverter()
    quads = [(*t, REMOVED_GRAPH) for t in rdf_triples(diff.removed, conv)]
    quads += [(*t, ADDED_GRAPH) for t in rdf_triples(diff.added, conv)]
    data = rdf_bytes(quads, fmt, conv)
    read_back(data, fmt, "oxigraph", "the changeset")
    return data


def as_json(diff: Diff) -> dict:
    """The diff as plain data: ``old`` and ``new`` (``name``, ``kind``, ``triples``),
    ``same``, ``triples`` (``removed``, ``added``) and ``entities``, each with its
    ``iri``, ``id``, ``label``, ``kind``, ``status`` and ``facts``; a fact has its
    ``change``, ``prop``, ``notes`` and what ``old`` and ``new`` state (``text``,
    ``term`` in N-Triples, ``sources``, ``qualifiers``)."""

    def side(s: object) -> dict:
        return {"name": s.name, "kind": s.kind, "triples": s.size}  # type: ignore[attr-defined]

    return {
        "old": side(diff.old),
        "new": side(diff.new),
        "same": diff.same,
        "triples": {"removed": len(diff.removed), "added": len(diff.added)},
        "entities": [asdict(e) for e in diff.entities],
    }


def _stated(s: Stated, what: str) -> str:
    text = s.text
    if s.qualifiers:
        text += " (" + ", ".join(s.qualifiers) + ")"
    return f"{what}{text}"


def _sources(old: list[Stated], new: list[Stated]) -> str:
    """The sources line: the same on both sides, or before and after."""
    before = sorted({x for s in old for x in s.sources})
    after = sorted({x for s in new for x in s.sources})
    if not before and not after:
        return ""  # a source's own facts, say
    if not old or not new or before == after:
        return "sources: " + (", ".join(before or after) or "none")
    return f"sources before: {', '.join(before) or 'none'}; after: {', '.join(after) or 'none'}"


def _fact_lines(f: FactChange, width: int) -> list[str]:
    def wrap(text: str, first: str) -> list[str]:
        return textwrap.wrap(
            text,
            width=width,
            initial_indent=first,
            subsequent_indent=" " * 13,
            break_long_words=False,
            break_on_hyphens=False,
        )

    lines: list[str] = []
    if f.change == "support":
        lines += wrap(_stated(f.new[0], ""), f"  {'support':<10} ")
        lines += wrap("; ".join(f.notes), " " * 13)
        lines += wrap(_sources(f.old, f.new), " " * 13)
        return lines
    head = f.change
    for s in f.old:
        lines += wrap(_stated(s, ""), f"  {head:<10} ")
        head = ""
    head = "to" if f.change == "changed" else f.change
    for s in f.new:
        lines += wrap(_stated(s, ""), f"  {head:<10} ")
        head = ""
    if f.notes:
        lines += wrap("; ".join(f.notes), " " * 13)
    lines += wrap(_sources(f.old, f.new), " " * 13)
    return lines


def render_text(diff: Diff, width: int = 100) -> str:
    """The diff for a terminal: each changed entity, then its facts, each with
    the sources behind it; a last line counting what changed."""
    old, new = diff.old, diff.new
    if diff.same:
        return (
            visible(f"No differences: {old.name} and {new.name} have the same {old.size} triples.")
            + "\n"
        )
    lines: list[str] = []
    for e in diff.entities:
        name = f"id:{e.id}" if e.id else f"<{e.iri}>"
        status = "" if e.status == "changed" else f" [{e.status}]"
        lines.append(f"{e.kind}: {e.label}  ({name}){status}")
        for f in e.facts:
            lines += _fact_lines(f, width)
        lines.append("")
    facts = sum(len(e.facts) for e in diff.entities)
    lines.append(
        f"{old.name} and {new.name} differ: {_count(len(diff.entities), 'entity', 'entities')}, "
        f"{_count(facts, 'fact', 'facts')} ({len(diff.removed)} triple(s) removed, "
        f"{len(diff.added)} added)."
    )
    return "\n".join(visible(line) for line in lines) + "\n"


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"
