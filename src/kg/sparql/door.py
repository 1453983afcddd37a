"""The front door: every SPARQL text kg sends to an engine or a store passes here.

:func:`prepare` takes the text a user (or kg itself) wrote, the parameters
to bind and where it goes (:data:`NATIVE`, :data:`REFERENCE`, :data:`REMOTE`),
and returns the text to run:

1. the guard (:func:`kg.sparql.guard.check_sparql`) refuses SERVICE, FROM,
   updates, deep nesting; a text whose ``#+ params`` header declares
   parameters left unbound is refused (:func:`kg.sparql.canned.unbound_params`);
2. Oxigraph's parser reads it: a syntax error is Oxigraph's message, at the
   user's lines and columns, whatever engine was asked; for ``SELECT *`` it
   names the variables in scope, written out (:func:`kg.sparql.rewrite.star_in_full`);
3. the parameters are bound (:mod:`kg.sparql.bind`), one meaning everywhere,
   one text but for rdflib, which has no use for a ``#+ bind: values`` hint;
4. a REGEX or REPLACE pattern written as a constant that Oxigraph cannot
   run is marked so that every engine reads it as the error it is
   (:func:`unrunnable_patterns`);
5. for a remote store, kg's prefixes are declared in the text.

Oxigraph's reading is a parse on an empty store with the query's WHERE group
folded to nothing, so nothing is evaluated; it runs in the query worker
(:func:`kg.sparql.run.run_query`, :func:`prepare_limited`), where a text that
overflows the parser's stack or makes it work takes down the worker, within
the time and memory limits, and never kg. The guard bounds size and nesting
first.

The ways in: ``kg query`` (native, reference and ``--endpoint``),
:func:`kg.run_query` (:mod:`kg.sparql.run`), :func:`kg.remote.protocol.remote_query`
(with push's triple counts), ``kg report``'s query pages; and
:func:`kg.sparql.guard.check_sparql` alone where a text is passed on as it is
(``kg serve``'s endpoint, the shapes' SPARQL constraints).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from kg.errors import BadInput, UsageError
from kg.sandbox.worker import run_limited
from kg.sparql.bind import bind, terms_of
from kg.sparql.canned import unbound_params
from kg.sparql.guard import check_sparql
from kg.sparql.lexer import Token, Tokens, groups, readings, tokens
from kg.sparql.rewrite import query_form, star_in_full, with_prefixes
from kg.sparql.syntax import syntax_error
from kg.terms.namespaces import PREFIXES

# Where a prepared text goes. The native and reference engines get kg's
# prefixes with the call, a store has them declared in the text; rdflib
# ignores a `#+ bind: values` header (see kg.sparql.bind).
NATIVE = "native"  # Oxigraph, in this process
REFERENCE = "reference"  # rdflib, in this process
REMOTE = "remote"  # a store over the SPARQL 1.1 protocol


@dataclass(frozen=True)
class Prepared:
    """A query past the door: the text to run, and its form."""

    text: str
    form: str  # SELECT, ASK, CONSTRUCT or DESCRIBE


def prepare(text: str, bindings: Mapping[str, Any] | None = None, target: str = NATIVE) -> Prepared:
    """The text to run for ``text`` with ``bindings``, after the guard.

    >>> from rdflib import Literal
    >>> prepare("SELECT * { ?s ?p ?o FILTER(LANG(?o) = ?l) }", {"l": Literal("fr")}).text
    'SELECT ?s ?p ?o ?l { VALUES ?l { "fr" }  ?s ?p ?o FILTER(LANG(?o) = "fr") }'
    >>> prepare("SELECT ?s WHERE { ?s a kg:Person }", target=REMOTE).text.splitlines()[0]
    'PREFIX kg: <https://w3id.org/kg-nj/ontology#>'
    """
    check_sparql(text)
    unbound = unbound_params(text, bindings or {})
    if unbound:
        raise UsageError(
            f"the query declares parameter(s) {', '.join(unbound)} (its '#+ params' header) "
            "but they are not bound; run it by name (`kg query NAME`, kg.query(NAME)), "
            "which binds the defaults, or bind them (kg.bind_params(query, {...}))"
        )
    form = query_form(text)
    # A SERVICE the limits allow is never run an extra time, whatever a parser
    # would evaluate: such a query goes to the engine as it is, a literal
    # parameter bound by VALUES (always valid), an IRI written in place.
    service = any(t.word == "SERVICE" for toks in readings(text) for t in toks)
    read = None if service else _read(text)
    if form == "SELECT" and read is not None:
        text = star_in_full(text, [v.value for v in read.variables], bindings)
    if bindings:
        valid = _never if service else _valid
        terms = terms_of(bindings)
        if target == REFERENCE:
            terms = {k: _rdflib_safe(v) for k, v in terms.items()}
        text = bind(text, terms, valid, hints=target != REFERENCE)
    text = unrunnable_patterns(text)
    if target == REMOTE:
        text = with_prefixes(text)
    return Prepared(text, form)


def prepare_limited(
    text: str, bindings: Mapping[str, Any] | None = None, target: str = NATIVE
) -> Prepared:
    """:func:`prepare` in the query worker (offline, time, memory; see above)."""
    return run_limited(prepare, text, bindings, target)  # type: ignore[no-any-return]


def _rdflib_safe(term: str) -> str:
    """A literal's text with each backslash as the escape ``\\U0000005C``:
    rdflib decodes ``\\u`` escapes anywhere before it parses, so the value
    ``a\\u0022b`` written as ``"a\\\\u0022b"`` would read ``a"b``."""
    return term.replace("\\", "\\U0000005C") if term.startswith('"') else term


