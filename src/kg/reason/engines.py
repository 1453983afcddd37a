"""OWL RL reasoning with owlrl, kept apart from the asserted graph.

The closure is computed over the data plus the ontology; what is returned is
only what is new about the data's own nodes (subjects minted by kg), so the
asserted graph stays clean and the inferred file holds facts an analyst can
use: inverse properties, super-classes, transitive part-of chains.
Left out by design, as engine conventions rather than knowledge about the
data: owlrl's reflexive ``x owl:sameAs x`` triples, axiomatic triples, and
triples whose subject is a literal or an ontology term.
"""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import Graph, Literal, Namespace
from rdflib.namespace import OWL, RDF

from kg.builder.ontology import load_ontology, ontology_triples
from kg.engines import check_engine
from kg.errors import NotConforming
from kg.reason.native import infer_triples
from kg.reason.rules import data_schema
from kg.terms.namespaces import ID, bind_prefixes

# owlrl reports inconsistencies (e.g. a member of two disjoint classes) as
# `[] a err:ErrorMessage ; err:error "..."` in the closure (owlrl/Closure.py).
OWLRL_ERR = Namespace("http://www.daml.org/2002/03/agents/agent-ont#")


def infer(data: Graph, ontology: Graph | None = None, engine: str = "reference") -> Graph:
    """Return the OWL RL entailments about the data's nodes that are not asserted.

    ``engine="native"`` computes the same triples with :func:`infer_data` (or
    :func:`infer_triples` with the ``ontology`` given): only the rules the
    axioms can fire; ``"reference"`` runs owlrl.

    Raises :class:`NotConforming` when the closure shows an inconsistency.

    >>> from rdflib import Graph
    >>> from kg.terms.iris import record_iri
    >>> from kg.terms.namespaces import KG
    >>> role, abe = record_iri("role-abe-pm"), record_iri("shinzo-abe")
    >>> data = Graph()
    >>> data += [(role, KG.holder, abe)]
    >>> inferred = infer(data)
    >>> (abe, KG.holdsRole, role) in inferred
    True
    """
    if check_engine(engine) == "native":
        triples = infer_triples(data, ontology) if ontology is not None else infer_data(data)
        return _graph_of(triples)
    closure = _owlrl_closure(data, ontology if ontology is not None else load_ontology())
    errors = sorted(
        str(closure.value(e, OWLRL_ERR.error))
        for e in closure.subjects(RDF.type, OWLRL_ERR.ErrorMessage)
    )
    if errors:
        raise NotConforming(
            "OWL RL reasoning found the graph inconsistent with the ontology:\n  "
            + "\n  ".join(errors)
        )
    prefix = str(ID)
    return _graph_of(
        (s, p, o)
        for s, p, o in closure
        if str(s).startswith(prefix)
        and not isinstance(s, Literal)
        and not (p == OWL.sameAs and s == o)
        and (s, p, o) not in data
    )


def _graph_of(triples: Iterable[tuple]) -> Graph:
    g = Graph()
    bind_prefixes(g)
    for t in triples:
        g.add(t)
    return g


def _owlrl_closure(data: Graph, ontology: Graph) -> Graph:
    """The data and the ontology, closed under owlrl's OWL RL rules (with its
    error messages, if any)."""
    import owlrl  # heavy: imported only when reasoning
    from rdflib import term

    work = Graph()
    for t in data:
        work.add(t)
    for t in ontology:
        work.add(t)
    # owlrl swaps in its own lexical-to-value converters while it runs and
    # does not put all of rdflib's back: afterwards "--06-25"^^xsd:gMonthDay
    # reads as ill-typed in the whole process. Restore rdflib's own.
    converters = dict(term._toPythonMapping)
    try:
        owlrl.DeductiveClosure(
            owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False
        ).expand(work)
    finally:
        term._toPythonMapping.clear()
        term._toPythonMapping.update(converters)
    return work


def infer_data(data: Iterable[tuple]) -> list[tuple]:
    """:func:`infer_triples` for data that may come from any RDF file, which can
    state schema axioms of its own (an ontology editor's export, or kg's with
    ``--with-ontology``): those kg's rules implement are read with the
    ontology's; for any other (:func:`data_schema` gives None), owlrl's triples."""
    extra = data_schema(data)
    if extra is None:
        g = Graph()
        for t in data:
            g.add(t)
        return list(infer(g, engine="reference"))
    if not extra:
        return infer_triples(data)

    return infer_triples(data, (*ontology_triples(), *extra))
