"""Failed builds: the outputs of the last good build stay exactly as they were,
and nothing a failed build made is left behind. One kg writer per output
folder at a time, and what a killed one left is cleared by the next."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kg.rdfio.folders import LOCK_NAME


def _tree(root: Path) -> dict[str, bytes | None]:
    """Every file and folder under ``root``, with the bytes of each file."""
    out: dict[str, bytes | None] = {}
    for p in sorted(root.rglob("*")):
        out[p.relative_to(root).as_posix()] = None if p.is_dir() else p.read_bytes()
    return out


def _change_records(mini: Path) -> None:
    # Asserted and inferred triples both change (fewer participants, so fewer
    # kg:participatesIn entailments): an output left half-replaced shows.
    f = mini / "events.yaml"
    text = f.read_text(encoding="utf-8")
    new = text.replace("participant: [alice, org-division]", "participant: [alice]")
    assert new != text
    f.write_text(new, encoding="utf-8")


def _fail_rename_to(monkeypatch, name: str) -> None:
    """The first rename onto a path called ``name`` fails, as on a full or
    read-only disk."""
    real = os.replace
    failed = []

    def replace(src, dst, *args, **kwargs):
        if Path(dst).name == name and not failed:
            failed.append(dst)
            raise OSError(errno.EIO, "rename failed (simulated)")
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)


def _fail_write_of(monkeypatch, name: str) -> None:
    """Flushing a file whose name starts with ``.name`` or ``name`` to disk
    fails with "no space left", as a full disk does."""
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc to tell which file a descriptor is")
    real = os.fsync

    def fsync(fd):
        written = Path(os.readlink(f"/proc/self/fd/{fd}")).name
        if written.startswith((name, f".{name}")):
            raise OSError(errno.ENOSPC, "no space left on device (simulated)")
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)


# fault -> (how to cause it, the output the error names, why it says it failed)
FAULTS = {
    "writing kg-inferred.ttl": (
        lambda mp: _fail_write_of(mp, "kg-inferred.ttl"),
        "kg-inferred.ttl",
        "no space left on device (simulated)",
    ),
    "renaming kg-inferred.ttl": (
        lambda mp: _fail_rename_to(mp, "kg-inferred.ttl"),
        "kg-inferred.ttl",
        "rename failed (simulated)",
    ),
    "renaming kg.ttl": (
        lambda mp: _fail_rename_to(mp, "kg.ttl"),
        "kg.ttl",
        "rename failed (simulated)",
    ),
    "putting the store in place": (
        lambda mp: _fail_rename_to(mp, "kg.oxigraph"),
        "kg.oxigraph",
        "rename failed (simulated)",
    ),
}


def _fails_writing(result, path: Path, why: str) -> None:
    """The command failed on a write that is not the user's fault: exit 2 (the
    product has four codes) and one line naming the output."""
    assert (result.exit_code, result.output) == (2, f"Error: cannot write {path}: {why}\n")


@pytest.mark.parametrize("engine", ["native", "reference"])
@pytest.mark.parametrize("fault", list(FAULTS))
def test_failed_build_keeps_every_previous_output(
    fault, engine, invoke, mini, tmp_path, monkeypatch
):
    if engine == "reference" and fault == "putting the store in place":
        pytest.skip("the reference engine writes no store")
    out = tmp_path / "out"
    args = ["build", str(mini), "-o", str(out), "--reason", "--engine", engine]
    before = _fault_keeps_outputs(invoke, mini, out, args, ["--full"], FAULTS[fault], monkeypatch)
    assert "kg.ttl" in before and "kg-inferred.ttl" in before

    # The same build without the fault changes both files: the check above
    # would have seen either of them replaced.
    assert invoke(*args, "--full").exit_code == 0
    _both_files_changed(out, before)


def _fault_keeps_outputs(invoke, mini, out, args, again, fault, monkeypatch, *, also=None):
    """Build, change the records, build again (``args`` + ``again``) with the
    fault injected: it fails writing, and every output is as it was. Returns
    the outputs as they were."""
    assert invoke(*args).exit_code == 0
    before = _tree(out)
    _change_records(mini)
    inject, name, why = fault
    with monkeypatch.context() as mp:
        inject(mp)
        if also is not None:
            also(mp)
        _fails_writing(invoke(*args, *again), out / name, why)
    assert _tree(out) == before
    return before


def _both_files_changed(out: Path, before: dict[str, bytes | None]) -> None:
    after = _tree(out)
    assert after["kg.ttl"] != before["kg.ttl"]
    assert after["kg-inferred.ttl"] != before["kg-inferred.ttl"]


# The incremental path also renames the state folder into place.
INCREMENTAL_FAULTS = {
    **FAULTS,
    "putting the state in place": (
        lambda mp: _fail_rename_to(mp, ".kg-state"),
        ".kg-state",
        "rename failed (simulated)",
    ),
}


def _no_full_build(*args, **kwargs):
    raise AssertionError("the incremental build fell back to a full one")


@pytest.mark.parametrize("fault", list(INCREMENTAL_FAULTS))
def test_failed_incremental_build_keeps_every_previous_output(
    fault, invoke, mini, tmp_path, monkeypatch
):
    from test_incremental import _same_as_full

    import kg.pipeline.build
    import kg.pipeline.incremental.rebuild

    # The mini records are three small files: any edit is over the share of
    # the bytes an incremental build takes on.
    monkeypatch.setattr(kg.pipeline.incremental.rebuild, "MAX_CHANGED_SHARE", 1.0)
    out = tmp_path / "out"
    args = ["build", str(mini), "-o", str(out), "--reason"]
    before = _fault_keeps_outputs(
        invoke, mini, out, args, [], INCREMENTAL_FAULTS[fault], monkeypatch,
        # The fault must hit the incremental build itself, not a full one after it.
        also=lambda mp: mp.setattr(kg.pipeline.build, "_build_native", _no_full_build),
    )  # fmt: skip
    assert ".kg-state/manifest.json" in before and "kg.oxigraph/kg-store.json" in before

    # The state still describes the outputs: the same build without the fault
    # is incremental, changes both files, and gives what a full build gives.
    _same_as_full(mini, out, tmp_path, "incremental")
    _both_files_changed(out, before)


@pytest.mark.parametrize("engine", ["native", "reference"])
def test_failed_build_without_reason_keeps_the_inferred_file(
    engine, invoke, mini, tmp_path, monkeypatch
):
    """The kg-inferred.ttl a build without --reason removes stays if it fails."""
    out = tmp_path / "out"
    args = ["build", str(mini), "-o", str(out), "--engine", engine]
    assert invoke(*args, "--reason").exit_code == 0
    before = _tree(out)
    _change_records(mini)
    # A rename after kg.ttl's: the native build has moved kg-inferred.ttl aside
    # by then, the reference one is moving it.
    last = "kg.oxigraph" if engine == "native" else ".kg-inferred.ttl.old"
    _fail_rename_to(monkeypatch, last)
    named = out / ("kg.oxigraph" if engine == "native" else "kg-inferred.ttl")
    _fails_writing(invoke(*args), named, "rename failed (simulated)")
    assert _tree(out) == before
    monkeypatch.undo()

    assert invoke(*args).exit_code == 0
    assert not (out / "kg-inferred.ttl").exists()


def test_failed_first_build_writes_nothing(invoke, mini, tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    _fail_rename_to(monkeypatch, "kg.oxigraph")
    result = invoke("build", str(mini), "-o", str(out), "--reason")
    _fails_writing(result, out / "kg.oxigraph", "rename failed (simulated)")
    assert _tree(out) == {}


def _break_records(mini: Path) -> None:
    # A statement without a speaker: well-formed, but it does not conform.
    f = mini / "events.yaml"
    text = f.read_text(encoding="utf-8")
    f.write_text(text.replace("  speaker: alice\n", ""), encoding="utf-8")


@pytest.mark.parametrize("engine", ["native", "reference"])
def test_non_conforming_build_leaves_no_folder(engine, invoke, mini, tmp_path):
    _break_records(mini)
    out = tmp_path / "a" / "b" / "c"
    result = invoke("build", str(mini), "-o", str(out), "--engine", engine)
    assert result.exit_code == 1
    assert "VIOLATION: " in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["records"]


@pytest.mark.parametrize("engine", ["native", "reference"])
def test_failed_build_removes_only_the_folders_it_made(engine, invoke, mini, tmp_path, monkeypatch):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "keep.txt").write_text("mine\n", encoding="utf-8")
    _fail_rename_to(monkeypatch, "kg.ttl")
    out = tmp_path / "a" / "b" / "c"
    result = invoke("build", str(mini), "-o", str(out), "--engine", engine)
    _fails_writing(result, out / "kg.ttl", "rename failed (simulated)")
    assert _tree(tmp_path / "a") == {"keep.txt": b"mine\n"}


# Each command that writes to -o, with the path to give it under ``afile``.
WRITERS = {
    "build": lambda mini: ["build", str(mini), "--reason"],
    "build --engine reference": lambda mini: ["build", str(mini), "--engine", "reference"],
    "export": lambda mini: ["export", "--records", str(mini)],
    "report": lambda mini: ["report", "--records", str(mini)],
    "validate": lambda mini: ["validate", str(mini)],
    "query": lambda mini: ["query", "timeline", "--records", str(mini)],
}


@pytest.mark.parametrize("command", list(WRITERS))
def test_output_path_under_a_file_is_refused(command, invoke, mini, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # relative -o, as typed
    Path("afile").write_text("", encoding="utf-8")
    out = Path("afile", "b", "c.ttl")
    result = invoke(*WRITERS[command](mini), "-o", str(out))
    where = out.resolve() if command == "report" else out  # the report names it in full
    blocker = Path("afile").resolve() if command == "report" else Path("afile")
    assert (result.exit_code, result.output) == (
        2,
        f"Error: cannot write {where}: {blocker} is a file, not a folder\n",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "records"]
    assert Path("afile").read_bytes() == b""


@pytest.mark.parametrize("engine", ["native", "reference"])
def test_output_folder_without_permission_is_refused(engine, invoke, mini, tmp_path, monkeypatch):
    out = tmp_path / "locked" / "out"
    real = os.mkdir

    def mkdir(path, *args, **kwargs):
        if Path(path) == out:  # as for a folder the user may not write in
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", mkdir)
    result = invoke("build", str(mini), "-o", str(out), "--engine", engine)
    assert (result.exit_code, result.output) == (
        2,
        f"Error: cannot write {out}: Permission denied\n",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["records"]  # locked/ removed again


# --- one kg writer per output folder, and what a killed one left ---------------------

needs_flock = pytest.mark.skipif(sys.platform == "win32", reason="no flock on Windows")


# A kg process that holds FOLDER's lock until its standard input closes.
_HOLDER = (
    "import sys\n"
    "from pathlib import Path\n"
    "from kg.rdfio.folders import folder_lock\n"
    "with folder_lock(Path(sys.argv[1])) as locked:\n"
    "    print('held' if locked else 'not locked', flush=True)\n"
    "    sys.stdin.read()\n"
)


@contextmanager
def _held_lock(folder: Path) -> Iterator[subprocess.Popen[str]]:
    """``folder``'s lock, held by another kg process while the block runs."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdin is not None and holder.stdout is not None
    try:
        assert holder.stdout.readline() == "held\n"
        yield holder
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
        holder.stdout.close()


