"""A worker process that runs a query and is killed when it overruns its time
limit, so a catastrophic regex or a cartesian product inside a native engine
stops too; its result rows are capped.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import kg.errors as errors
from kg.errors import BadInput, KgError
from kg.sandbox.limits import Limits, cap_memory, current_limits, limits
from kg.sandbox.offline import offline

# --- a query in a worker that can be killed ---------------------------------------


def _child(conn: Any, fn: Callable[..., Any], args: tuple[Any, ...], lim: Limits) -> None:
    cap_memory(lim.max_query_memory)
    try:
        with limits(timeout=lim.timeout, max_rows=lim.max_rows, allow_service=lim.allow_service):
            result = _call(fn, args, lim)
        payload: tuple[Any, ...] = ("ok", result)
    except KgError as exc:
        payload = ("error", type(exc).__name__, str(exc))
    except MemoryError:
        payload = ("error", "BadInput", "query needed more memory than kg allows")
    except RecursionError:
        payload = ("error", "BadInput", "query nested too deeply to run")
    except BaseException as exc:  # report anything else, never hang the parent
        payload = ("error", "BadInput", f"query failed: {type(exc).__name__}: {exc}")
    try:
        conn.send(payload)
    except Exception as exc:
        conn.send(("error", "BadInput", f"query result could not be returned: {exc}"))
    conn.close()


def _too_many(what: str, limit: int) -> BadInput:
    return BadInput(
        f"query returned more than {limit} {what} (the row limit); add LIMIT, "
        "or raise it with --max-rows N (0: no limit)"
    )


def capped(items: Iterable[Any]) -> Iterator[Any]:
    """Yield ``items``, stopping with a clear error past the row limit in force,
    so a cartesian product is refused before it is materialised.

    >>> with limits(max_rows=2):
    ...     list(capped(range(3)))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    kg.errors.BadInput: query returned more than 2 rows (the row limit); add LIMIT, ...
    """
    limit = current_limits().max_rows
    for n, item in enumerate(items, 1):
        if limit and n > limit:
            raise _too_many("rows", limit)
        yield item


def _call(fn: Callable[..., Any], args: tuple[Any, ...], lim: Limits) -> Any:
    with offline(strict=True, allow_hosts=lim.allow_service):
        result = fn(*args)
    rows = getattr(result, "rows", None)
    if lim.max_rows and rows is not None and len(rows) > lim.max_rows:
        raise _too_many("rows", lim.max_rows)
    graph = getattr(result, "graph", None)
    if lim.max_rows and graph is not None and len(graph) > lim.max_rows:
        raise _too_many("triples", lim.max_rows)
    return result


def run_limited(fn: Callable[..., Any], *args: Any) -> Any:
    """Call ``fn(*args)`` offline, within the time and row limits in force.

    With a time limit, the call runs in a forked worker process that is
    killed when time is up, so work inside native code stops too; the
    result comes back pickled. ``timeout=0`` runs it in this process.

    >>> run_limited(sum, [1, 2, 3])
    6
    """
    lim = current_limits()
    if not lim.timeout or "fork" not in multiprocessing.get_all_start_methods():
        return _call(fn, args, lim)
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(sender, fn, args, lim), daemon=True)
    proc.start()
    sender.close()
    try:
        if not receiver.poll(lim.timeout):
            raise BadInput(
                f"query stopped after {lim.timeout:g} s (the time limit); make it narrower, "
                "or raise the limit with --timeout SECONDS"
            )
        try:
            payload = receiver.recv()
        except EOFError:
            proc.join(1)
            raise BadInput(
                f"query worker ended without a result (exit code {proc.exitcode}; out of memory?)"
            ) from None
    finally:
        receiver.close()
        if proc.is_alive():
            proc.kill()
        proc.join(5)
    if payload[0] == "ok":
        return payload[1]
    cls = getattr(errors, payload[1], None)
    if isinstance(cls, type) and issubclass(cls, KgError):
        exc = cls.__new__(cls)
        KgError.__init__(exc, payload[2])
        if isinstance(exc, BadInput):
            exc.location = None
        raise exc
    raise BadInput(payload[2])
