"""The one place that keeps kg offline by default and within its limits.

Three mechanisms, each enforced here and nowhere else:

* **A Python audit hook** (PEP 578, as rdflib's security guidance advises),
  installed once and active only inside a :func:`offline` scope. In a scope,
  network connections, DNS look-ups and ``urllib`` requests are refused
  unless their host was named (``--allow-service``); in a *strict* scope
  (parsing an RDF file, running a query) files may only be read from
  Python's own install and kg's bundled data, nothing may be written and no
  program may be started. A refusal is remembered by the scope, so it is
  reported even when a library swallows the exception (``SERVICE SILENT``).
* **A SPARQL check** (:func:`check_sparql`) run before any engine sees the
  text: ``SERVICE`` (``SILENT`` included), ``FROM`` / ``FROM NAMED`` and
  every update form (``LOAD``, ``INSERT``, ``DELETE``, ``CLEAR``, …) are
  refused, whatever engine would run the query.
* **A worker process** (:func:`run_limited`) that runs a query and is killed
  when it overruns its time limit, so a catastrophic regex or a cartesian
  product inside a native engine stops too; its result rows are capped.

Limits have defaults (:data:`DEFAULTS`) that environment variables
(``KG_TIMEOUT``, ``KG_MAX_ROWS``, ``KG_MAX_INPUT_BYTES``, ``KG_MAX_DEPTH``)
or ``kg query --timeout / --max-rows`` raise.
"""

from __future__ import annotations

import contextlib
import contextvars
import multiprocessing
import os
import re
import socket
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import rdflib

from kg import errors
from kg.errors import BadInput, KgError


def keep_lexical_forms() -> None:
    """Literals keep the lexical form they were written with.

    rdflib otherwise rewrites "2013-06-25+09:00"^^xsd:date to "2013-06-25" and
    "007"^^xsd:integer to "7" when it reads them. Called at import and again
    after pySHACL, whose monkey patch turns normalisation back on when it ends.
    """
    rdflib.NORMALIZE_LITERALS = False


keep_lexical_forms()


# --- limits ----------------------------------------------------------------------


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise errors.UsageError(f"{name} must be a number, got {raw!r}") from None
    if value < 0:
        raise errors.UsageError(f"{name} must be 0 (no limit) or more, got {raw!r}")
    return value


@dataclass(frozen=True)
class Limits:
    """How far kg goes before it stops with a clear error (0 = no limit)."""

    timeout: float = 30.0  # seconds one query may run
    max_rows: int = 100_000  # result rows one query may return
    max_input_bytes: int = 512 * 1024 * 1024  # one RDF input file
    max_depth: int = 200  # nesting of brackets in SPARQL, of JSON-LD objects
    allow_service: frozenset[str] = field(default_factory=frozenset)  # SERVICE hosts

    @classmethod
    def from_env(cls) -> Limits:
        d = cls()
        return cls(
            timeout=_env_number("KG_TIMEOUT", d.timeout),
            max_rows=int(_env_number("KG_MAX_ROWS", d.max_rows)),
            max_input_bytes=int(_env_number("KG_MAX_INPUT_BYTES", d.max_input_bytes)),
            max_depth=int(_env_number("KG_MAX_DEPTH", d.max_depth)),
        )


DEFAULTS = Limits()
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


# --- the audit hook --------------------------------------------------------------


@dataclass
class _Scope:
    hosts: frozenset[str]
    addresses: frozenset[str]
    strict: bool
    read: tuple[str, ...]
    refused: list[str] = field(default_factory=list)


_SCOPE: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar("kg_scope", default=None)
_HOOK_INSTALLED = False


class Refused(PermissionError):
    """Raised inside a guarded scope by the audit hook (reported as BadInput)."""


_NETWORK_EVENTS = {
    "socket.connect",
    "socket.sendto",
    "socket.sendmsg",
    "socket.getaddrinfo",
    "socket.gethostbyname",
    "socket.gethostbyaddr",
    "socket.getnameinfo",
}
_PROGRAM_EVENTS = {
    "subprocess.Popen",
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.startfile",
    "pty.spawn",
}


def _code_roots() -> tuple[str, ...]:
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    for p in sys.path:
        if p and ("site-packages" in p or "dist-packages" in p or p.startswith(sys.base_prefix)):
            roots.add(p)
    here = Path(__file__).resolve().parent
    roots.add(str(here))
    with contextlib.suppress(Exception):
        from kg.resources import data_dir

        for name in ("ontology", "shapes", "queries"):
            roots.add(str(data_dir(name)))
    return tuple(sorted(os.path.normpath(r) + os.sep for r in roots if r))


