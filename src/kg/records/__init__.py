"""Curated records: read strictly from YAML, checked against the record types
(``ontology/record-types.yaml``), every problem named by file, line, record
and field.
"""
