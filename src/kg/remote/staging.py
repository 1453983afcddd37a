"""The staging graphs of an atomic ``kg push``: where they are minted, the one
update that moves them into place, and their removal when the push fails.

A failed push drops its staging graphs, retrying within reason, and when it
cannot be sure they are gone it says exactly how to drop them: the SPARQL
Update text and the endpoint to send it to.
"""

from __future__ import annotations

import contextlib
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from kg.errors import BadInput, KgError, RemoteError
from kg.progress import Bar
from kg.remote.http import Client, NoAnswer, Refused, redact
from kg.remote.protocol import count_triples, update
from kg.terms.namespaces import GRAPH

#: Where staging graphs are minted: a fresh IRI per push, never reused.
STAGING = GRAPH["staging/"]


#: Seconds a failed push keeps trying to drop its staging graphs. A store that
#: did not answer an upload in time may still be loading it, and makes the
#: graph only when it is done: Oxigraph's bulk load of 1M triples landed 15 s
#: after a 2 s --timeout, its transactional load over a minute after; a DROP
#: sent at once would come first and leave the whole graph behind.
CLEANUP_PATIENCE = 60.0


#: The longest wait between two looks at a staging graph being loaded.
MAX_WAIT = 8.0


#: Seconds between the attempts to drop a staging graph (None: the last).
DROP_WAITS = (1.0, 2.0, 4.0, None)


@dataclass
class Store:
    """Where one push goes, and how: shared by its steps."""

    client: Client
    url: str  # the Graph Store endpoint
    replace: bool
    verify: bool
    query_endpoint: str | None
    update_endpoint: str | None
    notify: Callable[[str], None] = field(default=lambda message: None)
    sent: Bar = field(default_factory=Bar)  # the push's progress (kg.progress)

    def sent_bytes(self, n: int) -> int:
        """``n`` bytes uploaded: told to the progress bar, and returned."""
        self.sent.advance(n)
        return n

    def count(self, graph: str | None) -> int:
        assert self.query_endpoint is not None
        return count_triples(self.query_endpoint, graph, client=self.client)

    def update(self, text: str) -> None:
        assert self.update_endpoint is not None
        update(self.update_endpoint, text, client=self.client)


@dataclass
class Staged:
    """A staging graph of this push: its IRI, the triples uploaded into it, and
    whether the store is done with the upload (it answered, or never got it):
    one it did not answer may still be loading."""

    iri: str
    triples: int
    settled: bool = False


def moves(targets: list[str | None], staged: dict[int, Staged], replace: bool) -> list[str]:
    """The update operations that put the staging graphs in place: one per
    target (``None``: the default graph), by its index in ``targets``.

    >>> moves(["http://e/g", None], {0: Staged("http://e/s", 1)}, replace=True)
    ['MOVE <http://e/s> TO <http://e/g>', 'CLEAR DEFAULT']
    """
    ops = []
    for i, target in enumerate(targets):
        into = f"<{target}>" if target else "DEFAULT"
        if i in staged and replace:
            ops.append(f"MOVE <{staged[i].iri}> TO {into}")
        elif i in staged:
            ops.append(f"ADD <{staged[i].iri}> TO {into} ;\nDROP GRAPH <{staged[i].iri}>")
        elif replace:  # nothing to upload: the target ends up empty
            ops.append(f"DROP SILENT GRAPH {into}" if target else "CLEAR DEFAULT")
    return ops


def staging_failed(store: Store, staged: dict[int, Staged], exc: KgError, moving: bool) -> KgError:
    """``exc``, once the staging graphs are dropped, saying what became of the
    targets; a :class:`~kg.errors.RemoteError` with the command that drops
    them if some may be left (Ctrl-C while kg waits leaves them too)."""
    if any(not s.settled for s in staged.values()) and store.query_endpoint is not None:
        store.notify(
            f"the store did not answer the upload; waiting up to {CLEANUP_PATIENCE:g} s "
            "for it to finish, to drop the staging graph (Ctrl-C stops waiting)"
        )
    deadline = time.monotonic() + CLEANUP_PATIENCE
    left = list(staged.values())
    with contextlib.suppress(KeyboardInterrupt):
        left = [s for s in staged.values() if not _drop(store, s, deadline)]
    if moving and isinstance(exc, NoAnswer):
        note = (
            "; the store did not confirm the move, so the target holds either its old or "
            "its new content: check it before pushing again"
        )
    else:
        note = "; the target graph was not changed"
    if not left:
        return type(exc)(f"{exc}{note}")
    return RemoteError(f"{exc}{note}{_left_behind(store, left)}")


def _drop(store: Store, staged: Staged, deadline: float) -> bool:
    """Drop one staging graph; whether it is gone for sure.

    If the store never answered the graph's upload, it may still be loading
    it: kg waits for its count to show the whole upload before dropping it
    (at the deadline, or with no query endpoint to count on, it drops what is
    there, without certainty).
    """
    if not staged.settled and not _landed(store, staged, deadline):
        _drop_now(store, staged.iri, deadline)
        return False
    return _drop_now(store, staged.iri, deadline)


def _landed(store: Store, staged: Staged, deadline: float) -> bool:
    """Whether the store shows the whole upload in the staging graph by the
    deadline (looking at once, then after 1, 2, 4, 8, 8 … s)."""
    if store.query_endpoint is None:
        return False
    wait = 1.0
    while _count(store, staged.iri) != staged.triples:
        if time.monotonic() + wait > deadline:
            return False
        time.sleep(wait)
        wait = min(2 * wait, MAX_WAIT)
    return True


def _drop_now(store: Store, graph: str, deadline: float) -> bool:
    """``DROP SILENT GRAPH``; whether the store did it. A drop that gets no
    answer, or finds the store unavailable (5xx), is sent again after 1, 2
    and 4 s while the deadline allows; one the store refuses (4xx) is not."""
    for wait in DROP_WAITS:
        try:
            store.update(f"DROP SILENT GRAPH <{graph}>")
        except (BadInput, Refused):
            return False
        except RemoteError:
            if wait is None or time.monotonic() + wait > deadline:
                return False
            time.sleep(wait)
        else:
            return True
    return False


def _count(store: Store, graph: str) -> int | None:
    try:
        return store.count(graph)
    except KgError:
        return None


def _left_behind(store: Store, left: list[Staged]) -> str:
    """Which staging graphs may remain, and the exact command that drops them."""
    graphs = "graph" if len(left) == 1 else "graphs"
    it = "it" if len(left) == 1 else "them"
    names = ", ".join(f"<{s.iri}>" for s in left)
    why = (
        "the store had not answered an upload and may still be loading it"
        if any(not s.settled for s in left)
        else f"kg could not drop {it}"
    )
    text = " ; ".join(f"DROP SILENT GRAPH <{s.iri}>" for s in left)
    endpoint = redact(store.update_endpoint or "")
    conn = store.client.conn
    auth = ""
    if conn.user:  # curl asks for the password
        auth = f"{'--digest ' if conn.auth == 'digest' else ''}--user {shlex.quote(conn.user)} "
    return (
        f"; but the staging {graphs} {names} may remain ({why}). Drop {it} with this "
        f"SPARQL Update on {endpoint}:\n  {text}\nfor example:\n  curl {auth}"
        f"--data-urlencode {shlex.quote('update=' + text)} {shlex.quote(endpoint)}"
    )
