"""Output folders: made as ``mkdir -p`` does, locked while a command writes in
them, and swept of what a killed run left.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from filelock import BaseFileLock, FileLock, Timeout

from kg.errors import FolderBusy, write_error
from kg.rdfio.atomic import _remove


def create_dirs(path: Path) -> list[Path]:
    """Create the folder ``path`` and its missing parents, as ``mkdir -p`` does
    (raising :func:`kg.errors.write_error`'s error where it fails); return the
    folders made, innermost first, for :func:`remove_created_dirs`."""
    missing = []
    p = path
    while not p.exists() and not p.is_symlink() and p != p.parent:
        missing.append(p)
        p = p.parent
    try:
        path.mkdir(parents=True, exist_ok=True)
    except BaseException as exc:
        remove_created_dirs(missing)
        if isinstance(exc, OSError):
            raise write_error(path, exc) from exc
        raise
    return missing


def remove_created_dirs(made: Iterable[Path]) -> None:
    """Remove folders :func:`create_dirs` made, innermost first, each only while
    empty: a failed command leaves no trace, and never takes what else is there."""
    for d in made:
        try:
            d.rmdir()
        except FileNotFoundError:
            continue
        except OSError:
            return  # not empty: something else uses it, and so its parents


#: The lock file kg's writers take in a folder (:func:`folder_lock`). It is
#: removed when its holder lets go; one left by a killed holder is taken, and
#: removed, by the next.
LOCK_NAME = ".kg-lock"


# flock's own failures on a file system without it (NFS without lockd, some
# FUSE and SMB mounts): the folder is then used unlocked, as before filelock.
_NO_FLOCK = frozenset({errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS})


@contextlib.contextmanager
def folder_lock(path: Path, made: Sequence[Path] = ()) -> Iterator[bool]:
    """Hold an exclusive lock on the folder ``path`` while writing in it, or
    raise :class:`kg.errors.FolderBusy` at once if another process holds it.

    The lock is the file ``path/.kg-lock`` (:data:`LOCK_NAME`), locked with
    ``filelock`` (``flock`` on Unix, ``LockFileEx`` on Windows): the system
    drops it when its holder ends, even by a kill. The file is removed on the
    way out, so that a folder holds it only while a kg process writes there
    (or after a kill, until the next run). If the block fails, the folders
    ``made`` (from :func:`create_dirs`) are removed again, each only while
    empty. Advisory: only kg processes ask for it. Where the file system
    refuses ``flock`` there is no lock. Not reentrant: a second lock on the
    same folder in the same process is refused too. Yields whether it locked.

    A missing ``path`` is made, as filelock makes a lock file's folder: one
    that its holder removed while we took the lock is made again, and locked.
    """
    lock_file = path / LOCK_NAME
    held: list[os.stat_result] = []  # the lock file locked, once it is
    # blocking=False: one try, refused at once. No soft lock (a marker file
    # that a kill leaves behind, taken as held) where flock is missing.
    lock = FileLock(
        lock_file,
        blocking=False,
        fallback_to_soft=False,
        on_acquired=lambda fd: held.append(os.fstat(fd)),
    )
    try:
        # A lock file its holder removed (with the folder it made) between our
        # open and our lock is refused here too: filelock checks it is linked.
        lock.acquire()
    except Timeout:  # an OSError too: first
        # filelock reports a lock file it cannot even create (a read-only or
        # pseudo file system: /proc, /sys) as held: tell the two apart.
        _raise_if_unwritable(path, lock_file)
        raise _busy(path) from None
    except OSError as exc:
        if exc.errno not in _NO_FLOCK:
            raise write_error(path, exc) from exc
        # Unlocked (held stays empty), as before kg used filelock.
    failed = False
    try:
        yield lock.is_locked
    except BaseException:
        failed = True
        raise
    finally:
        _let_go(lock, lock_file, held, made if failed else ())


def _let_go(
    lock: BaseFileLock, lock_file: Path, held: list[os.stat_result], made: Sequence[Path]
) -> None:
    """Remove the lock file, then the folders ``made`` (only while empty),
    then let go: on Unix all while still locked, so that no other kg writer
    can have started in them (one that opened the lock file meanwhile finds
    it unlinked once it locks it, which filelock refuses)."""
    _remove_lock_file(lock_file, held)
    remove_created_dirs(made)
    lock.release()
    if made and sys.platform == "win32":
        # Windows removes no open file: filelock removes the lock file as it lets go.
        remove_created_dirs(made)


def _remove_lock_file(lock_file: Path, held: list[os.stat_result]) -> None:
    """Remove the lock file if it is the one held (or, where there is no lock,
    any: nothing can hold it there)."""
    with contextlib.suppress(OSError):
        if not held or os.path.samestat(held[0], lock_file.lstat()):
            lock_file.unlink()


def _raise_if_unwritable(path: Path, lock_file: Path) -> None:
    """Raise the write error for ``path`` if ``lock_file`` cannot be opened for
    writing in it (an existing lock file held by another process can). A
    folder gone meanwhile is its holder's doing (it removed what it made): busy."""
    if not path.is_dir():
        return
    try:
        fd = os.open(lock_file, os.O_WRONLY | os.O_CREAT, 0o644)
    except OSError as exc:
        raise write_error(path, exc) from None
    os.close(fd)


def _busy(path: Path) -> FolderBusy:
    return FolderBusy(f"another kg process is writing to {path}; try again when it has finished")


# Names kg's own writes leave only when killed: temporary files from
# temp_file and Staged.commit's asides. mkstemp's random part is from this
# alphabet (eight characters in CPython, not a documented promise); the output
# name before it is what says the file is this command's.
_TEMP_NAME = re.compile(r"\.(?P<target>.+)\.[a-z0-9_]+\.tmp", re.S)


_ASIDE_NAME = re.compile(r"\.(?P<target>.+)\.old", re.S)


def sweep_leftovers(folder: Path, outputs: str, scratch: Iterable[str] = ()) -> None:
    """Remove what a killed run of a command left in ``folder``: the temporary
    files and :meth:`Staged.commit` asides of the outputs whose names fully
    match the regular expression ``outputs``, and the command's own scratch
    files or folders named in ``scratch``. Nothing else is touched, not even
    temporary files of other outputs. Call it holding :func:`folder_lock`, so
    that no other kg writer is using them.

    A temporary file still locked by its writer (:func:`temp_file`) stays: a
    ``kg export -o`` into the folder takes no folder lock, and may be writing
    the build's own ``kg.ttl``. On Windows temporary files carry no lock, but
    Windows removes no file that is open: one being written stays all the
    same (but for the instant between its writer closing and renaming it).

    An aside is deleted only when its output exists. A kill in the middle of a
    commit can leave an output renamed aside and its new version not yet in
    place (a folder, an output being removed, a file where hard links fail):
    the aside is then the only copy, and is put back instead. The outputs may
    then come from two builds, as they may after any kill mid-commit; kg
    notices (the store's stamp and the incremental state record the
    ``kg.ttl`` they go with), and the command that called this replaces them.
    """
    is_output = re.compile(outputs, re.S).fullmatch
    skip = set(scratch)
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return  # the command's own writes will say what is wrong
    for name in names:
        path = folder / name
        # A leftover that cannot be removed (permissions, a read-only file
        # system) is left: the command's own writes report what is wrong.
        if name in skip:
            with contextlib.suppress(OSError):
                _remove(path)
            continue
        temp = _TEMP_NAME.fullmatch(name)
        if temp and is_output(temp["target"]):
            with contextlib.suppress(OSError):
                if stat.S_ISREG(path.lstat().st_mode):  # temp_file makes only files
                    _remove_abandoned(path)
            continue
        aside = _ASIDE_NAME.fullmatch(name)
        if aside and is_output(aside["target"]):
            target = folder / aside["target"]
            if os.path.lexists(target):
                with contextlib.suppress(OSError):
                    _remove(path)
            else:
                with contextlib.suppress(OSError):
                    os.replace(path, target)


def _remove_abandoned(path: Path) -> None:
    """Remove the temporary file ``path`` unless its writer still holds
    :func:`temp_file`'s lock on it. Raises OSError where it cannot tell or
    cannot remove it (it then stays)."""
    if sys.platform == "win32":
        path.unlink()
        return
    import fcntl

    # O_NONBLOCK: if something swapped in a FIFO since the caller's lstat, the
    # open must not wait for a writer; fstat below then refuses it.
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return
        # BlockingIOError: its writer is alive. Another OSError: no flock on
        # this file system, so no telling: left, as a live one must be.
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        # Its writer may have renamed it into place and let go between our
        # open and our lock: the name then names nothing, or another file.
        if os.path.samestat(st, path.lstat()):
            # Unlinked while still locked, so that a writer that made it just
            # now and locks it after us finds it gone (temp_file's retry).
            path.unlink()
    finally:
        os.close(fd)


@contextlib.contextmanager
def output_folder(path: Path, outputs: str, scratch: Iterable[str] = ()) -> Iterator[None]:
    """The folder a command writes its outputs in, for the whole write: created
    with its missing parents, locked (:func:`folder_lock`) and swept of that
    command's leftovers (:func:`sweep_leftovers`). If the block fails, the
    folders made here are removed again (only while empty). Without a lock
    (a file system without ``flock``) nothing is swept: another run may be
    using those files."""
    made = create_dirs(path)
    entered = False
    try:
        with folder_lock(path, made) as locked:
            entered = True
            if locked:
                sweep_leftovers(path, outputs, scratch)
            yield
    except BaseException as exc:
        # Once entered, folder_lock removed them (still locked). A busy folder
        # is the other process's, even if this one made it (the other found it
        # there and is about to write in it).
        if not entered and not isinstance(exc, FolderBusy):
            remove_created_dirs(made)
        raise
