"""Expensive test inputs built once per ``pytest`` run, shared by the xdist workers.

A session fixture runs once per worker; :func:`shared_folder` makes the first
worker that asks build the folder, under a file lock, in the run's base
temporary folder (``pytest-N``, which every worker of one run shares, and no
other run does), and every other worker wait for it and reuse it. Without xdist
the folder is simply built once in the session's own temporary folder.

The folder's files are made read-only: a test that needs to change one copies
the folder to its ``tmp_path`` first (:func:`writable_copy`), so no test sees
another's edits.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock


def _run_root(factory: pytest.TempPathFactory) -> Path:
    base = factory.getbasetemp()
    # Under xdist each worker's base is pytest-N/popen-gwK: pytest-N is this run's.
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def shared_folder(
    factory: pytest.TempPathFactory, name: str, build: Callable[[Path], object]
) -> Path:
    """The folder ``name``, made by ``build(folder)`` once for the whole run.

    ``build`` writes into a folder that does not exist yet (it may create it);
    the result is moved in place only when ``build`` returns, so a failed build
    leaves nothing behind and the next worker tries again.
    """
    root = _run_root(factory)
    done = root / f"shared-{name}"
    with FileLock(root / f"shared-{name}.lock"):
        if not done.is_dir():
            work = root / f"shared-{name}.part-{os.getpid()}"
            shutil.rmtree(work, ignore_errors=True)
            build(work)
            _read_only(work)
            work.rename(done)
    return done


def _read_only(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def writable_copy(folder: Path, dest: Path) -> Path:
    """A copy of a shared folder at ``dest`` whose files a test may change."""
    shutil.copytree(folder, dest, copy_function=shutil.copyfile)
    return dest
