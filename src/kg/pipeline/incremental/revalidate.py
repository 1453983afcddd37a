"""Validating again only the focus nodes a change can reach."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdflib import URIRef
from rdflib.namespace import SH

from kg.builder.graph import SourceIndex, field_names
from kg.builder.ontology import ontology_triples
from kg.errors import Location
from kg.pipeline.incremental.state import (
    FINDINGS,
    ID_PREFIX,
    MAX_AFFECTED,
    Catalogue,
    Fallback,
    index_path,
    load_index,
    read_json,
)
from kg.pipeline.open import read_triples
from kg.pipeline.outputs import GRAPH_FILE
from kg.records.schema import load_schema
from kg.store.native import BASE, NativeGraph
from kg.terms.convert import TermConverter, oxigraph
from kg.terms.namespaces import compact
from kg.validate.engines import native_finding, validate_graph
from kg.validate.report import Finding, Report, sort_findings
from kg.validate.shacl_compile import Unsupported
from kg.validate.shacl_engine import DataIndex, Validator, constraint_rows
from kg.validate.shapes import compiled_shapes

if TYPE_CHECKING:
    from kg.validate.report import Finding, Report


# --- validation ----------------------------------------------------------------------


def _shape_reach(compiled: Any) -> tuple[int, set[str]]:
    """How many hops from a focus node the shapes read, and the components of the
    SPARQL-based constraints (whose findings are recomputed from the whole store).

    A focus node's core findings depend only on the triples whose subjects lie
    within that many hops of it.
    """

    components: set[str] = set()

    def walk(sh: Any, stack: frozenset, emitting: bool) -> int:
        if sh.node in stack:
            raise Fallback("the shapes are recursive")
        if sh.sparql:
            if not emitting:
                raise Fallback("a SPARQL-based constraint inside sh:or or a qualified shape")
            components.update(compact(c.component) for c in sh.sparql)
        if emitting and sh.is_property and sh.properties:
            # Their findings are about value nodes, not the focus node.
            raise Fallback("property shapes nested in property shapes")
        base = 1 if sh.is_property else 0
        best = base
        inner = stack | {sh.node}
        for param, arg in sh.constraints:
            nested = arg if param == SH["or"] else [arg] if param == SH.qualifiedValueShape else []
            for n in nested:
                best = max(best, base + walk(n, inner, False))
        for prop in sh.properties:
            best = max(best, base + walk(prop, inner, emitting))
        return best

    reach = max((walk(s, frozenset(), True) for s in compiled.targeted), default=0)
    return reach, components


class Locator:
    """Record locations of nodes: from the changed files' new index, or from the
    state's index of the node's (unchanged) file, loaded when first needed."""

    def __init__(
        self,
        state: Path,
        catalogue: Catalogue,
        changed: set[str],
        new_index: SourceIndex,
    ) -> None:
        self.state = state
        self.catalogue = catalogue
        self.changed = changed
        self.new_index = new_index
        self.loaded: dict[str, SourceIndex] = {}
        self.schema = load_schema()
        self.names: dict[str, dict[URIRef, str]] = {}

    def file_of(self, node: str) -> str | None:
        """The records file of the record ``node`` is (or was minted under)."""
        if not node.startswith(ID_PREFIX):
            return None
        return self.catalogue.file_of(node[len(ID_PREFIX) :].split("/", 1)[0])

    def locate(self, node: Any, path: Any) -> Location | None:
        file = self.file_of(str(node))
        if file is None:
            return None
        if file in self.changed:
            return self.new_index.locate(node, path)
        index = self.loaded.get(file)
        if index is None:
            doc = read_json(index_path(self.state, file))
            if not isinstance(doc, dict):
                raise Fallback("the state is damaged")
            index = self.loaded[file] = load_index(doc, file, self.catalogue, self._field_names)
        return index.locate(node, path)

    def _field_names(self, rtype: str) -> dict[URIRef, str]:
        # One dict per type, shared by its records' nodes (as the builder does).
        names = self.names.get(rtype)
        if names is None:
            names = self.names[rtype] = field_names(self.schema, rtype)
        return names


@cache
def ontology_quads() -> frozenset:
    """The ontology's triples as quads of a store's default graph, where kg build
    puts them beside the records' triples."""

    return frozenset(TermConverter().quads(ontology_triples(), BASE))