def _busy(out: Path) -> str:
    return f"Error: another kg process is writing to {out}; try again when it has finished\n"


# Each way of writing into OUT, and a leftover of its own it would clear.
WRITES_TO_OUT = {
    "build (incremental)": (["build", "{mini}", "--reason"], ".kg.ttl.0a1b2c3d.tmp"),
    "build --full": (["build", "{mini}", "--reason", "--full"], ".kg.ttl.0a1b2c3d.tmp"),
    "build --engine reference": (
        ["build", "{mini}", "--reason", "--engine", "reference"],
        ".kg.ttl.0a1b2c3d.tmp",
    ),
    "generate": (["generate", "--events", "5"], ".generated-00000.yaml.0a1b2c3d.tmp"),
}


@pytest.mark.parametrize("command", list(WRITES_TO_OUT))
def test_folder_locked_by_another_process_is_refused_untouched(
    command, invoke, mini, tmp_path, monkeypatch
):
    import kg.pipeline.incremental.rebuild

    monkeypatch.setattr(kg.pipeline.incremental.rebuild, "MAX_CHANGED_SHARE", 1.0)  # small files
    template, leftover = WRITES_TO_OUT[command]
    out = tmp_path / "out"
    args = [a.format(mini=mini) for a in template] + ["-o", str(out)]
    assert invoke(*args).exit_code == 0
    _change_records(mini)
    (out / leftover).write_bytes(b"left by a killed run\n")  # not cleared either
    before = _tree(out)

    with _held_lock(out):
        assert (out / LOCK_NAME).is_file()  # the holder's
        result = invoke(*args)
        assert (out / LOCK_NAME).is_file()  # not the refused command's to remove
    assert (result.exit_code, result.output) == (2, _busy(out))
    assert _tree(out) == before  # the holder removed its lock file as it let go

    # Once the lock is free, the same command writes: the check above would
    # have seen it.
    assert invoke(*args).exit_code == 0
    assert _tree(out) != before
    assert leftover not in _tree(out)


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc")
def test_a_folder_no_lock_file_can_be_made_in_is_unwritable_not_busy():
    """filelock reports a lock file it cannot create as held by another process:
    kg names the real reason instead (here /proc, where no file can be made)."""
    from kg.errors import FolderBusy, WriteFailed
    from kg.rdfio.folders import folder_lock

    with pytest.raises(WriteFailed) as err, folder_lock(Path("/proc")):
        pass
    assert not isinstance(err.value, FolderBusy)
    assert str(err.value) == "cannot write /proc: No such file or directory"


