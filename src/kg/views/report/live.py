"""Live queries in the report site: the graph, the canned queries and the rules the
browser needs to run them with Oxigraph's WebAssembly build, as the CLI does.

The browser binds parameters as ``kg query`` does without porting the binder:
for each canned query, the text kg's front door (:func:`kg.sparql.door.prepare`)
makes is computed here with a placeholder term per parameter (an IRI for an
``iri`` parameter, a literal for the others), one text per set of optional
parameters given. The binder's choices depend on the kind of each term (IRI or
literal) and never on its value, so writing the term a user gave (N-Triples,
by Oxigraph's own serialiser in the browser) for each placeholder gives the text
the CLI runs; :func:`fill` does it here, and the tests compare the two.

>>> from kg.sparql.canned import get_query
>>> spec = query_spec(get_query("roles-at-date"))
>>> sorted(spec["templates"]), sorted(spec["placeholders"])
([''], ['date', 'lang'])
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from itertools import combinations
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph

from kg.errors import UsageError
from kg.rdfio.write import turtle_bytes, turtle_pieces
from kg.sparql.bind import terms_of
from kg.sparql.canned import CannedQuery, Param
from kg.sparql.door import prepare
from kg.sparql.guard import rules as guard_rules
from kg.sparql.render import FORMULA_START
from kg.sparql.rewrite import with_prefixes
from kg.terms.checks import patterns
from kg.terms.iris import record_iri
from kg.terms.namespaces import PREFIXES
from kg.views.report.vendored import asset, oxigraph_script, vendored

PIECE = 1 << 20  # bytes of Turtle per graph file: the graph comes in pieces at scale
# Above this many triples the site ships no graph and the query pages say so: a
# browser tab loading 1M triples (about 60 MB of Turtle, several times that in
# Oxigraph's WebAssembly memory) is slow to open and may be killed, and the
# site would be mostly graph. 300,000 keeps a 100k-triple build's graph live
# (with its entailments and the ontology, about 210,000).
LIVE_LIMIT = 300_000


def js_data(value: Any, indent: int | None = None) -> str:
    """``value`` as JSON for a script, with ``<`` written ``\\u003c``: no text of
    the records reads as markup wherever the data goes (``</script>``).

    >>> js_data("<b>")
    '"\\\\u003cb>"'
    """
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, indent=indent)
    return text.replace("<", "\\u003c")


def placeholder(param: Param) -> URIRef | Literal:
    """The term standing for ``param`` in a query's template."""
    if param.type == "iri":
        return URIRef(f"urn:kg:live-parameter:{param.name}")
    return Literal(f"kg-live-parameter:{param.name}")


def _optional(query: CannedQuery) -> list[str]:
    """The parameters left unbound when not given."""
    return [p.name for p in query.params if p.optional and p.default is None]


def query_spec(query: CannedQuery) -> dict[str, Any]:
    """What a query page's script needs: the parameters, the placeholders' N-Triples,
    and the prepared text for each set of optional parameters given (keyed by their
    sorted names, comma-joined)."""
    stand_ins = {p.name: placeholder(p) for p in query.params}
    placeholders = terms_of(stand_ins)
    for name, term in placeholders.items():
        if term in query.text:  # the fill would write over the query's own text
            raise UsageError(f"query {query.name!r} holds its placeholder {term} for {name}")
    optional = _optional(query)
    templates = {}
    for n in range(len(optional) + 1):
        for given in combinations(sorted(optional), n):
            bound = {k: v for k, v in stand_ins.items() if k not in optional or k in given}
            templates[",".join(given)] = template(query.text, bound)
    return {
        "name": query.name,
        "form": query.form,
        "params": [
            {
                "name": p.name,
                "type": p.type,
                "default": p.default,
                "optional": p.optional,
                "description": p.description,
            }
            for p in query.params
        ],
        "placeholders": placeholders,
        "templates": templates,
    }


def template(text: str, bindings: Mapping[str, URIRef | Literal]) -> str:
    """The text the front door prepares for a local Oxigraph, with kg's prefixes
    declared (the browser's store knows none)."""
    return with_prefixes(prepare(text, bindings).text)


