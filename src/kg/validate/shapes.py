"""The bundled shapes, parsed and compiled once per process."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from rdflib import Graph

from kg.resources import shapes_files
from kg.terms.namespaces import bind_prefixes


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


@cache
def _compiled_default() -> Any:
    from kg.validate.shacl_compile import CompiledShapes

    return CompiledShapes(load_shapes())


def _compiled(shapes_graph: Graph) -> Any:
    return _compiled_default()
