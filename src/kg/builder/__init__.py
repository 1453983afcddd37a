"""Records to RDF: the asserted graph with an index back to the records, and
the bundled ontology.
"""
