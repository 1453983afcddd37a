"""A temporary file that a live kg process is still writing is never swept.

``kg export -o OUT/kg.ttl`` takes no folder lock, so a ``kg build -o OUT``
starting meanwhile sweeps the folder while the export's temporary file is in
flight. ``temp_file`` locks each temporary file for as long as it is written;
``sweep_leftovers`` removes only those whose writer is gone.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

import pytest
from patching import patch_everywhere

import kg.rdfio.atomic as atomic
from kg.rdfio.atomic import atomic_write, temp_file
from kg.rdfio.folders import sweep_leftovers

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="no flock on Windows")

BUILD_OUTPUTS = "|".join(re.escape(n) for n in ("kg.ttl", "kg-inferred.ttl"))


def _temps(folder: Path) -> list[str]:
    return sorted(n for n in os.listdir(folder) if n.endswith(".tmp"))


def _killed_mid_write(target: Path) -> str:
    """Run an atomic write of ``target`` in a child process that is killed
    half-way; return the name of the temporary file it leaves."""
    before = set(_temps(target.parent))
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from kg.rdfio.atomic import atomic_write\n"
        "def write(fh):\n"
        "    fh.write(b'half a graph')\n"
        "    fh.flush()\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "atomic_write(Path(sys.argv[1]), write)\n"
    )
    child = subprocess.run(
        [sys.executable, "-c", script, str(target)], capture_output=True, check=False
    )
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()
    (left,) = set(_temps(target.parent)) - before
    return left


def test_a_sweep_mid_write_leaves_the_writers_temp_file(tmp_path):
    out = tmp_path / "kg.ttl"
    out.write_bytes(b"previous\n")
    seen: list[list[str]] = []

    def write(fh: IO[bytes]) -> None:
        fh.write(b"first half, ")
        seen.append(_temps(tmp_path))
        sweep_leftovers(tmp_path, BUILD_OUTPUTS)
        seen.append(_temps(tmp_path))
        fh.write(b"second half\n")

    atomic_write(out, write)
    assert len(seen[0]) == 1
    assert seen[1] == seen[0]
    assert out.read_bytes() == b"first half, second half\n"
    assert os.listdir(tmp_path) == ["kg.ttl"]


def test_a_sweep_just_before_the_rename_leaves_the_written_file(tmp_path, monkeypatch):
    """Written and synced, not yet renamed: still the writer's."""
    out = tmp_path / "kg.ttl"
    real = os.replace
    seen: list[list[str]] = []

    def replace(src: str, dst: str) -> None:
        sweep_leftovers(tmp_path, BUILD_OUTPUTS)
        seen.append(_temps(tmp_path))
        real(src, dst)

    monkeypatch.setattr(atomic.os, "replace", replace)
    atomic_write(out, lambda fh: fh.write(b"the graph\n"))
    assert len(seen) == 1 and len(seen[0]) == 1
    assert out.read_bytes() == b"the graph\n"


def test_a_held_temp_file_stays_until_its_writer_lets_go(tmp_path):
    fd, tmp = temp_file(tmp_path / "kg.ttl")
    try:
        sweep_leftovers(tmp_path, BUILD_OUTPUTS)
        assert os.path.exists(tmp)
    finally:
        os.close(fd)
    sweep_leftovers(tmp_path, BUILD_OUTPUTS)
    assert os.listdir(tmp_path) == []


def test_a_killed_writers_temp_file_goes_and_a_live_ones_stays(tmp_path):
    dead = _killed_mid_write(tmp_path / "kg.ttl")
    assert (tmp_path / dead).read_bytes() == b"half a graph"
    fd, live = temp_file(tmp_path / "kg.ttl")
    try:
        sweep_leftovers(tmp_path, BUILD_OUTPUTS)
        assert _temps(tmp_path) == [os.path.basename(live)]
    finally:
        os.close(fd)
        os.unlink(live)


def _sweep_after_mkstemp(
    monkeypatch: pytest.MonkeyPatch, between: Callable[[int, str], None]
) -> list[str]:
    """Run ``between`` once, just after temp_file's first mkstemp and before
    anything else: where another process's sweep may come. Returns every
    name mkstemp made."""
    real = tempfile.mkstemp
    made: list[str] = []

    def mkstemp(*args: object, **kwargs: object) -> tuple[int, str]:
        fd, name = real(*args, **kwargs)  # type: ignore[call-overload]
        made.append(name)
        if len(made) == 1:
            between(fd, name)
        return fd, name

    monkeypatch.setattr(atomic.tempfile, "mkstemp", mkstemp)
    return made


