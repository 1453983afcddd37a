"""kg: curated NATO–Japan records to a validated, queryable RDF knowledge graph.

The library does everything; the ``kg`` command is a thin shell over it::

    import kg
    built = kg.load()                       # bundled records -> graph
    report = kg.validate_graph(built.graph, built.index)
    result = kg.run_query(built.graph, "SELECT ...")

Heavy modules are imported on first use, so ``import kg`` and ``kg --help``
stay fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "load_records": "kg.records",
    "records_to_graph": "kg.builder",
    "build_graph": "kg.builder",
    "load_ontology": "kg.builder",
    "validate_graph": "kg.validate",
    "infer": "kg.reason",
    "catalog": "kg.query",
    "get_query": "kg.query",
    "bind_params": "kg.query",
    "run_query": "kg.query",
    "render": "kg.query",
    "load": "kg.pipeline",
    "build": "kg.pipeline",
    "validate_paths": "kg.pipeline",
    "open_graph": "kg.pipeline",
    "export": "kg.pipeline",
    "KgError": "kg.errors",
    "BadInput": "kg.errors",
    "NotConforming": "kg.errors",
    "UsageError": "kg.errors",
    "RemoteError": "kg.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'kg' has no attribute {name!r}")