def _refuse(scope: _Scope, message: str) -> None:
    scope.refused.append(message)
    raise Refused(message)


def _host_allowed(scope: _Scope, host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    return isinstance(host, str) and (host.lower() in scope.hosts or host in scope.addresses)


def _hook(event: str, args: tuple[Any, ...]) -> None:
    scope = _SCOPE.get()
    if scope is None:
        return
    if event in _NETWORK_EVENTS:
        if event == "socket.connect" or event == "socket.sendto":
            sock, address = args[0], args[-1]
            if getattr(sock, "family", None) == socket.AF_UNIX:
                if scope.strict:
                    _refuse(scope, f"kg does not open local sockets here ({address!r})")
                return
            host = address[0] if isinstance(address, tuple) and address else address
        elif event == "socket.getnameinfo":
            host = args[0][0] if args and isinstance(args[0], tuple) else None
        else:
            host = args[0] if args else None
        if not _host_allowed(scope, host):
            _refuse(scope, f"kg does not open network connections (refused {host})")
        return
    if event == "urllib.Request":
        url = str(args[0])
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not _host_allowed(scope, parts.hostname):
            _refuse(scope, f"kg does not fetch {url}")
        return
    if scope.strict:
        if event == "open":
            path, mode, flags = args[0], args[1], args[2]
            if path is None or isinstance(path, int):
                return
            writing = (mode is not None and any(c in str(mode) for c in "wax+")) or (
                mode is None and isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR)
            )
            name = os.fsdecode(path)
            full = os.path.normpath(os.path.join(os.getcwd(), name)) if name else name
            if writing or not (full + os.sep).startswith(scope.read):
                _refuse(scope, f"kg does not open {name} here")
        elif event in _PROGRAM_EVENTS:
            _refuse(scope, "kg does not start programs here")


def _install() -> None:
    global _HOOK_INSTALLED
    if not _HOOK_INSTALLED:
        sys.addaudithook(_hook)
        _HOOK_INSTALLED = True


def _addresses(hosts: Iterable[str]) -> frozenset[str]:
    """The addresses of the allowed hosts (looked up outside any scope: they were named)."""
    out = set()
    token = _SCOPE.set(None)
    try:
        for host in hosts:
            with contextlib.suppress(OSError, UnicodeError):
                for info in socket.getaddrinfo(host, None):
                    out.add(str(info[4][0]))
    finally:
        _SCOPE.reset(token)
    return frozenset(out)


@contextlib.contextmanager
def offline(
    *, strict: bool = False, allow_hosts: Iterable[str] = (), read: Iterable[Path | str] = ()
) -> Iterator[None]:
    """Run a block with the network closed (save ``allow_hosts``).

    ``strict`` also closes the file system: only Python's own files, kg's
    bundled data and the ``read`` paths may be opened, for reading. A
    refusal raises :class:`~kg.errors.BadInput` when the block ends, even
    if code inside caught it.

    >>> import urllib.request
    >>> with offline():
    ...     urllib.request.urlopen("http://127.0.0.1:9/")
    Traceback (most recent call last):
    kg.errors.BadInput: refused: kg does not fetch http://127.0.0.1:9/
    """
    _install()
    outer = _SCOPE.get()
    hosts = frozenset(h.lower() for h in allow_hosts)
    # The hosts are the caller's decision; strictness is never relaxed by nesting.
    strict = strict or (outer is not None and outer.strict)
    roots = _code_roots() + tuple(os.path.normpath(os.path.abspath(p)) + os.sep for p in read)
    scope = _Scope(hosts, _addresses(hosts), strict, roots)
    token = _SCOPE.set(scope)
    try:
        yield
    except BaseException:
        if scope.refused:
            raise BadInput(f"refused: {scope.refused[0]}") from None
        raise
    finally:
        _SCOPE.reset(token)
        if outer is not None:
            outer.refused.extend(scope.refused)
    if scope.refused:
        raise BadInput(f"refused: {scope.refused[0]}")


# --- SPARQL ----------------------------------------------------------------------

