"""Query results for Python and notebooks: DataFrames with typed columns, HTML
tables, kg.query for a canned query, unbound parameters refused at the door,
and docs/notebook.ipynb run from start to end."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

import kg
from kg.errors import UsageError
from kg.sparql.results import QueryResult

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "notebook.ipynb"
pd = pytest.importorskip("pandas")


def test_timeline_frame_has_a_datetime_date_column_and_text_columns():
    df = kg.query("timeline").to_dataframe()
    assert {c: str(t) for c, t in df.dtypes.items()} == {
        "start": "string", "end": "string", "event": "string", "kind": "string",
        "label": "string", "place": "string", "partOf": "string", "date": "datetime64[us]",
    }  # fmt: skip
    assert len(df) == 50
    # A year alone is its first day; an undated event sorts by its earliest bound.
    assert list(df["start"][:3]) == ["≥ 1990 ≤ 1999", "2007-01", "2007-12-13"]
    assert [str(d.date()) for d in df["date"][:3]] == ["1990-01-01", "2007-01-01", "2007-12-13"]
    assert df["event"][0] == "https://w3id.org/kg-nj/id/first-nato-japan-contacts"
    assert df.isna().sum().to_dict() == dict.fromkeys(df.columns, 0) | {"place": 9, "partOf": 25}


def test_must_show_python_c_prints_a_datetime_date_column():
    code = "import kg; df = kg.query('timeline').to_dataframe(); print(df.dtypes)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert "date      datetime64[us]" in out.splitlines()


def test_column_types_follow_the_datatypes_and_unbound_is_na():
    def lit(text, dt=None):
        return Literal(text, datatype=dt)

    rows = [
        (lit("3", XSD.integer), lit("2.5", XSD.decimal), lit("1e3", XSD.double),
         lit("true", XSD.boolean), lit("2013", XSD.gYear), lit("2013-06-25T10:30:00", XSD.dateTime),
         URIRef("https://w3id.org/kg-nj/id/nato"), Literal("été", lang="fr"),
         lit("x", XSD.integer)),
        (None, lit("4", XSD.integer), None, lit("0", XSD.boolean), lit("2014-02", XSD.gYearMonth),
         None, Literal("plain"), None, lit("7", XSD.integer)),
    ]  # fmt: skip
    names = ["n", "d", "f", "b", "y", "t", "iri", "text", "bad"]
    df = QueryResult("SELECT", names, rows).to_dataframe()
    assert [str(t) for t in df.dtypes] == [
        "Int64", "Float64", "Float64", "boolean", "datetime64[us]", "datetime64[us]",
        "string", "string", "string",
    ]  # fmt: skip
    assert df["n"].tolist() == [3, pd.NA]
    assert df["d"].tolist() == [2.5, 4.0] and df["f"][0] == 1000.0
    assert df["b"].tolist() == [True, False]
    assert [str(x) for x in df["y"]] == ["2013-01-01 00:00:00", "2014-02-01 00:00:00"]
    assert str(df["t"][0]) == "2013-06-25 10:30:00" and df["t"].isna()[1]
    assert df["iri"].tolist() == ["https://w3id.org/kg-nj/id/nato", "plain"]
    assert df["text"].tolist() == ["été", pd.NA]
    assert df["bad"].tolist() == ["x", "7"]  # an ill-typed number: the column stays text


def test_a_graph_gives_its_triples_and_ask_has_no_table():
    r = kg.run_query(
        kg.load().graph,
        "CONSTRUCT { id:nato rdfs:label ?l } WHERE { id:nato rdfs:label ?l }",
    )
    df = r.to_dataframe()
    assert list(df.columns) == ["subject", "predicate", "object"]
    assert df["object"].tolist() == ["NATO", "OTAN", "北大西洋条約機構"]
    ask = QueryResult("ASK", boolean=True)
    assert ask._repr_html_() == "<p>true</p>"
    with pytest.raises(UsageError, match=r"ASK query's answer is a boolean \(\.boolean\)"):
        ask.to_dataframe()


def test_html_table_escapes_and_shows_prefixed_names():
    r = QueryResult(
        "SELECT",
        ["who", "said"],
        [(URIRef("https://w3id.org/kg-nj/id/nato"), Literal('<script>"x"</script> & co'))],
    )
    assert r._repr_html_() == (
        '<table class="kg-results"><thead><tr><th>who</th><th>said</th></tr></thead><tbody>\n'
        '<tr><td><span title="https://w3id.org/kg-nj/id/nato">id:nato</span></td>'
        "<td>&lt;script&gt;&quot;x&quot;&lt;/script&gt; &amp; co</td></tr>\n"
        "</tbody></table>\n<p>1 row</p>"
    )
    many = QueryResult("SELECT", ["n"], [(Literal(i),) for i in range(205)])
    assert many._repr_html_().endswith("<p>205 rows (the first 200 shown)</p>")
    assert many._repr_html_().count("<tr>") == 201


def test_without_pandas_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas then fails
    with pytest.raises(UsageError, match=r"pip install 'kg\[notebook\]'"):
        QueryResult("SELECT", ["n"], [(Literal(1),)]).to_dataframe()


def test_kg_query_binds_defaults_and_parameters_as_the_command_does(invoke):
    from kg.sparql.render import render

    r = invoke("query", "timeline", "-p", "from=2013", "-p", "lang=fr", "--format", "csv")
    assert r.exit_code == 0, r.output
    lib = kg.query("timeline", {"from": "2013"}, lang="fr")
    assert render(lib, "csv").replace("\r\n", "\n") == r.output.replace("\r\n", "\n")
    assert str(lib.rows[0][4]) == (
        "Japan drafts its IPCP from the Partnership Cooperation Menu (c. 2013)"
    )
    import datetime

    dated = kg.query("roles-at-date", date=datetime.date(2013, 6, 25))
    assert dated.rows == kg.query("roles-at-date", date="2013-06-25").rows


def test_kg_query_takes_a_graph_file_or_an_rdflib_graph(tmp_path):
    out = tmp_path / "b"
    kg.build(None, out)
    from kg.sparql.render import render

    from_file = kg.query("meetings", graph=out / "kg.ttl")
    from_graph = kg.query("meetings", graph=kg.load().graph)  # rdflib's engine
    assert from_file.rows == kg.query("meetings").rows
    assert render(from_file, "csv") == render(from_graph, "csv")
    assert len(from_file.rows) == 66  # 63 dated meetings and 3 known only by their bounds


def test_kg_query_refuses_what_kg_query_refuses():
    with pytest.raises(UsageError, match="no canned query named 'timline'"):
        kg.query("timline")
    with pytest.raises(UsageError, match=r"query 'timeline' has no parameter\(s\) colour"):
        kg.query("timeline", colour="red")
    with pytest.raises(UsageError, match="parameter 'from': 'soon' is not a date"):
        kg.query("timeline", {"from": "soon"})
    with pytest.raises(UsageError, match=r"parameter 'lang': 1\.5 is not text"):
        kg.query("timeline", lang=1.5)


def test_unbound_declared_parameters_are_an_error_not_zero_rows(bundled, invoke):
    q = kg.get_query("timeline")
    with pytest.raises(UsageError) as err:
        kg.run_query(bundled.graph, q.text)
    assert str(err.value).startswith(
        "the query declares parameter(s) from, to, lang (its '#+ params' header) but they are "
        "not bound"
    )
    with pytest.raises(UsageError, match=r"declares parameter\(s\) to \("):
        kg.run_query(bundled.graph, q.text, {k: v for k, v in kg.bind_params(q, {}).items()
                                             if k != "to"})  # fmt: skip
    r = invoke("query", "--file", str(ROOT / "queries" / "timeline.rq"))
    assert r.exit_code == 2
    assert "Error: the query declares parameter(s) from, to, lang" in r.output


def test_optional_parameters_may_stay_unbound(bundled):
    from kg.sparql.canned import unbound_params

    text = (
        "#+ params:\n#+   who: {type: iri, optional: true, description: x}\n"
        "#+   lang: {type: lang, default: en}\n"
        "SELECT ?who WHERE { ?who a kg:Person FILTER(?lang = 'en') }"
    )
    assert unbound_params(text, []) == ["lang"]
    assert unbound_params(text, ["lang"]) == []
    assert unbound_params("#+ a: b: c\nSELECT * {}", []) == []  # not a header: declares nothing
    rows = kg.run_query(bundled.graph, text, {"lang": Literal("en")}).rows
    assert len(rows) > 3


def test_a_text_for_a_store_gets_the_same_refusal():
    """The refusal is the door's: a text prepared for a store is refused too."""
    from kg.sparql.door import REMOTE, prepare

    with pytest.raises(UsageError, match=r"declares parameter\(s\) from, to, lang"):
        prepare(kg.get_query("timeline").text, None, REMOTE)


def test_docs_notebook_runs(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()  # fmt: skip
    outputs = [c.outputs for c in nb.cells if c.cell_type == "code"]
    table = outputs[0][0]["data"]["text/html"]
    assert table.startswith('<table class="kg-results"><thead><tr><th>start</th>')
    assert table.endswith("<p>50 rows</p>")
    assert "date      datetime64[us]" in outputs[1][0]["data"]["text/plain"]
    summits = outputs[2][0]["data"]["text/plain"]
    assert "NATO Vilnius Summit" in summits or "Summit" in summits
    assert "Shinzo Abe  (Person)" in outputs[5][0]["text"]
