"""OWL RL reasoning, kept apart from the asserted graph: owlrl (the reference
engine) or kg's own rules, which give the same triples.
"""
