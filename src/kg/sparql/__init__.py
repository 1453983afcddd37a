"""SPARQL: canned queries, the guard, parameter binding, running a query on a
local graph, and rendering results.
"""
