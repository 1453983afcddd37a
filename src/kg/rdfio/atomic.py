"""Atomic writes: every output is written under a temporary name next to where
it goes and renamed into place, alone (:func:`atomic_write`) or together
with the other outputs of a run (:class:`Staged`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from kg.errors import OutputError, write_error
from kg.sandbox.inputs import file_kind, link_note


def _umask() -> int:
    try:  # Linux says it without changing it (os.umask can only set it)
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# A sweep can take a temporary file only in the instant between its creation
# and its lock, and each sweep lists the folder once: more than a few tries
# would mean something else is removing them.
_TEMP_TRIES = 100


def temp_file(target: Path) -> tuple[int, str]:
    """A new temporary file beside ``target`` (open descriptor, name), readable
    and writable by its owner only while it is written (mkstemp's 0600):
    :func:`_write_synced` gives it ``target``'s permissions once it is complete.

    The descriptor holds an exclusive ``flock`` on the file, which tells
    :func:`sweep_leftovers` that its writer is alive (the kernel drops it when
    the writer ends, even by a kill): keep it open until the file has been
    renamed into place or removed. Where there is no ``flock`` (Windows, or
    the file system refuses it) the file is not locked.

    Not filelock, which the folder lock uses: its ``FileLock`` locks a lock
    file of its own, while this lock must be on the file being written, taken
    on the descriptor mkstemp returned and tested by a sweep that then removes
    the file still holding it (``_remove_abandoned``); for a descriptor, its
    ``lock_descriptor`` is this same ``flock`` call.
    """
    for _ in range(_TEMP_TRIES):
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            if not _lock_new(fd, tmp):
                os.close(fd)
                continue
        except OSError:
            os.close(fd)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        return fd, tmp
    raise OSError(errno.EAGAIN, "each new temporary file was removed as soon as it was made")


def _lock_new(fd: int, tmp: str) -> bool:
    """Lock the new temporary file ``fd``; False if a sweep (another process
    building in the folder) took it before the lock, as unlocked files are."""
    if sys.platform == "win32":
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # a sweep holds it, and removes it before letting go
    except OSError:
        # No flock on this file system (ENOLCK, EOPNOTSUPP): only the folder lock guards it.
        return True
    # A sweep that locked it first removed it before letting go: its name is
    # gone, or names a file made since (compared, as some file systems report
    # no link count).
    try:
        return os.path.samestat(os.fstat(fd), os.lstat(tmp))
    except FileNotFoundError:
        return False


def _target_mode(target: Path) -> int:
    """The permissions ``target`` will keep: its own if it exists, else those a
    new file gets (mkstemp's 0600 would leave kg.ttl readable by its owner only)."""
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        return 0o666 & ~_umask()


def _write_synced(
    fd: int, write: Callable[[IO[bytes]], object], target: Path | None = None
) -> None:
    """Write through the open descriptor ``fd``, on disk before a rename, and
    give the file ``target``'s permissions (:func:`_target_mode`). Only once
    written: a killed writer's leftover stays 0600, which a sweep can open to
    test its lock even where ``target`` is unreadable. ``fd`` stays open:
    closing it would drop :func:`temp_file`'s lock."""
    with os.fdopen(fd, "wb", closefd=False) as fh:
        write(fh)
        fh.flush()
        # Not on Windows before Python 3.13 (no os.fchmod), where modes barely apply.
        if target is not None and hasattr(os, "fchmod"):
            os.fchmod(fd, _target_mode(target))
        os.fsync(fh.fileno())


def refuse_special(path: Path) -> None:
    """Refuse an output ``path`` that exists and is not a regular file (a FIFO,
    a device, a socket, a folder, or a symbolic link to one), naming it.

    kg puts an output in place by renaming a complete new file over the old
    one: a reader of a FIFO or of ``/dev/stdout`` would get nothing, and the
    FIFO or the link would be replaced by a plain file. Standard output is
    ``-o -``; a FIFO or a device is written with the shell (``-o - > FIFO``).
    A path that cannot be looked at (a file in the way, a link loop) is left
    to the write, which reports it (:func:`kg.errors.write_error`).
    """
    via = _descriptor_link(path)
    if via is not None:
        raise OutputError(
            f"cannot write {path}: it names an open file descriptor ({via}), such as standard "
            "output; kg would replace the file behind it, not write to it"
        )
    try:
        mode = os.stat(path).st_mode  # through links: a link to a FIFO is refused too
    except OSError:
        return  # nothing there yet (or a link to nothing): the write makes it
    if stat.S_ISREG(mode):
        return
    raise OutputError(
        f"cannot write {path}: it is {file_kind(mode)}{link_note(path)}, not a regular file "
        "(kg renames a complete new file into place, which a reader of it would never see)"
    )


def _descriptor_link(path: Path) -> str | None:
    """The ``/proc/…/fd/N`` or ``/dev/fd/N`` link ``path`` is or leads through
    (``/dev/stdout`` -> ``/proc/self/fd/1`` -> the file the shell opened, which
    ``>>`` appends to and a rename would replace), or None."""
    current, seen = os.path.abspath(path), 0
    while seen < 40:
        parts = Path(current).parts
        if (parts[1:2] == ("proc",) and "fd" in parts) or current.startswith("/dev/fd/"):
            return current
        if not os.path.islink(current):
            return None
        target = os.readlink(current)
        current = os.path.normpath(os.path.join(os.path.dirname(current), target))
        seen += 1
    return None


def output_target(path: Path) -> Path:
    """The file to write for the output ``path`` (:func:`atomic_write`): ``path``,
    or, when ``path`` is a symbolic link, the file the link names, which is
    replaced while the link stays (as a shell's ``>`` writes through it).
    :func:`refuse_special` first.

    >>> str(output_target(Path("new-file.csv")))
    'new-file.csv'
    """
    refuse_special(path)
    if not path.is_symlink():
        return path
    try:
        return Path(os.path.realpath(path, strict=True))
    except FileNotFoundError:  # a link to nothing yet: made where it points
        return Path(os.path.realpath(path))
    except OSError as exc:  # a loop of links
        raise write_error(path, exc) from exc


def atomic_write(
    path: Path,
    write: Callable[[IO[bytes]], object],
    check: Callable[[Path], object] | None = None,
) -> None:
    """Write ``path`` through a temporary file in the same folder, then rename.

    If ``write`` fails, the temporary file is removed and any previous
    ``path`` is left exactly as it was. ``check``, if given, is called with
    the complete temporary file before the rename (a read-back: if it raises,
    nothing replaces ``path``). A ``path`` that exists and is not a regular
    file is refused, and a symbolic link is written through
    (:func:`output_target`). An OS error (``path`` under a file, a full disk)
    is raised as :func:`kg.errors.write_error` makes it, naming ``path``.
    """
    target = output_target(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = temp_file(target)
    except OSError as exc:
        raise write_error(path, exc) from exc
    try:
        _write_synced(fd, write, target)
        if check is not None:
            check(Path(tmp))
        if sys.platform == "win32":
            # Windows renames no open file, and there is no lock to keep there.
            closing, fd = fd, -1
            os.close(closing)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise write_error(path, exc) from exc
        raise
    finally:
        # Only now: until it is renamed or removed, a sweep must see the file in use.
        if fd >= 0:
            os.close(fd)


class Staged:
    """A command's outputs, each first written under a temporary name next to
    where it goes, then put in place all together (:meth:`commit`) or all
    removed (:meth:`discard`): the outputs in a folder always come from one
    run, as far as renames allow.

    Used as a context manager, an exception inside discards what was staged.
    Commands take their folder with :func:`output_folder` first.
    """

    def __init__(self) -> None:
        # (staged, target) in commit order; staged None: target is to be removed
        self.moves: list[tuple[Path | None, Path]] = []
        self.files: set[Path] = set()  # the staged files file() wrote
        self.checks: list[tuple[Callable[[Path], object], Path]] = []  # (check, staged file)

    def __enter__(self) -> Staged:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not None:
            self.discard()

    def file(
        self, target: Path, data: bytes, check: Callable[[Path], object] | None = None
    ) -> Path:
        """Write ``data`` for ``target``; return the temporary name it is under.

        ``check``, if given, is called with that name by :meth:`commit` before
        anything is put in place (a read-back: if it raises, nothing is).
        A ``target`` that is not a regular file is refused (:func:`refuse_special`);
        a symbolic link is replaced by the new file: an output folder's files
        are kg's own."""
        refuse_special(target)
        try:
            fd, tmp = temp_file(target)
            try:
                self.moves.append((Path(tmp), target))  # first: discard removes it if writing fails
                # Its permissions come at commit (0600 until then, for the sweep).
                _write_synced(fd, lambda fh: fh.write(data))
                self.files.add(Path(tmp))
                if check is not None:
                    self.checks.append((check, Path(tmp)))
            finally:
                # Its lock is let go with it, not kept to the commit: the folder
                # lock (output_folder) keeps every other sweep out meanwhile, and
                # kg generate can stage more files than a process may hold open.
                os.close(fd)
        except OSError as exc:
            raise write_error(target, exc) from exc
        return Path(tmp)

    def add(self, staged: Path, target: Path) -> None:
        """An output made complete under the name ``staged`` (a file or folder)."""
        self.moves.append((staged, target))

    def remove(self, target: Path) -> None:
        """An output this build does not make (kg-inferred.ttl without --reason):
        an older build's would no longer match the others. It goes with the
        commit, and stays if the commit fails."""
        self.moves.append((None, target))

    def discard(self) -> None:
        for staged, _target in self.moves:
            _remove(staged)
        self.moves, self.checks = [], []

    def commit(self) -> None:
        """Put every output in place, or, if one cannot be, none.

        Each old output is kept aside until all the new ones are in place: a
        file by a hard link (so it is never missing: a query reading it meanwhile
        gets the old file or the new), a folder by renaming it. If a rename
        fails, the new outputs placed so far are taken back and the old ones
        restored, and the error is raised. The files' checks run first.
        """
        for check, staged_file in self.checks:
            check(staged_file)
        done: list[tuple[Path | None, Path, Path | None, bool, bool]] = []
        current: Path | None = None  # the output being put in place, to name in an error
        try:
            for staged, target in self.moves:
                current = target
                aside, linked = None, False
                if staged in self.files:
                    os.chmod(staged, _target_mode(target))
                if os.path.lexists(target):
                    aside = target.with_name(f".{target.name}.old")
                    _remove(aside)  # left by a build that crashed here
                    # One being removed goes aside by a rename: it is to be gone.
                    linked = staged is not None and not target.is_dir() and _try_link(target, aside)
                    if not linked:
                        os.replace(target, aside)
                done.append((staged, target, aside, linked, False))
                if staged is not None:
                    os.replace(staged, target)
                done[-1] = (staged, target, aside, linked, True)
        except BaseException as exc:
            # Undo all that can be undone; the first error is the one to report.
            for staged, target, aside, linked, placed in reversed(done):
                if placed and not linked and staged is not None:
                    with contextlib.suppress(OSError):
                        os.replace(target, staged)  # discard removes it there
                if linked and not placed:
                    _remove(aside)  # a second name of the old file, still in place
                elif aside is not None:
                    with contextlib.suppress(OSError):  # else it stays aside, not lost
                        os.replace(aside, target)
            if isinstance(exc, OSError) and current is not None:
                raise write_error(current, exc) from exc
            raise
        for _staged, _target, aside, _linked, _placed in done:
            if aside is not None:
                _remove(aside)
        self.moves, self.checks = [], []


def _try_link(src: Path, dst: Path) -> bool:
    try:
        os.link(src, dst)
    except OSError:  # no hard links on this file system: renamed aside instead
        return False
    return True


def _remove(path: Path | None) -> None:
    if path is None:
        return
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
