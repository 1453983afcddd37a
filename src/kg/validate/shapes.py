"""The bundled shapes, parsed and compiled once per process."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import Graph

from kg.resources import shapes_files
from kg.terms.namespaces import bind_prefixes
from kg.validate.shacl_compile import CompiledShapes

if TYPE_CHECKING:
    from kg.validate.shacl_compile import CompiledShapes


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
def compiled_shapes() -> CompiledShapes:
    """The bundled shapes compiled for the native engine (once per process).

    Raises :class:`kg.validate.shacl_compile.Unsupported` when they use a
    constraint the native engine lacks (pySHACL then validates).
    """

    return CompiledShapes(load_shapes())
