"""What a push relies on each triple store for: the one place that tells stores
apart, by the ``Server`` header their query endpoint answers kg's first request
with (``kg.remote.push`` asks it ``ASK {}`` before anything else).

A store kg does not know gets the route every SPARQL 1.1 store takes (a
staging graph and one SPARQL Update): kg never guesses a capability.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: The first Oxigraph server whose Graph Store ``PUT`` clears and loads the
#: graph in one transaction (its changelog, 0.5.10: "make PUT requests on /store
#: database changes properly atomic"); before it, the clear was committed
#: first, and an upload cut off mid-way left the graph empty.
OXIGRAPH_ATOMIC_PUT = (0, 5, 10)


@dataclass(frozen=True)
class Capabilities:
    """How kg may push to one store.

    ``one_transaction``: the store's Graph Store ``PUT`` (replace) and ``POST``
    (append) each change the graph in one transaction, all or nothing: a
    refused, malformed or cut-off upload leaves the graph as it was, and readers
    never see it half-loaded. Then one request is an atomic push of one graph.
    ``bulk_staging``: the query parameters that load a private staging graph
    fastest (the route of a store without ``one_transaction``).
    """

    one_transaction: bool = False
    bulk_staging: str = ""


def capabilities(server: str) -> Capabilities:
    """The capabilities of the store that answered with this ``Server`` header.

    >>> capabilities("Oxigraph/0.5.13")
    Capabilities(one_transaction=True, bulk_staging='&no_transaction')
    >>> capabilities("Oxigraph/0.5.9").one_transaction
    False
    >>> capabilities("Virtuoso/07.20.3240 (Linux) x86_64-pc-linux-gnu")
    Capabilities(one_transaction=False, bulk_staging='')
    """
    m = re.match(r"oxigraph/(\d+)\.(\d+)\.(\d+)", server.strip().lower())
    if server.strip().lower().startswith("oxigraph"):
        # Oxigraph loads a private staging graph far faster without a
        # transaction (its bulk loader); the count check and the MOVE keep
        # the push atomic.
        version = tuple(int(x) for x in m.groups()) if m else (0, 0, 0)
        return Capabilities(version >= OXIGRAPH_ATOMIC_PUT, "&no_transaction")
    return Capabilities()
