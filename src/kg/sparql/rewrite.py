"""Reading and rewriting query text: its form, ``SELECT *`` written out,
``CONSTRUCT WHERE`` in full, kg's prefixes declared.
"""

from __future__ import annotations

import re
from typing import Any

from kg.errors import BadInput
from kg.sparql.lexer import _TOKEN
from kg.terms.namespaces import PREFIXES

_FORM_RE = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)


def _strip_comments_and_strings(text: str) -> str:
    text = re.sub(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'', '""', text)
    text = re.sub(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'', '""', text)
    text = re.sub(r"<[^>\s]*>", "<>", text)
    return re.sub(r"#[^\n]*", "", text)


def query_form(text: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE, read past comments, strings and IRIs.

    >>> query_form("# SELECT in a comment\\nASK { ?s ?p ?o }")
    'ASK'
    """
    m = _FORM_RE.search(_strip_comments_and_strings(text))
    if not m:
        raise BadInput("not a SPARQL query: no SELECT, ASK, CONSTRUCT or DESCRIBE found")
    return m.group(1).upper()


def star_in_full(text: str, bindings: dict[str, Any] | None = None) -> str:
    """A ``SELECT *`` query with its ``*`` written out as the variables it stands
    for, in the order the query first writes them; any other query as it is.

    SPARQL leaves the order of ``*`` to the engine, and engines differ on what
    it covers: rdflib orders by Python's string hashing (a different order on
    each run), adds a variable a FILTER only reads, and leaves out one bound by
    a trailing ``VALUES``; Oxigraph and the stores each have their own order.
    Written out, every engine and store returns the same columns. The
    variables are those SPARQL puts in scope, as Oxigraph's parser reads them,
    and each parameter the query writes: a parameter binds its variable for
    the whole query, as a ``VALUES`` block opening it would.

    >>> star_in_full("SELECT * { ?s ?p ?o FILTER(?o != ?x) }")
    'SELECT ?s ?p ?o { ?s ?p ?o FILTER(?o != ?x) }'
    >>> from rdflib import Literal
    >>> star_in_full("SELECT * { ?s ?p ?o FILTER(LANG(?o) = ?lang) }", {"lang": Literal("fr")})
    'SELECT ?s ?p ?o ?lang { ?s ?p ?o FILTER(LANG(?o) = ?lang) }'
    """
    tokens = (m for m in _TOKEN.finditer(text) if m.lastgroup not in ("ws", "comment"))
    for m in tokens:
        if m.lastgroup == "word" and m.group().upper() == "SELECT":
            select_at = m.start()
            break
    else:
        return text
    star = next(tokens, None)
    if star is not None and star.group().upper() in ("DISTINCT", "REDUCED"):
        star = next(tokens, None)
    if star is None or star.group() != "*":
        return text
    if re.search("service", text, re.IGNORECASE):
        return text  # never run a SERVICE an extra time, however it is written
    written: dict[str, None] = {}
    for m in tokens:
        if m.lastgroup == "var":
            written.setdefault(m.group()[1:], None)
    import pyoxigraph

    # Oxigraph has no parse-only call, and evaluates sorts, VALUES and the like
    # when asked: as a sub-query under FILTER(false) (folded to nothing) it
    # only names the variables (15 s -> 3 ms for 3,000 x 3,000 sorted VALUES).
    body = text[select_at:]
    try:
        prefixes = {k: str(v) for k, v in PREFIXES.items()}
        probe = f"{text[:select_at]}SELECT * WHERE {{ {{ {body}\n}} FILTER(false) }}"
        solutions: Any = pyoxigraph.Store().query(probe, prefixes=prefixes)
        in_scope = {v.value for v in solutions.variables}
    except Exception:  # not valid for Oxigraph: the engine reports it as it is
        return text
    bound = bindings or {}
    columns = [v for v in written if v in in_scope or v in bound]
    columns += sorted(in_scope - set(columns))  # names not written plainly (`\u` escapes)
    if not columns:
        return text
    return f"{text[: star.start()]}{' '.join('?' + v for v in columns)}{text[star.end() :]}"


def construct_where_in_full(text: str) -> str:
    """``CONSTRUCT WHERE { P }`` written as ``CONSTRUCT { P } WHERE { P }``, what
    SPARQL 1.1 (16.2.4) defines it to be; other text as it is.

    The short form takes only triple patterns, so no ``VALUES`` block can bind
    a parameter in it; the long form's WHERE can, and its template then leaves
    out a triple whose subject or predicate is bound to a literal, as rdflib does.

    >>> construct_where_in_full('CONSTRUCT WHERE { ?s ?p "}" } LIMIT 1')
    'CONSTRUCT { ?s ?p "}" } WHERE { ?s ?p "}" } LIMIT 1'
    """
    tokens = _TOKEN.finditer(text)
    words: list[str] = []
    start = depth = where = 0
    for m in tokens:
        kind, tok = m.lastgroup, m.group()
        if kind in ("ws", "comment"):
            continue
        if depth:
            depth += {"{": 1, "}": -1}.get(tok, 0)
            if not depth:
                group = text[start : m.end()]
                return f"{text[:where]}{group} WHERE {group}{text[m.end() :]}"
        elif tok == "{" and words[-2:] == ["CONSTRUCT", "WHERE"]:
            start, depth = m.start(), 1
        else:
            words.append(tok.upper())
            where = m.start()
    return text
