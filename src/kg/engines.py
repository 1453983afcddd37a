"""The two engines every stage can run on, and the one check of an engine's name.

``native``: Oxigraph for storing and querying, kg's own OWL RL rules and SHACL
engine (fast). ``reference``: rdflib, owlrl and pySHACL. Both give the same
answers: tests/test_equivalence.py proves it.

>>> check_engine("native")
'native'
"""

from __future__ import annotations

from kg.errors import UsageError

ENGINES = ("native", "reference")


def check_engine(engine: str) -> str:
    """``engine`` if it names an engine, else :class:`UsageError` (exit 2)."""
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}; use one of: {', '.join(ENGINES)}")
    return engine
