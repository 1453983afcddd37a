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
import textwrap
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


# --- every RDF output is read back by the other parser -------------------------------

BROKEN = b"\n<http://example.org/s> <http://example.org/p> 'not RDF in any format\n"


def _broken_writer(monkeypatch, module, name, which=None):
    """``module.name`` (a writer) appends bytes no parser reads: to every call, or
    to the ``which``-th one only (0: the first)."""
    from patching import patch_everywhere

    calls = []

    def broken(*args, **kwargs):
        data = real(*args, **kwargs)
        calls.append(None)
        return data + BROKEN if which is None or len(calls) == which + 1 else data

    real = patch_everywhere(monkeypatch, module, name, broken)


def _tree(root: Path) -> dict[str, bytes | None]:
    return {
        p.relative_to(root).as_posix(): None if p.is_dir() else p.read_bytes()
        for p in sorted(root.rglob("*"))
    }


@pytest.mark.parametrize("fmt", ["turtle", "nt", "nquads", "trig", "jsonld", "xml"])
@pytest.mark.parametrize("writer", ["oxigraph", "rdflib"])
def test_an_export_that_does_not_read_back_replaces_nothing(
    fmt, writer, invoke, tmp_path, monkeypatch
):
    """Oxigraph's serialiser is checked by rdflib's parser and rdflib's by
    Oxigraph's (a graph with blank nodes is written by rdflib), the file as it
    is on disk before the rename, and standard output before it is printed."""
    import kg.rdfio.write as write
    from kg.rdfio.formats import RDF_FORMATS

    src = tmp_path / "in.ttl"
    blank = "[ <http://example.org/q> 1 ]" if writer == "rdflib" else "<http://example.org/o>"
    src.write_text(f"<http://example.org/s> <http://example.org/p> {blank} .\n", encoding="utf-8")
    out = tmp_path / f"out{RDF_FORMATS[fmt].extension}"
    out.write_text("previous\n", encoding="utf-8")
    assert invoke("export", "--graph", str(src), "-o", str(out)).exit_code == 0
    previous = out.read_bytes()
    _broken_writer(monkeypatch, write, "rdf_bytes" if writer == "oxigraph" else "serialize")
    # JSON-LD is compacted by rdflib's serialiser on either path: Oxigraph reads it back.
    by_rdflib = writer == "rdflib" or fmt in write.WRITTEN_BY_RDFLIB
    parser = "Oxigraph" if by_rdflib else "rdflib"
    label = RDF_FORMATS[fmt].label
    for target in (out, "-"):
        r = invoke("export", "--graph", str(src), "-o", str(target), "--format", fmt)
        name = "standard output" if target == "-" else out
        assert r.exit_code == 2
        assert r.stdout == ""
        assert r.stderr.startswith(
            f"Error: cannot write {name}: the {label} kg wrote does not read back ({parser}: "
        )
        assert out.read_bytes() == previous
        assert sorted(os.listdir(tmp_path)) == ["in.ttl", out.name]


@pytest.mark.parametrize("broken", ["kg.ttl", "kg-inferred.ttl"])
@pytest.mark.parametrize("engine", ["native", "reference"])
def test_a_build_whose_turtle_does_not_read_back_keeps_every_previous_output(
    broken, engine, invoke, mini, tmp_path, monkeypatch
):
    import kg.rdfio.write as write

    out = tmp_path / "build"
    assert invoke("build", str(mini), "-o", str(out), "--reason", "--engine", engine).exit_code == 0
    before = _tree(out)
    text = (mini / "actors.yaml").read_text(encoding="utf-8")
    (mini / "actors.yaml").write_text(text.replace("Alice Example", "Alice Changed"))
    which = 0 if broken == "kg.ttl" else 1
    _broken_writer(monkeypatch, write, "turtle_bytes" if engine == "native" else "serialize", which)
    r = invoke("build", str(mini), "-o", str(out), "--reason", "--engine", engine, "--full")
    parser = "rdflib" if engine == "native" else "Oxigraph"
    assert r.exit_code == 2
    assert r.stderr.startswith(
        f"Error: cannot write {out / broken}: the Turtle kg wrote does not read back ({parser}: "
    )
    assert _tree(out) == before


def test_rdfxml_that_only_its_writer_reads_is_refused(invoke, tmp_path):
    """Oxigraph writes a NUL character raw into RDF/XML, where XML allows none,
    and its own parser reads it back: rdflib's (expat) does not, so the export
    fails instead of leaving a file no other tool reads."""
    import pyoxigraph as ox

    src = tmp_path / "in.nt"
    src.write_text('<http://example.org/s> <http://example.org/p> "a\\u0000b" .\n')
    written = ox.serialize(list(ox.parse(path=str(src))), format=ox.RdfFormat.RDF_XML)
    assert len(list(ox.parse(written, format=ox.RdfFormat.RDF_XML))) == 1  # its own blind spot
    out = tmp_path / "out.rdf"
    r = invoke("export", "--graph", str(src), "-o", str(out))
    assert (r.exit_code, r.output) == (
        2,
        f"Error: cannot write {out}: the RDF/XML kg wrote does not read back (rdflib: <unknown>:"
        "4:34: not well-formed (invalid token))\n",
    )
    assert not out.exists()
    for fmt in ("nt", "turtle", "jsonld"):  # they escape it
        assert invoke("export", "--graph", str(src), "--format", fmt).exit_code == 0


