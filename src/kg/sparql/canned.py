"""Canned queries: ``queries/NAME.rq`` files whose header holds their metadata
as YAML in ``#+`` comment lines (the convention grlc uses)::

    #+ title: Timeline of events
    #+ description: Every event with its dates and place, oldest first.
    #+ params:
    #+   from: {type: date, default: "1990", description: Earliest start date}

Parameters given by a user are checked and turned into RDF terms here;
:mod:`kg.sparql.bind` binds them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from kg.errors import BadInput, UsageError, did_you_mean
from kg.resources import queries_dir
from kg.sparql.rewrite import query_form
from kg.terms.checks import (
    character_name,
    control_character,
    date_datatype,
    is_absolute_iri,
    is_integer,
    is_language_tag,
    is_query_name,
    is_record_id,
)
from kg.terms.iris import record_iri
from kg.terms.namespaces import PREFIXES, expand

PARAM_TYPES = ("iri", "string", "lang", "date", "integer")


_VAR_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


_PARAM_KEYS = {"type", "default", "description", "optional"}


class _HeaderLoader(yaml.SafeLoader):
    """YAML 1.2's booleans: only true/false. YAML 1.1 (PyYAML's default) also
    reads yes/no/on/off as booleans, which turned a parameter named ``on``
    into ``True``."""


_HeaderLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


_HeaderLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    description: str
    default: str | None = None
    optional: bool = False  # when not given, the variable stays unbound

    @property
    def required(self) -> bool:
        return self.default is None and not self.optional


@dataclass(frozen=True)
class CannedQuery:
    name: str
    title: str
    description: str
    text: str
    path: Path
    params: tuple[Param, ...] = field(default=())

    @property
    def form(self) -> str:
        return query_form(self.text)


def parse_query_file(path: Path) -> CannedQuery:
    """Read one ``.rq`` file and its ``#+`` YAML header."""
    text = path.read_text(encoding="utf-8")
    meta = _header(text, path)
    if not is_query_name(path.stem):
        raise BadInput(f"{path}: query file names must be lower-case words with hyphens")
    for key in ("title", "description"):
        if not isinstance(meta.get(key), str):
            raise BadInput(f"{path}: header needs '#+ {key}: ...'")
    params = tuple(_param(name, spec, path) for name, spec in (meta.get("params") or {}).items())
    return CannedQuery(
        name=path.stem,
        title=meta["title"],
        description=meta["description"].strip(),
        text=text,
        path=path,
        params=params,
    )


def _header(text: str, path: Path) -> dict[str, Any]:
    """The YAML of a query file's ``#+`` lines."""
    header = "\n".join(
        line[3:] if line.startswith("#+ ") else line[2:]
        for line in text.splitlines()
        if line.startswith("#+")
    )
    try:
        return yaml.load(header, Loader=_HeaderLoader) or {}
    except yaml.YAMLError as exc:
        raise BadInput(f"{path}: malformed '#+' header: {exc}") from None


def unbound_params(text: str, bound: Iterable[str]) -> list[str]:
    """The parameters the ``#+ params`` header of ``text`` declares (those not
    ``optional``) that are not among ``bound``, in the header's order. A text
    without a readable header declares none.

    A parameter left unbound is a variable that matches anything, or nothing
    (timeline compares dates with it: no row): :mod:`kg.sparql.door` refuses
    such a text, so that every way in gets the same error.

    >>> unbound_params(get_query("timeline").text, ["lang"])
    ['from', 'to']
    """
    if "#+" not in text:
        return []
    try:
        meta = _header(text, Path("query"))
    except BadInput:  # an ad-hoc text's `#+` comment that is not YAML: it declares nothing
        return []
    params = meta.get("params") if isinstance(meta, dict) else None
    if not isinstance(params, dict):
        return []
    given = set(bound)
    return [
        str(name)
        for name, spec in params.items()
        if str(name) not in given and not (isinstance(spec, dict) and spec.get("optional") is True)
    ]


