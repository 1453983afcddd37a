"""The phrase table (``templates/phrases.yaml``): how each property's facts
read in plain English.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from rdflib import URIRef

from kg.terms.namespaces import expand

PHRASES_FILE = Path(__file__).parent / "templates" / "phrases.yaml"


# --- the phrase table ----------------------------------------------------------------


@dataclass(frozen=True)
class Phrase:
    order: int
    sentence: str | None = None
    inverse: str | None = None
    heading: str | None = None
    field: str | None = None
    hidden: bool = False


@cache
def phrases(path: Path = PHRASES_FILE) -> dict[URIRef, Phrase]:
    """The phrase table, by property IRI.

    >>> from kg.terms.namespaces import KG
    >>> phrases()[KG.signatory].sentence
    '{o} signed {s}{when}'
    """
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = {}
    for n, (curie, spec) in enumerate(data["properties"].items()):
        out[URIRef(expand(curie))] = Phrase(order=n, **spec)
    return out
