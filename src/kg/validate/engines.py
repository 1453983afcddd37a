"""SHACL validation on either engine, reported in terms of the records.

pySHACL (the reference engine) or kg's native engine
(:mod:`kg.validate.shacl_engine`: the same findings, much faster on large
graphs). The shapes (``shapes/*.ttl``) decide what is checked and how severe
each finding is; this module only runs them and maps each result back to the
record file, line, id and field it came from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH

from kg.builder.graph import SourceIndex
from kg.builder.ontology import load_ontology, ontology_triples
from kg.engines import check_engine
from kg.errors import Location, UsageError
from kg.store.native import memory_graph
from kg.terms import keep_lexical_forms
from kg.terms.namespaces import bind_prefixes, compact
from kg.validate.report import (
    _SEVERITY_OF,
    SEVERITIES,
    Finding,
    Report,
    _first_message,
    _message,
    results_graph,
    sort_findings,
)
from kg.validate.shacl_compile import CompiledShapes, Unsupported
from kg.validate.shacl_engine import DataIndex, Validator, constraint_rows
from kg.validate.shapes import compiled_shapes, load_shapes


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

    ``engine="native"`` uses :mod:`kg.validate.shacl_engine` (same results, much faster on
    large graphs; ``data`` may then be any iterable of triples and ``store`` a
    :class:`kg.store.native.NativeGraph` already holding them, or a Future of one);
    ``"reference"`` runs
    pySHACL.

    >>> from kg.builder.graph import build_graph
    >>> validate_graph(build_graph()).conforms
    True
    >>> validate_graph(build_graph(), engine="native").conforms
    True
    """
    if fail_on not in SEVERITIES:
        raise UsageError(f"--fail-on must be one of {', '.join(SEVERITIES)}")
    check_engine(engine)
    if engine == "native":
        try:
            return _validate_native(data, index, fail_on, shapes, ontology, store)
        except Unsupported:
            pass  # shapes beyond the native engine: pySHACL below
    results = _pyshacl_results(data, shapes, ontology)
    index = index or SourceIndex()
    findings = [_reference_finding(results, r, index) for r in _result_nodes(results)]
    sort_findings(findings)
    bind_prefixes(results)
    return Report(findings, results, fail_on)


def _pyshacl_results(
    data: Graph | Iterable[tuple], shapes: Graph | None, ontology: Graph | None
) -> Graph:
    """pySHACL's validation report graph for ``data``."""
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
        # when it is done; kg keeps lexical forms (see kg.terms).

        keep_lexical_forms()
    return results  # type: ignore[no-any-return]


def _result_nodes(results: Graph) -> list[Any]:
    return list(results.subjects(RDF.type, SH.ValidationResult))


def _reference_finding(results: Graph, r: Any, index: SourceIndex) -> Finding:
    """The finding for one ``sh:ValidationResult`` of pySHACL's report."""
    focus = results.value(r, SH.focusNode)
    path = results.value(r, SH.resultPath)
    value = results.value(r, SH.value)
    severity = results.value(r, SH.resultSeverity)
    return Finding(
        severity=_SEVERITY_OF.get(severity, "violation"),  # type: ignore[arg-type]
        focus=compact(focus),
        path=compact(path) if isinstance(path, URIRef) else "",
        value=compact(value) if value is not None else "",
        component=compact(results.value(r, SH.sourceConstraintComponent)),
        shape=compact(results.value(r, SH.sourceShape)),
        message=_message(results, r),
        location=index.locate(focus, path),
    )


def _validate_native(
    data: Any,
    index: SourceIndex | None,
    fail_on: str,
    shapes: Graph | None,
    ontology: Graph | None,
    store: Any,
) -> Report:
    shapes_graph = shapes if shapes is not None else load_shapes()
    compiled = compiled_shapes() if shapes is None else CompiledShapes(shapes_graph)
    onto = ontology_triples() if ontology is None else tuple(ontology)
    triples = data if isinstance(data, (set, list, tuple)) else list(data)
    data_index = DataIndex(_chain(triples, onto))
    state: dict[str, Any] = {"store": store}

    def rows(select: str) -> list[tuple]:
        if state["store"] is None:
            state["store"] = memory_graph(triples, ontology=onto)
        native = state["store"]
        if hasattr(native, "result"):  # a Future: the store is being loaded in a thread
            native = state["store"] = native.result()
        return constraint_rows(native, select)

    try:
        results = Validator(compiled, data_index, rows).run()
    finally:
        # The store may be kg build's new one: hold it no longer than needed
        # (a failed run's traceback keeps ``rows``, and so this, alive).
        state.clear()
    index = index or SourceIndex()
    findings = [native_finding(r, index.locate) for r in results]
    sort_findings(findings)
    return Report(findings, None, fail_on, make_graph=lambda: results_graph(results, shapes_graph))


def native_finding(r: Any, locate: Callable[[Any, Any], Location | None]) -> Finding:
    """The finding for one result of the native engine
    (a :class:`kg.validate.shacl_compile.Result`)."""
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
