"""Reading a records file: UTF-8, strict YAML, every node with its line.

Every scalar is a string (no implicit typing: ``NO`` stays ``NO``, ``0755``
stays ``0755``), and anchors, aliases, tags and duplicate keys are refused,
so a record means what it says on the page.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kg.errors import BadInput, Location
from kg.sandbox.inputs import read_input
from kg.terms.checks import find_control

MAX_FILE_BYTES = 16 * 1024 * 1024


# --- strict YAML ---------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """Composes YAML to nodes, refusing anchors, aliases and explicit tags."""

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        event = self.peek_event()
        mark = event.start_mark
        if isinstance(event, yaml.AliasEvent):
            raise _YamlRefused("YAML aliases (*name) are not allowed in records", mark)
        if getattr(event, "anchor", None) is not None:
            raise _YamlRefused("YAML anchors (&name) are not allowed in records", mark)
        if getattr(event, "tag", None) is not None:
            raise _YamlRefused(f"YAML tags ({event.tag}) are not allowed in records", mark)
        return super().compose_node(parent, index)


class _YamlRefused(Exception):
    def __init__(self, message: str, mark: yaml.Mark) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


@dataclass
class _Node:
    """A YAML node reduced to str / list / dict, with its 1-based line."""

    value: Any
    line: int


class _Lines:
    """The line a text editor shows for a YAML mark (1-based).

    YAML 1.1, as PyYAML and libyaml read it, counts U+2028 and U+2029 (line and
    paragraph separators) as line breaks; editors do not, and record text may
    hold them. Each one before a mark is taken off YAML's line. (CR and CRLF
    are line feeds by now, :func:`read_text`; U+0085 is refused there.)

    >>> lines = _Lines("a: 'x\\u2028y'\\nb: 1\\n")
    >>> [lines(e.start_mark) for e in yaml.parse(lines.text) if isinstance(e, yaml.ScalarEvent)]
    [1, 1, 2, 2]
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.separators = [m.start() for m in _SEPARATORS.finditer(text)]

    def __call__(self, mark: yaml.Mark) -> int:
        return mark.line + 1 - bisect.bisect_left(self.separators, mark.index)

    def hint(self) -> str:
        """For a YAML error: where the first separator is, and why it matters
        (a plain, unquoted scalar or a comment ends there, as at a line feed)."""
        if not self.separators:
            return ""
        at = self.separators[0]
        return (
            f" (line {self.text.count(chr(10), 0, at) + 1} holds U+{ord(self.text[at]):04X}, "
            "which YAML reads as a line break outside quoted text: quote the text that "
            "holds it, and keep it out of comments)"
        )


_SEPARATORS = re.compile("[\u2028\u2029]")


def _convert(node: yaml.Node, file: str, lines: _Lines) -> _Node:
    line = lines(node.start_mark)
    if isinstance(node, yaml.ScalarNode):
        # Scalars stay text as written: records have no YAML null (`null`, `~`
        # and an empty value are the text they show), as the fast path reads them.
        return _Node(node.value, line)
    if isinstance(node, yaml.SequenceNode):
        return _Node([_convert(n, file, lines) for n in node.value], line)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, _Node] = {}
        for knode, vnode in node.value:
            kline = lines(knode.start_mark)
            if not isinstance(knode, yaml.ScalarNode):
                raise BadInput("mapping keys must be plain names", Location(file, kline))
            if knode.value in out:
                raise BadInput(
                    f"duplicate key {knode.value!r} (first at line {out[knode.value].line})",
                    Location(file, kline),
                )
            val = _convert(vnode, file, lines)
            val.line = kline  # a field's problems are reported at its key's line
            out[knode.value] = val
        return _Node(out, line)
    raise BadInput(f"unsupported YAML node {node!r}", Location(file, line))


_SLOW: Any = object()


def _compose_fast(text: str, lines: _Lines) -> Any:
    """Read records YAML with libyaml's C parser (events), straight into :class:`_Node`.

    About 30 times faster than PyYAML's pure-Python composer, and no yaml node
    layer in between. Scalars are kept as written (no implicit typing: a
    records file has no null, no booleans, no numbers). It gives what
    ``_convert(yaml.compose(text, Loader=_StrictLoader))`` gives for a plain,
    well-formed, single document; for anything else (anchors, aliases, tags,
    several documents, complex or duplicate keys, a syntax error, no libyaml)
    it returns ``_SLOW`` and the strict pure-Python path runs instead, so
    every refusal and error message is exactly that path's own. Lines are
    ``lines``' (an editor's), as that path's are.
    """
    if not getattr(yaml, "__with_libyaml__", False):
        return _SLOW
    shifted = lines if lines.separators else None  # None: YAML's lines are the editor's
    scalar_ev, map_ev, seq_ev = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    stack: list[_Node] = []  # open mappings and sequences
    keys: list[Any] = []  # per open mapping: the pending key (value, line), or None
    root = None
    docs = 0
    events: Any = yaml.parse(text, Loader=yaml.CSafeLoader)  # untyped attributes per kind
    try:
        for ev in events:
            cls = ev.__class__
            if cls is scalar_ev:
                if ev.anchor is not None or ev.tag is not None:
                    return _SLOW
                line = ev.start_mark.line + 1 if shifted is None else shifted(ev.start_mark)
                if stack and keys[-1] is None and stack[-1].value.__class__ is dict:
                    keys[-1] = (ev.value, line)  # a mapping key: kept as written
                    continue
                node = _Node(ev.value, line)
            elif cls is map_ev or cls is seq_ev:
                if ev.anchor is not None or ev.tag is not None:
                    return _SLOW
                if stack and keys[-1] is None and stack[-1].value.__class__ is dict:
                    return _SLOW  # a complex key: the strict path refuses it
                mark = ev.start_mark
                line = mark.line + 1 if shifted is None else shifted(mark)
                node = _Node({} if cls is map_ev else [], line)
            elif cls in ends:
                stack.pop()
                keys.pop()
                continue
            elif cls is yaml.DocumentStartEvent:
                docs += 1
                if docs > 1:
                    return _SLOW
                continue
            elif cls is yaml.AliasEvent:
                return _SLOW
            else:  # stream start/end, document end
                continue
            if not stack:
                root = node
            else:
                parent = stack[-1].value
                if parent.__class__ is list:
                    parent.append(node)
                else:
                    key, kline = keys[-1]
                    if key in parent:
                        return _SLOW  # a duplicate key: reported by the strict path
                    node.line = kline  # a field's problems are reported at its key's line
                    parent[key] = node
                    keys[-1] = None
            if cls is not scalar_ev:
                stack.append(node)
                keys.append(None)
    except (yaml.YAMLError, RecursionError):
        return _SLOW
    return root


