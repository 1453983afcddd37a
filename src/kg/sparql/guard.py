"""The SPARQL guard: what kg refuses to run, whatever engine or store would run it.

``SERVICE`` (``SILENT`` included; allowed only to a host the limits name),
``FROM`` / ``FROM NAMED`` and every update form (``LOAD``, ``INSERT``,
``DELETE``, ``CLEAR``, …) are refused before any engine sees the text, as
are nesting deeper than the depth limit and a text larger than the input
limit. The text is read as every engine may read it (:func:`kg.sparql.lexer.readings`).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from kg.errors import BadInput
from kg.sandbox.limits import Limits, current_limits
from kg.sparql.lexer import Token, Tokens, readings
from kg.terms.checks import lone_surrogate

_UPDATE_WORDS = {
    "INSERT",
    "DELETE",
    "LOAD",
    "CLEAR",
    "DROP",
    "CREATE",
    "ADD",
    "MOVE",
    "COPY",
    "WITH",
}


# `FILTER(?a <?b)SERVICE:sparql#>` is one IRI to SPARQL's lexer (its terminals
# are read longest first), but Oxigraph's parser, which reads by context,
# parses `?a < ?b` and then calls the SERVICE, from Rust, past the audit hook
# that keeps queries offline. Why refusing an IRI with a `)` before SERVICE is
# enough: `<` is an operator only inside an expression, and every expression in
# SPARQL is inside brackets (FILTER(…), BIND(…), (… AS ?v), function calls,
# ORDER BY ASC(…)); SERVICE is a keyword only in a group pattern, outside them.
# To get from one to the other a reader must pass a `)` (an IRI holds no `{`,
# `}`, space, quote or `<`, so no EXISTS group, string or other way out fits in
# it), and the `)` and SERVICE must both be in the IRI's text, or the guard
# would see them as tokens. A real IRI almost never has one; brackets inside an
# IRI also count toward the depth limit, for an engine that parses them.
_SERVICE_IN_IRI = re.compile(r"\).*\bSERVICE\b", re.IGNORECASE | re.DOTALL)


def check_sparql(text: str, lim: Limits | None = None, *, options: bool = True) -> None:
    """Refuse SPARQL that would reach outside the graph, change it, or nest too deeply.

    Runs on the query text before any engine does, with the same reading of
    ``\\uXXXX`` escapes, comments, strings and IRIs as SPARQL's grammar.
    ``options`` says whether the messages may point at ``kg query``'s options
    (``--allow-service``, ``--graph``): not for a query ``kg serve`` received.

    >>> try:
    ...     check_sparql("SELECT * { SERVICE <http://x.test/> {} }")
    ... except BadInput as exc:
    ...     print(exc)
    SERVICE <http://x.test/> is refused: kg queries only its own graph (see --allow-service)
    """
    lim = lim or current_limits()
    size = len(text.encode("utf-8", "surrogatepass"))
    if lim.max_input_bytes and size > lim.max_input_bytes:
        raise BadInput(
            f"query of {size} bytes is larger than the input limit of {lim.max_input_bytes} "
            "(KG_MAX_INPUT_BYTES raises it)"
        )
    bad = lone_surrogate(text)
    if bad is not None:  # no engine can read it (Oxigraph fails outside its parser)
        raise BadInput(
            f"query text holds U+{ord(bad):04X}, a lone surrogate, which is no character "
            "(text read with the wrong encoding?)"
        )
    for toks in readings(text):
        depth = 0
        for i, tok in enumerate(toks):
            depth = _depth(depth, tok, lim.max_depth)
            if tok.kind == "iri" and _SERVICE_IN_IRI.search(tok.text):
                raise BadInput(
                    f"{tok.text[:80]} is refused: an engine may read its '<' as a comparison "
                    "and what follows its ')' as a SERVICE call; write '<' with a space after it"
                )
            if tok.kind == "word":
                _check_word(toks, i, lim, options)


def _depth(depth: int, tok: Token, limit: int) -> int:
    """The nesting after ``tok``; past the limit, refused."""
    inside = tok.text.count("(") + tok.text.count("[") if tok.kind == "iri" else 0
    if tok.kind == "open":
        depth += 1
    elif tok.kind == "close":
        depth = max(0, depth - 1)
    if limit and depth + inside > limit:
        raise BadInput(
            f"query nested more than {limit} levels deep (KG_MAX_DEPTH raises the limit)"
        )
    return depth


def _check_word(toks: Tokens, i: int, lim: Limits, options: bool) -> None:
    word = toks[i].word
    nxt = toks[i + 1].text if i + 1 < len(toks) else ""
    if word in _UPDATE_WORDS:
        who = "kg query" if options else "this endpoint"
        raise BadInput(f"SPARQL update ({word}) is refused: {who} only reads the graph")
    if word == "FROM":
        named = "FROM NAMED" if nxt.upper() == "NAMED" else "FROM"
        target = toks[i + 2].text if named == "FROM NAMED" and i + 2 < len(toks) else nxt
        hint = " (use --graph FILE to query a file)" if options else ""
        raise BadInput(f"{named} {target} is refused: kg queries only the graph it was given{hint}")
    if word == "SERVICE":
        _check_service(toks, i + 1, lim, options)


def _check_service(toks: Tokens, j: int, lim: Limits, options: bool) -> None:
    if j < len(toks) and toks[j].word == "SILENT":
        j += 1
    target = toks[j] if j < len(toks) else Token("other", "", 0, 0)
    try:
        iri = urlsplit(target.text[1:-1]) if target.kind == "iri" else None
        host = iri.hostname if iri and iri.scheme in ("http", "https") else None
    except ValueError:  # not an IRI urllib can read (`<http://[::1>`): no host to allow
        host = None
    if host and host.lower() in lim.allow_service:
        return
    if lim.allow_service and target.kind != "iri":
        hint = " (write the endpoint as a full <http://…> IRI)"
    else:
        hint = " (see --allow-service)" if options else ""
    raise BadInput(f"SERVICE {target.text} is refused: kg queries only its own graph{hint}")