def test_rdf_that_query_and_validate_write_is_read_back(invoke, tmp_path, monkeypatch):
    import kg.sparql.render as render
    from kg.validate.report import Report

    for owner, name in ((render, "render"), (Report, "render")):
        real = getattr(owner, name)
        monkeypatch.setattr(owner, name, lambda *a, real=real, **k: real(*a, **k) + BROKEN.decode())
    construct = "CONSTRUCT { ?s a ?o } WHERE { ?s a ?o } LIMIT 1"
    for args in (["query", "-e", construct, "--format", "nt"], ["validate", "--format", "turtle"]):
        for target in ("-", str(tmp_path / "out.rdf")):
            r = invoke(*args, "-o", target)
            assert r.exit_code == 2 and r.stdout == ""
            assert "kg wrote does not read back (Oxigraph: " in r.stderr
    assert os.listdir(tmp_path) == []


def test_large_outputs_are_read_back_in_pieces_by_workers(monkeypatch):
    """Pieces that each read, and read together as the file: a bad line in any
    piece is found, in a worker process."""
    from rdflib import Literal

    import kg.rdfio.readback as readback
    from kg.errors import BadInput
    from kg.rdfio.write import turtle_bytes
    from kg.terms.namespaces import ID, KG

    triples = [(ID[f"s{i}"], KG.label, Literal(f"thing {i}")) for i in range(300)]
    triples += [(ID[f"s{i}"], KG.rank, Literal(i)) for i in range(300)]
    ttl = turtle_bytes(triples)
    nt = b"".join(f'<{s}> <{p}> "{o}" .\n'.encode() for s, p, o in triples)
    for data, fmt in ((ttl, "turtle"), (nt, "nt")):
        parts = readback.pieces(data, fmt, 4)
        assert len(parts) >= 4
        head = data[: data.find(b"\n\n") + 2] if fmt == "turtle" else b""
        assert b"".join(p[len(head) :] for p in parts) == data[len(head) :]
    assert readback.pieces(b"<a> <b> _:x .\n", "turtle", 4) == [b"<a> <b> _:x .\n"]
    monkeypatch.setattr(readback, "SMALL", 0)
    with readback.ReadBack() as rb:
        rb.start(ttl, "turtle")()
        rb.start(nt, "nt")()
        bad = nt.replace(b'"thing 250"', b'"thing 250')
        wait = rb.start(bad, "nt", name="big.nt")
        with pytest.raises(BadInput, match=r"^cannot write big\.nt: the N-Triples kg wrote does"):
            wait()
        # kg build's Turtle too, the bad block in a piece of its own
        assert b'"thing 250"' in ttl
        bad = ttl.replace(b'"thing 250"', b'"thing 250')
        assert len(readback.pieces(bad, "turtle", 4)) >= 4
        wait = rb.start(bad, "turtle", name="big.ttl")
        with pytest.raises(BadInput, match=r"^cannot write big\.ttl: the Turtle kg wrote does"):
            wait()


def test_read_back_workers_run_from_a_program_on_standard_input(tmp_path):
    """A worker does not import the caller's __main__ again: a program read
    from standard input (or a script without a __name__ guard) can build a
    large graph (multiprocessing's spawn failed there with FileNotFoundError)."""
    program = textwrap.dedent(
        """
        import kg.rdfio.readback as readback
        from kg.errors import BadInput
        readback.SMALL = 0
        good = b'<http://e.org/s> <http://e.org/p> "v" .\\n' * 50
        with readback.ReadBack() as rb:
            rb.start(good, "nt")()
            try:
                rb.start(good + b'<http://e.org/s> <http://e.org/p> "v .\\n', "nt", name="x.nt")()
            except BadInput as exc:
                print(exc)
        """
    )
    r = subprocess.run(
        [sys.executable, "-"], input=program, capture_output=True, text=True, cwd=tmp_path
    )
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout.startswith("cannot write x.nt: the N-Triples kg wrote does not read back")


def test_an_incremental_build_reads_back_the_blocks_it_splices_in(
    invoke, mini, tmp_path, monkeypatch
):
    from patching import patch_everywhere

    import kg.pipeline.incremental.splice as splice

    out = tmp_path / "build"
    assert invoke("build", str(mini), "-o", str(out), "--reason").exit_code == 0
    before = _tree(out)
    text = (mini / "actors.yaml").read_text(encoding="utf-8")
    (mini / "actors.yaml").write_text(text.replace("Alice Example", "Alice Changed"))

    def broken(*args):
        blocks = real(*args)
        return {s: b + BROKEN if b else b for s, b in blocks.items()}

    real = patch_everywhere(monkeypatch, splice, "subject_blocks", broken)
    r = invoke("build", str(mini), "-o", str(out), "--reason")
    assert r.exit_code == 2
    assert r.stderr.startswith(
        f"Error: cannot write {out / 'kg.ttl'}: the Turtle kg wrote does not read back (rdflib: "
    )
    assert _tree(out) == before
    monkeypatch.undo()
    r = invoke("build", str(mini), "-o", str(out), "--reason")
    assert r.exit_code == 0 and "Alice Changed" in (out / "kg.ttl").read_text(encoding="utf-8")
    assert "incremental" in r.output
