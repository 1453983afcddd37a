"""Reading and writing RDF files and kg's outputs: the format registry, safe
readers, deterministic writers, atomic writes and output folders.
"""
