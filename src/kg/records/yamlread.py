"""Reading a records file: UTF-8, strict YAML, every node with its line.

Every scalar is a string (no implicit typing: ``NO`` stays ``NO``, ``0755``
stays ``0755``), and anchors, aliases, tags and duplicate keys are refused,
so a record means what it says on the page.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kg.errors import BadInput, Location
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


def _convert(node: yaml.Node, file: str) -> _Node:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode):
        # Scalars stay text as written: records have no YAML null (`null`, `~`
        # and an empty value are the text they show), as the fast path reads them.
        return _Node(node.value, line)
    if isinstance(node, yaml.SequenceNode):
        return _Node([_convert(n, file) for n in node.value], line)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, _Node] = {}
        for knode, vnode in node.value:
            kline = knode.start_mark.line + 1
            if not isinstance(knode, yaml.ScalarNode):
                raise BadInput("mapping keys must be plain names", Location(file, kline))
            if knode.value in out:
                raise BadInput(
                    f"duplicate key {knode.value!r} (first at line {out[knode.value].line})",
                    Location(file, kline),
                )
            val = _convert(vnode, file)
            val.line = kline  # a field's problems are reported at its key's line
            out[knode.value] = val
        return _Node(out, line)
    raise BadInput(f"unsupported YAML node {node!r}", Location(file, line))


_SLOW: Any = object()


def _compose_fast(text: str) -> Any:
    """Read records YAML with libyaml's C parser (events), straight into :class:`_Node`.

    About 30 times faster than PyYAML's pure-Python composer, and no yaml node
    layer in between. Scalars are kept as written (no implicit typing: a
    records file has no null, no booleans, no numbers). It gives what
    ``_convert(yaml.compose(text, Loader=_StrictLoader))`` gives for a plain,
    well-formed, single document; for anything else (anchors, aliases, tags,
    several documents, complex or duplicate keys, a syntax error, no libyaml)
    it returns ``_SLOW`` and the strict pure-Python path runs instead, so
    every refusal and error message is exactly that path's own.
    """
    if not getattr(yaml, "__with_libyaml__", False):
        return _SLOW
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
                line = ev.start_mark.line + 1
                if stack and keys[-1] is None and stack[-1].value.__class__ is dict:
                    keys[-1] = (ev.value, line)  # a mapping key: kept as written
                    continue
                node = _Node(ev.value, line)
            elif cls is map_ev or cls is seq_ev:
                if ev.anchor is not None or ev.tag is not None:
                    return _SLOW
                if stack and keys[-1] is None and stack[-1].value.__class__ is dict:
                    return _SLOW  # a complex key: the strict path refuses it
                node = _Node({} if cls is map_ev else [], ev.start_mark.line + 1)
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
    try:
        fast = _compose_fast(text)
        if fast is not _SLOW:
            return fast  # type: ignore[no-any-return]
        node = yaml.compose(text, Loader=_StrictLoader)
    except _YamlRefused as exc:
        raise BadInput(exc.message, Location(file, exc.mark.line + 1)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise BadInput(f"malformed YAML: {exc.problem or exc}", Location(file, line)) from None
    except yaml.YAMLError as exc:
        raise BadInput(f"malformed YAML: {exc}", Location(file)) from None
    except RecursionError:
        raise BadInput("YAML nested too deeply", Location(file)) from None
    try:
        return None if node is None else _convert(node, file)
    except RecursionError:
        raise BadInput("YAML nested too deeply", Location(file)) from None


def read_text(path: Path, display: str) -> str:
    """Read a records file as UTF-8 (a leading BOM is allowed), NFC-normalised."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise BadInput(
            f"file is {size} bytes, over the {MAX_FILE_BYTES}-byte limit for one records file",
            Location(display),
        )
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BadInput(
            f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save the file as UTF-8",
            Location(display, line),
        ) from None
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
