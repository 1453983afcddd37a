"""What kg writes and how it trusts what it wrote: built files are trusted by
digest only; ``-o -`` is standard output and a target that is not a regular
file is refused before any work; ``--debug`` keeps the exit code; every RDF
output is read back by the other parser before it replaces the old file."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from edits import edit_keeping_size_and_time

# --- built files are trusted by digest only ------------------------------------------


@pytest.fixture
def built(invoke, mini, tmp_path) -> Path:
    out = tmp_path / "build"
    r = invoke("build", str(mini), "-o", str(out), "--reason")
    assert r.exit_code == 0, r.output
    return out


LABELS = 'SELECT ?l WHERE { id:alice rdfs:label ?l FILTER(lang(?l) = "en") }'


@pytest.mark.parametrize("engine", ["native", "reference"])
def test_an_edit_keeping_size_and_time_is_what_every_reader_sees(built, invoke, engine):
    graph = built / "kg.ttl"
    edit_keeping_size_and_time(graph, b'"Alice Example"@en', b'"Alice Exampl_"@en')
    query = invoke("query", "-e", LABELS, "--graph", str(graph), "--format", "csv",
                   "--engine", engine)  # fmt: skip
    assert (query.exit_code, query.output) == (0, "l\nAlice Exampl_\n")
    export = invoke("export", "--graph", str(graph), "--format", "nt", "--engine", engine)
    assert export.exit_code == 0
    assert '"Alice Exampl_"@en' in export.output and '"Alice Example"@en' not in export.output
    describe = invoke("describe", "alice", "--graph", str(graph))
    assert describe.output.startswith("Alice Exampl_  (Person)\n")


def test_the_store_is_used_only_for_the_file_it_was_built_from(built):
    from kg.store.persist import open_persisted, trusted_stamp

    graph = built / "kg.ttl"
    assert trusted_stamp(graph) is not None
    assert open_persisted(graph, reason=True) is not None
    data = graph.read_bytes()
    assert trusted_stamp(graph, data) is not None
    edit_keeping_size_and_time(graph, b'"Alice Example"@en', b'"Alice Exampl_"@en')
    assert trusted_stamp(graph) is None
    assert trusted_stamp(graph, graph.read_bytes()) is None
    assert open_persisted(graph) is None
    graph.write_bytes(data)  # the very bytes again: trusted again, whatever the time
    os.utime(graph, ns=(0, 0))
    assert open_persisted(graph) is not None


# --- --debug keeps the exit code -----------------------------------------------------

EXAMPLES = Path(__file__).parent.parent / "docs" / "examples"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("args", "code", "error"),
    [
        (["build", str(EXAMPLES / "faulty.yaml"), "-o", "OUT"], 1, "NotConforming"),
        (["query", "no-such-query"], 2, "UsageError"),
        (["validate", str(EXAMPLES / "broken.yaml")], 2, "BadRecords"),
        (["query", "timeline", "--endpoint", "URL", "--retries", "0"], 3, "RemoteError"),
    ],
)
def test_debug_prints_the_traceback_and_keeps_the_exit_code(args, code, error, tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}/query"
    argv = [{"OUT": str(tmp_path / "out"), "URL": url}.get(a, a) for a in args]
    runs = [
        subprocess.run(
            [sys.executable, "-m", "kg", *debug, *argv],
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,
        )
        for debug in ([], ["--debug"])
    ]
    plain, debug = runs
    assert (plain.returncode, debug.returncode) == (code, code)
    assert "Traceback" not in plain.stderr
    assert debug.stderr.startswith("Traceback (most recent call last):\n")
    assert f"kg.errors.{error}: " in debug.stderr
    # The same message closes both.
    assert plain.stderr.startswith("Error: ") and debug.stderr.endswith(plain.stderr)


# --- -o - and targets that are not regular files -------------------------------------

WRITERS = {
    "query": ["query", "timeline", "--format", "csv"],
    "validate": ["validate", "--format", "json"],
    "export": ["export", "--format", "nt"],
}


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_dash_is_standard_output(command, invoke, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = WRITERS[command]
    expected = invoke(*args)
    assert expected.exit_code == 0 and expected.stdout_bytes
    got = invoke(*args, "-o", "-")
    assert (got.exit_code, got.stdout_bytes) == (0, expected.stdout_bytes)
    assert os.listdir(tmp_path) == []
    # A file named "-" is still there to be written: ./-
    assert invoke(*args, "-o", "./-").exit_code == 0
    assert (tmp_path / "-").read_bytes() == expected.stdout_bytes


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _socket(path: Path) -> Path:
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sock.close()  # the socket file stays
    return path


def _link_to_fifo(path: Path) -> Path:
    path.symlink_to(_fifo(path.with_name("real-fifo")))
    return path


def _link_to_device(path: Path) -> Path:
    path.symlink_to(os.devnull)
    return path


SPECIAL = {
    "fifo": (_fifo, "a named pipe (FIFO)"),
    "socket": (_socket, "a socket"),
    "link to a fifo": (_link_to_fifo, "a named pipe (FIFO) (a link to {real})"),
    "link to a device": (_link_to_device, "a character device (a link to /dev/null)"),
}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("kind", sorted(SPECIAL))
@pytest.mark.parametrize("command", sorted(WRITERS))
def test_a_target_that_is_not_a_regular_file_is_refused_before_any_work(
    command, kind, invoke, tmp_path
):
    """Renaming a file over a FIFO or a link to /dev/stdout would leave its reader
    with nothing: refused, exit 2, naming it, before the graph is even read (the
    missing --graph is not what is reported), and left as it was."""
    make, what = SPECIAL[kind]
    target = make(tmp_path / "out.nt")
    before = {p.name: (os.lstat(p).st_mode, os.path.realpath(p)) for p in tmp_path.iterdir()}
    args = [*WRITERS[command], "-o", str(target)]
    args += [str(tmp_path / "missing.ttl")] if command == "validate" else []
    args += [] if command == "validate" else ["--graph", str(tmp_path / "missing.ttl")]
    r = invoke(*args)
    what = what.format(real=os.path.realpath(target))
    assert (r.exit_code, r.output) == (
        2,
        f"Error: cannot write {target}: it is {what}, not a regular file (kg renames a complete "
        "new file into place, which a reader of it would never see); -o - writes to standard "
        "output\n",
    )
    after = {p.name: (os.lstat(p).st_mode, os.path.realpath(p)) for p in tmp_path.iterdir()}
    assert after == before


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_kg_build_refuses_a_fifo_among_its_outputs_before_any_work(invoke, mini, tmp_path):
    out = tmp_path / "build"
    out.mkdir()
    _fifo(out / "kg-inferred.ttl")
    r = invoke("build", str(mini), "-o", str(out))
    assert r.exit_code == 2
    assert r.output.startswith(f"Error: cannot write {out / 'kg-inferred.ttl'}: it is a named pipe")
    assert os.listdir(out) == ["kg-inferred.ttl"]


def test_the_library_refuses_them_too(tmp_path):
    from kg.errors import OutputError
    from kg.rdfio.atomic import Staged, atomic_write

    fifo = _fifo(tmp_path / "f")
    with pytest.raises(OutputError, match="it is a named pipe"):
        atomic_write(fifo, lambda fh: fh.write(b"x"))
    with pytest.raises(OutputError, match="it is a named pipe"), Staged() as staged:
        staged.file(fifo, b"x")
    assert sorted(os.listdir(tmp_path)) == ["f"]


def test_a_link_to_a_regular_file_is_written_through(invoke, tmp_path):
    """As a shell's ``>``: the file the link names gets the output (and keeps its
    permissions); the link stays a link."""
    real = tmp_path / "data" / "timeline.csv"
    real.parent.mkdir()
    real.write_text("old\n", encoding="utf-8")
    real.chmod(0o640)
    link = tmp_path / "latest.csv"
    link.symlink_to(real)
    r = invoke("query", "timeline", "-o", str(link))
    assert r.exit_code == 0, r.output
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text(encoding="utf-8").startswith("start,end,event,")
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert sorted(os.listdir(real.parent)) == ["timeline.csv"]
    # A link to nothing yet: the file is made where it points.
    dangling = tmp_path / "next.csv"
    dangling.symlink_to(tmp_path / "data" / "next.csv")
    assert invoke("query", "timeline", "-o", str(dangling)).exit_code == 0
    assert (
        dangling.is_symlink() and (tmp_path / "data" / "next.csv").read_bytes() == real.read_bytes()
    )
    # A loop of links: refused, as the shell's ">" does.
    loop = tmp_path / "loop.csv"
    loop.symlink_to(loop)
    r = invoke("query", "timeline", "-o", str(loop))
    assert (r.exit_code, r.output) == (
        2,
        f"Error: cannot write {loop}: Too many levels of symbolic links\n",
    )
    assert loop.is_symlink()
