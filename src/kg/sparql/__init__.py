"""SPARQL: canned queries, the lexer, the guard, parameter binding and the
front door every query text passes (:mod:`kg.sparql.door`), running a query
on a local graph, and rendering results.
"""
