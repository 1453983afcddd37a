"""Talk to any SPARQL 1.1 triple store: push graphs, run queries remotely.

Two W3C protocols, spoken with ``requests``:

* the `SPARQL 1.1 Graph Store HTTP Protocol`_ to upload a graph
  (:func:`push`): ``PUT`` replaces a graph, ``POST`` adds to it, on
  ``STORE?default`` or ``STORE?graph=IRI``;
* the `SPARQL 1.1 Protocol`_ to query (:func:`remote_query`) and update:
  ``GET`` for short queries and a form-encoded ``POST`` for long ones (never
  a direct ``application/sparql-query`` POST, on which some stores hang).

Remote results are the same :class:`kg.query.QueryResult` the local graph
gives, so :func:`kg.query.render` prints both identically. Canned-query
parameters stay RDF terms: they are sent as ``VALUES`` blocks written from
the terms' N-Triples form, never pasted into the query text as strings.

Failures raise :class:`~kg.errors.RemoteError` (the network or the store
failed; exit code 3) or :class:`~kg.errors.BadInput` (the store refused the
request as malformed, HTTP 400; exit code 2), each with a one-line message
that never contains a password.

.. _SPARQL 1.1 Graph Store HTTP Protocol: https://www.w3.org/TR/sparql11-http-rdf-update/
.. _SPARQL 1.1 Protocol: https://www.w3.org/TR/sparql11-protocol/
"""
