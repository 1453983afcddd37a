"""The SPARQL guard: what kg refuses to run, whatever engine or store would run it.

``SERVICE`` (``SILENT`` included), ``FROM`` / ``FROM NAMED`` and every update
form (``LOAD``, ``INSERT``, ``DELETE``, ``CLEAR``, …) are refused before any
engine sees the text, as is nesting deeper than the depth limit.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from kg.errors import BadInput
from kg.sandbox.limits import Limits, current_limits
from kg.sparql.lexer import _UNICODE_ESCAPE, _tokens

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


# `FILTER(?a <?b)SERVICE:sparql#>` is one IRI to SPARQL's lexer, but Oxigraph
# parses `?a < ?b` and then calls the SERVICE, from Rust, past the audit hook
# that keeps queries offline. Only a `)` can end the comparison, so an IRI with
# SERVICE after a `)` is refused (a real IRI almost never has one).
_SERVICE_IN_IRI = re.compile(r"\).*\bSERVICE\b", re.IGNORECASE | re.DOTALL)


def check_sparql(text: str, lim: Limits | None = None) -> None:
    """Refuse SPARQL that would reach outside the graph, change it, or nest too deeply.

    Runs on the query text before any engine does, with the same reading of
    ``\\uXXXX`` escapes, comments, strings and IRIs as SPARQL's grammar.

    >>> try:
    ...     check_sparql("SELECT * { SERVICE <http://x.test/> {} }")
    ... except BadInput as exc:
    ...     print(exc)
    SERVICE <http://x.test/> is refused: kg queries only its own graph (see --allow-service)
    """
    lim = lim or current_limits()
    text = _UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)
    toks = list(_tokens(text))
    depth = 0
    for i, (kind, value) in enumerate(toks):
        if kind == "open":
            depth += 1
            if lim.max_depth and depth > lim.max_depth:
                raise BadInput(
                    f"query nested more than {lim.max_depth} levels deep "
                    "(KG_MAX_DEPTH raises the limit)"
                )
        elif kind == "close":
            depth = max(0, depth - 1)
        elif kind == "iri" and _SERVICE_IN_IRI.search(value):
            raise BadInput(
                f"{value[:80]} is refused: an engine may read its '<' as a comparison and "
                "what follows its ')' as a SERVICE call; write '<' with a space after it"
            )
        if kind != "word":
            continue
        word = value.upper()
        nxt = toks[i + 1][1] if i + 1 < len(toks) else ""
        if word in _UPDATE_WORDS:
            raise BadInput(f"SPARQL update ({word}) is refused: kg query only reads the graph")
        if word == "FROM":
            named = "FROM NAMED" if nxt.upper() == "NAMED" else "FROM"
            target = toks[i + 2][1] if named == "FROM NAMED" and i + 2 < len(toks) else nxt
            raise BadInput(
                f"{named} {target} is refused: kg queries only the graph it was given "
                "(use --graph FILE to query a file)"
            )
        if word == "SERVICE":
            j = i + 1
            if j < len(toks) and toks[j][1].upper() == "SILENT":
                j += 1
            target_kind, target = toks[j] if j < len(toks) else ("other", "")
            host = urlsplit(target[1:-1]).hostname if target_kind == "iri" else None
            scheme = urlsplit(target[1:-1]).scheme if target_kind == "iri" else ""
            if host and scheme in ("http", "https") and host.lower() in lim.allow_service:
                continue
            if lim.allow_service and target_kind != "iri":
                hint = "write the endpoint as a full <http://…> IRI"
            else:
                hint = "see --allow-service"
            raise BadInput(f"SERVICE {target} is refused: kg queries only its own graph ({hint})")
