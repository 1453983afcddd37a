"""A kg build read as the graph ``kg export`` and ``kg push`` send, by Oxigraph
only: ``kg.ttl`` (trusted by the digest in its store's stamp) parsed straight
into Oxigraph's terms, the inferred triples from the store ``kg build``
persisted (no reasoning again), the ontology's from kg's own copy.

Why ``kg.ttl`` is parsed rather than read from the store: a full scan of the
persisted store decodes every term from RocksDB, several times slower than
Oxigraph parses kg's Turtle (113k triples of a generated build: a scan of the
store 10.3 s, a parse 1.7 s, on a loaded 2-core machine), while counting and
looking up stay in the store's indexes. The inferred triples have no trusted
file (``kg-inferred.ttl`` is not in the stamp), so they come from the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from rdflib.namespace import RDF, XSD

from kg.builder.ontology import canonical_ontology
from kg.pipeline.outputs import GRAPH_FILE
from kg.rdfio.read import quiet_literals, refuse_ill_typed
from kg.sandbox.inputs import read_input
from kg.store.persist import STORE_DIR, trusted_stamp
from kg.terms.convert import TermConverter, oxigraph
from kg.terms.namespaces import INFERRED_GRAPH

_XSD_STRING = str(XSD.string)


_LANG_STRING = str(RDF.langString)


_INFERRED = f"GRAPH <{INFERRED_GRAPH}> {{ ?s ?p ?o }}"


@dataclass
class Stored:
    """A kg build: the bytes of its ``kg.ttl`` and its read-only store."""

    path: Path  # kg.ttl
    data: bytes  # its bytes
    store: Any
    ox: Any
    inferred: bool  # whether the inferred triples are asked for (``--reason``)

    def count(self, where: str) -> int:
        sol = next(iter(self.store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}")))
        return int(sol["n"].value)

    def asserted(self) -> Iterator[Any]:
        """``kg.ttl``'s triples, as pyoxigraph quads in the default graph, under
        the checks of any file kg reads (:func:`kg.pipeline.open.read_triples`):
        the stamp says which file the store was built from, not that it is safe.
        Oxigraph takes an ill-typed literal (``"2024-02-30"^^xsd:date``) as it
        is, so each typed literal is also made an rdflib term (once per value)."""
        conv = TermConverter()
        lit, plain = self.ox.Literal, (_XSD_STRING, _LANG_STRING)
        with quiet_literals():
            for q in self.ox.parse(self.data, format=self.ox.RdfFormat.TURTLE):
                o = q.object
                if isinstance(o, lit) and o.datatype.value not in plain:
                    refuse_ill_typed(
                        [(None, conv.from_ox(q.predicate), conv.from_ox(o))], self.path
                    )
                yield q

    def inferred_triples(self) -> Iterator[Any]:
        """The inferred triples (the store's graph of them), as pyoxigraph quads."""
        g = self.ox.NamedNode(str(INFERRED_GRAPH))
        return iter(self.store.quads_for_pattern(None, None, None, g))


def ontology_triples(conv: TermConverter) -> list[Any]:
    """The ontology's triples as every export writes them (blank nodes labelled
    from their content: :func:`kg.builder.ontology.canonical_ontology`), in
    pyoxigraph terms."""
    to = conv.to_ox
    return [conv.ox.Triple(to(s), to(p), to(o)) for s, p, o in canonical_ontology()]


def open_stored(graph_file: Path | None, *, reason: bool) -> Stored | None:
    """The build whose ``kg.ttl`` is ``graph_file``, if the store beside it was
    built from that very file (:func:`kg.store.persist.trusted_stamp`) and holds
    the inferred triples when ``reason`` asks for them, none of them with a
    blank node (it would not be the ontology's: a graph loaded apart). Else None.
    """
    if graph_file is None or graph_file.name != GRAPH_FILE or not graph_file.is_file():
        return None
    data = read_input(graph_file)
    stamp = trusted_stamp(graph_file, data)
    if stamp is None or (reason and not stamp.get("inferred")):
        return None
    ox = oxigraph()
    try:
        store = ox.Store.read_only(str(graph_file.parent / STORE_DIR))
    except OSError:
        return None
    blank = f"ASK {{ GRAPH <{INFERRED_GRAPH}> {{ ?s ?p ?o FILTER(isBlank(?s) || isBlank(?o)) }} }}"
    if reason and store.query(blank):
        return None
    return Stored(graph_file, data, store, ox, reason)


def write_ntriples(stored: Stored, out: IO[bytes], *, with_ontology: bool) -> int:
    """Write the graph ``kg push`` sends to ``out`` as N-Triples, by Oxigraph:
    ``kg.ttl``'s triples, the ontology's (:func:`ontology_triples`) with
    ``with_ontology``, and the inferred ones when the build was opened for
    them. Return how many distinct triples that is: a triple both asserted (or
    in the ontology) and inferred is sent twice (the store keeps it once) but
    counted once, so the count is the store's.
    """
    ox = stored.ox
    nt = ox.RdfFormat.N_TRIPLES
    ontology = ontology_triples(TermConverter())
    onto = set(ontology)
    in_both: set[Any] = set()  # the ontology's triples that kg.ttl holds too
    n = 0

    def asserted() -> Iterator[Any]:
        nonlocal n
        for q in stored.asserted():
            t = q.triple
            n += 1
            if t in onto:
                in_both.add(t)
            yield t

    ox.serialize(asserted(), out, nt)
    if with_ontology:
        ox.serialize(ontology, out, nt)
        n += len(onto) - len(in_both)
    if stored.inferred:
        graph = ox.NamedNode(str(INFERRED_GRAPH))
        stored.store.dump(out, nt, from_graph=graph)
        # The inferred triples not in the store's default graph (kg.ttl and the
        # ontology), by its indexes; without the ontology, also those in it
        # that kg.ttl does not hold.
        n += stored.count(f"{_INFERRED} FILTER NOT EXISTS {{ ?s ?p ?o }}")
        if not with_ontology:
            quad = ox.Quad
            n += sum(
                quad(t.subject, t.predicate, t.object, graph) in stored.store
                for t in onto - in_both
            )
    return n
