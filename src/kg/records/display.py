"""How records are shown: the kinds of things pages list and colour, the
timeline's theme colours and the phrasing of facts.

Read from ``ontology/record-display.yaml``, beside the record types it names;
nothing about what ``kg describe`` and ``kg report`` list, colour or say is
hard-coded in the views. A malformed file is bad input, named by line.

>>> display = load_display()
>>> display.kinds[0].name, display.title("person"), display.colour("person")
('source', 'Person', '#2563EB')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from kg.errors import BadInput, Location
from kg.records.schema import Schema, load_schema
from kg.records.yamlread import parse_yaml, read_text
from kg.resources import record_display_file, record_types_file
from kg.terms.namespaces import PREFIXES, expand

OTHER = "other"  # the kind of anything of none of the listed kinds


# A template is text, {placeholders} and [optional parts]; facts.py fills it.
TEMPLATE_TOKEN_RE = re.compile(r"\{([^{}]+)\}|\[|\]|[^{}\[\]]+")


PLACEHOLDERS = ("s", "o", "o:when", "when")  # and s.PREFIX:NAME


_NAME_RE = re.compile(r"^[a-z][a-z0-9-]*$")  # a kind's name is a CSS class and a page anchor


_COLOUR_RE = re.compile(r"^#[0-9A-Fa-f]{6}$")


_TOP_KEYS = ("kinds", "other", "order", "themes", "phrases")


_KIND_KEYS = ("type", "singular", "plural", "colour", "network", "export")


_PHRASE_KEYS = ("sentence", "inverse", "heading", "field", "hidden")


@dataclass(frozen=True)
class Kind:
    """A kind of thing pages list: its record type's class, titles and colour."""

    name: str
    type: str | None  # the record type (None for `other`)
    cls: str | None  # full IRI of that type's class
    singular: str
    plural: str
    colour: str  # #RRGGBB
    network: bool = False  # drawn in the picture of the whole network
    export: bool = False  # a node of the network file too (kg export --format graphml)


@dataclass(frozen=True)
class Phrase:
    """How one property's facts read (see the file's comments for the keys)."""

    order: int
    sentence: str | None = None
    inverse: str | None = None
    heading: str | None = None
    field: str | None = None
    hidden: bool = False


@dataclass(frozen=True)
class ThemeColours:
    palette: tuple[str, ...]  # for the top themes of the most events, in order
    other: str  # a theme past the palette
    none: str  # an event with no theme recorded


@dataclass(frozen=True)
class Display:
    kinds: tuple[Kind, ...]  # in the order tested
    other: Kind
    order: tuple[str, ...]  # display order: every kind and `other`
    themes: ThemeColours
    phrases: dict[str, Phrase]  # by property IRI

    def kind(self, name: str) -> Kind:
        """The kind called ``name``; an unknown name is `other`."""
        return next((k for k in self.kinds if k.name == name), self.other)

    def title(self, name: str, *, plural: bool = False) -> str:
        k = self.kind(name)
        return k.plural if plural else k.singular

    def colour(self, name: str) -> str:
        return self.kind(name).colour

    def rank(self, name: str) -> int:
        """Where the kind comes in the display order."""
        return self.order.index(self.kind(name).name)

    @property
    def titles(self) -> dict[str, tuple[str, str]]:
        """Singular and plural title by kind name, `other` included."""
        return {k.name: (k.singular, k.plural) for k in (*self.kinds, self.other)}

    @property
    def network_kinds(self) -> tuple[str, ...]:
        """The kinds drawn in the picture of the whole network, in display order."""
        drawn = {k.name for k in self.kinds if k.network}
        return tuple(name for name in self.order if name in drawn)

    @property
    def export_kinds(self) -> tuple[str, ...]:
        """The kinds whose records are the nodes of the network file (``kg export
        --format graphml|gexf``): the network's and those marked ``export``."""
        kept = {k.name for k in self.kinds if k.network or k.export}
        return tuple(name for name in self.order if name in kept)


