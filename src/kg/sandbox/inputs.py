"""Reading the files kg is given: regular files only, each read once, within a
size limit.

Every input kg reads (records files, RDF files, a query given with ``--file``)
comes through :func:`read_input`. The file is opened once, without blocking
(``O_NONBLOCK``: a named pipe with no writer cannot hang the open) and without
becoming a controlling terminal (``O_NOCTTY``), and the open descriptor must
be a regular file (``os.fstat``): a named pipe, a device (``/dev/zero``), a
socket or a folder is refused by name, with what it is, and the target when
the name is a link. The size is what was read: at most ``limit + 1`` bytes are
read, whatever the file says its size is (a device, ``/proc`` or a file that
grows would say otherwise); a regular file that already says it is larger is
refused before any of it is read.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from kg.errors import BadInput, Location
from kg.sandbox.limits import current_limits

# What a file that is not a regular one is, by the type bits of its mode.
_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_BINARY", 0)  # Windows: no newline translation
)


def read_input(
    path: Path, name: str | None = None, *, limit: int | None = None, what: str = "input file"
) -> bytes:
    """The bytes of the regular file at ``path``, named ``name`` (default: the
    path as given) in messages; :class:`kg.errors.BadInput` if it is not a
    regular file or holds more than ``limit`` bytes (default: the input limit
    of :mod:`kg.sandbox.limits`, ``KG_MAX_INPUT_BYTES``; 0: none).

    >>> try:
    ...     read_input(Path("/"), "the root")
    ... except BadInput as exc:
    ...     print(exc)
    the root: a folder, not a regular file; kg reads only regular files
    """
    name = str(path) if name is None else name
    hint = ""
    if limit is None:
        limit = current_limits().max_input_bytes
        hint = " (KG_MAX_INPUT_BYTES raises it)"
    too_big = f"over the {limit}-byte limit for one {what}{hint}"
    try:
        fd = os.open(path, _FLAGS)
    except OSError as exc:
        raise BadInput(_open_problem(path, exc), Location(name)) from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or (limit and st.st_size > limit):
        os.close(fd)  # (open() refuses a folder's descriptor: checked before)
        why = too_big if stat.S_ISREG(st.st_mode) else _not_regular(path, st.st_mode)
        raise BadInput(why, Location(name))
    with open(fd, "rb", closefd=True) as fh:
        try:
            data = fh.read(limit + 1) if limit else fh.read()
        except OSError as exc:
            raise BadInput(f"cannot read it: {exc.strerror or exc}", Location(name)) from None
    if limit and len(data) > limit:
        raise BadInput(too_big, Location(name))
    return data


def file_kind(mode: int) -> str:
    """What a file of ``mode`` that is not a regular file is, for a message
    (inputs here, outputs in :func:`kg.rdfio.atomic.refuse_special`).

    >>> file_kind(stat.S_IFIFO)
    'a named pipe (FIFO)'
    """
    return next((k for is_kind, k in _KINDS if is_kind(mode)), "not a regular file")


def _not_regular(path: Path, mode: int) -> str:
    return f"{file_kind(mode)}{link_note(path)}, not a regular file; kg reads only regular files"


def link_note(path: Path) -> str:
    """`` (a link to TARGET)`` when ``path`` is a symbolic link, else ``""``."""
    if not os.path.islink(path):
        return ""
    return f" (a link to {os.path.realpath(path)})"


def _open_problem(path: Path, exc: OSError) -> str:
    """Why ``path`` could not be opened, in the user's terms."""
    if exc.errno == errno.ENOENT:
        return "no such file" + link_note(path)
    if exc.errno == errno.ENXIO:  # opening a socket (or a FIFO on some systems)
        try:
            return _not_regular(path, os.stat(path).st_mode)
        except OSError:
            pass
    if exc.errno == errno.EISDIR:  # Windows opens no folder
        return _not_regular(path, stat.S_IFDIR)
    return f"cannot read it: {exc.strerror or exc}"
