"""Offline scopes: a Python audit hook (PEP 578, as rdflib's security
guidance advises), installed once and active only inside :func:`offline`.

In a scope, network connections, DNS look-ups and ``urllib`` requests are
refused unless their host was named (``--allow-service``); in a *strict*
scope (parsing an RDF file, running a query) files may only be read from
Python's own install and kg's bundled data, nothing may be written and no
program may be started. A refusal is remembered by the scope, so it is
reported even when a library swallows the exception (``SERVICE SILENT``).
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import socket
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kg.errors import BadInput
from kg.resources import data_dir

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
    here = Path(__file__).resolve().parents[1]  # the kg package
    roots.add(str(here))
    with contextlib.suppress(Exception):
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
