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
# No word boundaries: Oxigraph's parser reads a keyword as the start of any
# longer word (see _run_together).
_SERVICE_IN_IRI = re.compile(r"\).*SERVICE", re.IGNORECASE | re.DOTALL)


# Oxigraph's parser (rust-peg) matches a keyword without asking what follows
# it: `SERVICESILENT <x>` is SERVICE SILENT to it, `?o trueSERVICE<x> {}` the
# literal true then a SERVICE call, where SPARQL's lexer (and rdflib's) read
# one word. No SPARQL keyword or function name holds one of these, so a word
# that holds one without being it is refused.
_GUARDED = ("SERVICE", "FROM", *sorted(_UPDATE_WORDS))


# Oxigraph's prefixed names take at most one unescaped dot in their local part:
# `e:a.b.SERVICE <x> {}` is `e:a.b`, a `.` and a SERVICE call to it, one
# name to SPARQL's grammar. Such a name is refused (`\.` writes the dot).
_DOTS = re.compile(r"(?<!\\)\.")


# Stores' own functions that reach outside the graph: Virtuoso's built-ins
# (`bif:http_get`, `bif:sys_stat`) and SQL procedures, under prefixes
# Virtuoso declares itself.
_STORE_SCHEMES = ("bif", "sql")


# Beyond this many terms outside VALUES data, a query's expression or pattern
# trees get deep enough to overflow an engine's stack (Oxigraph segfaulted on
# 8,000 `||`, `+` or UNION in a row); canned queries hold a few hundred.
MAX_TERMS = 5000


def rules() -> dict[str, object]:
    """The guard's rules as data, for the report site's SPARQL box, which applies
    them in the browser (one rule, exported): the words refused wherever a word
    holds them, the IRI text that hides a SERVICE call, the dots a prefixed name
    may not hold.

    >>> rules()["words"][:2]
    ['SERVICE', 'FROM']
    """
    return {
        "words": list(_GUARDED),
        "service_in_iri": _SERVICE_IN_IRI.pattern,
        "dots": _DOTS.pattern,
    }


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
        _check_size(toks, lim.max_depth)
        depth = 0
        for i, tok in enumerate(toks):
            depth = _depth(depth, toks, i, lim.max_depth)
            if tok.kind == "iri":
                _check_iri(tok)
            elif tok.kind == "pname":
                _check_pname(tok)
            elif tok.kind == "word":
                _check_word(toks, i, lim, options)


def _check_size(toks: Tokens, max_depth: int) -> None:
    data = _in_values_data(toks)
    terms = len(toks) - data
    if max_depth and terms > MAX_TERMS:
        raise BadInput(
            f"query of {terms} terms outside its VALUES data is larger than kg runs "
            f"({MAX_TERMS}); split it, or give long lists as VALUES"
        )


def _in_values_data(toks: Tokens) -> int:
    """How many tokens stand inside VALUES data blocks (plain data, no nesting)."""
    count, depth, inside = 0, 0, False
    for i, tok in enumerate(toks):
        if tok.text == "{" and i and _opens_values(toks, i):
            inside, depth = True, 0
        if inside:
            count += 1
            depth += {"{": 1, "}": -1}.get(tok.text, 0)
            if depth == 0 and tok.text == "}":
                inside = False
    return count


def _opens_values(toks: Tokens, i: int) -> bool:
    j = i - 1
    while j >= 0 and toks[j].kind in ("var", "open", "close") and toks[j].text != "{":
        j -= 1  # VALUES ?x { or VALUES (?x ?y) {
    return j >= 0 and toks[j].word == "VALUES"


def _check_iri(tok: Token) -> None:
    if _SERVICE_IN_IRI.search(tok.text):
        raise BadInput(
            f"{tok.text[:80]} is refused: an engine may read its '<' as a comparison "
            "and what follows its ')' as a SERVICE call; write '<' with a space after it"
        )
    if tok.text[1:].split(":", 1)[0].lower() in _STORE_SCHEMES:
        raise BadInput(
            f"{tok.text[:80]} is refused: a store's own function may reach outside the graph"
        )


def _check_pname(tok: Token) -> None:
    prefix, _, local = tok.text.partition(":")
    if prefix.lower() in _STORE_SCHEMES:
        raise BadInput(
            f"{tok.text[:80]} is refused: a store's own function may reach outside the graph"
        )
    if len(_DOTS.findall(local)) > 1 or len(_DOTS.findall(prefix)) > 1:
        raise BadInput(
            f"{tok.text[:80]} is refused: engines split a prefixed name with two dots "
            "differently; write its dots as '\\.' or the full <IRI>"
        )


def _depth(depth: int, toks: Tokens, i: int, limit: int) -> int:
    """The nesting after ``toks[i]``; past the limit, refused. A run of unary
    operators (`!!!!x`, `- - x`) and `<<` quoted triples nest as brackets do
    in an engine's parser."""
    tok = toks[i]
    inside = tok.text.count("(") + tok.text.count("[") if tok.kind == "iri" else 0
    if tok.kind == "open" or (tok.text == "<" and i + 1 < len(toks) and toks[i + 1].text == "<"):
        depth += 1
    elif tok.kind == "close" or (tok.text == ">" and i and toks[i - 1].text == ">"):
        depth = max(0, depth - 1)
    elif (
        tok.text in "!+-" and tok.text and i + 1 < len(toks) and toks[i + 1].text in ("!", "+", "-")
    ):
        inside = _unary_run(toks, i)
    if limit and depth + inside > limit:
        raise BadInput(
            f"query nested more than {limit} levels deep (KG_MAX_DEPTH raises the limit)"
        )
    return depth


def _unary_run(toks: Tokens, i: int) -> int:
    j = i
    while j < len(toks) and toks[j].text in ("!", "+", "-"):
        j += 1
    return j - i


def _check_word(toks: Tokens, i: int, lim: Limits, options: bool) -> None:
    word = toks[i].word
    nxt = toks[i + 1].text if i + 1 < len(toks) else ""
    hidden = next((w for w in _GUARDED if w in word and w != word), None)
    if hidden is not None:
        raise BadInput(
            f"{toks[i].text[:80]} is refused: an engine reads {hidden} at its start or "
            f"inside it; write {hidden} as a word of its own"
        )
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