def asserted(store: Any, s: Any, p: Any, o: Any) -> Iterator[Any]:
    """The store's asserted quads matching a pattern: its default graph holds the
    ontology's triples too, which are not the records' (no ontology triple
    names a record's node, so this only matters for nodes such as classes)."""
    onto = ontology_quads()
    base = store.quads_for_pattern(s, p, o, oxigraph().DefaultGraph())
    return (q for q in base if q not in onto)


def _ball(store: Any, conv: Any, seeds: Iterable[Any], hops: int, backward: bool) -> Any:
    """Nodes within ``hops`` of ``seeds`` along asserted triples (backward: the
    nodes pointing at them), or, forward, the triples of those nodes."""
    ox = conv.ox
    seen = set(seeds)
    frontier = list(seen)
    triples: list[tuple] = []
    for level in range(hops + (0 if backward else 1)):
        nxt = []
        for x in frontier:
            xo = conv.to_ox(x)
            if backward:
                for q in asserted(store, None, None, xo):
                    s = conv.from_ox(q.subject)
                    if s not in seen:
                        seen.add(s)
                        nxt.append(s)
                continue
            for q in asserted(store, xo, None, None):
                o = conv.from_ox(q.object)
                triples.append((x, conv.from_ox(q.predicate), o))
                if level < hops and isinstance(q.object, ox.NamedNode) and o not in seen:
                    seen.add(o)
                    nxt.append(o)
        if len(seen) > MAX_AFFECTED:
            raise Fallback("the change reaches too many nodes")
        frontier = nxt
    return seen if backward else triples


def revalidate(
    store: Any,
    conv: TermConverter,
    changed_subjects: set,
    locator: Locator,
    fail_on: str,
    out_dir: Path,
) -> Report:
    """The report of the updated ``store``: the findings of the focus nodes a
    change can reach computed again, the others kept from the state (moved to
    their record's new line when their file changed)."""

    try:
        compiled = compiled_shapes()
    except Unsupported:
        raise Fallback("the shapes need pySHACL") from None
    reach, sparql_components = _shape_reach(compiled)
    old_docs = read_json(locator.state / FINDINGS)
    if not isinstance(old_docs, list):
        raise Fallback("the state is damaged")
    validator = Validator(compiled, DataIndex(()), _rows_from(store, conv))
    # Focus nodes to check again: those a SPARQL-based constraint reports now or
    # reported before, and those within the shapes' reach of a changed subject.
    focus = validator.sparql_focus_nodes()
    focus.update(URIRef(d[8]) for d in old_docs if d[4] in sparql_components and d[8])
    focus |= _ball(store, conv, changed_subjects, reach, backward=True)
    ball = _ball(store, conv, focus, reach, backward=False)
    validator.data = DataIndex([*ball, *ontology_triples()])
    findings = [native_finding(r, locator.locate) for r in validator.run(only=focus)]
    findings += _kept(old_docs, {str(f) for f in focus}, locator)
    sort_findings(findings)
    return Report(findings, None, fail_on, make_graph=lambda: _report_graph(out_dir))


def _rows_from(store: Any, conv: TermConverter) -> Callable[[str], list[tuple]]:
    """The rows of a SPARQL-based constraint's query on the store's default graph."""
    native = NativeGraph(store, [BASE], conv)

    def rows(select: str) -> list[tuple]:
        return constraint_rows(native, select)

    return rows


def _kept(old_docs: list[list], rechecked: set[str], locator: Locator) -> list[Finding]:
    """The findings of the last build about focus nodes not checked again."""

    kept = []
    for sev, fc, path_c, value, comp, shape_c, msg, loc, focus_iri, path_iri in old_docs:
        if focus_iri in rechecked:
            continue
        location = Location(*loc) if loc else None
        if focus_iri is not None and locator.file_of(focus_iri) in locator.changed:
            # Same finding, but its record may have moved within the file.
            path = URIRef(path_iri) if path_iri else None
            location = locator.new_index.locate(URIRef(focus_iri), path)
        kept.append(Finding(sev, fc, path_c, value, comp, shape_c, msg, location))
    return kept


def _report_graph(out_dir: Path) -> Any:
    """The SHACL report graph, by validating the written graph in full (only made
    when asked for; an incremental build keeps the findings, not the graph)."""

    return validate_graph(read_triples(out_dir / GRAPH_FILE), engine="native").graph()
