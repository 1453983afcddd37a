"""The one ``URIRef`` object kg uses for each IRI, and the IRI of a record.

Look-ups in the engines' indexes then hit on identity instead of calling
rdflib's (Python-level) ``__eq__``.
"""

from __future__ import annotations

from typing import Any

from rdflib import URIRef

from kg.terms.checks import is_record_id
from kg.terms.namespaces import ID

_IRIS: dict[str, URIRef] = {}


_RECORD_IRIS: dict[str, URIRef] = {}  # by record id: a cache hit never skips the id check


_ID_BASE = str(ID)


def minted_iri(value: str) -> URIRef:
    """A URIRef for an IRI kg mints under a record's IRI (already valid: no re-check)."""
    return str.__new__(URIRef, value)  # type: ignore[no-any-return]


def iri(value: str) -> URIRef:
    """A URIRef for an IRI of the schema or the records, made once per process."""
    # Keyed by the plain string: a URIRef key never equals a str one (rdflib's
    # __eq__), so the same IRI given as both would get two objects.
    key = value if type(value) is str else str(value)
    u = _IRIS.get(key)
    if u is None:
        u = _IRIS[key] = URIRef(key)
    return u


def record_iri(rid: str) -> URIRef:
    """The IRI of a record; a text that is not a record id never becomes one
    (ValueError: the records reader refuses it first, so this is kg's bug).

    >>> str(record_iri("shinzo-abe"))
    'https://w3id.org/kg-nj/id/shinzo-abe'
    """
    u = _RECORD_IRIS.get(rid)
    if u is None:
        if not is_record_id(rid):
            raise ValueError(f"{rid!r} is not a record id")
        u = _RECORD_IRIS[rid] = iri(_ID_BASE + rid)
    return u


def record_id(node: Any) -> str | None:
    """The record id of a node minted from a record (:func:`record_iri`'s
    inverse), else None.

    >>> record_id(ID["shinzo-abe"]), record_id(ID["shinzo-abe/citation/1"])
    ('shinzo-abe', None)
    """
    if isinstance(node, URIRef) and node.startswith(_ID_BASE):
        local = node[len(_ID_BASE) :]
        if is_record_id(local):
            return str(local)
    return None


def intern(term: Any) -> Any:
    """``term`` itself, or for an IRI the one object kg uses for it in this process."""
    if type(term) is URIRef:
        return iri(term)
    return term
