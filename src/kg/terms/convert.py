"""Terms between rdflib and pyoxigraph, and RDF 1.1's one plain string.

:class:`TermConverter` crosses rdflib <-> pyoxigraph terms (IRIs cached:
they repeat a lot), so the rest of kg (rendering, the reference engines)
keeps working on rdflib terms while Oxigraph stores, queries and writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD

_XSD_STRING = str(XSD.string)


def rdf11_term(term: Any) -> Any:
    """``"x"^^xsd:string`` as the plain literal ``"x"``: the same literal in RDF 1.1,
    and the form Oxigraph and the stores return (rdflib keeps the datatype)."""
    dt = term.datatype if type(term) is Literal else None
    if dt is not None and str.__eq__(dt, _XSD_STRING):
        return Literal(str(term))
    return term


def oxigraph() -> Any:
    """The pyoxigraph module, imported on first use."""
    import pyoxigraph  # heavy-ish: imported only when used

    return pyoxigraph


class TermConverter:
    """rdflib <-> pyoxigraph terms, with IRIs cached (they repeat a lot)."""

    def __init__(self) -> None:
        ox = oxigraph()
        self.ox = ox
        self._iris: dict[str, Any] = {}
        self._back: dict[Any, Any] = {}  # pyoxigraph term -> rdflib term (from_ox)

    def iri(self, s: str) -> Any:
        n = self._iris.get(s)
        if n is None:
            n = self._iris[s] = self.ox.NamedNode(s)
        return n

    def to_ox(self, t: Any) -> Any:
        if isinstance(t, URIRef):
            return self.iri(t)
        if isinstance(t, Literal):
            if t.language:
                return self.ox.Literal(str(t), language=t.language)
            if t.datatype is not None:
                return self.ox.Literal(str(t), datatype=self.iri(t.datatype))
            return self.ox.Literal(str(t))
        if isinstance(t, BNode):
            return self.ox.BlankNode(str(t))
        raise TypeError(f"not an RDF term: {t!r}")

    def from_ox(self, t: Any) -> Any:
        if t is None:
            return None
        # Literals are cached too, by the pyoxigraph term (hashed in Rust): large
        # results repeat dates, labels and kinds, and an rdflib Literal costs
        # 2-5 µs to make (a date is parsed); rdflib terms are immutable, so
        # rows may share them. Capped, so one huge result cannot hold everything.
        r = self._back.get(t)
        if r is not None:
            return r
        ox = self.ox
        if isinstance(t, ox.NamedNode):
            r = URIRef(t.value)
        elif isinstance(t, ox.Literal):
            if t.language:
                r = Literal(t.value, lang=t.language)
            else:
                dt = t.datatype.value
                r = Literal(t.value) if dt == _XSD_STRING else Literal(t.value, datatype=URIRef(dt))
        elif isinstance(t, ox.BlankNode):
            return BNode(t.value)
        else:
            raise TypeError(f"not an RDF term: {t!r}")
        if len(self._back) < 1 << 20:
            self._back[t] = r
        return r

    def quads(self, triples: Iterable[tuple], graph: URIRef | None) -> Iterator[Any]:
        """``graph`` None (:data:`BASE`) is the store's default graph."""
        g = self.ox.DefaultGraph() if graph is None else self.iri(graph)
        quad = self.ox.Quad
        conv = self.to_ox
        for s, p, o in triples:
            yield quad(conv(s), conv(p), conv(o), g)
