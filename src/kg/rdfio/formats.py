"""Every format kg reads or writes, in one table: the RDF formats (graphs and
datasets) and the SPARQL query results formats, each with kg's name for it,
its file extensions, its media types and the engines' names.

The network formats (GraphML, GEXF) are not RDF: they hold the entity
network ``kg export`` writes with networkx (:mod:`kg.views.netexport`); their
names are unique among the RDF formats' too, since ``kg export --format``
takes both.

A name is unique within its kind, not across kinds: ``xml`` is RDF/XML among
the RDF formats (``kg export --format xml``) and the SPARQL XML results among
the results formats (``kg query --format xml`` on a SELECT). So every look-up
says which kind it wants; a CONSTRUCT or DESCRIBE, whose answer is a graph,
looks its ``--format`` up among the RDF formats.

Content negotiation (a server answering an ``Accept`` header, a client
reading a ``Content-Type``) goes through :func:`negotiate`,
:func:`format_for_media` and :func:`accept_header`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from kg.errors import BadInput, UsageError, did_you_mean

Kind = Literal["rdf", "results", "network"]


@dataclass(frozen=True)
class Format:
    """One format: kg's ``name`` for it (what ``--format`` takes, unique within
    its ``kind``), the ``label`` the docs use, its file ``extensions`` and
    ``media_types`` (the one kg writes, sends or answers with first), the name
    of rdflib's parser/serialiser plugin and of the ``pyoxigraph.RdfFormat`` or
    ``pyoxigraph.QueryResultsFormat`` member ("" where that engine has none),
    and whether it keeps named graphs (``dataset``; RDF formats only).

    >>> RDF_FORMATS["nquads"].media_type, RDF_FORMATS["nquads"].dataset
    ('application/n-quads', True)
    """

    name: str
    kind: Kind
    label: str
    extensions: tuple[str, ...]
    media_types: tuple[str, ...]
    rdflib: str
    oxigraph: str
    dataset: bool = False

    @property
    def extension(self) -> str:
        return self.extensions[0]

    @property
    def media_type(self) -> str:
        return self.media_types[0]


# The order is the docs' and the CLI's. ``text/plain`` and ``application/x-turtle``
# are older media types of N-Triples and Turtle that some stores still send.
FORMATS: tuple[Format, ...] = (
    Format("turtle", "rdf", "Turtle", (".ttl", ".turtle"),
           ("text/turtle", "application/x-turtle"), "turtle", "TURTLE"),
    Format("nt", "rdf", "N-Triples", (".nt",),
           ("application/n-triples", "text/plain"), "nt", "N_TRIPLES"),
    Format("nquads", "rdf", "N-Quads", (".nq", ".nquads"),
           ("application/n-quads",), "nquads", "N_QUADS", dataset=True),
    Format("trig", "rdf", "TriG", (".trig",),
           ("application/trig",), "trig", "TRIG", dataset=True),
    Format("jsonld", "rdf", "JSON-LD", (".jsonld", ".json"),
           ("application/ld+json",), "json-ld", "JSON_LD", dataset=True),
    Format("xml", "rdf", "RDF/XML", (".rdf", ".owl", ".xml"),
           ("application/rdf+xml",), "xml", "RDF_XML"),
    Format("table", "results", "table", (".txt",),
           ("text/plain",), "", ""),
    Format("csv", "results", "CSV", (".csv",),
           ("text/csv",), "csv", "CSV"),
    Format("tsv", "results", "TSV", (".tsv",),
           ("text/tab-separated-values",), "tsv", "TSV"),
    Format("json", "results", "SPARQL JSON", (".srj", ".json"),
           ("application/sparql-results+json",), "json", "JSON"),
    Format("xml", "results", "SPARQL XML", (".srx", ".xml"),
           ("application/sparql-results+xml",), "xml", "XML"),
    Format("graphml", "network", "GraphML", (".graphml",),
           ("application/graphml+xml",), "", ""),
    Format("gexf", "network", "GEXF", (".gexf",),
           ("application/gexf+xml",), "", ""),
)  # fmt: skip


RDF_FORMATS: dict[str, Format] = {f.name: f for f in FORMATS if f.kind == "rdf"}
"""The RDF formats by kg's name (``kg export --format``)."""


RESULT_FORMATS: dict[str, Format] = {f.name: f for f in FORMATS if f.kind == "results"}
"""The SPARQL query results formats by kg's name (``kg query --format`` on SELECT/ASK)."""


