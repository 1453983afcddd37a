"""SHACL validation, reported in terms of the records: pySHACL (the reference
engine) or kg's native engine, which gives the same findings.
"""
