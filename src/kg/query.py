"""Canned and ad-hoc SPARQL queries, with parameters bound as RDF terms.

A canned query is a ``queries/NAME.rq`` file whose header holds its
metadata as YAML in ``#+`` comment lines (the convention grlc uses)::

    #+ title: Timeline of events
    #+ description: Every event with its dates and place, oldest first.
    #+ params:
    #+   from: {type: date, default: "1990", description: Earliest start date}
#+   who: {type: iri, optional: true, description: Only events with this participant}

Parameters are bound by the engine (``initBindings``) as typed RDF terms;
nothing a user types is ever pasted into query text.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from rdflib import Graph, Literal, URIRef, Variable
from rdflib.namespace import XSD

from kg import guard
from kg.errors import BadInput, UsageError
from kg.namespaces import ID, PREFIXES, bind_prefixes, expand
from kg.rdfio import rdf11_term
from kg.records import LANG_RE, _check_date, _is_absolute_iri
from kg.resources import queries_dir
from kg.validate import compact

PARAM_TYPES = ("iri", "string", "lang", "date", "integer")
RESULT_FORMATS = ("table", "csv", "tsv", "json", "xml")
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_VAR_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
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
_FORM_RE = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)


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


def parse_query_file(path: Path) -> CannedQuery:
    """Read one ``.rq`` file and its ``#+`` YAML header."""
    text = path.read_text(encoding="utf-8")
    header = "\n".join(
        line[3:] if line.startswith("#+ ") else line[2:]
        for line in text.splitlines()
        if line.startswith("#+")
    )
    try:
        meta: dict[str, Any] = yaml.load(header, Loader=_HeaderLoader) or {}
    except yaml.YAMLError as exc:
        raise BadInput(f"{path}: malformed '#+' header: {exc}") from None
    name = path.stem
    if not _NAME_RE.match(name):
        raise BadInput(f"{path}: query file names must be lower-case words with hyphens")
    for key in ("title", "description"):
        if not isinstance(meta.get(key), str):
            raise BadInput(f"{path}: header needs '#+ {key}: ...'")
    params = []
    for pname, spec in (meta.get("params") or {}).items():
        if not isinstance(pname, str) or not _VAR_RE.match(pname):
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
        params.append(
            Param(
                name=pname,
                type=spec["type"],
                description=str(spec.get("description", "")),
                default=None if default is None else str(default),
                optional=bool(spec.get("optional", False)),
            )
        )
    return CannedQuery(
        name=name,
        title=meta["title"],
        description=meta["description"].strip(),
        text=text,
        path=path,
        params=tuple(params),
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
            f"no canned query named {name!r}; `kg query --list` shows them: "
            + ", ".join(sorted(queries))
        )
    return queries[name]


def to_term(param: Param, raw: str) -> URIRef | Literal:
    """Turn a parameter value typed by a user into the RDF term it stands for.

    >>> to_term(Param("who", "iri", ""), "shinzo-abe")
    rdflib.term.URIRef('https://w3id.org/kg-nj/id/shinzo-abe')
    >>> to_term(Param("on", "date", ""), "2013-06-25")
    rdflib.term.Literal('2013-06-25', datatype=rdflib.term.URIRef('http://www.w3.org/2001/XMLSchema#date'))
    """
    value = raw.strip()
    if param.type == "iri":
        if re.match(r"^[a-z0-9][a-z0-9-]*$", value):
            return ID[value]
        prefix, sep, local = value.partition(":")
        if sep and prefix in PREFIXES and not local.startswith("//"):
            value = expand(value)
        if not _is_absolute_iri(value):
            raise UsageError(
                f"parameter {param.name!r}: {raw!r} is not a record id, prefixed name or IRI"
            )
        return URIRef(value)
    if param.type == "date":
        xsd = _check_date(value)
        if not xsd:
            raise UsageError(
                f'parameter {param.name!r}: {raw!r} is not a date "YYYY-MM-DD", "YYYY-MM" or "YYYY"'
            )
        return Literal(value, datatype=XSD[xsd])
    if param.type == "integer":
        if not re.match(r"^-?[0-9]+$", value):
            raise UsageError(f"parameter {param.name!r}: {raw!r} is not a whole number")
        return Literal(value, datatype=XSD.integer)
    if param.type == "lang":
        if not LANG_RE.match(value):
            raise UsageError(f"parameter {param.name!r}: {raw!r} is not a language tag")
        return Literal(value.lower())
    return Literal(raw)


