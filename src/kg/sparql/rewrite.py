"""Reading and rewriting query text: its form, ``SELECT *`` written out,
``CONSTRUCT WHERE`` in full, kg's prefixes declared.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kg.sparql import lexer
from kg.sparql.lexer import tokens
from kg.terms.namespaces import PREFIXES


def query_form(text: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE, read past comments, strings and IRIs.

    >>> query_form("# SELECT in a comment\\nASK { ?s ?p ?o }")
    'ASK'
    """
    return lexer.query_form(tokens(text))


def star_in_full(
    text: str, in_scope: Iterable[str], bindings: Mapping[str, Any] | None = None
) -> str:
    """A ``SELECT *`` query with its ``*`` written out as the variables it stands
    for, in the order the query first writes them; any other query as it is.

    SPARQL leaves the order of ``*`` to the engine, and engines differ on what
    it covers: rdflib orders by Python's string hashing (a different order on
    each run), adds a variable a FILTER only reads, and leaves out one bound by
    a trailing ``VALUES``; Oxigraph and the stores each have their own order.
    Written out, every engine and store returns the same columns. ``in_scope``
    are the variables SPARQL puts in scope, as Oxigraph's parser reads them
    (:func:`kg.sparql.door.prepare` asks it); each parameter the query writes
    is a column too: a parameter binds its variable for the whole query.

    >>> star_in_full("SELECT * { ?s ?p ?o FILTER(?o != ?x) }", ["o", "p", "s"])
    'SELECT ?s ?p ?o { ?s ?p ?o FILTER(?o != ?x) }'
    >>> star_in_full("SELECT * { ?s ?p ?o FILTER(LANG(?o) = ?lang) }", ["s", "p", "o"], {"lang": 1})
    'SELECT ?s ?p ?o ?lang { ?s ?p ?o FILTER(LANG(?o) = ?lang) }'
    """
    toks = tokens(text)
    at = next((i for i, t in enumerate(toks) if t.word == "SELECT"), None)
    if at is None:
        return text
    at += 1
    if at < len(toks) and toks[at].word in ("DISTINCT", "REDUCED"):
        at += 1
    if at >= len(toks) or toks[at].text != "*":
        return text
    star, scope, bound = toks[at], set(in_scope), bindings or {}
    written: dict[str, None] = {}
    for tok in toks[at + 1 :]:
        if tok.kind == "var":
            written.setdefault(tok.text[1:], None)
    columns = [v for v in written if v in scope or v in bound]
    columns += sorted(scope - set(columns))  # any Oxigraph reads that the tokens do not show
    if not columns:
        return text
    return f"{text[: star.start]}{' '.join('?' + v for v in columns)}{text[star.end :]}"


def construct_where_in_full(text: str) -> str:
    """``CONSTRUCT WHERE { P }`` written as ``CONSTRUCT { P } WHERE { P }``, what
    SPARQL 1.1 (16.2.4) defines it to be; other text as it is.

    The short form takes only triple patterns, so no ``VALUES`` block can bind
    a parameter in it; the long form's WHERE can, and its template then leaves
    out a triple whose subject or predicate is bound to a literal, as rdflib does.

    >>> construct_where_in_full('CONSTRUCT WHERE { ?s ?p "}" } LIMIT 1')
    'CONSTRUCT { ?s ?p "}" } WHERE { ?s ?p "}" } LIMIT 1'
    """
    toks = tokens(text)
    for i in range(len(toks) - 2):
        if [t.word for t in toks[i : i + 3]] == ["CONSTRUCT", "WHERE", "{"]:
            where, depth = toks[i + 1], 0
            for tok in toks[i + 2 :]:
                depth += {"{": 1, "}": -1}.get(tok.text, 0)
                if depth == 0:
                    group = text[toks[i + 2].start : tok.end]
                    return f"{text[: where.start]}{group} WHERE {group}{text[tok.end :]}"
    return text


def with_prefixes(text: str) -> str:
    """Declare kg's prefixes (which local queries get from the engine) that the
    query uses without declaring them itself, for a store that knows none.

    >>> with_prefixes("ASK { ?s a kg:Person }").splitlines()[0]
    'PREFIX kg: <https://w3id.org/kg-nj/ontology#>'
    """
    toks = tokens(text)
    declared = {
        toks[i + 1].text.split(":")[0]
        for i, t in enumerate(toks[:-1])
        if t.word == "PREFIX" and toks[i + 1].kind == "pname"
    }
    used = {t.text.split(":")[0] for t in toks if t.kind == "pname"}
    lines = [f"PREFIX {p}: <{ns}>" for p, ns in PREFIXES.items() if p in used - declared]
    return "\n".join([*lines, text]) if lines else text
