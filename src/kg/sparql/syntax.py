"""A SPARQL syntax error as a person reads it: where, what, and the line with a caret.

Oxigraph's parser (the door's, :mod:`kg.sparql.door`) says ``error at L:C:
expected one of …``, L and C counted in characters from 1. Its list of what
it expected can span lines; for an undeclared prefix it is mostly the
character classes of a local name after ``Prefix not found`` (shown whole:
noise; cut: ``expected one of Prefix not found, ['%'], …``), or, after a
one-letter local name, ``expected OPTIONAL`` further on. So an error at or
after a prefixed name whose prefix is neither declared nor kg's names that
prefix instead, with the closest one there is; the character classes of a
name are said in words (a letter, a digit); and every error shows its line
with a caret under the column.

>>> text = "SELECT ?x { ?x fof:name ?n }"
>>> print(syntax_error(text, "error at 1:24: expected one of Prefix not found, ['%']"))
SPARQL error at 1:16: unknown prefix 'fof:' (did you mean 'foaf'?)
  SELECT ?x { ?x fof:name ?n }
                 ^
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable

from kg.errors import BadInput, did_you_mean
from kg.sparql.lexer import Token, tokens
from kg.terms.checks import visible
from kg.terms.namespaces import PREFIXES

_AT = re.compile(r"error at (\d+):(\d+): ")


# Oxigraph lists the character classes of SPARQL's names as ranges of code
# points, a few hundred characters each: said in words, the rest kept as it is.
_CLASSES = (
    (re.compile(r"\['A' \.\.= 'Z' \| 'a' \.\.= 'z'[^\]]*\]"), "a letter"),
    (re.compile(r"\['-' \| '0' \.\.= '9'[^\]]*\]"), "a name character"),
    (re.compile(r"\['0' ?\.\.= ?'9'\]"), "a digit"),
)


# The widest stretch of a line shown around the column: a query written on one
# long line (generated, pasted) still gives one readable line.
_WINDOW = 100


def syntax_error(text: str | None, message: str) -> BadInput:
    """The error for Oxigraph's ``message`` about ``text``: ``SPARQL error at
    L:C: …``, the message whole on one line, then the line and a caret. A
    message without a place is passed on as it is (on one line)."""
    found = _AT.match(message)
    what = " ".join(part.strip() for part in message.splitlines())
    for pattern, words in _CLASSES:
        what = pattern.sub(words, what)
    if found is None or text is None:
        return BadInput(f"SPARQL error: {what}")
    line, column = int(found.group(1)), int(found.group(2))
    what = what[found.end() :]
    unknown = _undeclared(text, _offset(text, line, column))
    if unknown is not None:
        line, column = _line_column(text, unknown.start)
        what = unknown_prefix(unknown.text.partition(":")[0], _declared(text))
    return BadInput(f"SPARQL error at {line}:{column}: {what}{_excerpt(text, line, column)}")


def unknown_prefix(prefix: str, declared: Iterable[str] = ()) -> str:
    """What to say of ``prefix:``: the closest prefix the query declares or kg
    knows, or, with none close, the ones kg knows.

    >>> unknown_prefix("fof")
    "unknown prefix 'fof:' (did you mean 'foaf'?)"
    >>> unknown_prefix("zz", ["ex"])[:76]
    "unknown prefix 'zz:'; declare it (PREFIX zz: <IRI>) or use one declared, the"
    """
    hint = did_you_mean(prefix, [*PREFIXES, *declared])
    if hint:
        return f"unknown prefix {prefix + ':'!r}{hint}"
    ours = f"the query's: {', '.join(sorted(declared))}; " if declared else ""
    return (
        f"unknown prefix {prefix + ':'!r}; declare it (PREFIX {prefix}: <IRI>) "
        f"or use one declared, {ours}kg's: {', '.join(sorted(PREFIXES))}"
    )


def _declared(text: str) -> set[str]:
    """The prefixes ``text`` declares (``PREFIX p: <…>``)."""
    toks = tokens(text)
    return {
        b.text[:-1]
        for a, b in itertools.pairwise(toks)
        if a.word == "PREFIX" and b.kind == "pname" and b.text.endswith(":")
    }


def _undeclared(text: str, at: int) -> Token | None:
    """The first prefixed name before ``at`` whose prefix is neither declared
    nor kg's. The parser's own place and words for it vary with what follows:
    ``?x zz:pp ?n`` is "Prefix not found" after ``zz:pp``, ``?x zz:p ?n``
    "expected OPTIONAL" after ``?n``."""
    known = set(PREFIXES) | _declared(text)
    for tok in tokens(text):
        if tok.start >= at:
            break
        if tok.kind == "pname" and tok.text.partition(":")[0] not in known | {"_"}:
            return tok
    return None


def _lines(text: str) -> list[str]:
    # Oxigraph counts lines at "\n" (a "\r\n" ends one line, its "\r" is not shown).
    return [line.removesuffix("\r") for line in text.split("\n")]


def _offset(text: str, line: int, column: int) -> int:
    """The index in ``text`` of ``line``:``column`` (both from 1)."""
    before = text.split("\n")[: line - 1]
    return sum(len(x) + 1 for x in before) + column - 1


def _line_column(text: str, offset: int) -> tuple[int, int]:
    head = text[:offset]
    return head.count("\n") + 1, offset - (head.rfind("\n") + 1) + 1


def _excerpt(text: str, line: int, column: int) -> str:
    """The line, then a caret under ``column``: indented, on lines of their own."""
    lines = _lines(text)
    if not 1 <= line <= len(lines):
        return ""
    shown, at = lines[line - 1], column - 1
    start = max(0, min(at - _WINDOW // 2, len(shown) - _WINDOW))
    head = "…" if start else ""
    tail = "…" if len(shown) > start + _WINDOW else ""
    shown = visible(shown[start : start + _WINDOW], keep="\t")
    before = visible(lines[line - 1][start:at], keep="\t")
    return f"\n  {head}{shown}{tail}\n  {' ' * len(head)}{_pad(before)}^"


def _pad(before: str) -> str:
    """Blanks as wide as ``before`` on a terminal: its tabs kept, two columns
    for each wide (East Asian) character."""
    return "".join(
        "\t" if c == "\t" else "  " if unicodedata.east_asian_width(c) in "WF" else " "
        for c in before
    )