_UNICODE_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>\"\"\"(?:[^\\]|\\.)*?\"\"\"|'''(?:[^\\]|\\.)*?'''
              |"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
  | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<pname>(?:[^\W\d][\w.-]*)?:(?:[\w:.%-]|\\.)*|_:[\w.-]*)
  | (?P<word>[^\W\d][\w-]*)
  | (?P<open>[{(\[])
  | (?P<close>[})\]])
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_UPDATE_WORDS = {
    "INSERT",
    "DELETE",
    "LOAD",
    "CLEAR",
    "DROP",
    "CREATE",
    "ADD",
    "MOVE",
    "COPY",
    "WITH",
}


def _tokens(text: str) -> Iterator[tuple[str, str]]:
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "other"
        if kind not in ("ws", "comment"):
            yield kind, m.group()


# `FILTER(?a <?b)SERVICE:sparql#>` is one IRI to SPARQL's lexer, but Oxigraph
# parses `?a < ?b` and then calls the SERVICE, from Rust, past the audit hook
# that keeps queries offline. Only a `)` can end the comparison, so an IRI with
# SERVICE after a `)` is refused (a real IRI almost never has one).
_SERVICE_IN_IRI = re.compile(r"\).*\bSERVICE\b", re.IGNORECASE | re.DOTALL)


def check_sparql(text: str, lim: Limits | None = None) -> None:
    """Refuse SPARQL that would reach outside the graph, change it, or nest too deeply.

    Runs on the query text before any engine does, with the same reading of
    ``\\uXXXX`` escapes, comments, strings and IRIs as SPARQL's grammar.

    >>> try:
    ...     check_sparql("SELECT * { SERVICE <http://x.test/> {} }")
    ... except BadInput as exc:
    ...     print(exc)
    SERVICE <http://x.test/> is refused: kg queries only its own graph (see --allow-service)
    """
    lim = lim or current_limits()
    text = _UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)
    toks = list(_tokens(text))
    depth = 0
    for i, (kind, value) in enumerate(toks):
        if kind == "open":
            depth += 1
            if lim.max_depth and depth > lim.max_depth:
                raise BadInput(
                    f"query nested more than {lim.max_depth} levels deep "
                    "(KG_MAX_DEPTH raises the limit)"
                )
        elif kind == "close":
            depth = max(0, depth - 1)
        elif kind == "iri" and _SERVICE_IN_IRI.search(value):
            raise BadInput(
                f"{value[:80]} is refused: an engine may read its '<' as a comparison and "
                "what follows its ')' as a SERVICE call; write '<' with a space after it"
            )
        if kind != "word":
            continue
        word = value.upper()
        nxt = toks[i + 1][1] if i + 1 < len(toks) else ""
        if word in _UPDATE_WORDS:
            raise BadInput(f"SPARQL update ({word}) is refused: kg query only reads the graph")
        if word == "FROM":
            named = "FROM NAMED" if nxt.upper() == "NAMED" else "FROM"
            target = toks[i + 2][1] if named == "FROM NAMED" and i + 2 < len(toks) else nxt
            raise BadInput(
                f"{named} {target} is refused: kg queries only the graph it was given "
                "(use --graph FILE to query a file)"
            )
        if word == "SERVICE":
            j = i + 1
            if j < len(toks) and toks[j][1].upper() == "SILENT":
                j += 1
            target_kind, target = toks[j] if j < len(toks) else ("other", "")
            host = urlsplit(target[1:-1]).hostname if target_kind == "iri" else None
            scheme = urlsplit(target[1:-1]).scheme if target_kind == "iri" else ""
            if host and scheme in ("http", "https") and host.lower() in lim.allow_service:
                continue
            if lim.allow_service and target_kind != "iri":
                hint = "write the endpoint as a full <http://…> IRI"
            else:
                hint = "see --allow-service"
            raise BadInput(f"SERVICE {target} is refused: kg queries only its own graph ({hint})")


# --- a query in a worker that can be killed ---------------------------------------

_MEMORY_HEADROOM = 4 * 1024 * 1024 * 1024  # bytes a query worker may add to the process


def _child(conn: Any, fn: Callable[..., Any], args: tuple[Any, ...], lim: Limits) -> None:
    with contextlib.suppress(Exception):
        import resource

        with open("/proc/self/statm", "rb") as fh:
            pages = int(fh.read().split()[0])
        cap = pages * os.sysconf("SC_PAGE_SIZE") + _MEMORY_HEADROOM
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
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


__all__ = [
    "DEFAULTS",
    "Limits",
    "Refused",
    "capped",
    "check_sparql",
    "current_limits",
    "limits",
    "offline",
    "run_limited",
]
