"""Reading and writing RDF: formats, extensions, atomic writes.

One table maps format names to rdflib's names and file extensions, so every
command offers the same ``--format`` choices and guesses the same way.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import XSD

from kg import guard
from kg.errors import BadInput, FolderBusy, UsageError, write_error

# name -> (rdflib format, extensions, keeps named graphs)
RDF_FORMATS: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "turtle": ("turtle", (".ttl", ".turtle"), False),
    "nt": ("nt", (".nt",), False),
    "nquads": ("nquads", (".nq", ".nquads"), True),
    "trig": ("trig", (".trig",), True),
    "jsonld": ("json-ld", (".jsonld", ".json"), True),
    "xml": ("xml", (".rdf", ".owl", ".xml"), False),
}


def format_from_path(path: Path | str, default: str | None = None) -> str:
    """Guess an RDF format name from a file's extension.

    >>> format_from_path("out/kg.nq")
    'nquads'
    """
    suffix = Path(path).suffix.lower()
    for name, (_, exts, _) in RDF_FORMATS.items():
        if suffix in exts:
            return name
    if default:
        return default
    raise UsageError(
        f"cannot tell the RDF format of {str(path)!r} from its extension; "
        f"use --format ({', '.join(RDF_FORMATS)})"
    )


def is_dataset_format(fmt: str) -> bool:
    return RDF_FORMATS[fmt][2]


def _umask() -> int:
    try:  # Linux says it without changing it (os.umask can only set it)
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# A sweep can take a temporary file only in the instant between its creation
# and its lock, and each sweep lists the folder once: more than a few tries
# would mean something else is removing them.
_TEMP_TRIES = 100


def temp_file(target: Path) -> tuple[int, str]:
    """A new temporary file beside ``target`` (open descriptor, name), readable
    and writable by its owner only while it is written (mkstemp's 0600):
    :func:`_write_synced` gives it ``target``'s permissions once it is complete.

    The descriptor holds an exclusive ``flock`` on the file, which tells
    :func:`sweep_leftovers` that its writer is alive (the kernel drops it when
    the writer ends, even by a kill): keep it open until the file has been
    renamed into place or removed. Where there is no ``flock`` (Windows, or
    the file system refuses it) the file is not locked.
    """
    for _ in range(_TEMP_TRIES):
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            if not _lock_new(fd, tmp):
                os.close(fd)
                continue
        except OSError:
            os.close(fd)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        return fd, tmp
    raise OSError(errno.EAGAIN, "each new temporary file was removed as soon as it was made")


def _lock_new(fd: int, tmp: str) -> bool:
    """Lock the new temporary file ``fd``; False if a sweep (another process
    building in the folder) took it before the lock, as unlocked files are."""
    if sys.platform == "win32":
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # a sweep holds it, and removes it before letting go
    except OSError:
        # No flock on this file system (ENOLCK, EOPNOTSUPP): only the folder lock guards it.
        return True
    # A sweep that locked it first removed it before letting go: its name is
    # gone, or names a file made since (compared, as some file systems report
    # no link count).
    try:
        return os.path.samestat(os.fstat(fd), os.lstat(tmp))
    except FileNotFoundError:
        return False


def _target_mode(target: Path) -> int:
    """The permissions ``target`` will keep: its own if it exists, else those a
    new file gets (mkstemp's 0600 would leave kg.ttl readable by its owner only)."""
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        return 0o666 & ~_umask()


def _write_synced(
    fd: int, write: Callable[[IO[bytes]], object], target: Path | None = None
) -> None:
    """Write through the open descriptor ``fd``, on disk before a rename, and
    give the file ``target``'s permissions (:func:`_target_mode`). Only once
    written: a killed writer's leftover stays 0600, which a sweep can open to
    test its lock even where ``target`` is unreadable. ``fd`` stays open:
    closing it would drop :func:`temp_file`'s lock."""
    with os.fdopen(fd, "wb", closefd=False) as fh:
        write(fh)
        fh.flush()
        # Not on Windows before Python 3.13 (no os.fchmod), where modes barely apply.
        if target is not None and hasattr(os, "fchmod"):
            os.fchmod(fd, _target_mode(target))
        os.fsync(fh.fileno())


def atomic_write(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Write ``path`` through a temporary file in the same folder, then rename.

    If ``write`` fails, the temporary file is removed and any previous
    ``path`` is left exactly as it was. An OS error (``path`` under a file, a
    full disk) is raised as :func:`kg.errors.write_error` makes it, naming ``path``.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = temp_file(path)
    except OSError as exc:
        raise write_error(path, exc) from exc
    try:
        _write_synced(fd, write, path)
        if sys.platform == "win32":
            # Windows renames no open file, and there is no lock to keep there.
            closing, fd = fd, -1
            os.close(closing)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise write_error(path, exc) from exc
        raise
    finally:
        # Only now: until it is renamed or removed, a sweep must see the file in use.
        if fd >= 0:
            os.close(fd)


def create_dirs(path: Path) -> list[Path]:
    """Create the folder ``path`` and its missing parents, as ``mkdir -p`` does
    (raising :func:`kg.errors.write_error`'s error where it fails); return the
    folders made, innermost first, for :func:`remove_created_dirs`."""
    missing = []
    p = path
    while not p.exists() and not p.is_symlink() and p != p.parent:
        missing.append(p)
        p = p.parent
    try:
        path.mkdir(parents=True, exist_ok=True)
    except BaseException as exc:
        remove_created_dirs(missing)
        if isinstance(exc, OSError):
            raise write_error(path, exc) from exc
        raise
    return missing


def remove_created_dirs(made: list[Path]) -> None:
    """Remove folders :func:`create_dirs` made, innermost first, each only while
    empty: a failed command leaves no trace, and never takes what else is there."""
    for d in made:
        try:
            d.rmdir()
        except FileNotFoundError:
            continue
        except OSError:
            return  # not empty: something else uses it, and so its parents


@contextlib.contextmanager
def folder_lock(path: Path) -> Iterator[bool]:
    """Hold an exclusive lock on the existing folder ``path`` while writing in it,
    or raise :class:`kg.errors.FolderBusy` at once if another process holds it.

    The lock is ``flock`` on the folder itself, not a lock file: nothing is
    left in the folder (a failed build can still remove a folder it made), and
    the kernel drops it when its holder ends, even by a kill. Advisory: only kg
    processes ask for it. Where there is no ``flock`` (Windows) or the file
    system refuses it, there is no lock. Not reentrant: a second lock on the
    same folder in the same process is refused too. Yields whether it locked.
    """
    if sys.platform == "win32":
        yield False
        return
    import fcntl

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as exc:
        raise write_error(path, exc) from exc
    locked = False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _busy(path) from None
        except OSError:
            pass  # no flock on this file system (ENOLCK, EOPNOTSUPP): unlocked, as before
        else:
            locked = True
            # The holder may have removed the folder (a failed build that made
            # it) between our open and our lock: the one locked is no longer ``path``.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(path))
            except FileNotFoundError:
                same = False
            if not same:
                raise _busy(path)
        yield locked
    finally:
        os.close(fd)  # releases the lock


def _busy(path: Path) -> FolderBusy:
    return FolderBusy(f"another kg process is writing to {path}; try again when it has finished")


# Names kg's own writes leave only when killed: temporary files from
# temp_file and Staged.commit's asides. mkstemp's random part is from this
# alphabet (eight characters in CPython, not a documented promise); the output
# name before it is what says the file is this command's.
_TEMP_NAME = re.compile(r"\.(?P<target>.+)\.[a-z0-9_]+\.tmp", re.S)
_ASIDE_NAME = re.compile(r"\.(?P<target>.+)\.old", re.S)


def sweep_leftovers(folder: Path, outputs: str, scratch: Iterable[str] = ()) -> None:
    """Remove what a killed run of a command left in ``folder``: the temporary
    files and :meth:`Staged.commit` asides of the outputs whose names fully
    match the regular expression ``outputs``, and the command's own scratch
    files or folders named in ``scratch``. Nothing else is touched, not even
    temporary files of other outputs. Call it holding :func:`folder_lock`, so
    that no other kg writer is using them.

    A temporary file still locked by its writer (:func:`temp_file`) stays: a
    ``kg export -o`` into the folder takes no folder lock, and may be writing
    the build's own ``kg.ttl``. Where there is no ``flock`` at all (Windows)
    temporary files carry no lock, and every one matched goes; kg's commands
    sweep only holding the folder lock, so they do not sweep there.

    An aside is deleted only when its output exists. A kill in the middle of a
    commit can leave an output renamed aside and its new version not yet in
    place (a folder, an output being removed, a file where hard links fail):
    the aside is then the only copy, and is put back instead. The outputs may
    then come from two builds, as they may after any kill mid-commit; kg
    notices (the store's stamp and the incremental state record the
    ``kg.ttl`` they go with), and the command that called this replaces them.
    """
    is_output = re.compile(outputs, re.S).fullmatch
    skip = set(scratch)
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return  # the command's own writes will say what is wrong
    for name in names:
        path = folder / name
        # A leftover that cannot be removed (permissions, a read-only file
        # system) is left: the command's own writes report what is wrong.
        if name in skip:
            with contextlib.suppress(OSError):
                _remove(path)
            continue
        temp = _TEMP_NAME.fullmatch(name)
        if temp and is_output(temp["target"]):
            with contextlib.suppress(OSError):
                if stat.S_ISREG(path.lstat().st_mode):  # temp_file makes only files
                    _remove_abandoned(path)
            continue
        aside = _ASIDE_NAME.fullmatch(name)
        if aside and is_output(aside["target"]):
            target = folder / aside["target"]
            if os.path.lexists(target):
                with contextlib.suppress(OSError):
                    _remove(path)
            else:
                with contextlib.suppress(OSError):
                    os.replace(path, target)


def _remove_abandoned(path: Path) -> None:
    """Remove the temporary file ``path`` unless its writer still holds
    :func:`temp_file`'s lock on it. Raises OSError where it cannot tell or
    cannot remove it (it then stays)."""
    if sys.platform == "win32":
        path.unlink()
        return
    import fcntl

    # O_NONBLOCK: if something swapped in a FIFO since the caller's lstat, the
    # open must not wait for a writer; fstat below then refuses it.
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return
        # BlockingIOError: its writer is alive. Another OSError: no flock on
        # this file system, so no telling: left, as a live one must be.
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        # Its writer may have renamed it into place and let go between our
        # open and our lock: the name then names nothing, or another file.
        if os.path.samestat(st, path.lstat()):
            # Unlinked while still locked, so that a writer that made it just
            # now and locks it after us finds it gone (temp_file's retry).
            path.unlink()
    finally:
        os.close(fd)


@contextlib.contextmanager
def output_folder(path: Path, outputs: str, scratch: Iterable[str] = ()) -> Iterator[None]:
    """The folder a command writes its outputs in, for the whole write: created
    with its missing parents, locked (:func:`folder_lock`) and swept of that
    command's leftovers (:func:`sweep_leftovers`). If the block fails, the
    folders made here are removed again (only while empty). Without a lock
    (no ``flock`` here) nothing is swept: another run may be using those files."""
    made = create_dirs(path)
    entered = False
    try:
        with folder_lock(path) as locked:
            entered = True
            try:
                if locked:
                    sweep_leftovers(path, outputs, scratch)
                yield
            except BaseException:
                # Still locked: no other kg writer can have started in them.
                remove_created_dirs(made)
                raise
    except BaseException as exc:
        # A busy folder is the other process's, even if this one made it (the
        # other found it there and is about to write in it).
        if not entered and not isinstance(exc, FolderBusy):
            remove_created_dirs(made)
        raise


class Staged:
    """A command's outputs, each first written under a temporary name next to
    where it goes, then put in place all together (:meth:`commit`) or all
    removed (:meth:`discard`): the outputs in a folder always come from one
    run, as far as renames allow.

    Used as a context manager, an exception inside discards what was staged.
    Commands take their folder with :func:`output_folder` first.
    """

    def __init__(self) -> None:
        # (staged, target) in commit order; staged None: target is to be removed
        self.moves: list[tuple[Path | None, Path]] = []
        self.files: set[Path] = set()  # the staged files file() wrote

    def __enter__(self) -> Staged:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not None:
            self.discard()

    def file(self, target: Path, data: bytes) -> Path:
        """Write ``data`` for ``target``; return the temporary name it is under."""
        try:
            fd, tmp = temp_file(target)
            try:
                self.moves.append((Path(tmp), target))  # first: discard removes it if writing fails
                # Its permissions come at commit (0600 until then, for the sweep).
                _write_synced(fd, lambda fh: fh.write(data))
                self.files.add(Path(tmp))
            finally:
                # Its lock is let go with it, not kept to the commit: the folder
                # lock (output_folder) keeps every other sweep out meanwhile, and
                # kg generate can stage more files than a process may hold open.
                os.close(fd)
        except OSError as exc:
            raise write_error(target, exc) from exc
        return Path(tmp)

    def add(self, staged: Path, target: Path) -> None:
        """An output made complete under the name ``staged`` (a file or folder)."""
        self.moves.append((staged, target))

    def remove(self, target: Path) -> None:
        """An output this build does not make (kg-inferred.ttl without --reason):
        an older build's would no longer match the others. It goes with the
        commit, and stays if the commit fails."""
        self.moves.append((None, target))

    def discard(self) -> None:
        for staged, _target in self.moves:
            _remove(staged)
        self.moves = []

    def commit(self) -> None:
        """Put every output in place, or, if one cannot be, none.

        Each old output is kept aside until all the new ones are in place: a
        file by a hard link (so it is never missing: a query reading it meanwhile
        gets the old file or the new), a folder by renaming it. If a rename
        fails, the new outputs placed so far are taken back and the old ones
        restored, and the error is raised.
        """
        done: list[tuple[Path | None, Path, Path | None, bool, bool]] = []
        current: Path | None = None  # the output being put in place, to name in an error
        try:
            for staged, target in self.moves:
                current = target
                aside, linked = None, False
                if staged in self.files:
                    os.chmod(staged, _target_mode(target))
                if os.path.lexists(target):
                    aside = target.with_name(f".{target.name}.old")
                    _remove(aside)  # left by a build that crashed here
                    # One being removed goes aside by a rename: it is to be gone.
                    linked = staged is not None and not target.is_dir() and _try_link(target, aside)
                    if not linked:
                        os.replace(target, aside)
                done.append((staged, target, aside, linked, False))
                if staged is not None:
                    os.replace(staged, target)
                done[-1] = (staged, target, aside, linked, True)
        except BaseException as exc:
            # Undo all that can be undone; the first error is the one to report.
            for staged, target, aside, linked, placed in reversed(done):
                if placed and not linked and staged is not None:
                    with contextlib.suppress(OSError):
                        os.replace(target, staged)  # discard removes it there
                if linked and not placed:
                    _remove(aside)  # a second name of the old file, still in place
                elif aside is not None:
                    with contextlib.suppress(OSError):  # else it stays aside, not lost
                        os.replace(aside, target)
            if isinstance(exc, OSError) and current is not None:
                raise write_error(current, exc) from exc
            raise
        for _staged, _target, aside, _linked, _placed in done:
            if aside is not None:
                _remove(aside)
        self.moves = []


def _try_link(src: Path, dst: Path) -> bool:
    try:
        os.link(src, dst)
    except OSError:  # no hard links on this file system: renamed aside instead
        return False
    return True


def _remove(path: Path | None) -> None:
    if path is None:
        return
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


_XSD_STRING = str(XSD.string)


def rdf11_term(term: Any) -> Any:
    """``"x"^^xsd:string`` as the plain literal ``"x"``: the same literal in RDF 1.1,
    and the form Oxigraph and the stores return (rdflib keeps the datatype)."""
    dt = term.datatype if type(term) is Literal else None
    if dt is not None and str.__eq__(dt, _XSD_STRING):
        return Literal(str(term))
    return term


def plain_strings(graph: Graph) -> None:
    """Hold each ``"x"^^xsd:string`` object of ``graph`` as the plain ``"x"``, in
    place (the same literal in RDF 1.1; rdflib keeps two terms). Only those
    triples are touched: a graph of a million triples is not copied."""
    for s, p, o in [t for t in graph if rdf11_term(t[2]) is not t[2]]:
        graph.remove((s, p, o))
        graph.add((s, p, rdf11_term(o)))


def serialize(graph: Graph | Dataset, fmt: str) -> bytes:
    """Serialise to bytes in a stable, prefixed form."""
    rdflib_fmt = RDF_FORMATS[fmt][0]
    if fmt == "nt" or fmt == "nquads":
        # rdflib writes N-Triples/N-Quads in store order; sort lines so the same
        # graph always gives the same bytes.
        data = graph.serialize(format=rdflib_fmt, encoding="utf-8")
        lines = sorted(set(data.splitlines(keepends=True)))
        return b"".join(line for line in lines if line.strip())
    if fmt == "jsonld":
        return graph.serialize(format=rdflib_fmt, encoding="utf-8", sort_keys=True, indent=2)
    return graph.serialize(format=rdflib_fmt, encoding="utf-8")


def write_rdf(graph: Graph | Dataset, path: Path, fmt: str | None = None) -> str:
    """Serialise ``graph`` to ``path`` atomically; return the format used."""
    fmt = fmt or format_from_path(path)
    data = serialize(graph, fmt)
    atomic_write(path, lambda fh: fh.write(data))
    return fmt


def parse_rdf(path: Path, fmt: str | None = None) -> Dataset:
    """Parse an RDF file into a Dataset (triples land in the default graph).

    Safe on hostile input: the file must be under the input size limit;
    RDF/XML may not declare a DOCTYPE (so no entity expansion and no external
    entities: a billion-laughs file fails at once); JSON-LD may only use
    contexts written inside the document; parsing runs in a strict
    :func:`kg.guard.offline` scope (no network, no other file); literals keep
    their lexical form and ill-typed ones (``"2024-02-30"^^xsd:date``) are
    refused.
    """
    fmt = fmt or format_from_path(path)
    data = read_input(path)
    if fmt == "xml":
        _check_xml(data, path)
    elif fmt == "jsonld":
        _check_jsonld(data, path)
    ds = Dataset(default_union=True)
    target = ds if is_dataset_format(fmt) else ds.default_context
    try:
        with guard.offline(strict=True), quiet_literals():
            target.parse(data=data, format=RDF_FORMATS[fmt][0], publicID=path.resolve().as_uri())
    except BadInput as exc:  # a refusal from the guard
        raise BadInput(f"{path}: {exc}") from None
    except RecursionError:
        raise BadInput(f"{path}: not valid {fmt}: nested too deeply to read") from None
    except Exception as exc:  # rdflib raises many unrelated types for bad syntax
        raise BadInput(f"{path}: not valid {fmt}: {_first_line(exc)}") from None
    _check_literals(ds, path)
    return ds


def read_input(path: Path) -> bytes:
    """The bytes of an input file, refused when over the input size limit."""
    limit = guard.current_limits().max_input_bytes
    try:
        size = path.stat().st_size
        if limit and size > limit:
            raise BadInput(
                f"{path}: {size} bytes, over the {limit}-byte limit for one input file "
                "(KG_MAX_INPUT_BYTES raises it)"
            )
        return path.read_bytes()
    except FileNotFoundError:
        raise BadInput(f"no such file: {path}") from None
    except IsADirectoryError:
        raise BadInput(f"{path} is a folder, not an RDF file") from None


@contextlib.contextmanager
def _quiet(logger: str) -> Iterator[None]:
    """Silence a logger (rdflib logs a traceback for each ill-typed literal)."""
    log = logging.getLogger(logger)
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        log.setLevel(level)


def _check_xml(data: bytes, path: Path) -> None:
    """Refuse RDF/XML with a DOCTYPE: entity declarations, entity expansion
    (billion laughs) and external entities or DTDs are never processed."""
    from xml.sax import SAXParseException
    from xml.sax.handler import ContentHandler

    import defusedxml
    import defusedxml.sax

    try:
        defusedxml.sax.parseString(
            data, ContentHandler(), forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except defusedxml.DefusedXmlException:
        raise BadInput(
            f"{path}: RDF/XML with a DOCTYPE or entity declarations is refused "
            "(entity expansion and external entities are not processed); "
            "write full IRIs instead of &entity; references"
        ) from None
    except SAXParseException as exc:
        raise BadInput(f"{path}: not valid xml: {_first_line(exc)}") from None


SHIPPED_CONTEXTS: dict[str, Path] = {}  # JSON-LD contexts kg ships: none yet


def _check_jsonld(data: bytes, path: Path) -> None:
    """Refuse JSON-LD that would load a context (remote, ``file:`` or ``@import``)
    or that nests deeper than the depth limit."""
    try:
        doc = json.loads(data)
    except RecursionError:
        raise BadInput(f"{path}: not valid jsonld: nested too deeply to read") from None
    except ValueError as exc:
        raise BadInput(f"{path}: not valid jsonld: {_first_line(exc)}") from None
    max_depth = guard.current_limits().max_depth
    stack: list[tuple[object, int, bool]] = [(doc, 1, False)]
    while stack:
        node, depth, in_context = stack.pop()
        if max_depth and depth > max_depth:
            raise BadInput(
                f"{path}: JSON-LD nested more than {max_depth} levels deep "
                "(KG_MAX_DEPTH raises the limit)"
            )
        if isinstance(node, str) and in_context and node not in SHIPPED_CONTEXTS:
            raise BadInput(
                f"{path}: JSON-LD context {node!r} is refused: kg loads no contexts "
                "from the network or other files; write the context inside the document"
            )
        if isinstance(node, list):
            stack.extend((item, depth + 1, in_context) for item in node)
        elif isinstance(node, dict):
            if in_context and "@import" in node:
                raise BadInput(
                    f"{path}: JSON-LD @import {node['@import']!r} is refused: kg loads no "
                    "contexts from the network or other files"
                )
            for key, value in node.items():
                if key == "@context":
                    stack.append((value, depth + 1, True))
                else:
                    # Inside a context, only a term's own (scoped) @context loads anything.
                    stack.append((value, depth + 1, False))


def quiet_literals() -> contextlib.AbstractContextManager[None]:
    """rdflib silenced while it makes literals (it logs a traceback for each
    ill-typed one, which :func:`refuse_ill_typed` reports as one error)."""
    return _quiet("rdflib.term")


def refuse_ill_typed(triples: Iterable[tuple], path: Path) -> None:
    """Raise :class:`BadInput` at the first ill-typed literal object."""
    for _s, p, o in triples:
        if isinstance(o, Literal) and o.ill_typed:
            raise BadInput(_ill_typed(path, p, o))


def _ill_typed(path: Path, p: Any, o: Literal) -> str:
    return (
        f"{path}: ill-typed literal {o.n3()} (on {p.n3()}): the text is not a valid "
        "value of its datatype"
    )


def _check_literals(ds: Dataset, path: Path) -> None:
    """Refuse what rdflib lets through but RDF forbids: ill-typed literals,
    literals as subjects or predicates, malformed IRIs and language tags (which
    Oxigraph, kg's store and serialiser, could not hold)."""
    import pyoxigraph as ox  # RDF's own rules for IRIs and language tags, which rdflib skips

    from kg.records import IRI_BAD_RE

    iris: set = set()
    langs: set = set()
    for s, p, o, _g in ds.quads((None, None, None, None)):
        if isinstance(o, Literal) and o.ill_typed:
            raise BadInput(_ill_typed(path, p, o))
        if isinstance(s, Literal) or not isinstance(p, URIRef):
            raise BadInput(
                f"{path}: not valid RDF: {s.n3()} {p.n3()} … (a literal as subject or predicate)"
            )
        for term in (s, p, o):
            if isinstance(term, URIRef) and term not in iris:
                if IRI_BAD_RE.search(term):
                    raise BadInput(f"{path}: not valid RDF: {str(term)!r} is not an IRI")
                try:
                    ox.NamedNode(term)
                except ValueError as exc:
                    raise BadInput(
                        f"{path}: not valid RDF: {str(term)!r} is not an IRI ({exc})"
                    ) from None
                iris.add(term)
        if isinstance(o, Literal) and o.language and o.language not in langs:
            try:
                ox.Literal("", language=o.language)
            except ValueError as exc:
                raise BadInput(
                    f"{path}: not valid RDF: {o.n3()}: {o.language!r} is not a language tag ({exc})"
                ) from None
            langs.add(o.language)


def _first_line(exc: BaseException) -> str:
    """The gist of a parser's error: rdflib's Turtle errors put it on line two."""
    text = str(exc).strip() or type(exc).__name__
    lines = text.splitlines()
    where = re.match(r"at line (\d+) of <[^>]*>:$", lines[0])
    if where and len(lines) > 1:
        why = re.match(r"Bad syntax \((.*)\) at \^", lines[1])
        return f"line {where.group(1)}: {why.group(1) if why else lines[1]}"[:300]
    if lines[0].endswith(":") and len(lines) > 1:
        return f"{lines[0]} {lines[1].strip()}"[:300]
    return lines[0][:300]
