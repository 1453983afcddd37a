"""Variants of issue 17's cases that its fixes missed (a red team's second pass).

Each test runs the real command and states what must hold; each failed on
main when it was written.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from servers import FaultServer, Handler, reply

from tests.hostile.conftest import mini_records as _mini

KG = [sys.executable, "-m", "kg"]


def _run(args: list[str], cwd: Path, **kw: object) -> subprocess.CompletedProcess:
    return subprocess.run([*KG, *args], cwd=cwd, timeout=120, **kw)  # type: ignore[call-overload]


def test_o_dev_stdout_appended_to_a_log_keeps_the_log(tmp_path: Path) -> None:
    """`kg query -o /dev/stdout >> log`: /dev/stdout is a link (through
    /proc/self/fd/1) to the log, a regular file, so kg "writes through" it by
    renaming a new file over the log: every earlier line of the log is lost.
    Standard output named by a path must be standard output (or refused)."""
    log = tmp_path / "log.txt"
    log.write_text("an earlier line\n")
    with log.open("ab") as out:
        proc = _run(
            ["query", "-e", "ASK { ?s ?p ?o }", "--format", "csv", "-o", "/dev/stdout"],
            tmp_path,
            stdout=out,
            stderr=subprocess.PIPE,
        )
    assert log.read_text().startswith("an earlier line\n"), (proc.returncode, log.read_text())


def test_line_separator_in_a_comment_does_not_add_a_field(tmp_path: Path) -> None:
    """A U+2028 in a comment: an editor (and `head`, `grep`) shows one comment
    line, YAML 1.1 reads a line break there and the rest of the line as a
    field. A colleague's file can plant a fact the reader sees as a comment;
    kg validate says it conforms and kg describe shows the planted text."""
    records = _mini(tmp_path)
    actors = records / "actors.yaml"
    text = actors.read_text(encoding="utf-8")
    planted = "- id: alice\n  # reviewed\u2028  description: {en: Planted by a comment}\n"
    actors.write_text(text.replace("- id: alice\n", planted, 1), encoding="utf-8")
    proc = _run(["describe", "--records", str(records), "alice"], tmp_path, capture_output=True)
    assert b"Planted by a comment" not in proc.stdout
    assert proc.returncode == 2, proc.stdout


OSC = "\x1b]0;owned\x07"  # retitles the terminal window; click strips no OSC


def test_wrote_lines_show_control_characters_as_escapes(tmp_path: Path) -> None:
    """`Wrote NAME` (kg export, build, generate, report) prints the output's
    name raw: a name holding ESC sequences (a folder made by a script, a name
    from a colleague's Makefile) acts on the terminal. Error: lines escape
    the same name (kg.terms.checks.visible)."""
    records = _mini(tmp_path)
    runs = {
        "export": ["export", "--records", str(records), "-o", f"x{OSC}.ttl"],
        "build": ["build", str(records), "-o", f"b{OSC}"],
        "generate": ["generate", "--events", "1", "-o", f"g{OSC}"],
        "report": ["report", "--records", str(records), "-o", f"r{OSC}"],
    }
    raw = {}
    for name, args in runs.items():
        proc = _run(args, tmp_path, capture_output=True)
        assert proc.returncode == 0, proc.stderr
        raw[name] = b"\x1b" in proc.stdout + proc.stderr
    assert raw == dict.fromkeys(runs, False)


def test_debug_traceback_shows_control_characters_as_escapes(tmp_path: Path) -> None:
    """--debug prints the traceback before the Error: line; the exception's
    message in it is raw, so the ESC the Error: line escapes reaches the
    terminal anyway."""
    proc = _run(["--debug", "validate", f"missing{OSC}.ttl"], tmp_path, capture_output=True)
    assert proc.returncode == 2
    assert b"Traceback" in proc.stderr
    assert b"\x1b" not in proc.stderr, proc.stderr


def test_export_to_ntriples_is_linear_in_a_literal_length(tmp_path: Path) -> None:
    """Issue 17 case 4 again, through the read-back: kg export -o FILE.nt (and
    .nq, and standard output in N-Triples) reads its output back with
    rdflib's N-Triples parser, quadratic in a line's length. A 2 MB literal
    (from an RDF file, or a records file well under its 16 MB limit) takes
    about 17 s to export where reading it takes 0.4 s; 4 MB about 75 s."""
    # 8 MB: the quadratic reader would take about 20 minutes; a hang guard of
    # 120 s (the subprocess timeout), not a timing: the linear one takes ~1 s.
    big = tmp_path / "big.nt"
    big.write_text(f'<http://x.test/s> <http://x.test/p> "{"x" * (8 << 20)}" .\n')
    proc = _run(
        ["export", "--graph", str(big), "--format", "nt", "-o", "out.nt"],
        tmp_path,
        capture_output=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out.nt").read_bytes() == big.read_bytes()


def _capped(args: list[str], cwd: Path, timeout: float = 30) -> subprocess.CompletedProcess | None:
    """``kg ARGS`` in its own process with 3 GB of memory; None if it was still
    running after ``timeout`` seconds (then killed)."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    try:
        return subprocess.run(
            [*KG, *args], cwd=cwd, capture_output=True, timeout=timeout, preexec_fn=cap
        )
    except subprocess.TimeoutExpired:
        return None


def _built(tmp_path: Path) -> Path:
    out = tmp_path / "build"
    proc = _run(["build", str(_mini(tmp_path)), "-o", str(out)], tmp_path, capture_output=True)
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_store_stamp_that_is_not_a_regular_file(tmp_path: Path, kind: str) -> None:
    """Every reader of a built kg.ttl reads the store's stamp
    (build/kg.oxigraph/kg-store.json, kg.store.persist.read_stamp) with
    Path.read_text, not as inputs are read: a named pipe there hangs kg query,
    describe, export and validate --graph build/kg.ttl (and kg build into the
    folder); a link to /dev/zero ends in a MemoryError traceback, exit 1.
    A stamp that is not a regular file should be no stamp (or refused, exit 2)."""
    out = _built(tmp_path)
    stamp = out / "kg.oxigraph" / "kg-store.json"
    stamp.unlink()
    if kind == "fifo":
        os.mkfifo(stamp)
    else:
        stamp.symlink_to("/dev/zero")
    proc = _capped(["query", "--graph", str(out / "kg.ttl"), "-e", "ASK {}"], tmp_path)
    assert proc is not None, "still waiting after 30 s"
    assert b"Traceback" not in proc.stderr, proc.stderr[-300:]
    assert proc.returncode in (0, 2), proc.stderr


def test_incremental_state_file_that_is_a_fifo(tmp_path: Path) -> None:
    """kg build reads its incremental state (build/.kg-state/manifest.json,
    catalogue, index and the records copies) with Path.read_text/read_bytes:
    a named pipe there hangs the next kg build into that folder. A state
    file that is not a regular file should be a stale state (a full build)."""
    out = _built(tmp_path)
    manifest = out / ".kg-state" / "manifest.json"
    manifest.unlink()
    os.mkfifo(manifest)
    proc = _capped(["build", str(tmp_path / "records"), "-o", str(out)], tmp_path)
    assert proc is not None, "still waiting after 30 s"
    assert proc.returncode in (0, 2), proc.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["export", "--format", "nt"],
        ["query", "-e", "ASK {}", "--format", "csv", "-o", "-"],
        ["describe", "alice"],
    ],
    ids=["export", "query", "describe"],
)
def test_standard_output_that_cannot_be_written(tmp_path: Path, args: list[str]) -> None:
    """Standard output on a full disk (/dev/full): a traceback and exit 1,
    which a script reads as "does not conform". An output that could not be
    written is exit 2 with one Error: line, as a full disk under -o FILE is."""
    records = _mini(tmp_path)
    with open("/dev/full", "wb") as full:
        proc = _run(
            [*args, "--records", str(records)], tmp_path, stdout=full, stderr=subprocess.PIPE
        )
    assert b"Traceback" not in proc.stderr, proc.stderr[-300:]
    assert proc.returncode == 2