def test_a_temp_file_swept_before_its_lock_is_made_again(tmp_path, monkeypatch):
    """A sweep between mkstemp and the lock takes the new file: the writer
    notices and makes another, and the write completes."""
    made = _sweep_after_mkstemp(
        monkeypatch, lambda _fd, _name: sweep_leftovers(tmp_path, BUILD_OUTPUTS)
    )
    out = tmp_path / "kg.ttl"
    atomic_write(out, lambda fh: fh.write(b"the graph\n"))
    assert len(made) == 2
    assert not os.path.exists(made[0])
    assert out.read_bytes() == b"the graph\n"
    assert os.listdir(tmp_path) == ["kg.ttl"]


def test_a_temp_file_a_sweep_has_locked_is_left_to_it(tmp_path, monkeypatch):
    """A sweep holding the new file when the writer locks it is removing it:
    the writer makes another, and the sweep's file is the sweep's to remove."""
    import fcntl

    held: list[int] = []

    def sweep_locks(_fd: int, name: str) -> None:
        held.append(os.open(name, os.O_RDONLY))
        fcntl.flock(held[0], fcntl.LOCK_EX | fcntl.LOCK_NB)

    made = _sweep_after_mkstemp(monkeypatch, sweep_locks)
    out = tmp_path / "kg.ttl"
    try:
        atomic_write(out, lambda fh: fh.write(b"the graph\n"))
        assert len(made) == 2
        assert _temps(tmp_path) == [os.path.basename(made[0])]
    finally:
        os.close(held[0])
    assert out.read_bytes() == b"the graph\n"
    sweep_leftovers(tmp_path, BUILD_OUTPUTS)
    assert os.listdir(tmp_path) == ["kg.ttl"]


def test_an_export_into_a_folder_a_build_sweeps_keeps_its_file(invoke, mini, tmp_path, monkeypatch):
    """``kg export -o OUT/kg.ttl`` while ``kg build -o OUT`` starts: the build,
    another process, runs while the export's temporary file is being written."""
    expected = tmp_path / "expected.ttl"
    assert invoke("export", "--records", str(mini), "--reason", "-o", str(expected)).exit_code == 0
    out = tmp_path / "out"
    out.mkdir()
    dead = _killed_mid_write(out / "kg.ttl")  # a killed export's: the build clears it
    real = atomic._write_synced
    builds: list[subprocess.CompletedProcess[bytes]] = []

    def write_during_a_build(fd: int, write: Callable[[IO[bytes]], object], target: Path) -> None:
        temps = _temps(out)
        assert len(temps) == 2 and dead in temps  # the killed export's and this one's
        builds.append(
            subprocess.run(
                [sys.executable, "-m", "kg", "build", str(mini), "-o", str(out)],
                capture_output=True,
                check=False,
            )
        )
        real(fd, write, target)

    patch_everywhere(monkeypatch, atomic, "_write_synced", write_during_a_build)
    result = invoke("export", "--records", str(mini), "--reason", "-o", str(out / "kg.ttl"))
    assert len(builds) == 1
    assert builds[0].returncode == 0, builds[0].stderr.decode()
    assert (result.exit_code, result.output) == (0, f"Wrote {out / 'kg.ttl'} (turtle)\n")
    assert (out / "kg.ttl").read_bytes() == expected.read_bytes()
    assert _temps(out) == []


def test_a_temp_file_gets_the_targets_permissions_only_once_written(tmp_path):
    """Written 0600, so that a killed writer's leftover can be opened by the sweep
    to test its lock even when the target is unreadable (0200 here)."""
    target = tmp_path / "kg.ttl"
    target.write_bytes(b"old")
    target.chmod(0o200)
    modes = []

    def write(fh: IO[bytes]) -> None:
        (tmp,) = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        modes.append(tmp.stat().st_mode & 0o777)
        fh.write(b"new")

    atomic_write(target, write)
    assert modes == [0o600]
    assert target.stat().st_mode & 0o777 == 0o200
    target.chmod(0o600)
    assert target.read_bytes() == b"new"


def test_a_staged_file_gets_the_targets_permissions_only_at_commit(tmp_path):
    """A build killed before its commit leaves 0600 files, which the next build's
    sweep can open to test their lock, whatever the outputs' permissions."""
    target = tmp_path / "kg.ttl"
    target.write_bytes(b"old")
    target.chmod(0o640)
    with atomic.Staged() as staged:
        tmp = staged.file(target, b"new")
        assert tmp.stat().st_mode & 0o777 == 0o600
        staged.commit()
    assert target.stat().st_mode & 0o777 == 0o640
    assert target.read_bytes() == b"new"