def test_library_build_holds_the_lock_until_the_state_is_saved(mini, tmp_path, monkeypatch):
    from patching import patch_everywhere

    import kg.pipeline.incremental.state
    from kg.errors import FolderBusy
    from kg.pipeline.build import build
    from kg.rdfio.folders import folder_lock

    out = tmp_path / "out"
    real = kg.pipeline.incremental.state.save_state
    probed = []

    def save_state(snap, result, out_dir, **kwargs):
        # The build's last write: the folder is still locked.
        assert (out_dir / LOCK_NAME).is_file()
        with pytest.raises(FolderBusy), folder_lock(out_dir):
            pass
        assert (out_dir / LOCK_NAME).is_file()  # the refused lock removed nothing
        probed.append(out_dir)
        return real(snap, result, out_dir, **kwargs)

    patch_everywhere(monkeypatch, kg.pipeline.incremental.state, "save_state", save_state)
    build(mini, out)
    assert probed == [out]
    assert not (out / LOCK_NAME).exists()  # removed as the build let go
    with folder_lock(out):  # and free once build() returned
        pass
    with _held_lock(out), pytest.raises(FolderBusy, match="another kg process is writing"):
        build(mini, out)


def test_a_killed_holders_lock_is_free_and_its_lock_file_cleared(invoke, mini, tmp_path):
    out = tmp_path / "out"
    args = ["build", str(mini), "-o", str(out), "--reason"]
    assert invoke(*args).exit_code == 0
    names = sorted(os.listdir(out))
    assert LOCK_NAME not in names
    with _held_lock(out) as holder:
        assert invoke(*args).output == _busy(out)
        holder.kill()  # SIGKILL on Unix: no cleanup; the system lets go of the lock
        holder.wait(timeout=60)
        assert (out / LOCK_NAME).is_file()  # left by the kill
        _change_records(mini)
        result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert sorted(os.listdir(out)) == names  # the lock file cleared by the build that took it