LONG = "a" * 300  # over the 255 bytes a file name may have (ENAMETOOLONG)


@pytest.mark.parametrize(
    "args",
    [
        ["export", "--records", "{records}", "-o", f"{LONG}.ttl"],
        ["query", "--records", "{records}", "-e", "ASK {}", "-o", f"{LONG}.csv"],
        ["build", "{records}", "-o", LONG],
        ["report", "--records", "{records}", "-o", LONG],
        ["generate", "--events", "1", "-o", LONG],
        ["validate", f"{LONG}.ttl"],
        ["validate", f"{LONG}.yaml"],
        ["describe", "--records", LONG, "alice"],
    ],
    ids=[
        "export-o",
        "query-o",
        "build-o",
        "report-o",
        "generate-o",
        "validate-rdf",
        "validate-records",
        "describe-records",
    ],
)
def test_a_name_too_long_is_bad_input(tmp_path: Path, args: list[str]) -> None:
    """A file or folder name over 255 bytes: pathlib's exists / is_dir /
    is_symlink raise ENAMETOOLONG (Python 3.11 ignores only ENOENT, ENOTDIR,
    EBADF and ELOOP there), and kg ends in a traceback, exit 1. kg query
    --file, push FILE and serve --graph say it in one line, exit 2."""
    records = str(_mini(tmp_path))
    argv = [a.replace("{records}", records) for a in args]
    proc = _run(argv, tmp_path, capture_output=True)
    assert b"Traceback" not in proc.stderr, proc.stderr[-300:]
    assert proc.returncode == 2


