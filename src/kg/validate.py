"""SHACL validation with pySHACL, reported in terms of the records.

The shapes (``shapes/*.ttl``) decide what is checked and how severe each
finding is; this module only runs them and maps each result back to the
record file, line, id and field it came from.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from kg.builder import SourceIndex, load_ontology
from kg.errors import Location, UsageError
from kg.namespaces import PREFIXES, bind_prefixes
from kg.resources import shapes_files

SEVERITIES = ("violation", "warning", "info")
_SEVERITY_OF = {SH.Violation: "violation", SH.Warning: "warning", SH.Info: "info"}


def compact(term: object) -> str:
    """A short, readable form of an RDF term (prefixed name or quoted literal).

    >>> compact(URIRef("https://w3id.org/kg-nj/id/shinzo-abe"))
    'id:shinzo-abe'
    """
    if isinstance(term, URIRef):
        s = str(term)
        for prefix, ns in PREFIXES.items():
            if s.startswith(str(ns)) and s != str(ns):
                return f"{prefix}:{s[len(str(ns)) :]}"
        return f"<{s}>"
    if isinstance(term, Literal):
        text = str(term)
        if term.language:
            return f'"{text}"@{term.language}'
        if term.datatype:
            return f'"{text}"^^{compact(term.datatype)}'
        return f'"{text}"'
    return str(term)


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
            return "\n".join(lines) + "\n"
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


@cache
def _shapes_triples(paths: tuple[Path, ...]) -> tuple:
    g = Graph()
    for p in paths:
        g.parse(p, format="turtle")
    return tuple(g)


def load_shapes(paths: Iterable[Path] | None = None) -> Graph:
    g = Graph()
    bind_prefixes(g)
    for t in _shapes_triples(tuple(paths or shapes_files())):
        g.add(t)
    return g


def _message(results: Graph, node: Node) -> str:
    msgs = sorted(
        (m for m in results.objects(node, SH.resultMessage) if isinstance(m, Literal)),
        key=lambda m: (m.language != "en", str(m)),
    )
    return str(msgs[0]) if msgs else "constraint not met"


ENGINES = ("native", "reference")


def validate_graph(
    data: Graph | Iterable[tuple],
    index: SourceIndex | None = None,
    fail_on: str = "violation",
    shapes: Graph | None = None,
    ontology: Graph | None = None,
    engine: str = "reference",
    store: Any = None,
) -> Report:
    """Validate ``data`` against the shapes; the ontology supplies the class hierarchy.

    ``engine="native"`` uses :mod:`kg.shacl` (same results, much faster on
    large graphs; ``data`` may then be any iterable of triples and ``store`` a
    :class:`kg.store.NativeGraph` already holding them, or a Future of one);
    ``"reference"`` runs
    pySHACL.

    >>> from kg.builder import build_graph
    >>> validate_graph(build_graph()).conforms
    True
    >>> validate_graph(build_graph(), engine="native").conforms
    True
    """
    if fail_on not in SEVERITIES:
        raise UsageError(f"--fail-on must be one of {', '.join(SEVERITIES)}")
    if engine not in ENGINES:
        raise UsageError(f"--engine must be one of {', '.join(ENGINES)}")
    if engine == "native":
        from kg.shacl import Unsupported

        try:
            return _validate_native(data, index, fail_on, shapes, ontology, store)
        except Unsupported:
            pass  # shapes beyond the native engine: pySHACL below
    if not isinstance(data, Graph):
        g = Graph()
        for t in data:
            g.add(t)
        data = g
    import pyshacl  # heavy: imported only when validating

    try:
        _conforms, results, _text = pyshacl.validate(
            data,
            shacl_graph=shapes if shapes is not None else load_shapes(),
            ont_graph=ontology if ontology is not None else load_ontology(),
            inference="none",
            advanced=True,
            allow_warnings=True,
            meta_shacl=False,
        )
    finally:
        # pySHACL's monkey patch sets rdflib.NORMALIZE_LITERALS back to True
        # when it is done; kg keeps lexical forms (see kg.guard).
        from kg.guard import keep_lexical_forms

        keep_lexical_forms()
    index = index or SourceIndex()
    findings: list[Finding] = []
    for r in results.subjects(RDF.type, SH.ValidationResult):
        focus = results.value(r, SH.focusNode)
        path = results.value(r, SH.resultPath)
        value = results.value(r, SH.value)
        sev = _SEVERITY_OF.get(results.value(r, SH.resultSeverity), "violation")  # type: ignore[arg-type]
        findings.append(
            Finding(
                severity=sev,
                focus=compact(focus),
                path=compact(path) if isinstance(path, URIRef) else "",
                value=compact(value) if value is not None else "",
                component=compact(results.value(r, SH.sourceConstraintComponent)),
                shape=compact(results.value(r, SH.sourceShape)),
                message=_message(results, r),
                location=index.locate(focus, path),
            )
        )
    _sort(findings)
    bind_prefixes(results)
    return Report(findings, results, fail_on)


def _sort(findings: list[Finding]) -> None:
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


def _validate_native(
    data: Any,
    index: SourceIndex | None,
    fail_on: str,
    shapes: Graph | None,
    ontology: Graph | None,
    store: Any,
) -> Report:
    from kg.builder import ontology_triples
    from kg.shacl import CompiledShapes, DataIndex, Validator, results_graph

    shapes_graph = shapes if shapes is not None else load_shapes()
    compiled = _compiled(shapes_graph) if shapes is None else CompiledShapes(shapes_graph)
    onto = ontology_triples() if ontology is None else tuple(ontology)
    triples = data if isinstance(data, (set, list, tuple)) else list(data)
    data_index = DataIndex(_chain(triples, onto))
    state: dict[str, Any] = {"store": store}

    def rows(select: str) -> list[tuple]:
        if state["store"] is None:
            from kg.store import memory_graph

            state["store"] = memory_graph(triples, ontology=onto)
        native = state["store"]
        if hasattr(native, "result"):  # a Future: the store is being loaded in a thread
            native = state["store"] = native.result()
        conv = native.conv
        out = []
        for sol in native.select(select):
            out.append((conv.from_ox(sol["this"]), conv.from_ox(sol["value"])))
        return out

    try:
        results = Validator(compiled, data_index, rows).run()
    finally:
        # The store may be kg build's new one: hold it no longer than needed
        # (a failed run's traceback keeps ``rows``, and so this, alive).
        state.clear()
    index = index or SourceIndex()
    findings = [native_finding(r, index.locate) for r in results]
    _sort(findings)
    return Report(findings, None, fail_on, make_graph=lambda: results_graph(results, shapes_graph))


def native_finding(r: Any, locate: Callable[[Any, Any], Location | None]) -> Finding:
    """The finding for one result of the native engine (a :class:`kg.shacl.Result`)."""
    path = r.path
    return Finding(
        severity=_SEVERITY_OF.get(r.shape.severity, "violation"),
        focus=compact(r.focus),
        path=compact(path) if isinstance(path, URIRef) else "",
        value=compact(r.value) if r.value is not None else "",
        component=compact(r.component),
        shape=compact(r.shape.node),
        message=_first_message(r.messages),
        location=locate(r.focus, path),
    )


def _chain(*parts: Iterable[tuple]) -> Iterable[tuple]:
    for part in parts:
        yield from part


@cache
def _compiled_default() -> Any:
    from kg.shacl import CompiledShapes

    return CompiledShapes(load_shapes())


def _compiled(shapes_graph: Graph) -> Any:
    return _compiled_default()


def _first_message(messages: list[Literal]) -> str:
    msgs = sorted(messages, key=lambda m: (m.language != "en", str(m)))
    return str(msgs[0]) if msgs else "constraint not met"
