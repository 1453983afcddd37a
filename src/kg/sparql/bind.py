"""Binding parameters: terms written into the query text by the engine's own
term serialiser, never text a user typed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rdflib import Literal, URIRef

from kg.errors import BadInput, UsageError
from kg.sparql.lexer import _TOKEN
from kg.sparql.rewrite import _strip_comments_and_strings, construct_where_in_full, query_form
from kg.terms.namespaces import PREFIXES


def _query_groups(text: str, form: str) -> list[int]:
    """Indexes of the ``{`` opening every group graph pattern of the query (the
    WHERE group, sub-queries, UNION branches, OPTIONAL, EXISTS, ...), read past
    comments, strings and IRIs; not a CONSTRUCT template nor a VALUES data block."""
    out: list[int] = []
    i, n = 0, len(text)
    template = form == "CONSTRUCT" and not re.search(
        r"\bCONSTRUCT\s+WHERE\b", _strip_comments_and_strings(text), re.IGNORECASE
    )
    skip_depth = -1  # inside a template or VALUES block: the depth it closes at
    depth = 0
    values_next = False
    while i < n:
        c = text[i]
        if c == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        if c in "\"'":
            quote = text[i : i + 3] if text[i : i + 3] in ('"""', "'''") else c
            j = i + len(quote)
            while j < n and not text.startswith(quote, j):
                j += 2 if text[j] == "\\" else 1
            i = j + len(quote)
            continue
        if c == "<":
            j = i + 1
            while j < n and text[j] not in '<>"{}|^`\\ \n\t':
                j += 1
            if j < n and text[j] == ">":
                i = j + 1
                continue
        if (
            c in "Vv"
            and text[i : i + 6].upper() == "VALUES"
            and not (i and (text[i - 1].isalnum() or text[i - 1] in "_?$:"))
        ):
            values_next = True
            i += 6
            continue
        if c == "{":
            if skip_depth < 0 and (values_next or template):
                skip_depth = depth
                template = False
            elif skip_depth < 0 and not re.match(
                r"(?:\s|#[^\n]*\n)*SELECT\b", text[i + 1 :], re.IGNORECASE
            ):  # a `{ SELECT ... }` sub-query: its own WHERE group gets the block
                out.append(i)
            values_next = False
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == skip_depth:
                skip_depth = -1
        i += 1
    if not out:
        raise BadInput("SPARQL error: no WHERE group found")
    return out


# Where a term may not stand in for a variable: a SELECT clause, a solution
# modifier (GROUP BY, ORDER BY, ...) and a VALUES header run up to the next
# brace; `AS ?v` and `BOUND(?v)` name the variable itself.
_CLAUSE_WORDS = {"SELECT": "select", "GROUP": "modifier", "ORDER": "modifier",
                 "HAVING": "modifier", "LIMIT": "modifier", "OFFSET": "modifier",
                 "VALUES": "values"}  # fmt: skip


_BIND_VALUES = re.compile(r"^#\+\s*bind:\s*values\b", re.MULTILINE)


def _substitute(text: str, terms: dict[str, str]) -> tuple[str, set[str]]:
    """Write each bound variable's term in its place wherever a term may stand for
    the variable, and say which variables were left (those need a VALUES block).

    >>> _substitute('SELECT ?x WHERE { ?x ?p ?lang FILTER(BOUND(?lang)) }', {"lang": '"fr"'})
    ('SELECT ?x WHERE { ?x ?p "fr" FILTER(BOUND(?lang)) }', {'lang'})

    A literal (as Oxigraph writes the term: a quoted string) is written even
    where SPARQL takes none, as a predicate or a graph name: the text is then a
    syntax error, and :func:`_run_native` binds every parameter by VALUES.

    >>> _substitute('SELECT ?x WHERE { ?x ?lang ?o }', {"lang": '"fr"'})
    ('SELECT ?x WHERE { ?x "fr" ?o }', set())
    """
    out: list[str] = []
    left: set[str] = set()
    clause = None
    prev: list[str] = ["", ""]  # the two tokens before this one, upper-cased
    for m in _TOKEN.finditer(text):
        kind, tok = m.lastgroup, m.group()
        if kind in ("ws", "comment"):
            out.append(tok)
            continue
        if kind == "iri" and any(re.search(rf"[?$]{re.escape(name)}(?!\w)", tok) for name in terms):
            # `?a<?d&&?b>?c` reads as an IRI here though the engine may parse a
            # comparison: leave the text alone and bind everything by VALUES.
            return text, set(terms)
        if kind == "word" and tok.upper() in _CLAUSE_WORDS:
            clause = _CLAUSE_WORDS[tok.upper()]
        elif (kind == "word" and tok.upper() == "WHERE") or tok in ("{", "}"):
            clause = None
        elif kind == "var" and tok[1:] in terms:
            if clause or prev[1] == "AS" or prev == ["BOUND", "("]:
                left.add(tok[1:])
            else:
                tok = terms[tok[1:]]
        out.append(tok)
        prev = [prev[1], m.group().upper()]
    return "".join(out), left


def _bind_by_values(text: str, form: str, terms: dict[str, str], names: set[str]) -> str:
    """``text`` with a one-row VALUES block binding ``names`` opening each group pattern."""
    if not names:
        return text
    if form == "CONSTRUCT":  # the short form's group takes no VALUES block
        text = construct_where_in_full(text)
    ordered = sorted(names)
    row = " ".join(terms[k] for k in ordered)
    block = f" VALUES ({' '.join('?' + k for k in ordered)}) {{ ({row}) }} "
    for at in reversed(_query_groups(text, form)):
        text = text[: at + 1] + block + text[at + 1 :]
    return text


# --- SPARQL text: prefixes and parameters as VALUES -----------------------------------

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
              |'''(?:[^'\\]|\\.|'(?!''))*'''
              |"(?:[^"\\\n]|\\.)*"
              |'(?:[^'\\\n]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$]\w+)
  | (?P<word>[A-Za-z_][\w\-]*(?::[\w\-.]*)?)
  | (?P<open>\{)
  | (?P<close>\})
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass
class _Token:
    kind: str
    text: str
    start: int
    end: int