def test_the_lock_is_not_reentrant_and_leaves_nothing(tmp_path):
    from kg.errors import FolderBusy
    from kg.rdfio.folders import folder_lock

    with folder_lock(tmp_path) as locked:
        assert locked
        assert os.listdir(tmp_path) == [LOCK_NAME]
        with pytest.raises(FolderBusy), folder_lock(tmp_path):
            pytest.fail("locked twice")
        assert os.listdir(tmp_path) == [LOCK_NAME]
    assert os.listdir(tmp_path) == []


@needs_flock
def test_a_lock_file_removed_while_it_is_locked_is_busy(tmp_path, monkeypatch):
    """Its holder, a build that failed in the folder it made, removed the lock
    file and the folder between our open and our lock: the lock we then get
    is on a removed file, and locks nothing."""
    import fcntl

    from kg.errors import FolderBusy
    from kg.rdfio.folders import folder_lock

    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_NAME).touch()  # the holder's
    real = fcntl.flock

    def flock(fd, op):  # type: ignore[no-untyped-def]
        if op & fcntl.LOCK_EX and (out / LOCK_NAME).exists():
            (out / LOCK_NAME).unlink()
            out.rmdir()
        return real(fd, op)

    monkeypatch.setattr(fcntl, "flock", flock)
    with pytest.raises(FolderBusy, match="another kg process is writing"), folder_lock(out):
        pytest.fail("locked a removed file")
    assert list(tmp_path.iterdir()) == []  # and made nothing again