def parse_yaml(text: str, file: str) -> _Node | None:
    """Parse one records file strictly; ``None`` for an empty file."""
    lines = _Lines(text)
    try:
        if lines.separators:
            _refuse_unquoted_separators(text, lines, file)
        fast = _compose_fast(text, lines)
        if fast is not _SLOW:
            return fast  # type: ignore[no-any-return]
        node = yaml.compose(text, Loader=_StrictLoader)
    except _YamlRefused as exc:
        raise BadInput(exc.message, Location(file, lines(exc.mark))) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = lines(mark) if mark else None
        raise BadInput(
            f"malformed YAML: {exc.problem or exc}{lines.hint()}", Location(file, line)
        ) from None
    except yaml.YAMLError as exc:
        raise BadInput(f"malformed YAML: {exc}", Location(file)) from None
    except RecursionError:
        raise BadInput("YAML nested too deeply", Location(file)) from None
    try:
        return None if node is None else _convert(node, file, lines)
    except RecursionError:
        raise BadInput("YAML nested too deeply", Location(file)) from None


def _refuse_unquoted_separators(text: str, lines: _Lines, file: str) -> None:
    """Refuse a U+2028/U+2029 outside a quoted scalar ("…" or '…').

    YAML reads one there as a line break that editors, ``head`` and ``grep`` do
    not show: ``# reviewed<U+2028>  description: …`` looks like one comment and
    is a comment and a field, and in plain or block text it can end the value
    and start a key. Inside quotes it is text."""
    quoted = [
        (ev.start_mark.index, ev.end_mark.index)
        for ev in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        if isinstance(ev, yaml.ScalarEvent)
        and ev.style in ('"', "'")
        and ev.start_mark is not None
        and ev.end_mark is not None
    ]
    for at in lines.separators:
        if not any(start < at < end for start, end in quoted):
            line = text.count("\n", 0, at) + 1
            raise BadInput(
                f"U+{ord(text[at]):04X} ({unicodedata.name(text[at])}) outside quoted text: "
                "YAML reads it as a line break that editors do not show, so it can end a "
                "comment or a value and start a field; quote the text that holds it",
                Location(file, line),
            )


def read_records_bytes(path: Path, display: str) -> bytes:
    """The bytes of the records file at ``path`` (named ``display``), read as
    every input is (:func:`kg.sandbox.inputs.read_input`): a regular file, of
    at most :data:`MAX_FILE_BYTES`."""
    return read_input(path, display, limit=MAX_FILE_BYTES, what="records file")


def read_text(path: Path, display: str) -> str:
    """Read a records file as UTF-8 (a leading BOM is allowed), its line
    breaks as a text editor shows them, NFC-normalised.

    The file is read by :func:`read_records_bytes`. CRLF and a lone CR
    become a line feed: one line break each, as editors (and YAML) count
    them, so a file saved on Windows reads as the same records, with the same
    line numbers.
    """
    data = read_records_bytes(path, display)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = len(_BREAKS_BYTES.findall(data, 0, exc.start)) + 1
        raise BadInput(
            f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save the file as UTF-8",
            Location(display, line),
        ) from None
    if "\r" in text:
        text = _CR.sub("\n", text)
    # Raw in the file, comments included; an escaped one ("\e" in a double-quoted
    # scalar) is refused with its record and field once YAML has decoded it
    # (kg.records.values._scalar).
    bad = find_control(text)
    if bad >= 0:
        line = text.count("\n", 0, bad) + 1
        raise BadInput(
            f"control character U+{ord(text[bad]):04X} in the file", Location(display, line)
        )
    return unicodedata.normalize("NFC", text)


# A line break as editors count them: CRLF, a lone CR, LF.
_CR = re.compile(r"\r\n?")
_BREAKS_BYTES = re.compile(rb"\r\n?|\n")