NETWORK_FORMATS: dict[str, Format] = {f.name: f for f in FORMATS if f.kind == "network"}
"""The entity network's formats by kg's name (``kg export --format graphml|gexf``)."""


EXPORT_FORMATS: dict[str, Format] = {**RDF_FORMATS, **NETWORK_FORMATS}
"""What ``kg export --format`` takes: the RDF formats, then the network's."""


def formats_of(kind: Kind) -> dict[str, Format]:
    """The formats of one kind by name.

    >>> list(formats_of("results"))
    ['table', 'csv', 'tsv', 'json', 'xml']
    """
    return {"rdf": RDF_FORMATS, "results": RESULT_FORMATS, "network": NETWORK_FORMATS}[kind]


def format_from_path(
    path: Path | str, default: str | None = None, kind: Kind | tuple[Kind, ...] = "rdf"
) -> str:
    """kg's name of the format of kind ``kind`` (or of the first of several kinds
    that has one) that a file's extension names; ``default`` when none does (a
    :class:`UsageError` when there is no default).

    >>> format_from_path("out/kg.nq")
    'nquads'
    >>> format_from_path("out/rows.xml", "table", kind="results")
    'xml'
    >>> format_from_path("out/net.graphml", kind=("rdf", "network"))
    'graphml'
    """
    kinds = (kind,) if isinstance(kind, str) else kind
    suffix = Path(path).suffix.lower()
    for k in kinds:
        for f in formats_of(k).values():
            if suffix in f.extensions:
                return f.name
    if default:
        return default
    what = " or ".join({"rdf": "RDF", "results": "results", "network": "network"}[k] for k in kinds)
    names = [name for k in kinds for name in formats_of(k)]
    near = did_you_mean(
        suffix, [e for k in kinds for f in formats_of(k).values() for e in f.extensions]
    )
    raise UsageError(
        f"cannot tell the {what} format of {str(path)!r} from its extension{near}; "
        f"use --format ({', '.join(names)})"
    )


def is_dataset_format(fmt: str) -> bool:
    """Whether the RDF format ``fmt`` keeps named graphs (TriG, N-Quads, JSON-LD)."""
    return RDF_FORMATS[fmt].dataset


def format_for_media(media_type: str, kind: Kind) -> Format | None:
    """The format of kind ``kind`` that a media type (a ``Content-Type``
    value, parameters allowed) names, or None.

    >>> format_for_media("text/turtle; charset=utf-8", "rdf").name
    'turtle'
    """
    media = media_type.split(";")[0].strip().lower()
    for f in formats_of(kind).values():
        if media in f.media_types:
            return f
    return None


def accept_header(preferences: Iterable[tuple[str, float]], kind: Kind) -> str:
    """An ``Accept`` header asking for formats of ``kind`` (by kg's name, with
    a q-value each) by their preferred media types.

    >>> accept_header([("nt", 1.0), ("turtle", 0.9)], "rdf")
    'application/n-triples, text/turtle;q=0.9'
    """
    table = formats_of(kind)
    return ", ".join(
        table[name].media_type + ("" if q == 1 else f";q={q:g}") for name, q in preferences
    )


def negotiate(accept: str | None, offers: Sequence[Format]) -> tuple[Format, str] | None:
    """The format among ``offers`` (in the server's order of preference) that an
    ``Accept`` header prefers, and the media type to answer with; the first offer
    when the header is missing or empty or ties; None when the header accepts
    none of them (HTTP 406). A malformed header is :class:`BadInput`.

    >>> f, media = negotiate("text/*;q=0.5, application/n-triples", list(RDF_FORMATS.values()))
    >>> f.name, media
    ('nt', 'application/n-triples')
    >>> negotiate("text/csv", [RESULT_FORMATS["json"]]) is None
    True
    """
    import mimeparse

    if not offers:
        return None
    if not accept or not accept.replace(",", " ").strip():
        return offers[0], offers[0].media_type
    candidates = [(media, f) for f in offers for media in f.media_types]
    try:
        # python-mimeparse breaks a tie in favour of the candidate it was given
        # last: give them in reverse, so the server's first choice wins.
        best = mimeparse.best_match([m for m, _f in reversed(candidates)], accept)
    except (mimeparse.MimeTypeParseException, ValueError):
        raise BadInput(f"malformed Accept header {accept!r}") from None
    return next(((f, m) for m, f in candidates if m == best), None)