# A hard kill leaves, besides the outputs: temporary files of outputs, Staged's
# asides of old outputs, and the store's and the state's scratch folders.
BUILD_LEFTOVERS = {
    ".kg.ttl.xxxx.tmp": b"half a graph",
    ".kg.ttl.k3x_9a2b.tmp": b"",
    ".kg-inferred.ttl.0123abcd.tmp": b"half the entailments",
    ".kg.ttl.old": b"the graph before",
    ".kg-inferred.ttl.old": b"the entailments before",
    ".kg.oxigraph.tmp/CURRENT": b"a store being written",
    ".kg.oxigraph.old/CURRENT": b"the store before",
    ".kg.oxigraph.inc/CURRENT": b"a store being updated",
    "..kg-state.old/manifest.json": b"{}",
    ".kg-state.tmp/manifest.json": b"{}",
    ".kg-state.old/manifest.json": b"{}",
}
# What is not kg build's: a user's files, another command's temporary files.
NOT_BUILDS = {
    ".notes.tmp": b"mine",
    ".x.nt.abcd.tmp": b"an export -o OUT/x.nt in flight",
    ".x.nt.0a1b2c3d.tmp": b"another",
    ".kg.ttl.bak": b"a user's copy",
    "kg.ttl.old": b"another",
    ".kg.ttl.0A1B.tmp": b"not mkstemp's letters",
}


