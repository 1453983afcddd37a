"""The SPARQL lexer: query text as SPARQL's grammar reads its terminals
(comments, strings, IRIs, variables, prefixed names, numbers, brackets), with
each token's place in the text; and the group graph patterns those tokens make.

Every module of kg that reads SPARQL text reads it here (the guard, the
binder, the rewriting of ``SELECT *`` and ``CONSTRUCT WHERE``). Questions a
lexer cannot answer (is the text valid SPARQL, which variables does ``*``
stand for) are Oxigraph's: see :mod:`kg.sparql.door`.

``\\u`` escapes are read two ways, because SPARQL's versions and the engines
disagree. SPARQL 1.1 (19.2) decodes them anywhere before the grammar reads
the text, as rdflib does (:func:`unescape`); SPARQL 1.2 and Oxigraph decode
them only inside IRIs and strings, where they stand for content and never end
the token (:func:`tokens`). ``"a\\u0022" SERVICE <x> {} #"`` is a string then a
SERVICE call to Oxigraph, and two strings to rdflib: the guard reads both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from kg.errors import BadInput

_UNICODE_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


# rdflib's own reading (rdflib.plugins.sparql.parser.expandUnicodeEscapes):
# `\u` or `\U` alike, then 8 hex digits if there are, else 4. It decodes
# `\u00000022` as a quote where SPARQL 1.1 reads a `\u0000` and "0022".
_RDFLIB_ESCAPE = re.compile(r"\\u([0-9a-f]{4}(?:[0-9a-f]{4})?)", re.IGNORECASE)


_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"


# Order matters where two kinds could start at one place: an IRI before `<` as
# an operator (SPARQL's terminals are read longest first, see kg.sparql.guard),
# a number before `.`, a prefixed name (`kg:x`, `:x`, `_:b`) before a word.
_TOKEN = re.compile(
    rf"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>\"\"\"(?:[^\\]|\\.)*?\"\"\"|'''(?:[^\\]|\\.)*?'''
              |"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')
  | (?P<iri><(?:[^<>"{{}}|^`\\\x00-\x20]|{_UCHAR})*>)
  | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
  | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<number>\d+\.\d*[eE][+-]?\d+|\.?\d+[eE][+-]?\d+|\d*\.\d+|\d+)
  | (?P<pname>(?:[^\W\d](?:[\w.-]*[\w-])?)?:(?:[\w:%-]|\\.|\.+(?=[\w:%-]|\\.))*
              |_:[\w](?:[\w.-]*[\w-])?)
  | (?P<word>[^\W\d][\w-]*)
  | (?P<open>[{{(\[])
  | (?P<close>[}})\]])
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    """One terminal: its kind (``iri``, ``var``, ``word``, ``open``, …), its
    text, and where it is in the text that was read."""

    kind: str
    text: str
    start: int
    end: int

    @property
    def word(self) -> str:
        """A keyword upper-cased (``select`` is ``SELECT``); other tokens as written."""
        return self.text.upper() if self.kind == "word" else self.text


Tokens = tuple[Token, ...]


# A query's text is read several times on its way through the door (the
# guard, its form, Oxigraph's probe, the binder): once is enough.
@lru_cache(maxsize=32)
def tokens(text: str) -> Tokens:
    """The tokens of ``text`` (comments and white space left out), ``\\u``
    escapes read as SPARQL 1.2 and Oxigraph read them.

    >>> [(t.kind, t.text) for t in tokens('SELECT ?x { ?x a kg:P. } # c')]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('word', 'SELECT'), ('var', '?x'), ('open', '{'), ('var', '?x'), ('word', 'a'),
     ('pname', 'kg:P'), ('other', '.'), ('close', '}')]
    """
    return tuple(
        Token(m.lastgroup or "other", m.group(), m.start(), m.end())
        for m in _TOKEN.finditer(text)
        if m.lastgroup not in ("ws", "comment")
    )


def unescape(text: str) -> str:
    """``text`` with every ``\\u`` and ``\\U`` escape decoded, as SPARQL 1.1
    (19.2) and rdflib do before reading the grammar.

    >>> unescape("\\\\u0053ERVICE")
    'SERVICE'
    """
    return _UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


def rdflib_unescape(text: str) -> str:
    """``text`` with its escapes decoded as rdflib decodes them before parsing.

    >>> rdflib_unescape("\\\\u00000022") == '"'
    True
    """

    def code_point(m: re.Match[str]) -> str:
        value = int(m.group(1), 16)
        if value > 0x10FFFF:
            raise BadInput(f"SPARQL error: \\u{m.group(1)} is not a Unicode code point")
        return chr(value)

    return _RDFLIB_ESCAPE.sub(code_point, text)


def readings(text: str) -> list[Tokens]:
    """The tokens of each way an engine may read ``text``: as Oxigraph does
    (escapes only inside IRIs and strings), and, when it has escapes, with
    them decoded first as SPARQL 1.1 says and as rdflib does."""
    texts = dict.fromkeys((text, unescape(text), rdflib_unescape(text)))
    return [tokens(t) for t in texts]


def names_in(token: Token) -> set[str]:
    """The variables a token names: a variable's own, or those inside an
    IRI-like token (``<?b && ?c>`` reads as comparisons to Oxigraph)."""
    if token.kind == "var":
        return {token.text[1:]}
    if token.kind == "iri":
        return set(re.findall(r"[?$](\w+)", token.text))
    return set()


# --- group graph patterns --------------------------------------------------------------

_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


@dataclass
class Group:
    """A group graph pattern ``{ … }`` (a WHERE clause, OPTIONAL, MINUS, UNION
    branch, GRAPH, EXISTS, a sub-query's WHERE): where its inside starts and
    ends in the text, and the variables it names itself (not those only the
    groups inside it name); a query's WHERE group also holds those its SELECT
    clause, CONSTRUCT template and solution modifiers name."""

    start: int
    end: int = -1
    names: set[str] = field(default_factory=set)
    minus: bool = False
    top: bool = False  # the WHERE group of the query itself, not of a sub-query


@dataclass
class _Query:
    """A query or sub-query being read: the names its clauses mention, and its
    WHERE group once read."""

    names: set[str] = field(default_factory=set)
    where: Group | None = None
    parens: int = 0  # depth of ( ) inside its clauses: an EXISTS there is no WHERE


def groups(toks: Tokens) -> list[Group]:
    """Every group graph pattern of a query, in the order they open. Braces that open
    no group pattern are left out: ``VALUES`` data, a CONSTRUCT template, the
    brace around a sub-``SELECT`` (its WHERE group is counted).

    >>> [(sorted(g.names), g.minus) for g in groups(tokens("SELECT ?a { ?b ?c ?d MINUS { ?e } }"))]
    [(['a', 'b', 'c', 'd'], False), (['e'], True)]
    """
    out: list[Group] = []
    stack: list[Group | _Query | None] = []  # open braces: a group, a sub-query, or data
    queries = [_Query()]
    pending = ""  # what the next brace opens: "data", "template", "minus" or ""
    for i, tok in enumerate(toks):
        word = tok.word if tok.kind == "word" else ""
        if word in ("VALUES", "CONSTRUCT", "MINUS"):
            pending = {"VALUES": "data", "CONSTRUCT": "template", "MINUS": "minus"}[word]
        elif word == "WHERE" and pending == "template":
            pending = ""  # CONSTRUCT WHERE { … }: the short form's group is the WHERE group
        elif tok.kind in ("open", "close") and tok.text in "()":
            queries[-1].parens += 1 if tok.text == "(" else -1
        elif tok.text == "{":
            stack.append(_open(toks, i, pending, queries, out))
            pending = ""
        elif tok.text == "}":
            _close(tok, stack, queries)
        elif tok.kind in ("var", "iri"):
            _mention(names_in(tok), stack, queries)
    if stack:
        raise BadInput("SPARQL error: unbalanced braces (a '{' is never closed)")
    return out


def _open(
    toks: Tokens, i: int, pending: str, queries: list[_Query], out: list[Group]
) -> Group | _Query | None:
    if pending in ("data", "template"):
        return None
    if i + 1 < len(toks) and toks[i + 1].word == "SELECT":
        queries.append(_Query())
        return queries[-1]
    query = queries[-1]
    group = Group(toks[i].end, minus=pending == "minus")
    if query.where is None and query.parens == 0:
        query.where = group
        group.top = len(queries) == 1
        group.names |= query.names  # its SELECT clause or CONSTRUCT template, read already
    out.append(group)
    return group


def _close(tok: Token, stack: list[Group | _Query | None], queries: list[_Query]) -> None:
    if not stack:
        raise BadInput("SPARQL error: unbalanced braces (a '}' without its '{')")
    done = stack.pop()
    if isinstance(done, _Query):
        queries.pop()
    elif isinstance(done, Group):
        done.end = tok.start


def _mention(names: set[str], stack: list[Group | _Query | None], queries: list[_Query]) -> None:
    """Variables named at this point of the text: the group they are in needs
    them; outside one (a SELECT clause, a template, a solution modifier), the
    WHERE group of the query they belong to does."""
    inner = stack[-1] if stack else None
    if isinstance(inner, Group):
        inner.names |= names
        return
    query = queries[-1]
    query.names |= names
    if query.where is not None:
        query.where.names |= names


def query_form(toks: Tokens) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the query's first keyword past its prologue."""
    for tok in toks:
        if tok.kind == "word" and tok.word in _FORMS:
            return tok.word
    raise BadInput("not a SPARQL query: no SELECT, ASK, CONSTRUCT or DESCRIBE found")
