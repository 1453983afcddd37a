"""Inputs that are not regular files, or not what their size says, or links
out of a records folder: every file kg reads (an RDF file, a records file or
folder, a query file) is opened once without blocking and refused, exit 2,
unless it is a regular file; it is read up to the limit, whatever it claims.

The cases that hung or filled memory before (a named pipe, ``/dev/zero``) run
kg in its own process, with a time limit and a memory cap, so that code
without the rule fails the test instead of stalling it or the machine.
"""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hostile.conftest import assert_refused
from tests.hostile.conftest import mini_records as _mini

NT = "<http://x.test/s> <http://x.test/p> <http://x.test/o> .\n"
ONLY_REGULAR = "not a regular file; kg reads only regular files"

# Every command that reads an RDF file, a query file or records: {f} is the input.
COMMANDS = {
    "validate": ["validate", "{f}.nt"],
    "query-graph": ["query", "--graph", "{f}.nt", "-e", "ASK { ?s ?p ?o }"],
    "export-graph": ["export", "--graph", "{f}.nt", "--format", "nt"],
    "push": ["push", "{f}.nt", "--endpoint", "http://127.0.0.1:{port}/store", "--no-verify"],
    "query-file": ["query", "--file", "{f}.rq"],
}


def _unix_socket(path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    return sock


def _special(kind: str, path: Path) -> tuple[object, str]:
    """Make ``path`` a ``kind`` of file that is not a regular one; what kg says it
    is. (A folder is refused by the command line's own options, or read as
    records by ``kg validate``; the rule's own example covers it.)"""
    if kind == "device":
        path.symlink_to("/dev/null")
        return None, "a character device (a link to /dev/null)"
    return _unix_socket(path), "a socket"


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("kind", ["device", "socket"])
def test_an_input_that_is_not_a_regular_file_is_refused(kind, command, hostile, tmp_path):
    """/dev/null read as an empty graph before; a socket gave an OS error."""
    args = COMMANDS[command]
    name = next(a for a in args if "{f}" in a).replace("{f}", "in")
    keep, what = _special(kind, tmp_path / name)
    out = hostile([a.replace("{f}", "in") for a in args])
    assert_refused(out, 2, f"Error: {name}: {what}, {ONLY_REGULAR}")
    del keep


@pytest.mark.parametrize(
    ("kind", "given"), [("socket", "folder"), ("socket", "file"), ("device", "file")]
)
def test_a_records_file_that_is_not_a_regular_file_is_refused(kind, given, hostile, tmp_path):
    """In a records folder such a file was skipped without a word; named, it was
    'no such file or folder'. (A link to a device in the folder is a link out of it.)"""
    records = _mini(tmp_path)
    keep, what = _special(kind, records / "odd.yaml")
    out = hostile(["validate", "records" if given == "folder" else "records/odd.yaml"])
    assert_refused(
        out, 2, f"Error: 1 problem(s) in the records:\n  records/odd.yaml: {what}, {ONLY_REGULAR}"
    )
    del keep


# --- in a process of its own: what hung or filled memory ------------------------------


def _kg(args: list[str], cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    """``kg ARGS`` in its own process, killed after ``timeout`` seconds, its
    address space capped at 3 GiB (a read of /dev/zero then ends in a
    MemoryError, not in the machine's swap)."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    return subprocess.run(
        [sys.executable, "-m", "kg", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=cap,
        env={**os.environ, "KG_TIMEOUT": "30"},
        check=False,
    )


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_named_pipe_is_refused_at_once(command, tmp_path, listener):
    """A FIFO with no writer hung every command in open() (killed here after 60 s)."""
    args = [a.replace("{port}", str(listener.port)) for a in COMMANDS[command]]
    name = next(a for a in args if "{f}" in a).replace("{f}", "pipe")
    os.mkfifo(tmp_path / name)
    r = _kg([a.replace("{f}", "pipe") for a in args], tmp_path)
    assert (r.returncode, r.stderr) == (2, f"Error: {name}: a named pipe (FIFO), {ONLY_REGULAR}\n")
    assert listener.count == 0


@pytest.mark.parametrize("command", ["validate", "build"])
def test_a_named_pipe_in_a_records_folder_is_refused(command, tmp_path):
    """It was skipped without a word (and a build's snapshot would read it)."""
    _mini(tmp_path)
    os.mkfifo(tmp_path / "records" / "pipe.yaml")
    args = ["validate", "records"] if command == "validate" else ["build", "records", "-o", "b"]
    r = _kg(args, tmp_path)
    assert (r.returncode, r.stderr) == (
        2,
        "Error: 1 problem(s) in the records:\n"
        f"  records/pipe.yaml: a named pipe (FIFO), {ONLY_REGULAR}\n",
    )
    assert not (tmp_path / "b").exists()


def test_a_named_pipe_added_after_a_build_is_refused_by_the_incremental_build(tmp_path):
    _mini(tmp_path)
    first = _kg(["build", "records", "-o", "b"], tmp_path)
    assert first.returncode == 0, first.stderr
    before = (tmp_path / "b" / "kg.ttl").read_bytes()
    os.mkfifo(tmp_path / "records" / "pipe.yaml")
    r = _kg(["build", "records", "-o", "b"], tmp_path)
    assert (r.returncode, r.stderr) == (
        2,
        "Error: 1 problem(s) in the records:\n"
        f"  records/pipe.yaml: a named pipe (FIFO), {ONLY_REGULAR}\n",
    )
    assert (tmp_path / "b" / "kg.ttl").read_bytes() == before


def test_a_link_to_dev_zero_is_refused_not_read_until_memory_runs_out(tmp_path):
    """Its size says 0: it was read until a MemoryError (or the OOM killer)."""
    (tmp_path / "zero.nt").symlink_to("/dev/zero")
    r = _kg(["validate", "zero.nt"], tmp_path)
    assert (r.returncode, r.stderr) == (
        2,
        f"Error: zero.nt: a character device (a link to /dev/zero), {ONLY_REGULAR}\n",
    )


# --- the size is what was read --------------------------------------------------------


@pytest.mark.skipif(not Path("/proc/self/maps").is_file(), reason="needs Linux's /proc")
def test_the_size_is_what_was_read_not_what_the_file_says(hostile, tmp_path):
    """/proc files are regular files of size 0: the limit holds on what they give."""
    (tmp_path / "maps.nt").symlink_to("/proc/self/maps")
    out = hostile(["validate", "maps.nt"], KG_MAX_INPUT_BYTES="100")
    assert_refused(
        out,
        2,
        "Error: maps.nt: over the 100-byte limit for one input file (KG_MAX_INPUT_BYTES raises it)",
    )


def test_a_query_file_over_the_input_limit_is_refused(hostile):
    out = hostile(
        ["query", "--file", "q.rq"], {"q.rq": "ASK {}\n" + "#" * 200}, KG_MAX_INPUT_BYTES="100"
    )
    assert_refused(
        out,
        2,
        "Error: q.rq: over the 100-byte limit for one query file (KG_MAX_INPUT_BYTES raises it)",
    )


def test_a_query_file_that_is_not_utf8_is_refused(hostile):
    out = hostile(["query", "--file", "q.rq"], {"q.rq": "ASK { ?s ?p 'café' }".encode("latin-1")})
    assert_refused(
        out, 2, "Error: q.rq: not UTF-8 (byte 0xe9 at offset 16); save the file as UTF-8"
    )


# --- links in a records folder --------------------------------------------------------


def test_a_records_link_out_of_the_folder_is_refused_unread(hostile, tmp_path):
    """It was followed without a word: any YAML file on the machine became records."""
    records = _mini(tmp_path)
    (tmp_path / "SECRET.yaml").write_text(
        "- id: secret\n  type: person\n  label: {en: Secret}\n"
        "  sources: [{source: src-test, quote: q}]\n",
        encoding="utf-8",
    )
    (records / "evil.yaml").symlink_to(tmp_path / "SECRET.yaml")
    out = hostile(["validate", "records"])
    assert_refused(
        out,
        2,
        f"Error: records/evil.yaml: a link to {(tmp_path / 'SECRET.yaml').resolve()}, outside "
        "the records folder records; kg follows links only within the folder it reads",
    )


def test_a_records_link_within_the_folder_is_followed_and_a_dangling_one_skipped(hostile, tmp_path):
    records = _mini(tmp_path)
    (records / "kept").mkdir()
    (records / "events.yaml").rename(records / "kept" / "events.txt")
    (records / "events.yaml").symlink_to(Path("kept") / "events.txt")
    (records / ".#actors.yaml").symlink_to("someone@host.1234:1700000000")  # an editor's lock
    out = hostile(["validate", "records"])
    assert (out.code, out.stderr, out.secrets_opened) == (0, "", [])
    assert out.stdout.splitlines()[-1].endswith(": conforms (fail-on: violation)")
