"""RDF 1.1: "x" and "x"^^xsd:string are one literal, on both engines.

Oxigraph holds them as one term; rdflib keeps two unless kg merges them when it
reads the file, so DISTINCT, COUNT and exports would differ between engines.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Literal, URIRef

from kg.pipeline.open import read_graph

EX = "https://example.org/"
S, P = URIRef(EX + "s"), URIRef(EX + "p")
# Not rdflib.namespace.XSD: pytest probes module globals and XSD warns at that.
XSD_INTEGER = URIRef("http://www.w3.org/2001/XMLSchema#integer")

TURTLE = f"""\
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<{S}> <{P}> "x" .
<{S}> <{P}> "x"^^xsd:string .
<{S}> <{P}> "x"@en .
<{S}> <{P}> "1"^^xsd:integer .
"""

# The two spellings in different named graphs: read_graph merges the graphs.
TRIG = f"""\
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<{EX}g1> {{ <{S}> <{P}> "x" , "x"@en . }}
<{EX}g2> {{ <{S}> <{P}> "x"^^xsd:string , "1"^^xsd:integer . }}
"""

EXPECTED = {Literal("x"), Literal("x", lang="en"), Literal("1", datatype=XSD_INTEGER)}


@pytest.fixture
def ttl(tmp_path: Path) -> Path:
    path = tmp_path / "data.ttl"
    path.write_text(TURTLE, encoding="utf-8")
    return path


@pytest.mark.parametrize(("name", "text"), [("data.ttl", TURTLE), ("data.trig", TRIG)])
def test_read_graph_stores_xsd_string_as_the_plain_literal(
    tmp_path: Path, name: str, text: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    g = read_graph(path)
    assert len(g) == 3
    objects = list(g.objects(S, P))
    assert set(objects) == EXPECTED
    (plain,) = [o for o in objects if o.language is None and str(o) == "x"]
    assert plain.datatype is None
    # What is not xsd:string is left as it was.
    (tagged,) = [o for o in objects if o.language is not None]
    assert (tagged.language, tagged.datatype) == ("en", None)
    (number,) = [o for o in objects if str(o) == "1"]
    assert number.datatype == XSD_INTEGER


DISTINCT = f"SELECT DISTINCT ?o WHERE {{ <{S}> ?p ?o }} ORDER BY STR(?o) LANG(?o)"


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        # CSV writes "x" and "x"@en alike, TSV tells them apart (the runner reads
        # CSV's CRLF as LF); TSV writes an xsd:integer bare, as Turtle does (SPARQL
        # 1.1 TSV, Oxigraph's writer on every engine).
        ("csv", "o\n1\nx\nx\n"),
        ("tsv", '?o\n1\n"x"\n"x"@en\n'),
    ],
)
def test_select_distinct_is_the_same_on_both_engines(invoke, ttl, fmt, expected) -> None:
    out = {}
    for engine in ("native", "reference"):
        r = invoke(
            "query", "--graph", str(ttl), "--engine", engine, "-e", DISTINCT, "--format", fmt
        )
        assert r.exit_code == 0, r.output
        out[engine] = r.output
    assert out["reference"] == out["native"] == expected


def test_count_is_the_same_on_both_engines(invoke, ttl) -> None:
    counts = {}
    for engine in ("native", "reference"):
        for pattern in (f"<{S}> <{P}> ?o", "?s ?p ?o"):  # the data alone; with the ontology
            text = f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}"
            r = invoke(
                "query", "--graph", str(ttl), "--engine", engine, "-e", text, "--format", "csv"
            )
            assert r.exit_code == 0, r.output
            counts[engine, pattern] = r.output
    assert counts["native", f"<{S}> <{P}> ?o"] == "n\n3\n"
    assert counts["reference", f"<{S}> <{P}> ?o"] == "n\n3\n"
    assert counts["reference", "?s ?p ?o"] == counts["native", "?s ?p ?o"]


def test_export_writes_the_literal_once(invoke, ttl, tmp_path: Path) -> None:
    out = tmp_path / "out.nt"
    r = invoke("export", "--graph", str(ttl), "-o", str(out))
    assert r.exit_code == 0, r.output
    assert out.read_text(encoding="utf-8") == (
        f'<{S}> <{P}> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
        f'<{S}> <{P}> "x" .\n'
        f'<{S}> <{P}> "x"@en .\n'
    )
