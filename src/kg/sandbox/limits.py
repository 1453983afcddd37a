"""How far kg goes before it stops with a clear error.

Limits have defaults (:class:`Limits`) that environment variables
(``KG_TIMEOUT``, ``KG_MAX_ROWS``, ``KG_MAX_INPUT_BYTES``, ``KG_MAX_DEPTH``)
or options (``kg query --timeout / --max-rows``) change.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import kg.errors as errors

# --- limits ----------------------------------------------------------------------


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise errors.UsageError(f"{name} must be a number, got {raw!r}") from None
    return limit_value(value, name)


PUSH_TIMEOUT = 900.0
"""``kg push``'s default --timeout: an upload waits for the store to clear the graph it
replaces and to load the new one, at 1M triples on Oxigraph minutes each
(bench/RESULTS.md, push); a query's 30 s would fail every large push."""

MAX_LIMIT = float(threading.TIMEOUT_MAX)
"""The largest limit kg takes (a wait the system can make: about 292 years)."""


def limit_value(value: float, name: str) -> float:
    """``value`` as a limit named ``name``: 0 (no limit) or a finite number up to
    :data:`MAX_LIMIT`; :class:`kg.errors.UsageError` otherwise (``nan`` passed
    every comparison, ``inf`` and ``1e308`` overflowed the waits).

    >>> limit_value(30, "--timeout")
    30
    >>> limit_value(float("nan"), "KG_TIMEOUT")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    kg.errors.UsageError: KG_TIMEOUT must be 0 (no limit) or a number of seconds of at most ...
    """
    if not 0 <= value <= MAX_LIMIT:  # false for nan too
        raise errors.UsageError(
            f"{name + ' ' if name else ''}must be 0 (no limit) or a number of seconds of at "
            f"most {int(MAX_LIMIT)} (got {value})"
        )
    return value


@dataclass(frozen=True)
class Limits:
    """How far kg goes before it stops with a clear error (0 = no limit)."""

    timeout: float = 30.0  # seconds one query may run
    max_rows: int = 100_000  # result rows one query may return
    max_input_bytes: int = 512 * 1024 * 1024  # one RDF input file
    max_depth: int = 200  # nesting of brackets in SPARQL, of JSON-LD objects
    max_query_memory: int = 4 * 1024**3  # bytes a query's process may add
    allow_service: frozenset[str] = field(default_factory=frozenset)  # SERVICE hosts

    @classmethod
    def from_env(cls) -> Limits:
        d = cls()
        return cls(
            timeout=_env_number("KG_TIMEOUT", d.timeout),
            max_rows=int(_env_number("KG_MAX_ROWS", d.max_rows)),
            max_input_bytes=int(_env_number("KG_MAX_INPUT_BYTES", d.max_input_bytes)),
            max_depth=int(_env_number("KG_MAX_DEPTH", d.max_depth)),
            max_query_memory=int(_env_number("KG_MAX_QUERY_MEMORY", d.max_query_memory)),
        )


_LIMITS: contextvars.ContextVar[Limits | None] = contextvars.ContextVar("kg_limits", default=None)


def current_limits() -> Limits:
    """The limits in force: those set by :func:`limits`, else defaults and environment."""
    return _LIMITS.get() or Limits.from_env()


@contextlib.contextmanager
def limits(**changes: Any) -> Iterator[Limits]:
    """Run a block with some limits changed (``None`` values keep the current one).

    >>> with limits(timeout=5, allow_service=["example.org"]) as lim:
    ...     lim.timeout, sorted(lim.allow_service)
    (5, ['example.org'])
    """
    given = {k: v for k, v in changes.items() if v is not None}
    if "allow_service" in given:
        given["allow_service"] = frozenset(h.lower() for h in given["allow_service"])
    new = replace(current_limits(), **given)
    token = _LIMITS.set(new)
    try:
        yield new
    finally:
        _LIMITS.reset(token)


def cap_memory(extra: int, pid: int = 0) -> None:
    """Let a process (this one by default) grow by at most ``extra`` bytes of
    address space from now on (``RLIMIT_AS``; 0: no cap). A query worker
    (:mod:`kg.sandbox.worker`) caps itself; ``kg serve`` caps each engine once
    it listens, so a runaway query ends in an error instead of taking the
    machine's memory. Where there is no ``/proc`` or no ``prlimit`` (not Linux),
    nothing is capped.
    """
    if not extra:
        return
    try:
        import resource

        with open(f"/proc/{pid or 'self'}/statm", "rb") as fh:
            pages = int(fh.read().split()[0])
        cap = pages * os.sysconf("SC_PAGE_SIZE") + extra
        resource.prlimit(pid, resource.RLIMIT_AS, (cap, cap))
    except (ImportError, AttributeError, OSError, ValueError):
        return  # not here: uncapped, as before