def _plant(out: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (out / name).parent.mkdir(exist_ok=True)
        (out / name).write_bytes(data)


@pytest.mark.parametrize("engine", ["native", "reference"])
def test_build_clears_what_a_killed_build_left(engine, invoke, mini, tmp_path):
    out = tmp_path / "out"
    args = ["build", str(mini), "-o", str(out), "--reason", "--engine", engine]
    assert invoke(*args).exit_code == 0
    clean = _tree(out)
    top = {n for n in clean if "/" not in n}
    # The reference engine writes no store and no state: asides of those would
    # be their only copies, and so put back (test_aside_is_put_back_...).
    only_native = (".kg.oxigraph.old/CURRENT", "..kg-state.old/manifest.json")
    leftovers = {
        n: b for n, b in BUILD_LEFTOVERS.items() if engine == "native" or n not in only_native
    }
    _plant(out, leftovers)
    _plant(out, NOT_BUILDS)

    assert invoke(*args).exit_code == 0
    after = _tree(out)
    assert {n for n in after if "/" not in n} == top | set(NOT_BUILDS)
    assert {n: after[n] for n in NOT_BUILDS} == NOT_BUILDS
    for name in ("kg.ttl", "kg-inferred.ttl"):
        assert after[name] == clean[name]


def _unremovable(monkeypatch, name: str) -> None:
    """Make a folder called ``name`` impossible to remove (as with a read-only
    or immutable file in it)."""
    import shutil

    rmtree = shutil.rmtree

    def fake(path, ignore_errors=False, *args, **kwargs):  # type: ignore[no-untyped-def]
        if Path(path).name != name:
            return rmtree(path, ignore_errors, *args, **kwargs)
        if not ignore_errors:
            raise PermissionError(errno.EPERM, "Operation not permitted", str(path))

    monkeypatch.setattr(shutil, "rmtree", fake)


def test_a_leftover_that_cannot_be_removed_does_not_stop_the_build(
    invoke, mini, tmp_path, monkeypatch
):
    out = tmp_path / "out"
    args = ["build", str(mini), "-o", str(out), "--reason"]
    assert invoke(*args).exit_code == 0
    # A file where the incremental build's scratch folder goes, that cannot be
    # unlinked (an immutable file, say): left, and the build goes on.
    _plant(out, {".kg.oxigraph.inc": b"not ours to remove"})
    _change_records(mini)
    unlink = Path.unlink

    def refuse(self, missing_ok=False):  # type: ignore[no-untyped-def]
        if self.name == ".kg.oxigraph.inc":
            raise PermissionError(errno.EPERM, "Operation not permitted", str(self))
        return unlink(self, missing_ok)

    monkeypatch.setattr(Path, "unlink", refuse)
    r = invoke(*args)
    assert r.exit_code == 0, r.output
    assert (out / ".kg.oxigraph.inc").read_bytes() == b"not ours to remove"


def test_a_store_scratch_folder_that_cannot_be_removed_is_a_write_error(
    invoke, mini, tmp_path, monkeypatch
):
    out = tmp_path / "out"
    args = ["build", str(mini), "-o", str(out), "--reason", "--full"]
    assert invoke(*args).exit_code == 0
    before = _tree(out)
    _plant(out, {".kg.oxigraph.tmp/CURRENT": b"a store being written"})
    _unremovable(monkeypatch, ".kg.oxigraph.tmp")
    r = invoke(*args)
    assert r.exit_code == 2
    assert r.output == f"Error: cannot write {out / 'kg.oxigraph'}: Operation not permitted\n"
    after = _tree(out)
    del after[".kg.oxigraph.tmp"], after[".kg.oxigraph.tmp/CURRENT"]
    assert after == before


def test_without_a_lock_nothing_is_swept(invoke, mini, tmp_path, monkeypatch):
    """Where flock is refused (some network file systems), another run may be
    using the leftovers: they stay."""
    import fcntl

    out = tmp_path / "out"
    args = ["build", str(mini), "-o", str(out), "--reason"]
    assert invoke(*args).exit_code == 0
    _plant(out, {".kg.ttl.xxxx.tmp": b"another run's graph", ".kg.ttl.old": b"its aside"})

    def no_lock(fd, op):  # type: ignore[no-untyped-def]
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_lock)
    assert invoke(*args).exit_code == 0
    assert (out / ".kg.ttl.xxxx.tmp").read_bytes() == b"another run's graph"
    assert (out / ".kg.ttl.old").read_bytes() == b"its aside"
    assert not (out / LOCK_NAME).exists()  # the unlocked lock file is not left either


def test_aside_is_put_back_when_it_is_the_only_copy(tmp_path):
    from kg.rdfio.folders import sweep_leftovers

    _plant(
        tmp_path,
        {
            ".a.old": b"a, renamed aside; the new a never came",
            "b": b"the new b",
            ".b.old": b"the old b",
            ".c.old/f": b"c is a folder",
            ".d.old": b"d is not an output",
        },
    )
    sweep_leftovers(tmp_path, "a|b|c")
    assert _tree(tmp_path) == {
        "a": b"a, renamed aside; the new a never came",
        "b": b"the new b",
        "c": None,
        "c/f": b"c is a folder",
        ".d.old": b"d is not an output",
    }


