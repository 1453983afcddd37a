"""What kg writes and how it trusts what it wrote: built files are trusted by
digest only; ``-o -`` is standard output and a target that is not a regular
file is refused before any work; ``--debug`` keeps the exit code; every RDF
output is read back by the other parser before it replaces the old file."""

from __future__ import annotations

import os
import socket
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
