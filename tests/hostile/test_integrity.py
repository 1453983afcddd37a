"""Integrity: literals as written, ill-typed literals refused, formulas
neutralised in CSV, minted IRIs valid in every format, atomic writes, and
property-based round trips with arbitrary Unicode."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDFS, XSD

from kg.sparql.render import render
from kg.sparql.results import QueryResult

LEXICAL = [
    ("2013-06-25+09:00", XSD.date),
    ("2013-06-25Z", XSD.date),
    ("1.50", XSD.decimal),
    ("2013-06-25T10:00:00.000+09:00", XSD.dateTime),
    ("0001", XSD.gYear),
    ("--06-25", XSD.gMonthDay),
]
# In Turtle and TriG Oxigraph writes the integers as the shorthand tokens 007
# and +5, whose lexical forms they are (Turtle 1.1); kg reads Turtle and TriG
# with Oxigraph's parser, which keeps them (rdflib's rewrote them: 007 -> 7).
LEXICAL_SHORTHAND = [("007", XSD.integer), ("+5", XSD.integer), ("1", XSD.boolean)]


def _export_and_read(fmt, invoke, tmp_path, literals):
    from kg.rdfio.formats import RDF_FORMATS
    from kg.rdfio.read import parse_rdf

    src = tmp_path / "in.nt"
    src.write_text(
        "".join(
            f'<http://x.test/s> <http://x.test/p{i}> "{lex}"^^<{dt}> .\n'
            for i, (lex, dt) in enumerate(literals)
        ),
        encoding="utf-8",
    )
    out = tmp_path / f"out{RDF_FORMATS[fmt].extension}"
    result = invoke("export", "--graph", str(src), "-o", str(out))
    assert result.exit_code == 0, result.output
    return {str(o) for _s, _p, o, _g in parse_rdf(out).quads((None, None, None, None))}


@pytest.mark.parametrize("fmt", ["turtle", "nt", "nquads", "trig", "jsonld", "xml"])
def test_literals_keep_their_lexical_form(fmt, invoke, tmp_path):
    assert {lex for lex, _ in LEXICAL} <= _export_and_read(fmt, invoke, tmp_path, LEXICAL)


@pytest.mark.parametrize("fmt", ["turtle", "nt", "nquads", "trig", "jsonld", "xml"])
def test_numeric_shorthand_keeps_its_lexical_form(fmt, invoke, tmp_path):
    back = _export_and_read(fmt, invoke, tmp_path, LEXICAL_SHORTHAND)
    assert {lex for lex, _ in LEXICAL_SHORTHAND} <= back


def test_csv_neutralises_formulas_and_goldens_need_none():
    cells = ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "plain", "a=b"]
    res = QueryResult("SELECT", vars=["v"], rows=[(Literal(c),) for c in cells])
    lines = render(res, "csv").split("\r\n")
    assert lines[1:7] == ["'=1+2", "'+1", "'-1", "'@SUM(A1)", "'\tx", '"\'\rx"']
    assert lines[7:9] == ["plain", "a=b"]
    golden = Path(__file__).parent.parent / "golden"
    for f in golden.glob("*.csv"):
        for line in f.read_text(encoding="utf-8").splitlines():
            assert not line.startswith(("=", "+", "-", "@", "'")), f


@pytest.mark.parametrize("fmt", ["jsonld", "xml"])
def test_minted_iris_are_valid_in_jsonld_and_rdfxml(fmt, bundled):
    from kg.rdfio.write import serialize

    data = serialize(bundled.graph, fmt)
    back = Graph().parse(data=data, format={"jsonld": "json-ld", "xml": "xml"}[fmt])
    assert isomorphic(back, bundled.graph)
    from kg.terms.checks import is_absolute_iri

    for term in {t for triple in back for t in triple if isinstance(t, URIRef)}:
        assert is_absolute_iri(str(term)), term


# --- atomic writes -----------------------------------------------------------------


def _fail_half_way(monkeypatch):
    """Every atomic write dies after writing half its bytes."""
    from patching import patch_everywhere

    import kg.rdfio.atomic as atomic

    real = atomic.atomic_write

    def dying(path, write, check=None):
        def half(fh):
            class Half:
                def write(self, data):
                    fh.write(data[: len(data) // 2])
                    raise OSError("disk full (simulated)")

            write(Half())

        real(path, half, check)

    patch_everywhere(monkeypatch, atomic, "atomic_write", dying)


@pytest.mark.parametrize(
    "args",
    [
        ["query", "timeline", "-o", "OUT"],
        ["validate", "-o", "OUT"],
        ["query", "--list", "-o", "OUT"],
        ["export", "-o", "OUT"],
    ],
)
def test_write_failing_half_way_leaves_the_previous_file(args, monkeypatch, tmp_path, runner):
    from kg.cli.app import cli

    out = tmp_path / "out.ttl"
    out.write_text("previous\n", encoding="utf-8")
    _fail_half_way(monkeypatch)
    argv = [str(out) if a == "OUT" else a for a in args]
    result = runner.invoke(cli, argv, obj={}, catch_exceptions=False)
    assert (result.exit_code, result.output) == (
        2,
        f"Error: cannot write {out}: disk full (simulated)\n",
    )
    assert out.read_text(encoding="utf-8") == "previous\n"
    assert sorted(os.listdir(tmp_path)) == ["out.ttl"]


# --- property-based ----------------------------------------------------------------

TEXT = (
    st.lists(
        st.one_of(
            st.sampled_from(list("éèçàœÉ’«»")),
            st.sampled_from(list("安倍晋三北大西洋条約機構ー・")),
            st.sampled_from(["🙂", "🇯🇵", "👩\u200d💻", "e\u0301", "\u3099", "ﾊﾟ"]),
            st.characters(codec="utf-8", exclude_categories=["Cc", "Cs", "Zl", "Zp"]),
        ),
        min_size=1,
        max_size=20,
    )
    .map("".join)
    .filter(lambda s: s.strip() != "" and s == s.strip())
)


def _person(label: str) -> str:
    quoted = label.replace("\\", "\\\\").replace('"', '\\"')
    return (
        "- id: src-test\n  type: source\n  title: {en: Test}\n"
        f'- id: bob\n  type: person\n  label: {{en: "{quoted}"}}\n'
        "  sources: [{source: src-test, quote: q}]\n"
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(label=TEXT)
def test_record_loader_keeps_any_text_nfc(label, tmp_path_factory):
    from kg.errors import BadInput
    from kg.records.load import load_records

    folder = tmp_path_factory.mktemp("rec")
    (folder / "r.yaml").write_text(_person(label), encoding="utf-8")
    try:
        recs = load_records(folder)
    except BadInput as exc:  # only control characters or a non-printable YAML char
        assert (
            "control character" in str(exc)
            or "malformed YAML" in str(exc)
            or "special characters" in str(exc)
        )
        return
    (value,) = recs["bob"].fields["label"]
    assert value.value == (unicodedata.normalize("NFC", label).strip(), "en")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(label=TEXT, fmt=st.sampled_from(["turtle", "nt", "nquads", "trig", "jsonld", "xml"]))
def test_export_round_trip_with_any_unicode(label, fmt, tmp_path_factory):
    from kg.rdfio.formats import RDF_FORMATS
    from kg.rdfio.read import parse_rdf
    from kg.rdfio.write import serialize

    text = unicodedata.normalize("NFC", label)
    g = Graph()
    g.add((URIRef("https://w3id.org/kg-nj/id/bob"), RDFS.label, Literal(text, lang="ja")))
    g.add((URIRef("https://w3id.org/kg-nj/id/bob"), RDFS.comment, Literal(text)))
    ds = Dataset()
    for t in g:
        ds.graph(URIRef("https://w3id.org/kg-nj/id/src-test")).add(t)
    out = tmp_path_factory.mktemp("exp") / f"x{RDF_FORMATS[fmt].extension}"
    out.write_bytes(serialize(ds if RDF_FORMATS[fmt].dataset else g, fmt))
    back = Graph()
    for s, p, o, _g in parse_rdf(out).quads((None, None, None, None)):
        back.add((s, p, o))
    assert isomorphic(back, g)


def test_reference_reasoner_leaves_rdflib_literal_parsing_as_it_was():
    # owlrl installs its own converters while it runs (its gMonthDay one
    # rejects "--06-25"); kg restores rdflib's, or a later export in the same
    # process would refuse valid literals as ill-typed.
    from kg.builder.graph import build_graph
    from kg.reason.engines import infer

    assert Literal("--06-25", datatype=XSD.gMonthDay).ill_typed is None
    infer(build_graph(), engine="reference")
    assert Literal("--06-25", datatype=XSD.gMonthDay).ill_typed is None
    assert Literal("2013-02-30", datatype=XSD.date).ill_typed is True
