"""kg export: every format round-trips to an isomorphic graph; datasets keep named graphs."""

from __future__ import annotations

import re

import pytest
from rdflib import Dataset, Graph, Literal
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, RDFS

from kg.errors import WriteFailed
from kg.namespaces import ID, INFERRED_GRAPH, KG, ONTOLOGY_GRAPH
from kg.pipeline import load
from kg.rdfio import RDF_FORMATS

EXTENSIONS = {name: exts[0] for name, (_, exts, _) in RDF_FORMATS.items()}


@pytest.mark.parametrize("fmt", sorted(RDF_FORMATS))
def test_round_trip_by_extension(fmt, invoke, mini, tmp_path):
    out = tmp_path / f"kg{EXTENSIONS[fmt]}"
    result = invoke("export", "--records", str(mini), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert f"Wrote {out} ({fmt})" in result.output
    rdflib_fmt, _, is_dataset = RDF_FORMATS[fmt]
    expected = load(mini).graph
    if is_dataset:
        ds = Dataset()
        ds.parse(out, format=rdflib_fmt)
        back = Graph()
        for s, p, o, _g in ds.quads((None, None, None, None)):
            back.add((s, p, o))
        # One named graph per source: here the test release is the only one.
        assert {c.identifier for c in ds.graphs() if len(c)} == {ID["src-test"]}
    else:
        back = Graph().parse(out, format=rdflib_fmt)
    assert isomorphic(back, expected)


def test_named_graphs_for_inferred_and_ontology(invoke, mini, tmp_path):
    out = tmp_path / "kg.trig"
    args = ["export", "--records", str(mini), "--reason", "--with-ontology", "-o", str(out)]
    assert invoke(*args).exit_code == 0
    ds = Dataset()
    ds.parse(out, format="trig")
    names = {c.identifier for c in ds.graphs() if len(c)}
    assert names == {ID["src-test"], INFERRED_GRAPH, ONTOLOGY_GRAPH}


def test_one_named_graph_per_source(invoke, mini, tmp_path):
    """A record citing two sources is in both graphs; their union is the asserted graph."""
    (mini / "more.yaml").write_text(
        "- id: src-other\n  type: source\n  title: {en: Other}\n  language: en\n"
        "  reliability: secondary\n"
        "- id: bob\n  type: person\n  label: {en: Bob}\n"
        "  sources: [{source: src-test, quote: Bob}, {source: src-other, quote: Bob too}]\n",
        encoding="utf-8",
    )
    out = tmp_path / "kg.nq"
    assert invoke("export", "--records", str(mini), "-o", str(out)).exit_code == 0
    ds = Dataset()
    ds.parse(out, format="nquads")
    bob = ID["bob"]
    for src in ("src-test", "src-other"):
        assert (bob, RDFS.label, Literal("Bob", lang="en")) in ds.graph(ID[src])
    assert (ID["alice"], RDF.type, KG.Person) not in ds.graph(ID["src-other"])
    union = Graph()
    for s, p, o, _g in ds.quads((None, None, None, None)):
        union.add((s, p, o))
    assert isomorphic(union, load(mini).graph)


def test_format_option_overrides_extension_and_stdout(invoke, mini):
    result = invoke("export", "--records", str(mini), "--format", "nt")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines == sorted(lines) and all(ln.endswith(" .") for ln in lines)


def test_unknown_extension_is_a_usage_error(invoke, mini, tmp_path):
    result = invoke("export", "--records", str(mini), "-o", str(tmp_path / "kg.txt"))
    assert result.exit_code == 2
    assert "cannot tell the RDF format of" in result.output
    assert not (tmp_path / "kg.txt").exists()


def test_exports_are_byte_identical(invoke, mini, tmp_path):
    for fmt in RDF_FORMATS:
        a, b = tmp_path / f"a{EXTENSIONS[fmt]}", tmp_path / f"b{EXTENSIONS[fmt]}"
        invoke("export", "--records", str(mini), "--reason", "-o", str(a))
        invoke("export", "--records", str(mini), "--reason", "-o", str(b))
        assert a.read_bytes() == b.read_bytes(), fmt


def test_failed_write_leaves_previous_file(monkeypatch, mini, tmp_path):
    """A serialiser failing half-way leaves the old file and no temp file."""
    from kg import rdfio
    from kg.pipeline import export

    out = tmp_path / "out" / "kg.ttl"
    out.parent.mkdir()
    out.write_bytes(b"previous")

    def boom(graph, fmt):
        raise RuntimeError("disk full")

    monkeypatch.setattr(rdfio, "serialize", boom)
    with pytest.raises(RuntimeError):
        export(out, None, records=mini)
    assert out.read_bytes() == b"previous"
    assert [p.name for p in out.parent.iterdir()] == ["kg.ttl"]


def test_atomic_write_failure_mid_stream(tmp_path):
    from kg.rdfio import atomic_write

    out = tmp_path / "x.ttl"
    out.write_bytes(b"old")

    def half(fh):
        fh.write(b"partial")
        raise OSError("interrupted")

    with pytest.raises(WriteFailed, match=f"^cannot write {re.escape(str(out))}: interrupted$"):
        atomic_write(out, half)
    assert out.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.ttl"]
