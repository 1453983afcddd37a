"""Errors kg raises, and the exit code each maps to.

The CLI turns these into a one-line ``Error: …`` and the exit code; nothing
else in kg decides exit codes. Codes: 0 success, 1 data does not conform,
2 bad input / refused request / usage error (an output that cannot be written
too: a bad ``-o`` path, a full disk), 3 remote store or network failure. The
four codes are the product's whole vocabulary: a new kind of failure gets its
own class and message, not a new code.
"""

from __future__ import annotations

import difflib
import errno
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

EXIT_OK = 0


EXIT_NONCONFORMING = 1


EXIT_DIFFERENT = 1  # kg diff: the two sides differ (as diff(1) says it)


EXIT_BAD_INPUT = 2


EXIT_REMOTE = 3


@dataclass(frozen=True)
class Location:
    """Where in the records a problem is: file, line, record id and field."""

    file: str | None = None
    line: int | None = None
    record: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = self.file or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        parts = [where]
        if self.record:
            parts.append(f"record {self.record!r}")
        if self.field:
            parts.append(f"field {self.field!r}")
        return ", ".join(parts)


class KgError(Exception):
    """Base class: every error kg expects carries its exit code."""

    exit_code = EXIT_BAD_INPUT


class BadInput(KgError):
    """Input that cannot be used: malformed records, unknown fields, bad RDF."""

    def __init__(self, message: str, location: Location | None = None) -> None:
        self.location = location
        super().__init__(f"{location}: {message}" if location else message)


class BadRecords(BadInput):
    """Several record problems found in one pass; each names its location."""

    def __init__(self, problems: list[BadInput]) -> None:
        self.problems = problems
        head = f"{len(problems)} problem(s) in the records"
        lines = [str(p) for p in problems[:50]]
        if len(problems) > 50:
            lines.append(f"… and {len(problems) - 50} more")
        KgError.__init__(self, head + ":\n  " + "\n  ".join(lines))
        self.location = problems[0].location if problems else None


class UsageError(KgError):
    """A request kg refuses: unknown query, missing parameter, bad option value."""


class FolderBusy(UsageError):
    """Another kg process is writing to the output folder (it holds the folder's
    lock): refused at once, nothing written, for the user to run again later."""


class NotConforming(KgError):
    """The data does not conform to the shapes (at or above --fail-on)."""

    exit_code = EXIT_NONCONFORMING


class RemoteError(KgError):
    """A remote store or the network failed."""

    exit_code = EXIT_REMOTE


class OutputError(KgError):
    """An output path kg cannot write to: it runs through a file, names a file
    where a folder goes, or kg may not write there. The user's to fix."""


class WriteFailed(KgError):
    """Writing an output failed on a path that was fine: a full disk, an I/O
    error. Not the data; the request could not be carried out (exit 2), and
    nothing was written."""


# What a write to a path the user gave raises when the path itself is wrong;
# any other errno is the machine's (ENOSPC, EDQUOT, EIO, ...).
_BAD_PATH = frozenset(
    {
        errno.ENOTDIR,
        errno.EEXIST,
        errno.EISDIR,
        errno.EACCES,
        errno.EPERM,
        errno.EROFS,
        errno.ENAMETOOLONG,
        errno.ELOOP,
    }
)


def write_error(path: Path, exc: OSError) -> KgError:
    """The error to raise for ``exc``, met while writing the output ``path``.

    The message names ``path`` (what the user asked for), not the temporary
    name the OS error may carry.
    """
    why = exc.strerror or str(exc) or type(exc).__name__
    if exc.errno not in _BAD_PATH:
        return WriteFailed(f"cannot write {path}: {why}")
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        # mkdir -p through a file says only "not a directory" or "file exists"
        # about some path: name the file in the way.
        for p in (path, *path.parents):
            if p.is_symlink() or p.exists():
                if not p.is_dir():
                    why = f"{p} is a file, not a folder"
                break
    return OutputError(f"cannot write {path}: {why}")


def did_you_mean(word: str, choices: Iterable[str], *, n: int = 3) -> str:
    """A ``" (did you mean 'a', 'b'?)"`` suffix naming the closest of ``choices``
    to ``word``, or ``""`` when none is close. The one place every "unknown
    id / query / parameter / field / record type" message gets its hint, so
    they all phrase and rank it alike.

    >>> did_you_mean("timline", ["timeline", "meetings"])
    " (did you mean 'timeline'?)"
    >>> did_you_mean("fumio-kishda", ["fumio-kishida", "shinzo-abe"])
    " (did you mean 'fumio-kishida'?)"
    >>> did_you_mean("warn", ["info", "warning", "violation"])
    " (did you mean 'warning'?)"
    >>> did_you_mean("zzz", ["timeline"])
    ''
    """
    pool = sorted(set(choices))
    close = difflib.get_close_matches(word, pool, n=n, cutoff=0.75)
    if not close:
        # A case slip ("Timeline") or a word cut short ("warn" for "warning"):
        # near misses difflib's ratio undersells.
        folded = word.casefold()
        close = [c for c in pool if c.casefold() == folded][:n]
        if not close and len(word) >= 3:
            close = [c for c in pool if c.casefold().startswith(folded)][:n]
    if not close:
        return ""
    return " (did you mean " + ", ".join(repr(c) for c in close) + "?)"
