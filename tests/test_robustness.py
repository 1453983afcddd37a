"""Failed builds: the outputs of the last good build stay exactly as they were,
and nothing a failed build made is left behind."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest


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
    assert invoke(*args).exit_code == 0
    before = _tree(out)
    assert "kg.ttl" in before and "kg-inferred.ttl" in before
    _change_records(mini)

    inject, name, why = FAULTS[fault]
    with monkeypatch.context() as mp:
        inject(mp)
        _fails_writing(invoke(*args, "--full"), out / name, why)
    assert _tree(out) == before

    # The same build without the fault changes both files: the check above
    # would have seen either of them replaced.
    assert invoke(*args, "--full").exit_code == 0
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

    import kg.incremental
    import kg.pipeline

    # The mini records are three small files: any edit is over the share of
    # the bytes an incremental build takes on.
    monkeypatch.setattr(kg.incremental, "MAX_CHANGED_SHARE", 1.0)
    out = tmp_path / "out"
    args = ["build", str(mini), "-o", str(out), "--reason"]
    assert invoke(*args).exit_code == 0
    before = _tree(out)
    assert ".kg-state/manifest.json" in before and "kg.oxigraph/kg-store.json" in before
    _change_records(mini)

    inject, name, why = INCREMENTAL_FAULTS[fault]
    with monkeypatch.context() as mp:
        inject(mp)
        # The fault must hit the incremental build itself, not a full one after it.
        mp.setattr(kg.pipeline, "_build_native", _no_full_build)
        _fails_writing(invoke(*args), out / name, why)
    assert _tree(out) == before

    # The state still describes the outputs: the same build without the fault
    # is incremental, changes both files, and gives what a full build gives.
    _same_as_full(mini, out, tmp_path, "incremental")
    after = _tree(out)
    assert after["kg.ttl"] != before["kg.ttl"]
    assert after["kg-inferred.ttl"] != before["kg-inferred.ttl"]


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
