"""Rewriting only the changed subjects' blocks of a sorted Turtle file."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from typing import Any

from kg.pipeline.incremental.state import Fallback
from kg.rdfio.write import block_at, turtle_bytes
from kg.terms.namespaces import PREFIXES

# kg's Turtle (turtle_bytes) has one block per subject, sorted by subject, each
# found with kg.rdfio.write.block_at.

_ESCAPE = re.compile(r"\\(.)")


def _header(conv: Any) -> bytes:
    return turtle_bytes([], conv)


def _subject_at(data: bytes, pos: int) -> str:
    token = data[pos : data.index(b" ", pos)].decode()
    if token.startswith("<"):
        return token[1:-1]
    prefix, _, local = token.partition(":")
    return str(PREFIXES[prefix]) + _ESCAPE.sub(r"\1", local)


def subject_blocks(triples: Iterable[tuple], subjects: set, conv: Any) -> dict[str, bytes]:
    """The Turtle block of each of ``subjects`` (empty for a subject with no triples)."""
    data = turtle_bytes([t for t in triples if t[0] in subjects], conv)
    out = {str(s): b"" for s in subjects}
    pos = block_at(data, len(_header(conv)))
    while pos < len(data):
        end = block_at(data, pos + 1)
        out[_subject_at(data, pos)] = data[pos:end]
        pos = end
    return out


_LAST = "\U0010ffff"  # sorts after every IRI


def splice(old: bytes, blocks: dict[str, bytes], conv: Any) -> bytes:
    """``old`` Turtle with the blocks of ``blocks``' subjects replaced, added or
    (when empty) removed, in subject order. Each block is found by bisecting the
    bytes (the blocks are sorted by subject), so only a few lines are decoded."""
    header = _header(conv)
    if not old.startswith(header):
        raise Fallback("a Turtle output is not as kg wrote it")
    n = len(old)

    def subject_from(pos: int) -> str:
        start = block_at(old, pos)
        return _subject_at(old, start) if start < n else _LAST

    out = [header]
    prev = len(header)
    for s in sorted(blocks):
        found = bisect.bisect_left(range(prev, n + 1), s, key=subject_from)
        pos = block_at(old, prev + found) if prev + found < n else n
        out.append(old[prev:pos])
        out.append(blocks[s])
        prev = block_at(old, pos + 1) if pos < n and _subject_at(old, pos) == s else pos
    out.append(old[prev:])
    return b"".join(out)
