"""The one place that keeps kg offline by default and within its limits.

Three mechanisms, each enforced here and nowhere else: offline scopes
(:mod:`kg.sandbox.offline`, an audit hook), limits (:mod:`kg.sandbox.limits`)
and a worker process killed at the time limit (:mod:`kg.sandbox.worker`).
"""
