"""RDF terms: one rule per term kind, and how kg holds terms in memory.

:mod:`kg.terms.checks` decides what a record id, an IRI, a language tag, a
date and a piece of literal text may be; every reader and writer asks it.
:mod:`kg.terms.namespaces` has kg's namespaces and prefixes,
:mod:`kg.terms.iris` the one object per IRI kg uses, and
:mod:`kg.terms.convert` the crossing between rdflib and pyoxigraph terms.

Literals keep the lexical form they were written with: rdflib otherwise
rewrites "2013-06-25+09:00"^^xsd:date to "2013-06-25" and "007"^^xsd:integer
to "7" when it reads them. That switch is set here, on first import of any
term module, so every path (records, files, engines) sees the same literals.
"""

from __future__ import annotations

import rdflib


def keep_lexical_forms() -> None:
    """Literals keep the lexical form they were written with.

    rdflib otherwise rewrites "2013-06-25+09:00"^^xsd:date to "2013-06-25" and
    "007"^^xsd:integer to "7" when it reads them. Called at import and again
    after pySHACL, whose monkey patch turns normalisation back on when it ends.
    """
    rdflib.NORMALIZE_LITERALS = False


keep_lexical_forms()
