"""What the fuzz tests share: hypothesis settings with a fixed budget, an
audit of every file opened and connection made, and the outcome every run
through a front door must have.

The budget is fixed so that ``make test`` runs the same examples each time
(``derandomize``) in a few seconds: a failure found here is a failure on
every machine, and its example is printed for a test of its own.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from hypothesis import HealthCheck, settings

from kg.cli.app import cli


def fuzz(examples: int) -> settings:
    """Hypothesis settings for a fuzz test of ``examples`` examples.

    derandomize: the same examples on every run; no database, no deadline (a
    loaded CI machine is no failure); few examples, so all fuzzing stays fast.
    """
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        print_blob=False,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@dataclass
class Audit:
    """The files opened and the connections made while :meth:`recording`."""

    opened: list[str] = field(default_factory=list)
    connected: list[object] = field(default_factory=list)  # (host, port) looked up or connected
    on: bool = False

    def hook(self, event: str, args: tuple[Any, ...]) -> None:
        if not self.on:
            return
        if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
            self.opened.append(os.path.abspath(os.fsdecode(args[0])))
        elif event == "socket.connect":
            self.connected.append(tuple(args[1]) if isinstance(args[1], tuple) else args[1])
        elif event == "socket.getaddrinfo":
            self.connected.append((args[0], args[1]))

    @contextlib.contextmanager
    def recording(self) -> Iterator[Audit]:
        self.opened.clear()
        self.connected.clear()
        self.on = True
        try:
            yield self
        finally:
            self.on = False

    def hosts(self) -> set[object]:
        """The addresses connected to or looked up (kg looks an allowed host up
        without a port)."""
        return {c for c in self.connected if not (isinstance(c, tuple) and c[1] is None)} | {
            (c[0], "lookup") for c in self.connected if isinstance(c, tuple) and c[1] is None
        }

    def beside(self, folder: Path, inputs: set[Path]) -> list[str]:
        """Files opened in ``folder`` that are not ``inputs``."""
        root = os.path.abspath(folder) + os.sep
        allowed = {os.path.abspath(p) for p in inputs}
        return sorted({p for p in self.opened if p.startswith(root) and p not in allowed})


# Audit hooks cannot be removed: one for the session, off unless recording.
AUDIT = Audit()
sys.addaudithook(AUDIT.hook)


def invoke(args: list[str]) -> Result:
    """``kg ARGS`` in this process, every exception caught (a traceback is a failure)."""
    return CliRunner().invoke(cli, args, obj={}, catch_exceptions=True)


# How a query worker reports an exception kg did not expect (kg.sandbox.worker):
# a traceback by another name.
_WORKER_CAUGHT = re.compile(r"Error: query failed: [A-Za-z_][\w.]*: ")


def assert_front_door(result: Result, codes: tuple[int, ...]) -> None:
    """A documented outcome: one of ``codes``, no traceback (nor an exception a
    query worker caught); a failure is one ``Error:`` message (a list of record
    problems goes on indented lines)."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"traceback for {result.exception!r}") from result.exception
    assert not _WORKER_CAUGHT.match(result.stderr), result.stderr
    assert result.exit_code in codes, (result.exit_code, result.stderr)
    if result.exit_code >= 2:
        first, *rest = result.stderr.splitlines()
        assert first.startswith("Error: "), result.stderr
        assert all(line.startswith("  ") for line in rest), result.stderr
        assert "Traceback" not in result.stderr
