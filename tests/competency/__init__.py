"""Competency questions: analyst questions over the bundled NATO–Japan records,
each a SPARQL file under ``questions/`` with the rows the fact sheet (or the
founding NATO release) gives as its answer."""
