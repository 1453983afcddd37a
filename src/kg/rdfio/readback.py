"""Reading back what kg writes as RDF before it replaces the previous file, with
the parser of the library that did not write it (:func:`kg.rdfio.write.read_back`).

rdflib, which checks what Oxigraph wrote, reads about 1.5 MB of Turtle or
N-Triples a second: at 1M triples (kg.ttl 37 MB, kg-inferred.ttl 26 MB, an
N-Triples export 133 MB) that is 20 to 90 s of one core. So a large output is
cut into pieces that each parse on their own (N-Triples and N-Quads at line
ends, kg's Turtle between subject blocks: a piece that reads is whole
statements, so the pieces all read if and only if the file does) and the pieces
are parsed by worker processes (this module run as a program), beside the rest
of the command (kg build's validation and reasoning) and on every core. Small
outputs are read in the calling process: a worker takes about half a second to
start.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from kg.errors import BadInput, WriteFailed
from kg.rdfio.write import block_at, read_back

SMALL = 4 << 20
"""Outputs below this many bytes are read back in the calling process."""


def pieces(data: bytes, fmt: str, count: int) -> list[bytes]:
    """``data`` (RDF format ``fmt`` as kg writes it with Oxigraph) as about ``count``
    documents that each parse on their own, or whole when ``fmt`` cannot be cut
    so (TriG, JSON-LD, RDF/XML, Turtle with blank node labels).

    >>> pieces(b"<a> <b> <c> .\\n<d> <e> <f> .\\n", "nt", 2)
    [b'<a> <b> <c> .\\n', b'<d> <e> <f> .\\n']
    """
    size = -(-len(data) // max(1, count))
    if fmt in ("nt", "nquads"):
        cuts, pos = [], 0
        while pos < len(data):
            nl = data.find(b"\n", pos + size - 1)
            end = len(data) if nl < 0 else nl + 1
            cuts.append(data[pos:end])
            pos = end
        return cuts
    start = data.find(b"\n\n") + 2  # kg's Turtle: the prefixes, a blank line, the blocks
    if fmt != "turtle" or b"_:" in data or not 2 <= start < len(data):
        return [data]
    head, out, pos = data[:start], [], start
    while pos < len(data):
        end = block_at(data, max(pos + size, start + 1))
        out.append(head + data[pos:end])
        pos = end
    return out


class ReadBack:
    """Read-backs started when an output's bytes are ready and waited for just
    before it is put in place; a context manager that stops its workers.

    >>> with ReadBack() as rb:
    ...     wait = rb.start(b'<http://example.org/s> <http://example.org/p> "v" .\\n', "nt")
    ...     wait()
    """

    def __init__(self) -> None:
        self._threads: ThreadPoolExecutor | None = None
        self._procs: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()
        self._closed = False

    def __enter__(self) -> ReadBack:
        return self

    def __exit__(self, exc_type: object, *_exc: object) -> None:
        # After an error nothing waits for the pieces still being read.
        self.close(wait=exc_type is None)

    def close(self, wait: bool = True) -> None:
        with self._lock:
            self._closed = True
            if not wait:
                for proc in self._procs:
                    proc.kill()
        if self._threads is not None:
            self._threads.shutdown(wait=wait, cancel_futures=True)
            self._threads = None

    def start(
        self, data: bytes, fmt: str, writer: str = "oxigraph", name: str = "the output"
    ) -> Callable[..., None]:
        """Begin reading back ``data`` (:func:`kg.rdfio.write.read_back`'s arguments);
        return a function that waits for it and raises :class:`kg.errors.BadInput`
        if it did not read (any arguments it is called with are ignored, so it
        can be the ``check`` of :func:`kg.rdfio.atomic.atomic_write`)."""
        # Oxigraph reads what rdflib wrote at 50 MB/s: never worth a worker.
        if len(data) < SMALL or writer != "oxigraph" or not sys.executable:
            read_back(data, fmt, writer, name)
            return _done
        workers = os.cpu_count() or 1
        if self._threads is None:
            self._threads = ThreadPoolExecutor(max_workers=workers)
        jobs = [
            self._threads.submit(self._child, piece, fmt, writer, name)
            for piece in pieces(data, fmt, 2 * workers)
        ]
        return lambda *_args: _wait(jobs)

    def _child(self, piece: bytes, fmt: str, writer: str, name: str) -> None:
        """Read ``piece`` back in a new Python process (this module run as a
        program). Not multiprocessing: forking would copy kg build's store
        thread (RocksDB's own threads too) with any lock one held, and spawning
        imports the caller's ``__main__`` again, which a script without a
        ``__name__`` guard or a program read from standard input cannot bear."""
        with self._lock:
            if self._closed:
                return
            proc = subprocess.Popen(
                [sys.executable, "-m", __name__, fmt, writer, name],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            self._procs.add(proc)
        try:
            _out, err = proc.communicate(piece)
        finally:
            with self._lock:
                self._procs.discard(proc)
        if proc.returncode == _DOES_NOT_READ:
            raise BadInput(err.decode("utf-8", "replace").strip())
        if proc.returncode != 0:  # killed (out of memory, a signal) or broken
            why = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [
                f"exit status {proc.returncode}"
            ]
            raise WriteFailed(f"cannot write {name}: reading it back failed ({why[0]})")


_DOES_NOT_READ = 65
"""A read-back process's exit status when its piece does not read."""


def _done(*_args: Any) -> None:
    return None


def _wait(jobs: list[Future[None]]) -> None:
    for job in jobs:
        job.result()  # re-raises the piece's BadInput or WriteFailed


def _main(argv: list[str]) -> int:
    """A read-back process: the piece on standard input, the verdict as exit status."""
    fmt, writer, name = argv
    try:
        read_back(sys.stdin.buffer.read(), fmt, writer, name)
    except BadInput as exc:
        print(exc, file=sys.stderr)
        return _DOES_NOT_READ
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