@pytest.mark.parametrize(
    "query",
    ["CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "DESCRIBE <http://x.test/s>"],
    ids=["construct", "describe"],
)
def test_query_rdfxml_of_a_predicate_rdfxml_cannot_write(tmp_path: Path, query: str) -> None:
    """kg export refuses a predicate RDF/XML cannot write (no XML name after
    its namespace) with exit 2 and a clear message; kg query's CONSTRUCT and
    DESCRIBE with --format xml (or -o FILE.rdf) end in rdflib's ValueError
    traceback, exit 1. One rule for every RDF/XML writer."""
    graph = tmp_path / "g.nt"
    graph.write_text('<http://x.test/s> <http://x.test/p/1> "v" .\n')
    proc = _run(
        ["query", "--graph", str(graph), "-e", query, "--format", "xml"],
        tmp_path,
        capture_output=True,
    )
    assert b"Traceback" not in proc.stderr, proc.stderr[-300:]
    assert proc.returncode == 2


def _results(var: str, term: dict[str, str]) -> bytes:
    import json

    doc = {"head": {"vars": [var]}, "results": {"bindings": [{var: term}]}}
    return json.dumps(doc).encode()


def test_store_answer_with_an_invalid_language_tag(tmp_path: Path) -> None:
    """A store whose SPARQL JSON gives a literal the language tag "not a tag"
    (or one holding ESC): rdflib's ValueError traceback, exit 1 (and the
    tag's control characters raw in the traceback). A store's broken
    answer is exit 3 with one Error: line."""
    answer = _results("x", {"type": "literal", "value": "a", "xml:lang": "not a tag"})
    with FaultServer(reply(200, answer, "application/sparql-results+json")) as store:
        proc = _run(
            ["query", "-e", "SELECT ?x WHERE { ?x ?y ?z }", "--endpoint", store.base + "/query"],
            tmp_path,
            capture_output=True,
        )
    assert b"Traceback" not in proc.stderr, proc.stderr[-300:]
    assert proc.returncode == 3


def test_store_variable_name_in_the_table_header_is_escaped(tmp_path: Path) -> None:
    """The table escapes control characters in values, not in its header: a
    store that names its variable "x<ESC>]0;owned<BEL>" retitles the terminal
    through kg query --endpoint's default table."""
    name = f"x{OSC}"
    answer = _results(name, {"type": "literal", "value": "a"})
    with FaultServer(reply(200, answer, "application/sparql-results+json")) as store:
        proc = _run(
            ["query", "-e", "SELECT ?x WHERE { ?x ?y ?z }", "--endpoint", store.base + "/query"],
            tmp_path,
            capture_output=True,
        )
    assert proc.returncode in (0, 3), proc.stderr
    assert b"\x1b" not in proc.stdout + proc.stderr, proc.stdout


def test_store_graph_answer_is_read_in_time_linear_in_a_literal(tmp_path: Path) -> None:
    """Issue 17 case 4 through --endpoint: a CONSTRUCT answered in N-Triples
    with one 2 MB literal takes about 16 s (rdflib's N-Triples parser,
    quadratic in a line's length), 4 MB about a minute."""
    # 8 MB, under _run's 120 s hang guard (not a timing): minutes if quadratic.
    body = f'<http://x.test/s> <http://x.test/p> "{"x" * (8 << 20)}" .\n'.encode()
    with FaultServer(reply(200, body, "application/n-triples")) as store:
        proc = _run(
            [
                "query",
                "-e",
                "CONSTRUCT WHERE { ?s ?p ?o }",
                "--endpoint",
                store.base + "/query",
                "--format",
                "turtle",
            ],
            tmp_path,
            capture_output=True,
        )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count(b"x" * 1000) >= (8 << 20) // 1000


def _counting(term: dict[str, str]) -> Handler:
    """A Graph Store that takes every upload and update (204) and answers every
    query with one count ``term`` in SPARQL JSON."""
    counted = reply(200, _results("n", term), "application/sparql-results+json")
    taken = reply(204)

    def handle(h: Any) -> None:
        query = h.command == "GET" or h.body.startswith(b"query=")
        (counted if query else taken)(h)

    return handle


XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"


@pytest.mark.parametrize(
    "term",
    [
        {"type": "literal", "value": "3", "xml:lang": "not a tag"},
        {"type": "literal", "value": "9" * 5000, "datatype": XSD_INTEGER},
        {"type": "literal", "value": "many", "datatype": XSD_INTEGER},
    ],
    ids=["bad-language-tag", "5000-digits", "ill-typed"],
)
def test_push_count_answer_that_is_not_a_count(tmp_path: Path, term: dict[str, str]) -> None:
    """kg push reads the triple count back: an answer with an invalid language
    tag is rdflib's ValueError traceback, exit 1; a 5,000-digit or ill-typed
    integer gives the right Error: line and exit 3, but rdflib's logged
    "Failed to convert Literal" traceback first (issue 17 case 3, through a
    store's answer). Exit 3, one Error: line, no traceback."""
    with FaultServer(_counting(term)) as store:
        args = ["push", "--records", str(_mini(tmp_path)), "--retries", "0"]
        proc = _run(
            [*args, "--endpoint", store.base + "/store"],
            tmp_path,
            capture_output=True,
        )
    assert b"Traceback" not in proc.stderr, proc.stderr[-400:]
    assert proc.returncode == 3


def test_query_file_saved_with_a_byte_order_mark(tmp_path: Path) -> None:
    """A query file saved by a Windows editor as "UTF-8 with BOM": records
    files are read with their BOM (utf-8-sig), a query file is refused with
    "SPARQL error: error at 1:10: expected CONSTRUCT", naming neither the
    BOM nor anything in the text the user can see."""
    rq = tmp_path / "q.rq"
    rq.write_bytes(b"\xef\xbb\xbfSELECT ?s WHERE { ?s a kg:Person }\r\n")
    proc = _run(
        ["query", "--records", str(_mini(tmp_path)), "--file", str(rq), "--format", "csv"],
        tmp_path,
        capture_output=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(b"s\r\n"), proc.stdout


@pytest.mark.parametrize("value", ["nan", "inf", "1e308"])
@pytest.mark.parametrize("command", ["query", "push"])
def test_timeout_that_is_not_a_finite_number(tmp_path: Path, command: str, value: str) -> None:
    """--timeout nan, inf or 1e308 passes click's FLOAT and reaches requests
    and urllib3: a ValueError or OverflowError traceback, exit 1. A timeout
    must be a finite number of seconds (usage error, exit 2)."""
    records = str(_mini(tmp_path))
    with FaultServer(
        _counting({"type": "literal", "value": "0", "datatype": XSD_INTEGER})
    ) as store:
        args = {
            "query": ["query", "-e", "ASK {}", "--endpoint", store.base + "/query"],
            "push": ["push", "--records", records, "--endpoint", store.base + "/store"],
        }[command]
        proc = _run([*args, "--timeout", value], tmp_path, capture_output=True)
    assert b"Traceback" not in proc.stderr, proc.stderr[-300:]
    assert proc.returncode == 2


def test_serve_refuses_a_timeout_of_nan(tmp_path: Path) -> None:
    """kg serve --timeout nan (or KG_TIMEOUT=nan) starts, says "time limit per
    query: nan s", and then drops every query: each request ends in a
    ValueError traceback in the server (socket.settimeout(nan)) and the
    client gets no answer. It should be refused at the start, exit 2."""
    import signal

    proc = subprocess.Popen(
        [*KG, "serve", "--records", str(_mini(tmp_path)), "--port", "0", "--timeout", "nan"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        code = proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
        code = None
    assert code == 2, "kg serve started with a time limit of nan"


@pytest.mark.parametrize(
    "args",
    [
        [
            "push",
            "--records",
            "{records}",
            "--endpoint",
            "http://127.0.0.1:9/store",
            "--graph",
            "http://x.test/g#a%zz",
        ],
        [
            "push",
            "--records",
            "{records}",
            "--endpoint",
            "http://127.0.0.1:9/store",
            "--graph",
            "http://x.test/g#a#b",
        ],
        [
            "query",
            "-e",
            "ASK {}",
            "--endpoint",
            "http://127.0.0.1:9/query",
            "--default-graph-uri",
            "not-an-iri",
        ],
    ],
    ids=["push-graph-bad-percent", "push-graph-two-hashes", "query-default-graph-uri"],
)
def test_remote_graph_iris_are_judged_by_the_one_rule(tmp_path: Path, args: list[str]) -> None:
    """kg push --graph is checked by a copy of the IRI rule
    (kg.remote.endpoints._absolute_iri: a scheme and no space or <>"{}|\\^`),
    not kg.terms.checks: 'http://x.test/g#a%zz', which the one rule and
    Oxigraph refuse, passes, the whole graph is uploaded to a staging graph,
    and only the store's refusal of the MOVE ends it. --default-graph-uri is
    not checked at all. Both should be refused before any connection (here:
    a port with no store, so a check after connecting says exit 3)."""
    records = str(_mini(tmp_path))
    argv = [a.replace("{records}", records) for a in args]
    proc = _run([*argv, "--retries", "0"], tmp_path, capture_output=True)
    assert proc.returncode == 2, proc.stderr


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:99999/query", "http://[::1/query"],
    ids=["port-out-of-range", "unclosed-ipv6"],
)
@pytest.mark.parametrize("command", ["query", "push"])
def test_endpoint_url_that_does_not_parse(tmp_path: Path, command: str, url: str) -> None:
    """An --endpoint whose port is out of range or whose IPv6 host is not
    closed passes kg's URL check (it never reads the port) and ends in
    urllib's ValueError traceback, exit 1: a usage error, exit 2."""
    args = {
        "query": ["query", "-e", "ASK {}", "--endpoint", url],
        "push": ["push", "--records", str(_mini(tmp_path)), "--endpoint", url],
    }[command]
    proc = _run(args, tmp_path, capture_output=True)
    assert b"Traceback" not in proc.stderr, proc.stderr[-300:]
    assert proc.returncode == 2


def test_incremental_build_does_not_trust_an_edited_state_copy(tmp_path: Path) -> None:
    """The incremental build finds what changed by comparing each records file
    with its copy in build/.kg-state/files, and trusts the copy as it is: a
    copy that no longer is what was built (edited, or put back from another
    state) makes the next kg build miss the change and write a kg.ttl that
    is not the full build's, exit 0. The outputs are trusted by digest only;
    the copies should be too (a mismatch: a full build)."""
    records = _mini(tmp_path)
    out = tmp_path / "build"
    assert _run(["build", str(records), "-o", str(out)], tmp_path).returncode == 0
    actors = records / "actors.yaml"
    copy = next(
        p
        for p in (out / ".kg-state" / "files").glob("*.copy")
        if p.read_bytes() == actors.read_bytes()
    )
    edited = actors.read_text(encoding="utf-8").replace(
        "Alice Example opened the meeting.", "Alice Example opened the session.", 1
    )
    actors.write_text(edited, encoding="utf-8")
    copy.write_text(edited, encoding="utf-8")  # the state now claims this was built
    assert _run(["build", str(records), "-o", str(out)], tmp_path).returncode == 0
    full = tmp_path / "full"
    assert _run(["build", str(records), "-o", str(full), "--full"], tmp_path).returncode == 0
    assert (out / "kg.ttl").read_bytes() == (full / "kg.ttl").read_bytes()
