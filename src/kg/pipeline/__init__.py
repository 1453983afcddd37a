"""The operations behind the commands: build, validate, open a graph, export,
and the incremental rebuild.
"""
