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

from rdflib import Graph, Literal, Namespace
from rdflib.namespace import OWL, RDF

from kg.build import load_ontology
from kg.errors import NotConforming
from kg.namespaces import ID, bind_prefixes

# owlrl reports inconsistencies (e.g. a member of two disjoint classes) as
# `[] a err:ErrorMessage ; err:error "..."` in the closure (owlrl/Closure.py).
OWLRL_ERR = Namespace("http://www.daml.org/2002/03/agents/agent-ont#")


def infer(data: Graph, ontology: Graph | None = None) -> Graph:
    """Return the OWL RL entailments about the data's nodes that are not asserted.

    Raises :class:`NotConforming` when the closure shows an inconsistency.

    >>> from kg.build import build_graph
    >>> from kg.namespaces import KG
    >>> inferred = infer(build_graph())
    >>> any(inferred.triples((None, KG.holdsRole, None)))
    True
    """
    import owlrl  # heavy: imported only when reasoning

    ontology = ontology if ontology is not None else load_ontology()
    work = Graph()
    for t in data:
        work.add(t)
    for t in ontology:
        work.add(t)
    owlrl.DeductiveClosure(
        owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False
    ).expand(work)
    errors = sorted(
        str(work.value(e, OWLRL_ERR.error)) for e in work.subjects(RDF.type, OWLRL_ERR.ErrorMessage)
    )
    if errors:
        raise NotConforming(
            "OWL RL reasoning found the graph inconsistent with the ontology:\n  "
            + "\n  ".join(errors)
        )
    prefix = str(ID)
    inferred = Graph()
    bind_prefixes(inferred)
    for s, p, o in work:
        if not str(s).startswith(prefix) or isinstance(s, Literal):
            continue
        if p == OWL.sameAs and s == o:
            continue
        if (s, p, o) in data:
            continue
        inferred.add((s, p, o))
    return inferred