def _tokens(text: str) -> list[_Token]:
    out = []
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup or "other"
        if kind not in ("ws", "comment"):
            out.append(_Token(kind, m.group(), m.start(), m.end()))
    return out


def _groups(text: str) -> list[tuple[int, set[str]]]:
    """Each group graph pattern's inside start and the variables it mentions.

    Braces that are not group patterns are skipped: ``VALUES`` data blocks,
    ``CONSTRUCT`` templates (and the ``CONSTRUCT WHERE`` short form), update
    templates, and the brace that wraps a sub-``SELECT`` (whose own ``WHERE``
    group is counted). Comments, strings and IRIs are read past.
    """
    toks = _tokens(text)
    stack: list[tuple[str, int, set[str]]] = []
    groups: list[tuple[int, set[str]]] = []
    pending: str | None = None
    for i, tok in enumerate(toks):
        if tok.kind == "word" and ":" not in tok.text:
            kw = tok.text.upper()
            if kw == "VALUES":
                pending = "data"
            elif kw in ("CONSTRUCT", "INSERT", "DELETE"):
                pending = "template"
        elif tok.kind == "var":
            if stack:
                stack[-1][2].add(tok.text[1:])
        elif tok.kind == "open":
            kind = pending or "group"
            pending = None
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if kind == "group" and nxt is not None and nxt.text.upper() == "SELECT":
                kind = "subquery"
            stack.append((kind, tok.end, set()))
        elif tok.kind == "close":
            if not stack:
                raise BadInput("SPARQL error: unbalanced braces (a '}' without its '{')")
            kind, start, names = stack.pop()
            if kind == "group":
                groups.append((start, names))
            if stack:
                stack[-1][2].update(names)
    if stack:
        raise BadInput("SPARQL error: unbalanced braces (a '{' is never closed)")
    return groups


def _values_block(names: Sequence[str], bindings: Mapping[str, Any]) -> str:
    terms = " ".join(bindings[n].n3() for n in names)
    if len(names) == 1:
        return f" VALUES ?{names[0]} {{ {terms} }} "
    return f" VALUES ({' '.join('?' + n for n in names)}) {{ ({terms}) }} "


def bind_as_values(text: str, bindings: Mapping[str, Any]) -> str:
    """Bind parameters the way kg binds them locally (pre-binding), in plain SPARQL.

    Every group graph pattern that mentions a bound variable (``{ … }`` of a
    WHERE clause, OPTIONAL, UNION branch, sub-SELECT, EXISTS, MINUS, GRAPH)
    gets a ``VALUES`` block with the terms' N-Triples form right after its
    opening brace. That keeps aggregates, sub-queries and filters inside
    nested OPTIONALs seeing the value, as rdflib's ``initBindings`` do.

    >>> from rdflib import Literal
    >>> bind_as_values("SELECT ?x WHERE { ?x ?p ?lang }", {"lang": Literal("fr")})
    'SELECT ?x WHERE { VALUES ?lang { "fr" }  ?x ?p ?lang }'
    """
    for name, term in bindings.items():
        if not isinstance(term, URIRef | Literal):
            raise UsageError(f"parameter {name!r} must be an IRI or a literal")
    if not bindings:
        return text
    inserts = []
    for start, names in _groups(text):
        used = [n for n in bindings if n in names]
        if used:
            inserts.append((start, _values_block(used, bindings)))
    for start, block in sorted(inserts, reverse=True):
        text = text[:start] + block + text[start:]
    return text


def with_prefixes(text: str) -> str:
    """Declare kg's prefixes (which local queries get from rdflib's ``initNs``)
    that the query uses without declaring them itself.

    >>> with_prefixes("ASK { ?s a kg:Person }").splitlines()[0]
    'PREFIX kg: <https://w3id.org/kg-nj/ontology#>'
    """
    declared = {
        m.group(1) for m in re.finditer(r"(?i)\bPREFIX\s+([\w\-.]*):", _strip_for_scan(text))
    }
    lines = [
        f"PREFIX {p}: <{ns}>"
        for p, ns in PREFIXES.items()
        if p not in declared and re.search(rf"(?<![\w\-.]){re.escape(p)}:", text)
    ]
    return "\n".join([*lines, text]) if lines else text


def _strip_for_scan(text: str) -> str:
    return " ".join(t.text for t in _tokens(text) if t.kind != "string")


def prepare_query(text: str, bindings: Mapping[str, Any] | None = None) -> str:
    """The query as a remote store gets it: kg prefixes declared, parameters
    bound as ``VALUES`` (see :func:`bind_as_values`)."""
    if bindings and query_form(text) == "CONSTRUCT":
        text = construct_where_in_full(text)  # the short form's group takes no VALUES block
    return with_prefixes(bind_as_values(text, bindings or {}))
