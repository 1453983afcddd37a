"""``kg serve``'s temporary folder (``kg-serve-*`` in the temporary directory,
holding the database copy): made and locked for the server's life, and swept
by the next ``kg serve`` when its server was killed.

A ``kill -9`` leaves the folder behind (the engines die with kg, through their
parent-death signal, but nothing removes the files). The lock says whether a
folder's server is alive: the file ``.kg-serve-lock`` in the folder, locked
with ``filelock`` (``flock``, which the system lets go of when its holder
dies, however it dies) for as long as the server runs, with its process id
written in once locked. A start sweeps only ``kg-serve-*`` folders of the
same user whose lock file has that id and can be locked, so a running
server's folder is never touched, nor is anything else in the temporary
directory.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from pathlib import Path

from filelock import FileLock, Timeout

PREFIX = "kg-serve-"


LOCK_NAME = ".kg-serve-lock"


class ServeFolder:
    """A fresh ``kg-serve-*`` folder, locked until :meth:`remove`.

    >>> folder = ServeFolder()
    >>> folder.path.name.startswith(PREFIX), folder.path in sweep()
    (True, False)
    >>> folder.remove(); folder.path.exists()
    False
    """

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix=PREFIX))
        # The id is written only once the file is locked: a folder whose lock
        # file is empty is one being made, and is never swept.
        self._lock = FileLock(
            self.path / LOCK_NAME,
            blocking=False,
            fallback_to_soft=False,
            on_acquired=_write_pid,
        )
        try:
            self._lock.acquire()
        except BaseException:
            shutil.rmtree(self.path, ignore_errors=True)
            raise

    def remove(self) -> None:
        """Remove the folder, then let go of its lock (once; again does nothing)."""
        if self._lock.is_locked:
            shutil.rmtree(self.path, ignore_errors=True)
            self._lock.release()


def _write_pid(fd: int) -> None:
    os.write(fd, f"{os.getpid()}\n".encode())


def sweep(tmp: Path | None = None) -> list[Path]:
    """Remove the ``kg-serve-*`` folders in ``tmp`` (the temporary directory by
    default) that killed servers left; return them.

    Each is removed while its lock is held: two starts sweeping at once
    remove it once, and only while its server is dead.
    """
    tmp = Path(tempfile.gettempdir()) if tmp is None else tmp
    try:
        names = sorted(n for n in os.listdir(tmp) if n.startswith(PREFIX))
    except OSError:
        return []
    swept = []
    for name in names:
        lock = _lock_abandoned(tmp / name)
        if lock is None:
            continue
        shutil.rmtree(tmp / name, ignore_errors=True)
        swept.append(tmp / name)
        with contextlib.suppress(OSError):
            lock.release()
    return swept


def _lock_abandoned(folder: Path) -> FileLock | None:
    """The lock of ``folder``, taken, if it is a ``kg serve`` folder of this
    user whose server has ended: its lock file written and not locked."""
    lock_file = folder / LOCK_NAME
    try:
        info = folder.lstat()
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            return None  # a link, a file, another user's: not ours to remove
        if lock_file.lstat().st_size == 0:
            return None
    except OSError:
        return None
    lock = FileLock(lock_file, blocking=False, fallback_to_soft=False)
    try:
        lock.acquire()
    except (Timeout, OSError):
        return None  # held: its server runs
    return lock