def fill(spec: dict[str, Any], terms: Mapping[str, str]) -> str:
    """The runnable text of a query spec for the given parameters (N-Triples terms,
    every required one and the optional ones given), as the browser makes it.

    >>> from kg.sparql.canned import get_query
    >>> spec = query_spec(get_query("roles-at-date"))
    >>> '"2001"^^' in fill(spec, {"date": '"2001"^^<x:y>', "lang": '"en"'})
    True
    """
    given = ",".join(sorted(k for k in terms if k in _optional_names(spec)))
    text: str = spec["templates"][given]
    for name, term in terms.items():
        text = text.replace(spec["placeholders"][name], term)
    return text


def _optional_names(spec: dict[str, Any]) -> set[str]:
    return {p["name"] for p in spec["params"] if p["optional"] and p["default"] is None}


def graph_pieces(triples: Iterable[tuple[Any, Any, Any]], size: int = PIECE) -> list[bytes]:
    """The graph live queries run on, as scripts of about ``size`` bytes of Turtle
    each: ``kgGraph.push("…")``, loaded one by one into the browser's store.

    The triples holding blank nodes (the ontology's OWL lists) come first, in a
    piece of their own: a blank node's label names one node within one document
    only, so those triples cannot be split; the rest can.
    """
    plain, blank = _stable_blank_nodes(triples)
    pieces = [turtle_bytes(blank)] if blank else []
    pieces += turtle_pieces(turtle_bytes(plain), size)
    return [
        b"(globalThis.kgGraph = globalThis.kgGraph || []).push("
        + js_data(piece.decode("utf-8")).encode("utf-8")
        + b");\n"
        for piece in pieces
    ]


def _stable_blank_nodes(
    triples: Iterable[tuple[Any, Any, Any]],
) -> tuple[list[tuple[Any, Any, Any]], list[tuple[Any, Any, Any]]]:
    """``triples`` without blank nodes, and those with, their blank nodes labelled
    from their content so that the same graph gives the same site in every
    process; only the few triples that hold one are relabelled."""
    plain, blank = [], Graph()
    for t in triples:
        if any(isinstance(x, BNode) for x in t):
            blank.add(t)
        else:
            plain.append(t)
    return plain, list(to_canonical_graph(blank)) if len(blank) else []


def rules_script() -> bytes:
    """The checks the browser repeats, exported from the modules that own them:
    parameter values (:func:`kg.sparql.canned.to_term`'s patterns), the guard's
    words, kg's prefixes, the CSV cells a spreadsheet would run as formulas."""
    rules = {
        "patterns": patterns(),
        "guard": guard_rules(),
        "prefixes": {k: str(v) for k, v in PREFIXES.items()},
        "record_base": str(record_iri("x"))[:-1],
        "formula_start": list(FORMULA_START),
    }
    text = json.dumps(rules, ensure_ascii=True, sort_keys=True, indent=1)
    return f"globalThis.kgRules = {text};\n".encode()


def live_files(
    triples: Iterable[tuple[Any, Any, Any]], pages: Mapping[str, str], count: int
) -> dict[str, bytes]:
    """The site's files for live queries: the graph in pieces (``data/``), Oxigraph
    with its licence, the exported rules, the entity pages by id (``pages``: id to
    label, so that results link to them) and the page script (``live/``).

    A graph of more than :data:`LIVE_LIMIT` triples (``count``) is not shipped,
    nor read: its query pages show the results of the default parameters and
    say to run the others with ``kg query``.
    """
    if count > LIVE_LIMIT:
        return {}
    files = {f"data/graph-{i:03d}.js": piece for i, piece in enumerate(graph_pieces(triples))}
    labels = js_data(dict(sorted(pages.items())), indent=0)
    files.update(
        {
            "live/oxigraph.js": oxigraph_script(),
            "live/oxigraph-LICENSE.txt": vendored("oxigraph", "LICENSE"),
            "live/rules.js": rules_script(),
            "live/pages.js": f"globalThis.kgPages = {labels};\n".encode(),
            "live/query.js": asset("query.js"),
        }
    )
    return files
