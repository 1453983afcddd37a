"""What a build writes and returns: the output names, the engines, the result."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import Graph

from kg.builder.graph import BuiltGraph
from kg.progress import stage
from kg.validate.report import Report

GRAPH_FILE = "kg.ttl"


INFERRED_FILE = "kg-inferred.ttl"


@dataclass
class BuildResult:
    built: BuiltGraph
    report: Report | None
    inferred: Graph | list | None
    written: list[Path]
    timings: dict[str, float] = field(default_factory=dict)
    # --- incremental rebuilds (kg.incremental) ---
    # "incremental" when only the changed record files were rebuilt: ``built``
    # then holds just their records, ``inferred`` is None and ``counts`` has the
    # totals (records, triples, inferred).
    mode: str = "full"
    fallback: str = ""  # why an earlier build's state could not be used
    counts: dict[str, Any] | None = None
    changed_files: list[str] = field(default_factory=list)

    @property
    def triples(self) -> int:
        if self.counts is not None:
            return int(self.counts["triples"])
        return len(self.built.triples)

    @property
    def record_count(self) -> int:
        if self.counts is not None:
            return int(self.counts["records"])
        return len(self.built.records)

    @property
    def inferred_count(self) -> int | None:
        if self.counts is not None:
            n = self.counts.get("inferred")
            return None if n is None else int(n)
        return None if self.inferred is None else len(self.inferred)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Run a block without Python's cyclic garbage collector.

    Building a large graph allocates millions of small objects that live to
    the end; every collection walks all of them, which made the build's Python
    stages grow faster than the data (at 1M triples, 107 s with collections,
    62 s without). Reference counting still frees everything a build drops.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


class Laps:
    """Seconds spent per stage of a command, summed when a stage recurs (the
    build's ``timings``: what ``bench/`` reports)."""

    def __init__(self, command: str = "build") -> None:
        self.timings: dict[str, float] = {}
        self.clock = time.perf_counter()
        self.command = command

    def lap(self, name: str) -> None:
        """Charge the time since the last lap to ``name`` (and say so on a
        terminal: :func:`kg.progress.stage`)."""
        now = time.perf_counter()
        self.timings[name] = self.timings.get(name, 0.0) + now - self.clock
        stage(self.command, name, now - self.clock)
        self.clock = now
