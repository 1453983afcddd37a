"""A validation report: findings with the record file, line, id and field each
is about, their summary, and the SHACL report graph.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from kg.errors import Location, UsageError
from kg.terms.checks import visible
from kg.terms.namespaces import bind_prefixes, compact
from kg.validate.shacl_compile import Result


def results_graph(results: list[Result], shapes: Graph) -> Graph:
    """The SHACL validation report graph (as pySHACL writes it) for ``results``."""
    g = Graph()
    report = BNode()
    g.add((report, RDF.type, SH.ValidationReport))
    g.add((report, SH.conforms, Literal(not results)))
    for r in results:
        node = BNode()
        g.add((report, SH.result, node))
        g.add((node, RDF.type, SH.ValidationResult))
        g.add((node, SH.focusNode, r.focus))
        g.add((node, SH.resultSeverity, r.shape.severity))
        g.add((node, SH.sourceConstraintComponent, r.component))
        g.add((node, SH.sourceShape, r.shape.node))
        if r.value is not None:
            g.add((node, SH.value, r.value))
        for m in r.messages:
            g.add((node, SH.resultMessage, m))
        if r.path is not None:
            g.add((node, SH.resultPath, r.path))
            if isinstance(r.path, BNode):
                _copy_bnodes(shapes, g, r.path)
    return g


def _copy_bnodes(src: Graph, dst: Graph, node: Any) -> None:
    for p, o in src.predicate_objects(node):
        dst.add((node, p, o))
        if isinstance(o, BNode):
            _copy_bnodes(src, dst, o)


SEVERITIES = ("violation", "warning", "info")


_SEVERITY_OF = {SH.Violation: "violation", SH.Warning: "warning", SH.Info: "info"}


@dataclass(frozen=True, order=True)
class Finding:
    """One SHACL result, with the record it points at when known."""

    severity: str
    focus: str
    path: str
    value: str
    component: str
    shape: str
    message: str
    location: Location | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, object]:
        loc = self.location
        return {
            "severity": self.severity,
            "message": self.message,
            "file": loc.file if loc else None,
            "line": loc.line if loc else None,
            "record": loc.record if loc else None,
            "field": loc.field if loc else None,
            "focus": self.focus,
            "path": self.path or None,
            "value": self.value or None,
            "component": self.component,
            "shape": self.shape,
        }


@dataclass
class Report:
    findings: list[Finding]
    results_graph: Graph | None
    fail_on: str = "violation"
    # Builds the report graph on demand (the native engine does not need it).
    make_graph: Any = field(default=None, repr=False, compare=False)

    def graph(self) -> Graph:
        """The SHACL validation report graph."""
        if self.results_graph is None:
            self.results_graph = self.make_graph()
            bind_prefixes(self.results_graph)
        return self.results_graph

    @property
    def counts(self) -> dict[str, int]:
        c = Counter(f.severity for f in self.findings)
        return {s: c.get(s, 0) for s in SEVERITIES}

    @property
    def conforms(self) -> bool:
        """True when no finding is at or above the ``fail_on`` severity."""
        limit = SEVERITIES.index(self.fail_on)
        return not any(SEVERITIES.index(f.severity) <= limit for f in self.findings)

    def within(self, files: Collection[str]) -> Report:
        """The report on the records of ``files`` among others: their findings,
        and every other finding that fails the report (at or above ``fail_on``),
        since those fail a build of them all too. The report graph keeps the
        same results."""
        limit = SEVERITIES.index(self.fail_on)
        kept = [
            f
            for f in self.findings
            if (f.location is not None and f.location.file in files)
            or SEVERITIES.index(f.severity) <= limit
        ]
        keys: set[tuple[str, ...]] = {
            (f.focus, f.path, f.value, f.component, f.shape) for f in kept
        }
        return Report(
            kept, None, self.fail_on, make_graph=lambda: _results_within(self.graph(), keys)
        )

    def summary(self) -> str:
        c = self.counts
        verdict = "conforms" if self.conforms else "does not conform"
        return (
            f"{c['violation']} violation(s), {c['warning']} warning(s), {c['info']} info: "
            f"{verdict} (fail-on: {self.fail_on})"
        )

    def render(self, fmt: str = "text", show: str = "info") -> str:
        """Render as text (findings at or above ``show``, then the summary),
        json or turtle (always every finding)."""
        if fmt == "text":
            lines = []
            limit = SEVERITIES.index(show)
            for f in self.findings:
                if SEVERITIES.index(f.severity) > limit:
                    continue
                where = str(f.location) if f.location else f.focus
                detail = [f"focus {f.focus}"]
                if f.path:
                    detail.append(f"path {f.path}")
                if f.value:
                    detail.append(f"value {f.value}")
                lines.append(f"{f.severity.upper()}: {where}: {f.message} ({', '.join(detail)})")
            hidden = sum(1 for f in self.findings if SEVERITIES.index(f.severity) > limit)
            if hidden:
                lines.append(
                    f"({hidden} finding(s) below {show} not shown; --show info lists them)"
                )
            lines.append(self.summary())
            # A value, a file name or a message quoted from the input is shown, not obeyed.
            return "\n".join(visible(line) for line in lines) + "\n"
        if fmt == "json":
            doc = {
                "conforms": self.conforms,
                "failOn": self.fail_on,
                "counts": self.counts,
                "findings": [f.to_dict() for f in self.findings],
            }
            return json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        if fmt == "turtle":
            return self.graph().serialize(format="turtle")
        raise UsageError(f"unknown report format {fmt!r}; use text, turtle or json")


def _results_within(g: Graph, keys: set[tuple[str, ...]]) -> Graph:
    """The report graph ``g`` with only the results whose (focus, path, value,
    component, shape) are in ``keys``, and what they reach (their paths)."""
    out = Graph()
    bind_prefixes(out)
    report = g.value(None, RDF.type, SH.ValidationReport)
    if report is None:
        return out
    todo: list[Node] = [report]
    seen: set[Node] = set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for p, o in g.predicate_objects(node):
            if node == report and p == SH.result and _key(g, o) not in keys:
                continue
            out.add((node, p, o))
            if isinstance(o, BNode):
                todo.append(o)
    out.set((report, SH.conforms, Literal(not any(out.objects(report, SH.result)))))
    return out


def _key(g: Graph, r: Node) -> tuple[str, ...]:
    path, value = g.value(r, SH.resultPath), g.value(r, SH.value)
    return (
        compact(g.value(r, SH.focusNode)),
        compact(path) if isinstance(path, URIRef) else "",
        compact(value) if value is not None else "",
        compact(g.value(r, SH.sourceConstraintComponent)),
        compact(g.value(r, SH.sourceShape)),
    )


def _message(results: Graph, node: Node) -> str:
    msgs = sorted(
        (m for m in results.objects(node, SH.resultMessage) if isinstance(m, Literal)),
        key=lambda m: (m.language != "en", str(m)),
    )
    return str(msgs[0]) if msgs else "constraint not met"


def sort_findings(findings: list[Finding]) -> None:
    """Sort ``findings`` in place as reports list them: by severity, then by file
    and line (findings without a record last), focus node, path, value and
    constraint."""
    order = {s: i for i, s in enumerate(SEVERITIES)}
    findings.sort(
        key=lambda f: (
            order[f.severity],
            f.location.file or "" if f.location else "~",
            f.location.line or 0 if f.location else 0,
            f.focus,
            f.path,
            f.value,
            f.component,
        )
    )


def _first_message(messages: list[Literal]) -> str:
    msgs = sorted(messages, key=lambda m: (m.language != "en", str(m)))
    return str(msgs[0]) if msgs else "constraint not met"