def sparql_error(exc: BaseException, text: str | None = None) -> BadInput:
    """An engine's message for ``text``, a query it cannot read. Oxigraph's
    (``error at L:C: …``) whole, with the line and a caret
    (:func:`kg.sparql.syntax.syntax_error`); another engine's first line, bounded."""
    message = str(exc)
    if text is not None and message.startswith("error at "):
        return syntax_error(text, message)
    return BadInput(f"SPARQL error: {message.splitlines()[0][:300]}")


@cache
def _empty() -> Any:
    import pyoxigraph

    return pyoxigraph.Store()


_PREFIXES = {k: str(v) for k, v in PREFIXES.items()}


def _read(text: str) -> Any:
    """Oxigraph's reading of ``text``, on an empty store, with its WHERE group
    folded to nothing: Oxigraph has no parse-only call, and evaluates sorts,
    VALUES and the like when asked (15 s -> 3 ms for 3,000 x 3,000 sorted
    VALUES under FILTER(false)). A syntax error is Oxigraph's for the text as
    written (read again unfolded: it fails before anything is evaluated).
    None if Oxigraph fails otherwise: the engine will say why."""
    try:
        return _empty().query(_folded(text), prefixes=_PREFIXES)
    except SyntaxError:
        pass
    except Exception:  # not a syntax error: left to the engine that runs the query
        return None
    try:
        return _empty().query(text, prefixes=_PREFIXES)
    except SyntaxError as exc:
        raise sparql_error(exc, text) from None
    except Exception:  # as above
        return None


def _folded(text: str) -> str:
    try:
        where = _where_braces(tokens(text))
    except BadInput:  # unbalanced braces: Oxigraph's message says where
        return text
    if where is None:  # DESCRIBE <iri>: nothing to fold
        return text
    start, end = where
    return f"{text[:start]} {{ {text[start:end]} }} FILTER(false) {text[end:]}"


def _where_braces(toks: Tokens) -> tuple[int, int] | None:
    """Where the inside of the query's own WHERE group starts and ends in the
    text, whatever it holds (a sub-query too): the first brace at the top that
    opens no VALUES data and no CONSTRUCT template."""
    top = next((g for g in groups(toks) if g.top), None)
    if top is not None:
        return top.start, top.end
    depth, skip = 0, ""
    for i, tok in enumerate(toks):
        if depth == 0 and tok.word in ("VALUES", "CONSTRUCT"):
            skip = tok.word
        elif depth == 0 and tok.word == "WHERE":
            skip = ""
        if tok.text == "{":
            if depth == 0 and not skip:
                return tok.end, _closing(toks, i).start
            depth += 1
        elif tok.text == "}":
            depth -= 1
            if depth == 0 and skip:
                skip = ""
    return None