class _Node(Protocol):
    """A YAML node as kg.records.yamlread reads it: str, list or dict, and its line."""

    value: Any
    line: int


def load_display(path: Path | None = None, record_types: Path | None = None) -> Display:
    """Read a record-display file (the bundled one by default) against the
    record types (the bundled ones by default).

    >>> load_display().phrases[expand("kg:signatory")].sentence
    '{o} signed {s}{when}'
    """
    path = path or record_display_file()
    record_types = record_types or record_types_file()
    return _load_display(path.resolve(), record_types.resolve())


@cache
def _load_display(path: Path, record_types: Path) -> Display:
    return _Reader(str(path), load_schema(record_types)).read(path)


class _Reader:
    """Checks each part of the file as it turns it into typed records."""

    def __init__(self, file: str, schema: Schema) -> None:
        self.file = file
        self.schema = schema

    def fail(self, node: _Node | None, message: str) -> BadInput:
        return BadInput(message, Location(self.file, node.line if node else None))

    def read(self, path: Path) -> Display:
        root = parse_yaml(read_text(path, self.file), self.file)
        top = self.mapping(root, "the file", _TOP_KEYS, required=_TOP_KEYS)
        kinds = self.kinds(top["kinds"])
        other = self.kind(OTHER, top["other"], of_type=False)
        return Display(
            kinds=kinds,
            other=other,
            order=self.order(top["order"], [k.name for k in kinds]),
            themes=self.themes(top["themes"]),
            phrases=self.phrases(top["phrases"]),
        )

    # --- shapes of nodes ------------------------------------------------------------

    def mapping(
        self,
        node: _Node | None,
        what: str,
        keys: tuple[str, ...] | None = None,
        required: tuple[str, ...] = (),
    ) -> dict[str, _Node]:
        if node is None or not isinstance(node.value, dict):
            raise self.fail(node, f"{what} must be a mapping")
        found: dict[str, _Node] = node.value
        for key, value in found.items():
            if keys is not None and key not in keys:
                raise self.fail(value, f"{what}: unknown key {key!r} (known: {', '.join(keys)})")
        missing = [k for k in required if k not in found]
        if missing:
            raise self.fail(node, f"{what}: missing {', '.join(repr(k) for k in missing)}")
        return found

    def text(self, node: _Node, what: str) -> str:
        if not isinstance(node.value, str) or not node.value.strip():
            raise self.fail(node, f"{what} must be a non-empty text")
        return node.value

    def flag(self, node: _Node, what: str) -> bool:
        if node.value not in ("true", "false"):
            raise self.fail(node, f"{what} must be true or false, not {node.value!r}")
        return bool(node.value == "true")

    def colour(self, node: _Node, what: str) -> str:
        value = self.text(node, what)
        if not _COLOUR_RE.match(value):
            raise self.fail(node, f"{what}: {value!r} is not a colour written #RRGGBB")
        return value

    def names(self, node: _Node, what: str) -> list[tuple[str, _Node]]:
        if not isinstance(node.value, list):
            raise self.fail(node, f"{what} must be a list")
        return [(self.text(item, f"{what}: each item"), item) for item in node.value]

    # --- the sections ---------------------------------------------------------------

    def kinds(self, node: _Node) -> tuple[Kind, ...]:
        entries = self.mapping(node, "kinds")
        if not entries:
            raise self.fail(node, "kinds: list at least one kind")
        return tuple(self.kind(name, spec) for name, spec in entries.items())

    def kind(self, name: str, node: _Node, *, of_type: bool = True) -> Kind:
        what = f"kinds: {name}" if of_type else OTHER
        if of_type and (name == OTHER or not _NAME_RE.match(name)):
            raise self.fail(
                node,
                f"{what}: a kind's name is lower-case letters, digits and hyphens, "
                f"and not {OTHER!r}",
            )
        keys = _KIND_KEYS if of_type else ("singular", "plural", "colour")
        required = keys[:4] if of_type else keys
        spec = self.mapping(node, what, keys, required)
        rtype = cls = None
        if of_type:
            rtype = self.text(spec["type"], f"{what}: type")
            if rtype not in self.schema.types:
                raise self.fail(spec["type"], f"{what}: {rtype!r} is not a record type")
            cls = self.schema.types[rtype].cls
        return Kind(
            name=name,
            type=rtype,
            cls=cls,
            singular=self.text(spec["singular"], f"{what}: singular"),
            plural=self.text(spec["plural"], f"{what}: plural"),
            colour=self.colour(spec["colour"], f"{what}: colour"),
            network=self.flag(spec["network"], f"{what}: network") if "network" in spec else False,
            export=self.flag(spec["export"], f"{what}: export") if "export" in spec else False,
        )

    def order(self, node: _Node, kinds: list[str]) -> tuple[str, ...]:
        listed = self.names(node, "order")
        expected = [*kinds, OTHER]
        seen: set[str] = set()
        for name, item in listed:
            if name not in expected:
                raise self.fail(item, f"order: {name!r} is not a kind")
            if name in seen:
                raise self.fail(item, f"order: {name!r} is listed twice")
            seen.add(name)
        missing = [k for k in expected if k not in seen]
        if missing:
            raise self.fail(node, f"order: missing {', '.join(repr(k) for k in missing)}")
        return tuple(name for name, _item in listed)

    def themes(self, node: _Node) -> ThemeColours:
        keys = ("palette", "other", "none")
        spec = self.mapping(node, "themes", keys, required=keys)
        listed = self.names(spec["palette"], "themes: palette")
        palette = [self.colour(item, "themes: palette") for _name, item in listed]
        if not palette:
            raise self.fail(spec["palette"], "themes: palette: list at least one colour")
        return ThemeColours(
            tuple(palette),
            self.colour(spec["other"], "themes: other"),
            self.colour(spec["none"], "themes: none"),
        )

    def phrases(self, node: _Node) -> dict[str, Phrase]:
        out: dict[str, Phrase] = {}
        for n, (curie, spec) in enumerate(self.mapping(node, "phrases").items()):
            iri = expand(curie)
            if iri == curie:
                raise self.fail(spec, f"phrases: {curie!r} is not a prefixed name kg knows")
            out[iri] = self.phrase(n, curie, spec)
        return out

    def phrase(self, n: int, curie: str, node: _Node) -> Phrase:
        what = f"phrases: {curie}"
        spec = self.mapping(node, what, _PHRASE_KEYS)
        texts: dict[str, str] = {}
        for key in ("sentence", "inverse", "heading", "field"):
            if key in spec:
                texts[key] = self.text(spec[key], f"{what}: {key}")
        for key in ("sentence", "inverse"):
            if key in texts:
                self.template(spec[key], texts[key], f"{what}: {key}")
        hidden = self.flag(spec["hidden"], f"{what}: hidden") if "hidden" in spec else False
        return Phrase(order=n, hidden=hidden, **texts)

    def template(self, node: _Node, template: str, what: str) -> None:
        """Refuse a template facts.py would misread: a stray brace or bracket, a
        nested optional part, an unknown placeholder."""
        depth = 0
        covered = 0
        for m in TEMPLATE_TOKEN_RE.finditer(template):
            if m.start() != covered:
                break
            covered = m.end()
            token, name = m.group(0), m.group(1)
            depth += 1 if token == "[" else -1 if token == "]" else 0
            if depth not in (0, 1):
                raise self.fail(node, f"{what}: unbalanced or nested [ ] in {template!r}")
            if name is not None and not _known_placeholder(name):
                raise self.fail(node, f"{what}: unknown placeholder {{{name}}} in {template!r}")
        if covered != len(template):
            raise self.fail(node, f"{what}: a stray {{ or }} in {template!r}")
        if depth:
            raise self.fail(node, f"{what}: unbalanced or nested [ ] in {template!r}")


def _known_placeholder(name: str) -> bool:
    if name in PLACEHOLDERS:
        return True
    prefix, _, local = name.removeprefix("s.").partition(":")
    return name.startswith("s.") and prefix in PREFIXES and bool(local)
