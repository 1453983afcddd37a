"""The native query store: Oxigraph (pyoxigraph), in memory or persisted by
``kg build`` next to ``kg.ttl``.
"""