def _closing(toks: Tokens, i: int) -> Token:
    depth = 0
    for tok in toks[i:]:
        depth += {"{": 1, "}": -1}.get(tok.text, 0)
        if depth == 0:
            return tok
    raise BadInput("SPARQL error: unbalanced braces (a '{' is never closed)")


def _valid(text: str) -> bool:
    try:
        _read(text)
    except BadInput:
        return False
    return True


def _never(text: str) -> bool:
    return False


# --- patterns an engine cannot run ------------------------------------------------------

# SPARQL 1.1 (17.4.3.14, after XPath's fn:matches) makes a pattern that is not
# a regular expression an error, and an error (17.3, 18.6) drops the row in a
# FILTER (under `!` too) and leaves the variable of BIND or `(… AS ?v)` unbound.
# Oxigraph does so for every pattern it refuses: not a regular expression (`(`),
# past its size limit once repeats are expanded (`(a{1000}){1000}`), a back
# reference, an unknown flag. rdflib hands the pattern to Python's re, which
# answers false for the first and fails the whole query on the second. The door
# types such a pattern with this datatype: a pattern that is not a plain string
# is an error to every engine (rdflib and Oxigraph alike), and the text keeps it.
UNRUNNABLE = "urn:kg:unrunnable-pattern"


_FLAGS_AT = {"REGEX": 2, "REPLACE": 3}  # the argument that holds the flags


def unrunnable_patterns(text: str) -> str:
    """``text`` with each constant REGEX or REPLACE pattern Oxigraph cannot run
    typed :data:`UNRUNNABLE`, so that every engine reads it as an error.

    >>> unrunnable_patterns('ASK { FILTER(REGEX("a", "(")) }')
    'ASK { FILTER(REGEX("a", "("^^<urn:kg:unrunnable-pattern>)) }'
    >>> unrunnable_patterns('ASK { FILTER(REGEX("a", "a+", "i")) }')
    'ASK { FILTER(REGEX("a", "a+", "i")) }'
    """
    toks = tokens(text)
    ends = []
    for i, tok in enumerate(toks[:-1]):
        if tok.kind == "word" and tok.word in _FLAGS_AT and toks[i + 1].text == "(":
            args = _arguments(toks, i + 2)
            at = _FLAGS_AT[tok.word]
            pattern = _constant(args, 1)
            flags = _constant(args, at) if len(args) > at else None
            if pattern is None or (flags is None and len(args) > at):
                continue  # computed, not written: only the engine knows it
            if not _runs(tok.word, pattern.text, flags.text if flags else None):
                ends.append(pattern.end)
    for end in reversed(ends):
        text = f"{text[:end]}^^<{UNRUNNABLE}>{text[end:]}"
    return text


def _arguments(toks: Tokens, start: int) -> list[Tokens]:
    """The arguments of the call whose ``(`` is just before ``toks[start]``."""
    args: list[list[Token]] = [[]]
    depth = 0
    for tok in toks[start:]:
        if tok.kind == "close" and depth == 0:
            break
        depth += {"open": 1, "close": -1}.get(tok.kind, 0)
        if tok.text == "," and depth == 0:
            args.append([])
        else:
            args[-1].append(tok)
    return [tuple(a) for a in args]


def _constant(args: list[Tokens], n: int) -> Token | None:
    """Argument ``n`` when it is one string and nothing else."""
    if n < len(args) and len(args[n]) == 1 and args[n][0].kind == "string":
        return args[n][0]
    return None


@lru_cache(maxsize=256)
def _runs(function: str, pattern: str, flags: str | None) -> bool:
    """Whether Oxigraph runs ``pattern`` with ``flags`` (both as written in the query)."""
    args = f'"", {pattern}' + (', ""' if function == "REPLACE" else "")
    args += f", {flags}" if flags else ""
    try:
        solution = next(iter(_empty().query(f"SELECT ({function}({args}) AS ?v) {{}}")))
    except Exception:  # not the probe's to judge: the engine that runs the query will say
        return True
    return solution[0] is not None
