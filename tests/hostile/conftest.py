"""Fixtures for the hostile-input suite: a listener that counts connections,
a recorder of opened files, and a runner that checks nothing was written.

Every case states the exact exit code and ``Error:`` message, and is checked
for zero connections to the listener, zero opens of the secret file and an
unchanged working folder (inputs and the previous output included).
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli.app import cli

MINI = Path(__file__).parent.parent / "fixtures" / "mini"


def mini_records(tmp_path: Path) -> Path:
    """A copy of the mini records (tests/fixtures/mini) in ``tmp_path``/records."""
    records = tmp_path / "records"
    records.mkdir()
    for p in MINI.glob("*.yaml"):
        (records / p.name).write_bytes(p.read_bytes())
    return records


# The one source record that hostile records cite.
SOURCE = """\
- id: src-test
  type: source
  title: {en: Test release}
  language: en
  reliability: primary
"""

SPARQL_JSON = b'{"head": {"vars": ["x"]}, "results": {"bindings": [{"x": {"type": "literal", "value": "remote"}}]}}'  # noqa: E501


class Listener:
    """A TCP server on 127.0.0.1 that counts the connections it accepts and
    answers each with a small SPARQL JSON result."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.count = 0
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            if self._stop:
                conn.close()
                return
            self.count += 1
            with conn:
                conn.settimeout(2)
                try:
                    conn.recv(65536)
                    conn.sendall(
                        b"HTTP/1.0 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                        + f"Content-Length: {len(SPARQL_JSON)}\r\n\r\n".encode()
                        + SPARQL_JSON
                    )
                except OSError:
                    pass

    def close(self) -> None:
        self._stop = True
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.thread.join(2)


@pytest.fixture
def listener() -> Iterator[Listener]:
    srv = Listener()
    yield srv
    srv.close()


# --- files opened --------------------------------------------------------------

_OPENED: list[str] = []


def _record_opens(event: str, args: tuple) -> None:
    if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
        name = os.fsdecode(args[0])
        if "SECRET" in name:
            _OPENED.append(name)


sys.addaudithook(_record_opens)


@pytest.fixture
def opened() -> Iterator[list[str]]:
    """The secret files (any path with SECRET in it) opened during the test."""
    _OPENED.clear()
    yield _OPENED
    _OPENED.clear()


# --- running a case --------------------------------------------------------------


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    connections: int
    secrets_opened: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)


@pytest.fixture
def hostile(tmp_path, monkeypatch, listener, opened):
    """Run ``kg ARGS`` in a folder holding ``files``; report what happened.

    ``{port}`` in args and files is the listener's port, ``{dir}`` the folder.
    The folder also holds ``SECRET.txt`` (a file nothing may read) and a
    previous ``out.txt`` (an output nothing may overwrite).
    """
    monkeypatch.chdir(tmp_path)

    def run(args: list[str], files: dict[str, str | bytes] | None = None, **env: str) -> Outcome:
        subst = {"port": str(listener.port), "dir": tmp_path.as_posix()}
        (tmp_path / "SECRET.txt").write_text("the secret\n", encoding="utf-8")
        (tmp_path / "out.txt").write_text("previous output\n", encoding="utf-8")
        for name, content in (files or {}).items():
            target = tmp_path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, str):
                target.write_text(content.replace("{port}", subst["port"]), encoding="utf-8")
            else:
                target.write_bytes(content.replace(b"{port}", subst["port"].encode()))
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        before = snapshot(tmp_path)
        argv = [a.replace("{port}", subst["port"]).replace("{dir}", subst["dir"]) for a in args]
        opened.clear()
        result = CliRunner().invoke(cli, argv, obj={}, catch_exceptions=False)
        secrets = list(opened)
        after = snapshot(tmp_path)
        changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
        return Outcome(
            result.exit_code,
            result.stdout,
            result.stderr,
            listener.count,
            secrets,
            changed,
        )

    return run


def assert_refused(out: Outcome, code: int, message: str) -> None:
    """Exact exit code and message; no connection, no secret read, nothing written."""
    assert (out.code, out.stderr) == (code, message + "\n"), out.stdout
    assert out.connections == 0
    assert out.secrets_opened == []
    assert out.changed == []
