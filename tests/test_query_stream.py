"""kg query on the native store at scale: rows written by Oxigraph's own result
writers (the same rows as kg's renderers), and a table that shows the first page."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.sparql.canned import bind_params, catalog, get_query
from kg.sparql.render import render
from kg.sparql.run import run_query

QUERIES = sorted(catalog())


@pytest.fixture
def built(generated_build) -> Path:
    return generated_build


def _reference_rows(graph_file: Path, name: str) -> tuple[list, list]:
    """The rows of today's native path: every solution converted to rdflib terms."""
    from kg.pipeline.open import open_native

    q = get_query(name)
    res = run_query(open_native(graph_file), q.text, bind_params(q, {}))
    return res.vars, res.rows


@pytest.mark.parametrize("name", QUERIES)
def test_streamed_csv_is_kgs_csv(name, built, invoke):
    """Oxigraph's CSV writer gives the bytes kg's CSV renderer gives, every row."""
    from kg.pipeline.open import open_native

    q = get_query(name)
    expected = render(run_query(open_native(built), q.text, bind_params(q, {})), "csv")
    result = invoke("query", name, "--graph", str(built), "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.decode("utf-8") == expected


@pytest.mark.parametrize("fmt", ["tsv", "json", "xml"])
@pytest.mark.parametrize("name", ["meetings", "timeline", "secondary-only", "theme-hierarchy"])
def test_streamed_rows_are_the_reference_rows(name, fmt, built, invoke, tmp_path):
    """TSV, JSON and XML from Oxigraph's writers read back as the rows converted one by one."""
    from kg.terms.convert import TermConverter

    out = tmp_path / f"rows.{fmt}"
    result = invoke("query", name, "--graph", str(built), "-o", str(out))
    assert result.exit_code == 0, result.output
    kind = getattr(ox.QueryResultsFormat, fmt.upper())
    solutions = ox.parse_query_results(out.read_bytes(), kind)
    names = [v.value for v in solutions.variables]
    conv = TermConverter()
    rows = [tuple(conv.from_ox(s[v]) for v in names) for s in solutions]
    want_vars, want = _reference_rows(built, name)
    assert names == want_vars
    assert len(rows) == len(want)
    assert set(rows) == set(want), (set(rows) - set(want), set(want) - set(rows))
    assert out.read_bytes().endswith(b"\n")


def test_xml_writes_false_and_zero(built, invoke):
    """rdflib's XML writer left ``false`` and ``0`` empty; Oxigraph's writes them."""
    result = invoke("query", "theme-hierarchy", "--graph", str(built), "--format", "xml")
    assert result.exit_code == 0
    assert '<literal datatype="http://www.w3.org/2001/XMLSchema#integer">0</literal>' in (
        result.output
    )


def test_table_shows_a_page_and_says_how_many_more(built, invoke):
    total = len(_reference_rows(built, "meetings")[1])
    assert total > 60
    page = invoke("query", "meetings", "--graph", str(built))
    lines = page.output.splitlines()
    assert page.exit_code == 0
    assert len(lines) == 2 + 50 + 1
    assert lines[-1] == (
        f"(50 of {total} rows; {total - 50} more: --limit N shows N, --limit 0 all, "
        "--format csv every row)"
    )
    ten = invoke("query", "meetings", "--graph", str(built), "--limit", "10")
    words = [ln.split() for ln in lines[2:12]]  # the columns' widths follow the page
    assert [ln.split() for ln in ten.output.splitlines()[2:12]] == words
    assert ten.output.splitlines()[-1].startswith(f"(10 of {total} rows; {total - 10} more")
    every = invoke("query", "meetings", "--graph", str(built), "--limit", "0")
    assert every.output.splitlines()[-1] == f"({total} rows)"
    assert [ln.split() for ln in every.output.splitlines()[2:12]] == words
    reference = invoke("query", "timeline", "--graph", str(built), "--engine", "reference")
    native = invoke("query", "timeline", "--graph", str(built))
    assert reference.output == native.output
    assert native.exit_code == 0


def test_limit_in_a_machine_format(built, invoke):
    """--limit N with csv: the first N rows (machine formats give every row by default)."""
    full = invoke("query", "meetings", "--graph", str(built), "--format", "csv").output
    three = invoke("query", "meetings", "--graph", str(built), "--format", "csv", "--limit", "3")
    assert three.output.splitlines() == full.splitlines()[:4]
    assert len(list(csv.reader(io.StringIO(full)))) > 51


def test_streamed_results_keep_the_row_limit(built, invoke, tmp_path):
    out = tmp_path / "rows.json"
    result = invoke("query", "meetings", "--graph", str(built), "-o", str(out), "--max-rows", "5")
    assert result.exit_code == 2
    assert "query returned more than 5 rows (the row limit)" in result.output
    assert not out.exists()
    ok = invoke("query", "meetings", "--graph", str(built), "-o", str(out), "--max-rows", "0")
    assert ok.exit_code == 0
    assert len(json.loads(out.read_text())["results"]["bindings"]) > 60


def test_formula_cells_keep_kgs_guard(built, invoke):
    """A cell that starts like a formula sends the result through kg's CSV writer."""
    q = 'SELECT ?x ?y WHERE { VALUES (?x ?y) { ("=1+2" "a,b") ("ok" "-3") } }'
    result = invoke("query", "--graph", str(built), "-e", q, "--format", "csv")
    assert result.exit_code == 0
    assert result.stdout_bytes == b"x,y\r\n'=1+2,\"a,b\"\r\nok,'-3\r\n"


def test_quoted_line_breaks_count_as_one_row(built, invoke):
    q = 'SELECT ?x WHERE { VALUES ?x { "a\\nb" "c\\r\\nd" "e" } }'
    result = invoke("query", "--graph", str(built), "-e", q, "--format", "csv", "--max-rows", "3")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == b'x\r\n"a\nb"\r\n"c\r\nd"\r\ne\r\n'


@pytest.mark.parametrize("fmt", ["tsv", "json", "xml"])
def test_every_engine_writes_the_same_bytes(fmt, built, invoke):
    """The reference engine's rows (and a store's) go through the same writers."""
    for name in ("secondary-only", "theme-hierarchy", "timeline"):
        native = invoke("query", name, "--graph", str(built), "--format", fmt)
        reference = invoke(
            "query", name, "--graph", str(built), "--format", fmt, "--engine", "reference"
        )
        assert native.exit_code == reference.exit_code == 0
        if name != "timeline":  # rdflib and Oxigraph order rows of equal dates apart
            assert native.stdout_bytes == reference.stdout_bytes, name
