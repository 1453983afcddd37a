"""Reading RDF files, safely: size limits, no DOCTYPE in RDF/XML, no remote
contexts in JSON-LD, parsing in a strict offline scope, and the terms RDF
forbids refused with the file named.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from rdflib import XSD, Dataset, Graph, Literal, URIRef

from kg.errors import BadInput
from kg.rdfio.formats import RDF_FORMATS, format_from_path, is_dataset_format
from kg.sandbox.inputs import read_input
from kg.sandbox.limits import current_limits
from kg.sandbox.offline import offline
from kg.terms.checks import integer_too_long, iri_problem, language_tag_problem
from kg.terms.convert import TermConverter, rdf11_term

__all__ = ["parse_rdf", "plain_strings", "quiet_literals", "read_input", "refuse_ill_typed"]


def plain_strings(graph: Graph) -> None:
    """Hold each ``"x"^^xsd:string`` object of ``graph`` as the plain ``"x"``, in
    place (the same literal in RDF 1.1; rdflib keeps two terms). Only those
    triples are touched: a graph of a million triples is not copied."""
    for s, p, o in [t for t in graph if rdf11_term(t[2]) is not t[2]]:
        graph.remove((s, p, o))
        graph.add((s, p, rdf11_term(o)))


def parse_rdf(path: Path, fmt: str | None = None) -> Dataset:
    """Parse an RDF file into a Dataset (triples land in the default graph).

    Safe on hostile input: the file must be a regular file under the input
    size limit (:func:`kg.sandbox.inputs.read_input`); RDF/XML may not declare
    a DOCTYPE (so no entity expansion and no external entities: a
    billion-laughs file fails at once); JSON-LD may only use contexts written
    inside the document; parsing runs in a strict
    :func:`kg.sandbox.offline.offline` scope (no network, no other file);
    literals keep their lexical form and ill-typed ones
    (``"2024-02-30"^^xsd:date``) are refused, as are IRIs and language tags
    :mod:`kg.terms.checks` refuses. N-Triples, N-Quads, Turtle and TriG are
    read by Oxigraph's parser, in time linear in the file (see
    :data:`OXIGRAPH_READS`); RDF/XML and JSON-LD by rdflib's.
    """
    fmt = fmt or format_from_path(path)
    ds = parse_rdf_bytes(read_input(path), fmt, path)
    _check_literals(ds, path)
    return ds


def parse_rdf_bytes(data: bytes, fmt: str, name: Path) -> Dataset:
    """``data`` in the RDF format ``fmt`` as a Dataset, read as :func:`parse_rdf`
    reads a file's bytes (``name`` in messages and as the base IRI) but
    without judging its terms: for RDF from elsewhere, such as a store's answer.
    :class:`kg.errors.BadInput` if it does not read."""
    ds = Dataset(default_union=True)
    if fmt in OXIGRAPH_READS:
        _parse_oxigraph(data, fmt, name, ds)
    else:
        _parse_rdflib(data, fmt, name, ds)
    return ds


# The formats Oxigraph's parser reads (both engines): it is linear in a line's
# and a literal's length, where rdflib's N-Triples reader is quadratic (one
# literal of 1 MB took 4 s, of 4 MB 99 s; an IRI of 1 MB 9 s) and its Turtle
# reader did not finish a 4 MB literal written over many lines in 200 s.
# Oxigraph takes 0.01 s for each.
OXIGRAPH_READS = frozenset({"nt", "nquads", "turtle", "trig"})


def _parse_oxigraph(data: bytes, fmt: str, path: Path, ds: Dataset) -> None:
    """Read ``data`` with Oxigraph's parser into ``ds``, as rdflib terms.

    Blank nodes get fresh labels (as rdflib's readers give them), so two files'
    ``_:b0`` stay two nodes. What RDF 1.2 adds and rdflib cannot hold (triple
    terms, base directions) is refused. The parser is lenient about IRIs and
    language tags: :func:`_check_literals` then applies kg's one rule for each
    (:mod:`kg.terms.checks`), with the message every other path gives.
    """
    conv = TermConverter()
    ox, term = conv.ox, conv.from_ox
    ox_format = getattr(ox.RdfFormat, RDF_FORMATS[fmt].oxigraph)
    default = ds.default_context
    graphs: dict[Any, Graph] = {}
    try:
        with offline(strict=True), quiet_literals():
            parsed = ox.parse(
                data,
                ox_format,
                base_iri=path.resolve().as_uri(),
                rename_blank_nodes=True,
                lenient=True,
            )
            for s, p, o, g in parsed:
                target = default if isinstance(g, ox.DefaultGraph) else graphs.get(g)
                if target is None:  # (a Graph's truth is its length: not tested so)
                    target = graphs[g] = ds.graph(term(g))
                target.add((term(s), term(p), term(o)))
    except SyntaxError as exc:
        raise BadInput(f"{path}: not valid {fmt}: {_oxigraph_error(exc)}") from None
    except TypeError:  # from_ox met a term rdflib has no class for
        raise BadInput(
            f"{path}: not valid RDF 1.1: a triple term (<< … >>, RDF 1.2), which kg does not read"
        ) from None
    if b"--" in data:  # only a language tag with a base direction ("x"@en--ltr) holds it
        again = ox.parse(data, ox_format, base_iri=path.resolve().as_uri(), lenient=True)
        for _s, _p, o, _g in again:
            if isinstance(o, ox.Literal) and o.direction is not None:
                raise BadInput(
                    f"{path}: not valid RDF 1.1: {o} has a base direction (RDF 1.2), "
                    "which kg does not read"
                )


def _oxigraph_error(exc: SyntaxError) -> str:
    """Oxigraph's message as kg words a parser's: where (line and column), then why.

    >>> _oxigraph_error(SyntaxError("Parser error at line 2 column 7: A is not valid"))
    'line 2, column 7: A is not valid'
    """
    text = str(exc.args[0] if exc.args else exc)
    where, _, why = text.partition(": ")
    m = re.search(r"line (\d+)\D+?(\d+)", where)
    if not why or m is None:
        return _first_line(exc)
    return f"line {m.group(1)}, column {m.group(2)}: {why}"[:300]


def _parse_rdflib(data: bytes, fmt: str, path: Path, ds: Dataset) -> None:
    """Read ``data`` with rdflib's parser into ``ds``, after the format's first pass."""
    if fmt == "xml":
        _check_xml(data, path)
    elif fmt == "jsonld":
        _check_jsonld(data, path)
    target = ds if is_dataset_format(fmt) else ds.default_context
    try:
        with offline(strict=True), quiet_literals():
            target.parse(
                data=data, format=RDF_FORMATS[fmt].rdflib, publicID=path.resolve().as_uri()
            )
    except BadInput as exc:  # a refusal from the guard
        raise BadInput(f"{path}: {exc}") from None
    except RecursionError:
        raise BadInput(f"{path}: not valid {fmt}: nested too deeply to read") from None
    except Exception as exc:  # rdflib raises many unrelated types for bad syntax
        raise BadInput(f"{path}: not valid {fmt}: {_first_line(exc)}") from None


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
    max_depth = current_limits().max_depth
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
                if key in _JSONLD_TERMS:
                    _check_jsonld_term(key, value, path)
                if key == "@context":
                    stack.append((value, depth + 1, True))
                else:
                    # Inside a context, only a term's own (scoped) @context loads anything.
                    stack.append((value, depth + 1, False))


# The keywords whose values are IRIs or language tags.
_JSONLD_TERMS = frozenset({"@id", "@type", "@vocab", "@base", "@language"})


def _check_jsonld_term(key: str, value: object, path: Path) -> None:
    """Refuse a malformed language tag, or an IRI with a space, as JSON-LD has
    it: rdflib's reader drops the node or value that holds one (as JSON-LD
    drops what is not well-formed) or fails on its own terms, where every
    other reader refuses it as :func:`_check_literals` does. Any other fault
    in an IRI is refused with the triples (the IRI may be relative here)."""
    for text in value if isinstance(value, list) else [value]:
        if not isinstance(text, str):
            continue
        if key == "@language":
            problem = language_tag_problem(text)
            if problem is not None:
                raise BadInput(f"{path}: not valid RDF: {text!r} is not a language tag ({problem})")
        elif " " in text:
            raise BadInput(f"{path}: not valid RDF: {text!r} is not an IRI (it holds a space)")


def quiet_literals() -> contextlib.AbstractContextManager[None]:
    """rdflib silenced while it makes literals (it logs a traceback for each
    ill-typed one, which :func:`refuse_ill_typed` reports as one error)."""
    return _quiet("rdflib.term")


def refuse_ill_typed(triples: Iterable[tuple], path: Path) -> None:
    """Raise :class:`BadInput` at the first ill-typed literal object."""
    for _s, p, o in triples:
        if isinstance(o, Literal) and o.ill_typed:
            raise BadInput(_ill_typed(path, p, o))


# xsd:integer and the datatypes derived from it (XML Schema 1.1, part 2, 3.4).
_INTEGER_TYPES = frozenset(
    str(XSD) + name
    for name in (
        "integer", "nonPositiveInteger", "negativeInteger", "long", "int", "short", "byte",
        "nonNegativeInteger", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte",
        "positiveInteger",
    )
)  # fmt: skip


def _ill_typed(path: Path, p: Any, o: Literal) -> str:
    digits = integer_too_long(str(o)) if str(o.datatype) in _INTEGER_TYPES else 0
    if digits:  # well-typed, but longer than Python (and so rdflib) converts
        return (
            f"{path}: an integer of {digits} digits (on {p.n3()}): kg reads integers of "
            f"at most {sys.get_int_max_str_digits()} digits"
        )
    return (
        f"{path}: ill-typed literal {_shown(o)} (on {p.n3()}): the text is not a valid "
        "value of its datatype"
    )


def _shown(o: Literal, most: int = 200) -> str:
    """``o`` in N-Triples, its text cut in the middle when long (a message
    names the literal; it need not repeat megabytes of it).

    >>> _shown(Literal("x" * 500), most=20)
    '"xxxxxxxxx…(500 characters)…xxxxxxxxx"'
    """
    text = o.n3()
    if len(text) <= most:
        return text
    return f"{text[: most // 2]}…({len(o)} characters)…{text[-most // 2 :]}"


def _check_literals(ds: Dataset, path: Path) -> None:
    """Refuse what rdflib lets through but RDF forbids: ill-typed literals,
    literals as subjects or predicates, malformed IRIs and language tags (the
    rules of :mod:`kg.terms.checks`, which the records and ``kg query -p`` obey
    too). With several, the one reported is the first in the terms' order, so
    the same file gives the same message (the store's order is a hash's)."""
    seen: set = set()
    quads = ds.quads((None, None, None, None))
    if all(_problem(s, p, o, path, seen) is None for s, p, o, _g in quads):
        return
    found = []
    for s, p, o, _g in ds.quads((None, None, None, None)):
        problem = _problem(s, p, o, path, seen)
        if problem is not None:
            found.append(([(type(t).__name__, str(t)) for t in (s, p, o)], problem))
    raise BadInput(min(found)[1])


def _problem(s: Any, p: Any, o: Any, path: Path, seen: set) -> str | None:
    """What is wrong with one triple, or None; ``seen`` holds the IRIs and
    language tags already found good (each is judged once)."""
    if isinstance(o, Literal) and o.ill_typed:
        return _ill_typed(path, p, o)
    if isinstance(s, Literal) or not isinstance(p, URIRef):
        return f"{path}: not valid RDF: {s.n3()} {p.n3()} … (a literal as subject or predicate)"
    for term in (s, p, o):
        if isinstance(term, URIRef) and term not in seen:
            problem = iri_problem(str(term))
            if problem is not None:
                return f"{path}: not valid RDF: {str(term)!r} is not an IRI ({problem})"
            seen.add(term)
    if isinstance(o, Literal) and o.language and ("@", o.language) not in seen:
        problem = language_tag_problem(o.language)
        if problem is not None:
            return f"{path}: not valid RDF: {o.language!r} is not a language tag ({problem})"
        seen.add(("@", o.language))
    return None


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