@needs_flock
def test_build_recovers_from_a_kill_mid_commit(invoke, mini, tmp_path):
    """Killed between moving the old store aside and putting the new one in
    place: the old store is then only under its aside name."""
    from test_incremental import _same_as_full

    out = tmp_path / "out"
    args = [str(mini), "-o", str(out), "--reason"]
    assert invoke("build", *args).exit_code == 0
    old_store = {n: b for n, b in _tree(out).items() if n.startswith("kg.oxigraph/")}
    _change_records(mini)
    die = (
        "import os, sys\n"
        "real = os.replace\n"
        "def replace(src, dst, *a, **k):\n"
        "    if os.path.basename(dst) == 'kg.oxigraph':\n"
        "        os._exit(9)  # as a SIGKILL: no cleanup, the lock freed by the kernel\n"
        "    return real(src, dst, *a, **k)\n"
        "os.replace = replace\n"
        "from kg.cli import main\n"
        "sys.argv[0] = 'kg'\n"
        "main()\n"
    )
    killed = subprocess.run(
        [sys.executable, "-c", die, "build", *args, "--full"], capture_output=True, check=False
    )
    assert killed.returncode == 9, killed.stderr.decode()
    assert sorted(p.name for p in out.iterdir()) == [
        ".kg-inferred.ttl.old",
        ".kg-lock",  # its lock file, no longer locked: the kernel let go
        ".kg-state",
        ".kg.oxigraph.old",
        ".kg.oxigraph.tmp",
        ".kg.ttl.old",
        "kg-inferred.ttl",
        "kg.ttl",
    ]

    # A build that fails after the sweep still leaves the old store back in place.
    changed = (mini / "events.yaml").read_bytes()
    _break_records(mini)
    assert invoke("build", *args).exit_code == 1
    assert sorted(p.name for p in out.iterdir()) == [
        ".kg-state",
        "kg-inferred.ttl",
        "kg.oxigraph",
        "kg.ttl",
    ]
    assert {n: b for n, b in _tree(out).items() if n.startswith("kg.oxigraph/")} == old_store

    # The old store does not go with the killed build's kg.ttl, nor the state:
    # the next build is a full one, and gives a full build's outputs.
    (mini / "events.yaml").write_bytes(changed)
    _same_as_full(mini, out, tmp_path, "full")
    assert not [p.name for p in out.iterdir() if p.name.endswith((".old", ".tmp"))]


def test_generate_clears_what_a_killed_run_left(invoke, tmp_path):
    out = tmp_path / "gen"
    args = ["generate", "--events", "5", "-o", str(out)]
    assert invoke(*args).exit_code == 0
    clean = _tree(out)
    assert list(clean) == ["generated-00000.yaml"]
    _plant(
        out,
        {
            ".generated-00000.yaml.xxxx.tmp": b"half a file",
            ".generated-00000.yaml.old": b"the file before",
            ".generated-00003.yaml.k3x_9a2b.tmp": b"a file of a larger set",
            # A larger set's file, renamed aside to be removed: put back, then
            # removed with the other generated-*.yaml this run does not write.
            ".generated-00004.yaml.old": b"# a file of a larger set\n",
        },
    )
    theirs = {
        ".notes.tmp": b"mine",
        ".x.nt.abcd.tmp": b"an export -o OUT/x.nt in flight",
        ".mine.yaml.0a1b2c3d.tmp": b"not kg generate's",
        "notes.yaml": b"mine\n",
    }
    _plant(out, theirs)

    assert invoke(*args).exit_code == 0
    assert _tree(out) == clean | theirs


def test_a_build_failing_in_validation_lets_go_of_its_new_store(mini, tmp_path, monkeypatch):
    """The store being built is read by validation; when the build fails there
    (here: interrupted), nothing may keep it open once its folder is removed."""
    import kg.store.native
    from kg.pipeline.build import build

    def interrupted(self, text, bindings=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(kg.store.native.NativeGraph, "select", interrupted)
    fds = Path("/proc/self/fd")
    if not fds.is_dir():
        pytest.skip("no /proc here")
    out = tmp_path / "out"
    opened = []
    try:
        build(mini, out, full=True)
    except KeyboardInterrupt:
        # While the error is still being handled: its traceback is alive.
        for fd in fds.iterdir():
            with contextlib.suppress(OSError):
                opened.append(os.readlink(fd))
    else:
        raise AssertionError("the build did not fail")
    assert [p for p in opened if str(tmp_path) in p] == []
    assert not out.exists()
