"""The format registry (kg.rdfio.formats): one entry per format, in agreement
with the engines, and every command and protocol path reading it."""

from __future__ import annotations

import io
import json

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph, URIRef
from rdflib.plugin import Parser, ResultParser, Serializer
from rdflib.plugin import get as plugin
from servers import reply

from kg.errors import BadInput, UsageError
from kg.rdfio.formats import (
    FORMATS,
    NETWORK_FORMATS,
    RDF_FORMATS,
    RESULT_FORMATS,
    accept_header,
    format_for_media,
    format_from_path,
    negotiate,
)
from kg.remote.protocol import RDF_ACCEPT, RESULTS_JSON, remote_query

pytest_plugins = ["servers"]

KINDS = {"rdf": RDF_FORMATS, "results": RESULT_FORMATS, "network": NETWORK_FORMATS}


# --- the table -------------------------------------------------------------------------


def test_each_format_once_per_kind():
    for kind, table in KINDS.items():
        entries = [f for f in FORMATS if f.kind == kind]
        assert list(table.values()) == entries
        exts = [e for f in entries for e in f.extensions]
        media = [m for f in entries for m in f.media_types]
        assert len(exts) == len(set(exts)), kind
        assert len(media) == len(set(media)), kind
        assert all(e.startswith(".") and e == e.lower() for e in exts)
    assert len(FORMATS) == len(RDF_FORMATS) + len(RESULT_FORMATS) + len(NETWORK_FORMATS)
    assert not any(f.dataset for f in [*RESULT_FORMATS.values(), *NETWORK_FORMATS.values()])
    # kg export --format takes both RDF and network names: none is in both.
    assert not set(RDF_FORMATS) & set(NETWORK_FORMATS)


def test_xml_is_one_name_in_each_kind_and_never_ambiguous():
    assert RDF_FORMATS["xml"].label == "RDF/XML"
    assert RDF_FORMATS["xml"].media_type == "application/rdf+xml"
    assert RESULT_FORMATS["xml"].label == "SPARQL XML"
    assert RESULT_FORMATS["xml"].media_type == "application/sparql-results+xml"


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f.oxigraph], ids=lambda f: f.label)
def test_oxigraph_agrees_on_media_type_extension_and_datasets(fmt):
    kind = ox.RdfFormat if fmt.kind == "rdf" else ox.QueryResultsFormat
    theirs = getattr(kind, fmt.oxigraph)
    assert theirs.media_type.split(";")[0] == fmt.media_type
    assert "." + theirs.file_extension == fmt.extension
    if fmt.kind == "rdf":
        assert theirs.supports_datasets is fmt.dataset
    for media in fmt.media_types:  # the older names too
        assert kind.from_media_type(media) == theirs, media


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f.rdflib], ids=lambda f: f.label)
def test_rdflib_knows_each_name(fmt):
    if fmt.kind == "rdf":
        assert plugin(fmt.rdflib, Parser) and plugin(fmt.rdflib, Serializer)
    else:
        assert plugin(fmt.rdflib, ResultParser)


def test_table_is_kgs_own():
    assert RESULT_FORMATS["table"].rdflib == RESULT_FORMATS["table"].oxigraph == ""


# --- look-ups ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f"{f.kind}-{f.name}")
def test_every_extension_and_media_type_finds_its_format(fmt):
    for ext in fmt.extensions:
        assert format_from_path(f"dir/file{ext.upper()}", kind=fmt.kind) == fmt.name
    for media in fmt.media_types:
        assert format_for_media(f"{media.upper()}; charset=utf-8", fmt.kind) is fmt


def test_unknown_extension_and_media_type():
    assert format_from_path("rows.ttl", "table", kind="results") == "table"
    with pytest.raises(UsageError, match=r"cannot tell the RDF format of 'kg\.txt'"):
        format_from_path("kg.txt")
    assert format_for_media("text/html", "rdf") is None
    assert format_for_media("text/turtle", "results") is None


def test_accept_header_is_the_one_kg_sends():
    assert RDF_ACCEPT == "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"
    assert accept_header([("nt", 1), ("turtle", 0.9), ("xml", 0.5)], "rdf") == RDF_ACCEPT
    assert RESULTS_JSON == "application/sparql-results+json"


SELECT_OFFERS = [RESULT_FORMATS[n] for n in ("json", "xml", "csv", "tsv", "table")]


@pytest.mark.parametrize(
    "accept,expected",
    [
        (None, ("json", "application/sparql-results+json")),
        ("", ("json", "application/sparql-results+json")),
        (" , ", ("json", "application/sparql-results+json")),
        ("*/*", ("json", "application/sparql-results+json")),
        ("text/*", ("csv", "text/csv")),
        ("application/sparql-results+xml", ("xml", "application/sparql-results+xml")),
        ("text/csv;q=0.2, application/sparql-results+json;q=0.1", ("csv", "text/csv")),
        ("text/tab-separated-values, */*;q=0.5", ("tsv", "text/tab-separated-values")),
        ("text/plain", ("table", "text/plain")),
        ("application/sparql-results+json;q=0, */*", ("xml", "application/sparql-results+xml")),
        ("application/json", None),
        ("text/turtle", None),
    ],
)
def test_negotiate(accept, expected):
    got = negotiate(accept, SELECT_OFFERS)
    assert (got and (got[0].name, got[1])) == expected


def test_negotiate_answers_with_the_media_type_asked_for():
    f, media = negotiate("application/x-turtle", list(RDF_FORMATS.values()))
    assert (f.name, media) == ("turtle", "application/x-turtle")
    f, media = negotiate("text/plain", list(RDF_FORMATS.values()))
    assert (f.name, media) == ("nt", "text/plain")


