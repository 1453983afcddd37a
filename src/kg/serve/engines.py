"""The engines behind ``kg serve``: ``oxigraph serve-read-only`` processes on
private ports of 127.0.0.1, over one read-only database, each running one
request at a time.

One request per engine is what lets kg stop a query for good: an engine that
runs past the time limit is killed (SIGKILL: its database is read-only) and a
fresh one takes its place, while the other engines go on answering. Oxigraph's
own ``--timeout-s`` cannot be relied on (measured with 0.5.13 on the bundled
graph, ``--timeout-s 2``): a 3-way cartesian ``SELECT *`` streamed for 10
minutes (10 GB) without being cancelled, a 4-way ``COUNT`` kept a core busy for
minutes after its client had gone, and a 3-way ``COUNT`` was cancelled after
17 s with an HTTP 200 whose body was "The SPARQL operation has been cancelled".

On Linux every engine gets ``PR_SET_PDEATHSIG``: when kg dies, even by
``kill -9``, the kernel kills its engines, so no orphan server keeps answering.
The signal follows the *thread* that started the process, so every engine is
started by the pool's keeper thread, which lives as long as the pool.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import RemoteError, UsageError
from kg.sandbox.limits import cap_memory

HOST = "127.0.0.1"


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def oxigraph_binary() -> str:
    """Path of the Oxigraph server binary: ``$KG_OXIGRAPH``, else the one the
    ``oxigraph`` package installed beside this Python, else ``oxigraph`` on PATH.

    >>> Path(oxigraph_binary()).name
    'oxigraph'
    """
    override = os.environ.get("KG_OXIGRAPH")
    if override:
        try:  # a path typed by hand: a program this machine runs, or a clear error
            subprocess.run([override, "--version"], capture_output=True, check=False, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as exc:
            why = getattr(exc, "strerror", None) or "it does not answer --version"
            raise UsageError(f"KG_OXIGRAPH={override!r}: cannot run it: {why}") from exc
        return override
    beside = Path(sysconfig.get_path("scripts")) / "oxigraph"
    if beside.exists():
        return str(beside)
    found = shutil.which("oxigraph")
    if found is None:
        raise UsageError("the Oxigraph server is not installed: pip install oxigraph")
    return found


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now.

    >>> 0 < free_port() < 65536
    True
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that has the kernel SIGKILL the child when the calling
    thread's process dies (Linux ``PR_SET_PDEATHSIG``); ``None`` elsewhere.

    libc is looked up here, in the parent, so the child only makes two system
    calls between fork and exec (``preexec_fn`` runs where other threads' locks
    may be held).
    """
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()

    def set_death_signal() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        if os.getppid() != parent:  # kg died before the call: nobody would signal
            os._exit(1)

    return set_death_signal


@dataclass(eq=False)
class Engine:
    """One ``oxigraph serve-read-only`` process and its private port."""

    port: int
    process: subprocess.Popen[bytes] = field(repr=False)

    def alive(self) -> bool:
        return self.process.poll() is None


