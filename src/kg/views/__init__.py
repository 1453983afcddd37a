"""Views of the graph for people: ``kg describe`` (one thing, in plain
language, with its sources) and ``kg report`` (a site about the graph).
"""
