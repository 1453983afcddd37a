"""kg: curated NATO–Japan records to a validated, queryable RDF knowledge graph.

The library does everything; the ``kg`` command is a thin shell over it::

    import kg
    built = kg.load()                       # bundled records -> graph
    report = kg.validate_graph(built.graph, built.index)
    result = kg.run_query(built.graph, "SELECT ...")
    rows = kg.query("timeline", lang="fr")  # a canned query, its defaults bound
    frame = rows.to_dataframe()             # pandas: pip install kg[notebook]

Heavy modules are imported on first use, so ``import kg`` and ``kg --help``
stay fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "load_records": "kg.records.load",
    "records_to_graph": "kg.builder.graph",
    "build_graph": "kg.builder.graph",
    "load_ontology": "kg.builder.ontology",
    "validate_graph": "kg.validate.engines",
    "infer": "kg.reason.engines",
    "catalog": "kg.sparql.canned",
    "get_query": "kg.sparql.canned",
    "bind_params": "kg.sparql.canned",
    "run_query": "kg.sparql.run",
    "query": "kg.pipeline.query",
    "render": "kg.sparql.render",
    "load": "kg.pipeline.build",
    "build": "kg.pipeline.build",
    "validate_paths": "kg.pipeline.check",
    "open_graph": "kg.pipeline.open",
    "export": "kg.pipeline.export",
    "describe_thing": "kg.views.describe",
    "render_text": "kg.views.text",
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