def test_negotiate_refuses_a_malformed_header():
    with pytest.raises(BadInput, match="malformed Accept header 'turtle'"):
        negotiate("turtle", list(RDF_FORMATS.values()))


# --- kg query: the format from -o's extension ----------------------------------------------

SELECT = "SELECT ?p WHERE { ?p a kg:Person } ORDER BY ?p"
CONSTRUCT = "CONSTRUCT { ?p a kg:Person } WHERE { ?p a kg:Person }"


@pytest.mark.parametrize(
    "text,name,fmt",
    [
        (SELECT, "rows.csv", "csv"),
        (SELECT, "rows.TSV", "tsv"),
        (SELECT, "rows.srj", "json"),
        (SELECT, "rows.json", "json"),
        (SELECT, "rows.srx", "xml"),
        (SELECT, "rows.xml", "xml"),
        (SELECT, "rows.txt", "table"),
        (SELECT, "rows", "table"),
        (SELECT, "rows.ttl", "table"),
        (CONSTRUCT, "graph.nt", "nt"),
        (CONSTRUCT, "graph.trig", "trig"),
        (CONSTRUCT, "graph.nq", "nquads"),
        (CONSTRUCT, "graph.json", "jsonld"),
        (CONSTRUCT, "graph.xml", "xml"),
        (CONSTRUCT, "graph.rdf", "xml"),
        (CONSTRUCT, "graph.csv", "turtle"),
        (CONSTRUCT, "graph", "turtle"),
    ],
)
def test_query_format_follows_the_output_extension(text, name, fmt, invoke, mini, tmp_path):
    out = tmp_path / name
    r = invoke("query", "--records", str(mini), "-e", text, "-o", str(out))
    assert r.exit_code == 0, r.output
    explicit = invoke("query", "--records", str(mini), "-e", text, "--format", fmt)
    assert explicit.exit_code == 0, explicit.output
    assert out.read_bytes() == explicit.stdout_bytes


def test_query_format_option_wins_over_the_extension(invoke, mini, tmp_path):
    out = tmp_path / "rows.csv"
    r = invoke("query", "--records", str(mini), "-e", SELECT, "--format", "table", "-o", str(out))
    assert r.exit_code == 0, r.output
    assert out.read_text(encoding="utf-8").startswith("p\n-")


def test_query_xml_means_the_kind_of_the_answer(invoke, mini):
    rows = invoke("query", "--records", str(mini), "-e", SELECT, "--format", "xml")
    assert '<sparql xmlns="http://www.w3.org/2005/sparql-results#"' in rows.output
    graph = invoke("query", "--records", str(mini), "-e", CONSTRUCT, "--format", "xml")
    back = Graph().parse(data=graph.output, format="xml")
    assert len(back) == 1 and "<rdf:RDF" in graph.output


@pytest.mark.parametrize("fmt", ["trig", "nquads"])
def test_a_graph_in_a_dataset_format_is_its_default_graph(fmt, invoke, mini):
    """rdflib named a lone graph by a blank node new in each run (TriG) or refused
    it with a traceback (N-Quads)."""
    r = invoke("query", "--records", str(mini), "-e", CONSTRUCT, "--format", fmt)
    assert r.exit_code == 0, r.output
    assert (
        r.output
        == {
            "trig": "@prefix id: <https://w3id.org/kg-nj/id/> .\n"
            "@prefix kg: <https://w3id.org/kg-nj/ontology#> .\n\n"
            "{\n    id:alice a kg:Person .\n}\n\n",
            "nquads": "<https://w3id.org/kg-nj/id/alice> "
            "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
            "<https://w3id.org/kg-nj/ontology#Person>  .\n",
        }[fmt]
    )


def test_query_refuses_a_format_of_the_other_kind(invoke, mini):
    r = invoke("query", "--records", str(mini), "-e", CONSTRUCT, "--format", "csv")
    assert r.exit_code == 2
    assert r.output == (
        "Error: a CONSTRUCT query returns a graph; use --format turtle, nt, nquads, trig, "
        "jsonld, xml\n"
    )
    r = invoke("query", "--records", str(mini), "-e", SELECT, "--format", "nt")
    assert r.exit_code == 2
    assert r.output == "Error: unknown result format 'nt'; use table, csv, tsv, json, xml\n"


# --- the protocols -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(RDF_FORMATS.values()), ids=lambda f: f.name)
def test_a_graph_answer_is_read_by_its_media_type(fmt, fault):
    triple = (URIRef("http://e/s"), URIRef("http://e/p"), URIRef("http://e/o"))
    g = Dataset() if fmt.dataset else Graph()
    g.add(triple)
    store = fault(reply(200, g.serialize(format=fmt.rdflib, encoding="utf-8"), fmt.media_type))
    r = remote_query(store.base + "/query", "CONSTRUCT WHERE { ?s ?p ?o }")
    assert list(r.graph) == [triple]
    assert store.requests[0][2]["Accept"] == RDF_ACCEPT


def test_push_uploads_n_triples(fault, invoke, mini):
    store = fault(reply(200, json.dumps({"boolean": True}).encode(), RESULTS_JSON))
    r = invoke(
        "push", "--endpoint", store.base + "/store", "--records", str(mini), "--direct",
        "--no-verify", "--no-ontology",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    (put,) = [req for req in store.requests if req[0] == "PUT"]
    assert put[2]["Content-Type"] == "application/n-triples"
    assert len(Graph().parse(io.BytesIO(put[3]), format="nt")) > 0