def _param(pname: Any, spec: Any, path: Path) -> Param:
    """One parameter of a query file's header, checked."""
    if not isinstance(pname, str) or not _VAR_RE.fullmatch(pname):
        raise BadInput(f"{path}: parameter {pname!r} must be a SPARQL variable name")
    if not isinstance(spec, dict) or spec.get("type") not in PARAM_TYPES:
        raise BadInput(f"{path}: parameter {pname!r} needs a type from {PARAM_TYPES}")
    unknown = sorted(str(k) for k in spec if k not in _PARAM_KEYS)
    if unknown:
        raise BadInput(
            f"{path}: parameter {pname!r} has unknown keys {unknown} "
            "(a value with a comma needs quotes)"
        )
    if not isinstance(spec.get("optional", False), bool):
        raise BadInput(f"{path}: parameter {pname!r}: optional must be true or false")
    default = spec.get("default")
    return Param(
        name=pname,
        type=spec["type"],
        description=str(spec.get("description", "")),
        default=None if default is None else str(default),
        optional=bool(spec.get("optional", False)),
    )


def catalog(directory: Path | None = None) -> dict[str, CannedQuery]:
    """All canned queries, by name.

    >>> "timeline" in catalog()
    True
    """
    directory = directory or queries_dir()
    return {q.name: q for q in (parse_query_file(p) for p in sorted(directory.glob("*.rq")))}


def get_query(name: str, directory: Path | None = None) -> CannedQuery:
    queries = catalog(directory)
    if name not in queries:
        raise UsageError(
            f"no canned query named {name!r}{did_you_mean(name, queries)}; "
            "`kg query --list` shows them: " + ", ".join(sorted(queries))
        )
    return queries[name]


def to_term(param: Param, raw: str) -> URIRef | Literal:
    """Turn a parameter value typed by a user into the RDF term it stands for.

    >>> to_term(Param("who", "iri", ""), "shinzo-abe")
    rdflib.term.URIRef('https://w3id.org/kg-nj/id/shinzo-abe')
    >>> to_term(Param("on", "date", ""), "2013-06-25")
    rdflib.term.Literal('2013-06-25', datatype=rdflib.term.URIRef('http://www.w3.org/2001/XMLSchema#date'))
    """
    bad = control_character(raw)
    if bad is not None:
        raise UsageError(f"parameter {param.name!r}: {character_name(bad)} in {raw!r}")
    value = raw.strip()
    if param.type == "iri":
        if is_record_id(value):
            return record_iri(value)
        prefix, sep, local = value.partition(":")
        if sep and prefix in PREFIXES and not local.startswith("//"):
            value = expand(value)
        if not is_absolute_iri(value):
            raise UsageError(
                f"parameter {param.name!r}: {raw!r} is not a record id, prefixed name or IRI"
            )
        return URIRef(value)
    if param.type == "date":
        xsd = date_datatype(value)
        if not xsd:
            raise UsageError(
                f'parameter {param.name!r}: {raw!r} is not a date "YYYY-MM-DD", "YYYY-MM" or "YYYY"'
            )
        return Literal(value, datatype=XSD[xsd])
    if param.type == "integer":
        if not is_integer(value, signed=True):
            raise UsageError(f"parameter {param.name!r}: {raw!r} is not a whole number")
        return Literal(value, datatype=XSD.integer)
    if param.type == "lang":
        if not is_language_tag(value):
            raise UsageError(f"parameter {param.name!r}: {raw!r} is not a language tag")
        return Literal(value.lower())
    return Literal(raw)


def bind_params(query: CannedQuery, given: dict[str, str]) -> dict[str, URIRef | Literal]:
    """Check the given parameters against the query's and turn them into terms."""
    known = {p.name: p for p in query.params}
    unknown = set(given) - set(known)
    if unknown:
        raise UsageError(
            f"query {query.name!r} has no parameter(s) "
            + ", ".join(u + did_you_mean(u, known) for u in sorted(unknown))
            + "; "
            f"it takes: {', '.join(known) or 'none'}"
        )
    bindings = {}
    for p in query.params:
        raw = given.get(p.name, p.default)
        if raw is None and p.optional:
            continue
        if raw is None:
            raise UsageError(f"query {query.name!r} needs -p {p.name}=VALUE ({p.description})")
        bindings[p.name] = to_term(p, raw)
    return bindings
