"""Binding parameters, with one meaning on every engine and store.

A parameter ``?v`` bound to a term holds that term everywhere in the query,
as if the term were written in the variable's place; where the query
projects, groups or orders by ``?v``, its column holds the term. That is
rdflib's ``initBindings`` (and Jena's parameterised strings) but for one
case: rdflib keeps the variable in every solution, so a ``MINUS`` that
shares no other variable with its group removes every solution, where a term
written in place shares nothing and removes none. kg follows the written term.

The binding is written into the query text, one text for every engine and
store (but for the header below), each term in N-Triples form by Oxigraph's
serialiser, never text a user typed:

* the term stands in the variable's place wherever a term may (Oxigraph
  then plans with a constant: a VALUES block joined afterwards made it walk
  paths such as ``kg:subEventOf*`` from every node, 400 times slower at 1M
  triples);
* where it may not (a SELECT clause, a CONSTRUCT template, GROUP BY, ORDER
  BY, ``AS ?v``, ``BOUND(?v)``, a VALUES header; a literal where SPARQL
  takes none, as a predicate or a graph name), the variable stays and a
  one-row ``VALUES`` block opens each group pattern that names it;
* a query whose header says ``#+ bind: values`` gets, for Oxigraph (here or
  on a server), a VALUES block for every parameter opening each group
  pattern: Oxigraph 0.5 then hash-joins the OPTIONAL look-ups of some
  label-heavy queries with large results (measured at 1M triples: timeline
  1.1 s against 2.1 s, events-by-theme 1.2 s against 1.7 s, and a block only
  in the groups that name the variable cost 10-30% of CPU time again); each
  query's header says why it chose. rdflib gets the terms written in place:
  it loses the rows of an OPTIONAL sub-query that names a variable the group
  around it binds (rdflib 7; the meetings and timeline goldens).

A VALUES block adds its variable to the solutions of a group; that changes
nothing but what a ``MINUS`` removes, when the MINUS would then share the
variable with its group where a written term shares nothing. Inside a MINUS
the variables are renamed to ones of its own (``?kg_minus0_lang``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from rdflib import Literal, URIRef

from kg.errors import UsageError
from kg.sparql.lexer import Group, Token, groups, names_in, tokens
from kg.sparql.rewrite import construct_where_in_full, query_form
from kg.terms.convert import TermConverter

_BIND_VALUES = re.compile(r"^#\+\s*bind:\s*values\b", re.MULTILINE)


def terms_of(bindings: Mapping[str, Any]) -> dict[str, str]:
    """Each parameter's term in N-Triples form, as Oxigraph writes it.

    >>> terms_of({"lang": Literal("fr"), "who": URIRef("http://e/a")})
    {'lang': '"fr"', 'who': '<http://e/a>'}
    """
    conv = TermConverter()
    out = {}
    for name, term in bindings.items():
        if not isinstance(term, URIRef | Literal):
            raise UsageError(f"parameter {name!r} must be an IRI or a literal")
        out[name] = str(conv.to_ox(term))
    return out


def bind(
    text: str, terms: Mapping[str, str], valid: Callable[[str], bool], hints: bool = True
) -> str:
    """``text`` with the parameters ``terms`` (from :func:`terms_of`) bound.

    ``valid`` says whether a text is valid SPARQL (Oxigraph's parser, see
    :mod:`kg.sparql.door`): a literal written where SPARQL takes none is a
    syntax error, and those parameters are then bound by VALUES instead.
    ``hints``: the text goes to Oxigraph (here or on a server), whose planner
    a ``#+ bind: values`` header is for; rdflib gets the terms written in place.

    >>> bind('SELECT ?x ?lang { ?x ?p ?lang }', {"lang": '"fr"'}, lambda t: True)
    'SELECT ?x ?lang { VALUES ?lang { "fr" }  ?x ?p "fr" }'
    """
    if not terms:
        return text
    if query_form(text) == "CONSTRUCT":
        text = construct_where_in_full(text)  # the short form's group takes no VALUES block
    if hints and _BIND_VALUES.search(text):
        return _values(text, terms, set(terms), every=True)
    written, left = _substitute(text, terms)
    out = _values(written, terms, left)
    literals = {k for k, v in terms.items() if v.startswith('"')}
    if not literals or valid(out):
        return out
    written, left = _substitute(text, {k: v for k, v in terms.items() if k not in literals})
    return _values(written, terms, left | literals)


def bind_as_values(text: str, bindings: Mapping[str, Any]) -> str:
    """Bind parameters by VALUES blocks alone (as ``#+ bind: values`` does).

    Every group graph pattern that names a bound variable itself (``{ … }`` of
    a WHERE clause, OPTIONAL, UNION branch, sub-SELECT, EXISTS, GRAPH; a
    query's WHERE group for its SELECT clause, template and modifiers) gets a
    ``VALUES`` block right after its opening brace; a ``MINUS`` gets one for a
    variable of its own (see the module's docstring).

    >>> bind_as_values("SELECT ?x WHERE { ?x ?p ?lang }", {"lang": Literal("fr")})
    'SELECT ?x WHERE { VALUES ?lang { "fr" }  ?x ?p ?lang }'
    """
    terms = terms_of(bindings)
    return _values(text, terms, set(terms))


# Where a term may not stand in for a variable: a SELECT or DESCRIBE clause, a
# solution modifier (GROUP BY, ORDER BY, ...) and a VALUES header run up to the
# next brace, a CONSTRUCT template to its closing one; `AS ?v` and `BOUND(?v)`
# name the variable itself.
_CLAUSE_WORDS = {"SELECT": "select", "DESCRIBE": "select", "CONSTRUCT": "template",
                 "GROUP": "modifier", "ORDER": "modifier", "HAVING": "modifier",
                 "LIMIT": "modifier", "OFFSET": "modifier", "VALUES": "values"}  # fmt: skip


def _substitute(text: str, terms: Mapping[str, str]) -> tuple[str, set[str]]:
    """Write each bound variable's term in its place wherever a term may stand for
    the variable, and say which variables were left (those need a VALUES block).

    >>> _substitute('SELECT ?x WHERE { ?x ?p ?lang FILTER(BOUND(?lang)) }', {"lang": '"fr"'})
    ('SELECT ?x WHERE { ?x ?p "fr" FILTER(BOUND(?lang)) }', {'lang'})

    A literal is written even where SPARQL takes none, as a predicate or a
    graph name: the text is then a syntax error, which :func:`bind` asks about.

    >>> _substitute('SELECT ?x WHERE { ?x ?lang ?o }', {"lang": '"fr"'})
    ('SELECT ?x WHERE { ?x "fr" ?o }', set())
    """
    toks = tokens(text)
    if any(t.kind == "iri" and names_in(t) & set(terms) for t in toks):
        # `?a<?d&&?b>?c` reads as an IRI here though the engine may parse a
        # comparison: leave the text alone and bind everything by VALUES.
        return text, set(terms)
    edits: list[tuple[Token, str]] = []
    left: set[str] = set()
    clause, braces = "", 0  # braces: depth inside a CONSTRUCT template
    for i, tok in enumerate(toks):
        brace = tok.text if tok.kind in ("open", "close") and tok.text in "{}" else ""
        if braces and brace:
            braces += 1 if brace == "{" else -1
            clause = clause if braces else ""
        elif tok.kind == "word" and tok.word in _CLAUSE_WORDS and not braces:
            clause = _CLAUSE_WORDS[tok.word]
        elif clause == "template" and brace == "{":
            braces = 1
        elif (tok.word == "WHERE" or brace) and not braces:
            clause = ""
        elif tok.kind == "var" and tok.text[1:] in terms:
            before = [t.word for t in toks[max(0, i - 2) : i]]
            if clause or before[-1:] == ["AS"] or before == ["BOUND", "("]:
                left.add(tok.text[1:])
            else:
                edits.append((tok, terms[tok.text[1:]]))
    return _edit(text, edits), left


def _edit(text: str, edits: list[tuple[Token, str]]) -> str:
    return _splice(text, [(tok.start, tok.end, new) for tok, new in edits])


def _splice(text: str, edits: list[tuple[int, int, str]]) -> str:
    """``text`` with each span ``start:end`` replaced by its new text."""
    out, at = [], 0
    for start, end, new in sorted(edits):
        out += [text[at:start], new]
        at = end
    return "".join([*out, text[at:]])


def _values(text: str, terms: Mapping[str, str], names: set[str], every: bool = False) -> str:
    """``text`` with a one-row VALUES block binding ``names`` opening each group
    pattern that names one of them (``every``: each group pattern), a MINUS's
    under names of its own."""
    if not names:
        return text
    toks = tokens(text)
    gs = groups(toks)
    scopes = _minus_scopes(gs)
    taken = {n for t in toks for n in names_in(t)}
    own = {
        (k, n): _fresh(f"kg_minus{k}_{n}", taken) for k in scopes if k is not None for n in names
    }
    edits = []
    for tok in toks:
        hit = names_in(tok) & names
        k = _scope_of(tok.start, gs) if hit else None
        if k is not None:
            new = tok.text
            for n in hit:
                new = re.sub(rf"([?$]){re.escape(n)}(?!\w)", rf"\g<1>{own[k, n]}", new)
            edits.append((tok, new))
    text = _edit(text, edits)
    inserts = []
    for group, k in zip(groups(tokens(text)), scopes, strict=True):
        local = {n: n if k is None else own[k, n] for n in names}
        used = sorted(n for n in names if every or local[n] in group.names)
        if used:
            block = _block([local[n] for n in used], [terms[n] for n in used])
            inserts.append((group.start, group.start, block))
    return _splice(text, inserts)


def _minus_scopes(gs: list[Group]) -> list[int | None]:
    """For each group, the innermost MINUS it is in (itself, if it is one), or None."""
    return [_scope_of(g.start, gs) for g in gs]


def _scope_of(at: int, gs: list[Group]) -> int | None:
    """The index in ``gs`` of the innermost MINUS group the offset ``at`` is in."""
    inside = [k for k, m in enumerate(gs) if m.minus and m.start <= at <= m.end]
    return inside[-1] if inside else None


def _block(names: list[str], terms: list[str]) -> str:
    row = " ".join(terms)
    if len(names) == 1:
        return f" VALUES ?{names[0]} {{ {row} }} "
    return f" VALUES ({' '.join('?' + n for n in names)}) {{ ({row}) }} "


def _fresh(name: str, taken: set[str]) -> str:
    while name in taken:
        name += "_"
    return name
