"""The competency suite: each question in ``questions/*.rq`` runs on the bundled
graph on both engines, and its rows must equal the rows written in its header.

A question file starts with ``#+`` lines holding YAML::

    #+ question: Who met whom in 2007, when and where?
    #+ sheet: [T03, D1]
    #+ expect:
    #+   - ["2007-12-13", "Tokyo", "Jaap de Hoop Scheffer", "Yasuo Fukuda"]
    #+ ordered: true          # only where the question asks for an order
    #+ reason: true           # asked of the reasoned graph (inverses, super-classes)
    #+ xfail: why the graph cannot answer it yet (an open item of issue 18)

The expected rows were written from the fact sheet
(records/fact-sheet/source-text/nato-japan-relations.md, the rows named in
``sheet``) and the founding release (records/founding/source-text/), not
copied from kg's output. Values are plain strings: an IRI of a record as
``id:local``, of an ontology term as ``kg:Local``, any other IRI in full; a
literal as its lexical form; an unbound value as ``""``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from rdflib import Literal, URIRef

from kg.pipeline.open import open_graph, open_native
from kg.sparql.run import run_query
from kg.terms.namespaces import PREFIXES

QUESTIONS = Path(__file__).parent / "questions"
RECORDS = Path(__file__).parents[2] / "records"
SHEET = RECORDS / "fact-sheet" / "source-text" / "nato-japan-relations.md"
ID = str(PREFIXES["id"])
KG = str(PREFIXES["kg"])
HEADER_KEYS = {"question", "sheet", "expect", "ordered", "reason", "xfail"}


@dataclass(frozen=True)
class Question:
    name: str
    question: str
    sheet: list[str]
    expect: list[list[str]]
    ordered: bool
    reason: bool
    xfail: str | None
    text: str


def read_question(path: Path) -> Question:
    """A question file: its ``#+`` YAML header, then the SPARQL."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = [ln[3:] if ln.startswith("#+ ") else ln[2:] for ln in lines if ln.startswith("#+")]
    meta = yaml.safe_load("\n".join(header))
    assert set(meta) <= HEADER_KEYS and {"question", "sheet", "expect"} <= set(meta), path.name
    expect = meta["expect"]
    # Strings only: YAML would read 2013-04-15 as a date and 80 as a number.
    assert all(isinstance(v, str) for row in expect for v in row), f"{path.name}: quote values"
    return Question(
        name=path.stem,
        question=meta["question"],
        sheet=list(meta["sheet"]),
        expect=expect,
        ordered=bool(meta.get("ordered", False)),
        reason=bool(meta.get("reason", False)),
        xfail=meta.get("xfail"),
        text="\n".join(ln for ln in lines if not ln.startswith("#+")),
    )


ALL = [read_question(p) for p in sorted(QUESTIONS.glob("*.rq"))]


def plain(value: Any) -> str:
    """A result value as the question files write it."""
    if value is None:
        return ""
    if isinstance(value, URIRef):
        for prefix, base in (("id:", ID), ("kg:", KG)):
            if value.startswith(base) and "/" not in value[len(base) :]:
                return prefix + value[len(base) :]
        return str(value)
    assert isinstance(value, Literal), value
    return str(value)


class Graphs(dict[tuple[str, bool], Any]):
    """The bundled records, ontology included, per (engine, reasoned), each
    built when a question first asks for it (the reference closure is slow)."""

    def __missing__(self, key: tuple[str, bool]) -> Any:
        engine, reason = key
        graph = (
            open_native(reason=reason)
            if engine == "native"
            else open_graph(engine=engine, reason=reason)
        )
        self[key] = graph
        return graph


@pytest.fixture(scope="module")
def graphs() -> Graphs:
    """One graph per engine and reasoning for the whole module."""
    return Graphs()


def params() -> list[Any]:
    out = []
    for q in ALL:
        for engine in ("native", "reference"):
            marks = [pytest.mark.xfail(strict=True, reason=q.xfail)] if q.xfail else []
            out.append(pytest.param(q, engine, id=f"{q.name}-{engine}", marks=marks))
    return out


@pytest.mark.parametrize(("q", "engine"), params())
def test_question(q: Question, engine: str, graphs: Graphs) -> None:
    result = run_query(graphs[engine, q.reason], q.text)
    rows = [[plain(v) for v in row] for row in result.rows]
    if q.ordered:
        assert rows == q.expect, q.question
    else:
        assert Counter(map(tuple, rows)) == Counter(map(tuple, q.expect)), q.question


def sheet_has(ref: str, sheet: str) -> bool:
    """Whether ``ref`` names a row (T16, D2, A9, Q1, S25a), a section (§1.1, §7.3: its
    section's heading) of the fact sheet, or a place in the founding release."""
    if ref.startswith("founding release"):
        return True
    section = re.fullmatch(r"§(\d+)(?:\.\d+)?", ref)
    if section:
        return f"\n## {section[1]}. " in sheet
    return re.fullmatch(r"[TDAQS]\d+[a-c]?", ref) is not None and f"\n| {ref} |" in sheet


def test_suite_size_and_headers() -> None:
    """At least 40 questions, each tied to the rows of the sheet it is checked against."""
    sheet = SHEET.read_text(encoding="utf-8")
    assert len(ALL) >= 40
    for q in ALL:
        assert q.question.strip() and q.text.strip(), q.name
        unknown = [ref for ref in q.sheet if not sheet_has(ref, sheet)]
        assert q.sheet and not unknown, f"{q.name}: no such row or section in the sheet: {unknown}"
