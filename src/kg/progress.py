"""Progress on standard error, for a person watching a terminal.

One decision, :func:`shows`: standard error is a terminal, ``kg --quiet``
was not given and the ``CI`` variable is not set. Otherwise nothing is drawn,
so pipes, logs, CI and tests see exactly the output they saw before. Each
long step reports here (the build's stages, ``kg generate``'s events, ``kg
push``'s bytes and triples, ``kg report``'s records, queries and pages); click's progress bar
draws it (on a stream that is no terminal after all, click writes the label
once).

>>> with bar("pages", 3) as pages:
...     for _ in range(3):
...         pages.advance()
>>> stage("build", "load records", 0.25)  # off a terminal: nothing shown
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

_quiet = False


def set_quiet(quiet: bool) -> None:
    """``kg --quiet``: no progress, whatever standard error is."""
    global _quiet
    _quiet = quiet


def terminal() -> bool:
    """Whether standard error is a terminal (tests say yes here)."""
    return sys.stderr.isatty()


def shows() -> bool:
    """Whether progress is drawn: the one place that decides it."""
    if _quiet or os.environ.get("CI"):
        return False
    return terminal()


class Bar:
    """What a long step tells: ``advance(n)`` as it goes. A no-op when
    progress is not shown."""

    def __init__(self, drawn: Any = None) -> None:
        self._drawn = drawn

    def advance(self, n: int = 1) -> None:
        if self._drawn is not None:
            self._drawn.update(n)


@contextmanager
def bar(label: str, length: int) -> Iterator[Bar]:
    """A bar of ``length`` steps, labelled, on standard error when :func:`shows`."""
    if length <= 0 or not shows():
        yield Bar()
        return
    with click.progressbar(
        length=length,
        label=label,
        file=sys.stderr,
        show_pos=True,
        show_eta=True,
        # A redraw per step costs more than the step (a byte, an event).
        update_min_steps=max(1, length // 200),
    ) as drawn:
        yield Bar(drawn)


def stage(command: str, name: str, seconds: float) -> None:
    """One line when a stage of ``command`` ends: ``build: validate (1.2 s)``."""
    if shows():
        click.echo(f"{command}: {name} ({seconds:.1f} s)", err=True)