class EnginePool:
    """``size`` engines over the database at ``db``; a request borrows one
    (:meth:`acquire`), gives it back (:meth:`release`) or has it killed and
    replaced (:meth:`discard`)."""

    def __init__(
        self, binary: str, db: Path, log: Path, size: int, memory: int = 0, union: bool = False
    ) -> None:
        self.binary, self.db, self.log, self.size = binary, db, log, size
        # The default graph of a query: all the store's graphs (kg build's store with
        # --reason: the asserted and ontology triples, and the inferred graph).
        self.union = union
        self.memory = memory  # bytes an engine may grow by once it listens (0: no cap)
        self.failure: str | None = None  # why an engine could not be started
        self._idle: queue.Queue[Engine] = queue.Queue()
        self._replace: queue.Queue[Engine | None] = queue.Queue()  # None stops the keeper
        self._engines: set[Engine] = set()
        self._lock = threading.Lock()
        self._stopping = False
        self._up = threading.Event()
        self._keeper = threading.Thread(target=self._keep, name="kg-serve-engines", daemon=True)

    def start(self, timeout: float) -> None:
        """Start the engines; return once all answer, or raise why not."""
        self._keeper.start()
        if not self._up.wait(timeout):
            self.failure = self.failure or f"the engines did not start within {timeout:g} s"
        if self.failure:
            raise RemoteError(f"the SPARQL server did not start: {self.failure}")

    def acquire(self, timeout: float | None) -> Engine | None:
        """An idle engine, waiting up to ``timeout`` seconds (``None``: no limit)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                engine = self._idle.get(timeout=left)
            except queue.Empty:
                return None
            if engine.alive():
                return engine
            self._replace.put(engine)  # it died on its own

    def release(self, engine: Engine) -> None:
        self._idle.put(engine)

    def ran_out_of_memory(self, engine: Engine) -> bool:
        """Whether ``engine`` ended by failing to allocate: Oxigraph (Rust)
        aborts when an allocation fails, as it does at the memory limit."""
        try:
            code = engine.process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            return False
        return code == -signal.SIGABRT and "memory allocation of" in tail(self.log, 2000)

    def discard(self, engine: Engine) -> None:
        """Kill ``engine`` now (its work stops with it) and start another."""
        with contextlib.suppress(OSError):
            engine.process.kill()
        self._replace.put(engine)

    def pids(self) -> list[int]:
        """The process ids of the engines running now."""
        with self._lock:
            return sorted(e.process.pid for e in self._engines if e.alive())

    def stop(self) -> None:
        """Kill every engine and stop the keeper."""
        with self._lock:
            self._stopping = True
            engines = list(self._engines)
        for engine in engines:
            with contextlib.suppress(OSError):
                engine.process.kill()
        self._replace.put(None)
        if self._keeper.is_alive():
            self._keeper.join(timeout=30)
        for engine in engines:
            engine.process.wait()

    # --- the keeper thread: every engine is started (and reaped) here ---------------

    def _keep(self) -> None:
        for _ in range(self.size):
            self._start_one()
        self._up.set()
        while (old := self._replace.get()) is not None:
            old.process.wait()
            with self._lock:
                self._engines.discard(old)
            self._start_one()

    def _start_one(self) -> None:
        try:
            engine = self._spawn()
        except (OSError, RemoteError) as exc:
            self.failure = str(exc)
            return
        if engine is not None:
            self._idle.put(engine)

    def _spawn(self, attempts: int = 3, ready_timeout: float = 60.0) -> Engine | None:
        # A free port may be taken between the check and Oxigraph's bind: try again.
        for _ in range(attempts):
            port = free_port()
            with self._lock:
                if self._stopping:
                    return None
                with self.log.open("ab") as out:
                    try:
                        proc = subprocess.Popen(
                            [self.binary, "serve-read-only", "--location", str(self.db),
                             "--bind", f"{HOST}:{port}",
                             *(["--union-default-graph"] if self.union else [])],
                            stdin=subprocess.DEVNULL,
                            stdout=out,
                            stderr=subprocess.STDOUT,
                            start_new_session=True,  # Ctrl-C reaches kg, which stops them
                            preexec_fn=die_with_parent(),
                        )  # fmt: skip
                    except OSError as exc:  # not a program this machine runs
                        why = exc.strerror or type(exc).__name__
                        raise UsageError(
                            f"cannot run the Oxigraph server {self.binary}: {why}"
                        ) from exc
                engine = Engine(port, proc)
                self._engines.add(engine)
            if _wait_listening(engine, ready_timeout):
                # kg query's memory limit, for the same runaway queries.
                cap_memory(self.memory, proc.pid)
                return engine
            with self._lock:
                self._engines.discard(engine)
            with contextlib.suppress(OSError):
                proc.kill()
            proc.wait()
        raise RemoteError(f"the Oxigraph server would not start: {tail(self.log)}")


def _wait_listening(engine: Engine, timeout: float) -> bool:
    """Whether the engine accepts connections within ``timeout`` (Oxigraph
    opens its database before it binds, so a listening engine can answer)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and engine.alive():
        try:
            with socket.create_connection((HOST, engine.port), timeout=1):
                return True
        except OSError:
            time.sleep(0.02)
    return False


def tail(path: Path, n: int = 400) -> str:
    """The last ``n`` characters of a log, on one line."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return "(no log)"
    return " ".join(text[-n:].split()) or "(empty log)"