def bind_params(query: CannedQuery, given: dict[str, str]) -> dict[str, URIRef | Literal]:
    """Check the given parameters against the query's and turn them into terms."""
    known = {p.name: p for p in query.params}
    unknown = set(given) - set(known)
    if unknown:
        raise UsageError(
            f"query {query.name!r} has no parameter(s) {', '.join(sorted(unknown))}; "
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


@dataclass
class QueryResult:
    """The outcome of a query: variables and rows, a boolean, or a graph."""

    form: str
    vars: list[str] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    boolean: bool | None = None
    graph: Graph | None = None


def run_query(graph: Any, text: str, bindings: dict[str, Any] | None = None) -> QueryResult:
    """Run SPARQL over ``graph`` with the given parameter bindings.

    ``graph`` is an rdflib Graph (the reference engine, rdflib's SPARQL) or a
    :class:`kg.store.NativeGraph` (Oxigraph); parameters are bound by the
    engine either way (``initBindings`` / Oxigraph's substitutions).

    >>> from kg.builder import build_graph
    >>> r = run_query(build_graph(), "ASK { ?s a <https://w3id.org/kg-nj/ontology#Person> }")
    >>> r.boolean
    True

    Safe by default (:mod:`kg.guard`): SERVICE, FROM and updates are refused
    before execution, and the query runs offline in a worker that is stopped
    at the time limit, with its rows capped (``guard.limits`` changes both).
    """
    guard.check_sparql(text)
    return guard.run_limited(_execute, graph, text, bindings)  # type: ignore[no-any-return]


def _execute(graph: Graph, text: str, bindings: dict[str, Any] | None = None) -> QueryResult:
    """Run the query in this process, without limits (:func:`run_query` adds them)."""
    form = query_form(text)
    if not isinstance(graph, Graph):  # a kg.store.NativeGraph: Oxigraph
        return _run_native(graph, form, star_in_full(text, bindings), bindings)
    init: Any = {Variable(k): v for k, v in (bindings or {}).items()}
    try:
        result = graph.query(star_in_full(text, bindings), initBindings=init, initNs=PREFIXES)
    except Exception as exc:  # pyparsing / rdflib raise many types for bad SPARQL
        _no_named_graphs(exc)
        raise _sparql_error(exc) from None
    try:
        return _collect(result, form)
    except Exception as exc:  # rdflib evaluates a SELECT lazily: some errors come only now
        _no_named_graphs(exc)
        raise


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
    >>> star_in_full("SELECT * { ?s ?p ?o FILTER(LANG(?o) = ?lang) }", {"lang": Literal("fr")})
    'SELECT ?s ?p ?o ?lang { ?s ?p ?o FILTER(LANG(?o) = ?lang) }'
    """
    tokens = (m for m in guard._TOKEN.finditer(text) if m.lastgroup not in ("ws", "comment"))
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


def _sparql_error(exc: Exception) -> BadInput:
    """The engine's own message, its first line, bounded."""
    return BadInput(f"SPARQL error: {str(exc).splitlines()[0][:300]}")


def _no_named_graphs(exc: Exception) -> None:
    # rdflib refuses GRAPH on a plain Graph with a bare Exception, when it
    # parses some query forms and when it evaluates others.
    if "requiring a dataset" in str(exc):
        raise BadInput(
            "GRAPH needs named graphs, and the reference engine (rdflib) queries one "
            "merged graph; use --engine native (the inferred triples are a named graph there)"
        ) from None


def _collect(result: Any, form: str) -> QueryResult:
    if form == "ASK":
        return QueryResult(form, boolean=bool(result.askAnswer))
    if form in ("CONSTRUCT", "DESCRIBE"):
        g = Graph()
        bind_prefixes(g)
        for t in result.graph or []:
            # SPARQL 1.1 (16.2): a template instance with a literal subject or a
            # non-IRI predicate is left out; rdflib keeps it, Oxigraph and the stores do not.
            if isinstance(t[0], Literal) or not isinstance(t[1], URIRef):
                continue
            g.add((t[0], t[1], rdf11_term(t[2])))
        return QueryResult(form, graph=g)
    names = [str(v) for v in result.vars or []]
    rows = [
        tuple(rdf11_term(row[i]) for i in range(len(names)))  # type: ignore[index]
        for row in guard.capped(result)
    ]
    return QueryResult(form, vars=names, rows=rows)


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
    for m in guard._TOKEN.finditer(text):
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


def construct_where_in_full(text: str) -> str:
    """``CONSTRUCT WHERE { P }`` written as ``CONSTRUCT { P } WHERE { P }``, what
    SPARQL 1.1 (16.2.4) defines it to be; other text as it is.

    The short form takes only triple patterns, so no ``VALUES`` block can bind
    a parameter in it; the long form's WHERE can, and its template then leaves
    out a triple whose subject or predicate is bound to a literal, as rdflib does.

    >>> construct_where_in_full('CONSTRUCT WHERE { ?s ?p "}" } LIMIT 1')
    'CONSTRUCT { ?s ?p "}" } WHERE { ?s ?p "}" } LIMIT 1'
    """
    tokens = guard._TOKEN.finditer(text)
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


def _run_native(native: Any, form: str, text: str, bindings: dict[str, Any] | None) -> QueryResult:
    as_given = None  # the query before terms were written into it, if they were
    terms: dict[str, str] = {}
    if bindings:
        # Bind as rdflib's initBindings does (the variables hold their values
        # everywhere in the query), each value written by Oxigraph as an RDF
        # term — never text a user typed. The term is written in the variable's
        # place: Oxigraph then plans with a constant (a VALUES block joined
        # afterwards made it walk paths such as `kg:subEventOf*` from every
        # node, 400 times slower at 1M triples). Where a term may not stand, a
        # one-row VALUES block opening each group pattern binds the variable.
        #
        # A query whose header says `#+ bind: values` gets the VALUES block
        # for every parameter instead: for some label-heavy queries with large
        # results Oxigraph 0.5 then hash-joins the OPTIONAL look-ups (measured
        # at 1M triples: timeline 1.1 s against 2.1 s, events-by-theme 1.2 s
        # against 1.7 s); each query's header says why it chose.
        terms = {k: str(native.conv.to_ox(v)) for k, v in bindings.items()}
        if _BIND_VALUES.search(text):
            text = _bind_by_values(text, form, terms, set(terms))
        else:
            written, left = _substitute(text, terms)
            if written != text:
                as_given = text
            text = _bind_by_values(written, form, terms, left)
    try:
        result = native.select(text)
    except SyntaxError as exc:
        error = _sparql_error(exc)
        if as_given is None:
            raise error from None
        # A literal written where SPARQL takes none (`?s "fr" ?o`, `GRAPH "fr"`)
        # is a syntax error, where rdflib's initBindings just finds no match.
        # Rather than follow the grammar to know where a literal may go, run
        # the query again with every parameter bound by VALUES, valid wherever
        # the variable stands. If that fails too, the query itself is wrong:
        # the error reported is Oxigraph's for the text as the user wrote it
        # (checked on an empty store), whose lines and columns are the user's;
        # the retry's text has VALUES blocks spliced in, and the first one has
        # a term written in, where the error may seem to be.
        try:
            result = native.select(_bind_by_values(as_given, form, terms, set(terms)))
        except (SyntaxError, BadInput):
            try:
                replace(native, store=native.conv.ox.Store()).select(as_given)
            except SyntaxError as own:
                raise _sparql_error(own) from None
            raise error from None
    conv = native.conv
    if form == "ASK":
        return QueryResult(form, boolean=bool(result))
    if form in ("CONSTRUCT", "DESCRIBE"):
        g = Graph()
        bind_prefixes(g)
        for t in result:
            g.add((conv.from_ox(t.subject), conv.from_ox(t.predicate), conv.from_ox(t.object)))
        return QueryResult(form, graph=g)
    names = [v.value for v in result.variables]
    from_ox = conv.from_ox
    rows = [tuple(from_ox(sol[i]) for i in range(len(names))) for sol in guard.capped(result)]
    return QueryResult(form, vars=names, rows=rows)


# --- rendering -------------------------------------------------------------------

TABLE_CELL_WIDTH = 60


def _plain(term: Any) -> str:
    """The value as a person reads it: prefixed names, literal text."""
    if term is None:
        return ""
    if isinstance(term, Literal):
        return str(term)
    return compact(term)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(term: Any) -> str:
    """A CSV cell; text a spreadsheet would run as a formula gets a leading apostrophe.

    >>> print(_csv_cell(Literal("=1+2")))
    '=1+2
    """
    if term is None:
        return ""
    text = str(term)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _tsv_cell(term: Any) -> str:
    return "" if term is None else term.n3()


def _width(text: str) -> int:
    """Columns a string takes in a terminal (CJK characters take two)."""
    if text.isascii():  # most cells: no per-character lookup (tables of 20k rows)
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _fit(text: str, width: int) -> str:
    """Cut ``text`` to ``width`` columns (with an ellipsis) and pad it to that width."""
    if text.isascii():
        return (text if len(text) <= width else text[: width - 1] + "…").ljust(width)
    if _width(text) > width:
        out, used = "", 0
        for ch in text:
            w = _width(ch)
            if used + w > width - 1:
                break
            out, used = out + ch, used + w
        text = out + "…"
    return text + " " * (width - _width(text))


def _render_table(res: QueryResult) -> str:
    if res.form == "ASK":
        return ("true" if res.boolean else "false") + "\n"
    cells = [[_plain(t).replace("\n", " ") for t in row] for row in res.rows]
    widths = [_width(v) for v in res.vars]
    for row in cells:
        for i, c in enumerate(row):
            widths[i] = min(max(widths[i], _width(c)), TABLE_CELL_WIDTH)

    def fmt(row: list[str]) -> str:
        return "  ".join(_fit(c, widths[i]) for i, c in enumerate(row)).rstrip()

    lines = [fmt(res.vars), "  ".join("-" * w for w in widths)]
    lines += [fmt(r) for r in cells]
    lines.append(f"({len(res.rows)} row{'s' if len(res.rows) != 1 else ''})")
    return "\n".join(lines) + "\n"


def _render_csv(res: QueryResult, delimiter: str = ",") -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    if res.form == "ASK":
        w.writerow(["boolean"])
        w.writerow(["true" if res.boolean else "false"])
        return buf.getvalue()
    w.writerow(res.vars)
    for row in res.rows:
        w.writerow([_csv_cell(t) for t in row])
    return buf.getvalue()


def _render_tsv(res: QueryResult) -> str:
    if res.form == "ASK":
        return "?boolean\n" + ("true" if res.boolean else "false") + "\n"
    lines = ["\t".join(f"?{v}" for v in res.vars)]
    lines += ["\t".join(_tsv_cell(t) for t in row) for row in res.rows]
    return "\n".join(lines) + "\n"


def _sparql_result(res: QueryResult):  # type: ignore[no-untyped-def]
    from rdflib.query import Result

    r = Result(res.form if res.form == "ASK" else "SELECT")
    if res.form == "ASK":
        r.askAnswer = bool(res.boolean)
    else:
        r.vars = [Variable(v) for v in res.vars]
        r.bindings = [
            {Variable(v): t for v, t in zip(res.vars, row, strict=True) if t is not None}
            for row in res.rows
        ]
    return r


def render(res: QueryResult, fmt: str = "table") -> str:
    """Render a result as table, csv, tsv, json or xml (SPARQL 1.1 result formats),
    or, for CONSTRUCT/DESCRIBE, as any RDF format kg writes."""
    if res.graph is not None:
        from kg.rdfio import RDF_FORMATS, serialize

        rdf_fmt = "turtle" if fmt == "table" else fmt
        if rdf_fmt not in RDF_FORMATS:
            raise UsageError(
                f"a {res.form} query returns a graph; use --format {', '.join(RDF_FORMATS)}"
            )
        return serialize(res.graph, rdf_fmt).decode("utf-8")
    if fmt == "table":
        return _render_table(res)
    if fmt == "csv":
        return _render_csv(res)
    if fmt == "tsv":
        return _render_tsv(res)
    if fmt in ("json", "xml"):
        out = _sparql_result(res).serialize(format=fmt, encoding="utf-8")
        text = out.decode("utf-8") if isinstance(out, bytes) else str(out)
        return text if text.endswith("\n") else text + "\n"
    raise UsageError(f"unknown result format {fmt!r}; use {', '.join(RESULT_FORMATS)}")


__all__ = [
    "CannedQuery",
    "Param",
    "QueryResult",
    "bind_params",
    "catalog",
    "get_query",
    "render",
    "run_query",
    "to_term",
]
