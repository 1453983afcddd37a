"""The RDF formats kg reads and writes: names, file extensions and the
engines' names for them.
"""

from __future__ import annotations

from pathlib import Path

from kg.errors import UsageError

# name -> (rdflib format, extensions, keeps named graphs)
RDF_FORMATS: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "turtle": ("turtle", (".ttl", ".turtle"), False),
    "nt": ("nt", (".nt",), False),
    "nquads": ("nquads", (".nq", ".nquads"), True),
    "trig": ("trig", (".trig",), True),
    "jsonld": ("json-ld", (".jsonld", ".json"), True),
    "xml": ("xml", (".rdf", ".owl", ".xml"), False),
}


def format_from_path(path: Path | str, default: str | None = None) -> str:
    """Guess an RDF format name from a file's extension.

    >>> format_from_path("out/kg.nq")
    'nquads'
    """
    suffix = Path(path).suffix.lower()
    for name, (_, exts, _) in RDF_FORMATS.items():
        if suffix in exts:
            return name
    if default:
        return default
    raise UsageError(
        f"cannot tell the RDF format of {str(path)!r} from its extension; "
        f"use --format ({', '.join(RDF_FORMATS)})"
    )


def is_dataset_format(fmt: str) -> bool:
    return RDF_FORMATS[fmt][2]


# kg's format names (kg.rdfio.formats.RDF_FORMATS) and Oxigraph's.
OX_FORMATS = {
    "turtle": "TURTLE",
    "nt": "N_TRIPLES",
    "nquads": "N_QUADS",
    "trig": "TRIG",
    "jsonld": "JSON_LD",
    "xml": "RDF_XML",
}


_DATASET_FORMATS = ("nquads", "trig", "jsonld")
