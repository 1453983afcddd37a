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


@pytest.mark.parametrize("engine", ["native", "reference"])
def test_failed_write_leaves_previous_file(engine, monkeypatch, mini, tmp_path):
    """A serialiser failing half-way leaves the old file and no temp file."""
    from kg import rdfio, store
    from kg.pipeline import export

    out = tmp_path / "out" / "kg.ttl"
    out.parent.mkdir()
    out.write_bytes(b"previous")

    def boom(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "rdf_bytes", boom)
    monkeypatch.setattr(rdfio, "serialize", boom)
    with pytest.raises(RuntimeError):
        export(out, None, records=mini, engine=engine)
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


# --- the native export against the reference one ------------------------------------


def as_dataset(data: bytes, fmt: str) -> Dataset:
    ds = Dataset()
    rdflib_fmt, _, is_dataset = RDF_FORMATS[fmt]
    if is_dataset:
        ds.parse(data=data, format=rdflib_fmt)
    else:
        ds.default_context.parse(data=data, format=rdflib_fmt)
    return ds


def same_quads(a: Dataset, b: Dataset) -> None:
    """The same named graphs, each isomorphic (blank nodes only in the ontology's lists)."""
    names = {c.identifier for c in a.graphs() if len(c)}
    assert names == {c.identifier for c in b.graphs() if len(c)}
    for name in names:
        assert isomorphic(a.graph(name), b.graph(name)), name


@pytest.fixture(scope="module")
def generated_records(tmp_path_factory):
    from kg.generate import generate_records

    out = tmp_path_factory.mktemp("gen")
    generate_records(out, events=30, seed=5)
    return out


@pytest.mark.parametrize("fmt", sorted(RDF_FORMATS))
@pytest.mark.parametrize("extra", [[], ["--reason", "--with-ontology"]], ids=["plain", "full"])
def test_native_export_is_the_reference_export(fmt, extra, generated_records, invoke):
    """Same triples in the same named graphs, every format, with owlrl's entailments:
    Oxigraph writes both, sorted, so the bytes are the same too."""
    out = {}
    for engine in ("native", "reference"):
        args = ["export", "--records", str(generated_records), "--format", fmt, *extra]
        r = invoke(*args, "--engine", engine)
        assert r.exit_code == 0, r.output
        out[engine] = r.stdout_bytes
    assert out["native"] == out["reference"]
    same_quads(as_dataset(out["native"], fmt), as_dataset(out["reference"], fmt))


@pytest.mark.parametrize("engine", ["native", "reference"])
@pytest.mark.parametrize("fmt", sorted(RDF_FORMATS))
def test_export_same_bytes_in_every_process(fmt, engine, mini, tmp_path):
    """The ontology's blank nodes get labels from their content, not from the parse."""
    import os
    import subprocess
    import sys

    outs = []
    for seed in ("1", "2"):
        out = tmp_path / f"{seed}{EXTENSIONS[fmt]}"
        cmd = [sys.executable, "-m", "kg", "export", "--records", str(mini), "--reason",
               "--with-ontology", "--engine", engine, "-o", str(out)]  # fmt: skip
        env = {**os.environ, "PYTHONHASHSEED": seed}
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        assert r.returncode == 0, r.stderr
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    if fmt in ("nt", "nquads"):
        assert b"_:cb" in outs[0]  # canonical labels (rdflib.compare)
    same_quads(as_dataset(outs[0], fmt), as_dataset(outs[0], fmt))  # it parses


@pytest.fixture
def built_out(invoke, mini, tmp_path):
    out = tmp_path / "build"
    r = invoke("build", str(mini), "-o", str(out), "--reason")
    assert r.exit_code == 0, r.output
    return out


def test_export_of_a_built_graph_reads_it_natively(built_out, invoke, monkeypatch):
    """kg.ttl as kg build wrote it is parsed by Oxigraph, not rdflib, with the same result."""
    from kg import pipeline

    graph = built_out / "kg.ttl"
    ref = invoke("export", "--graph", str(graph), "--reason", "--format", "trig",
                 "--engine", "reference")  # fmt: skip
    assert ref.exit_code == 0, ref.output
    calls = []
    monkeypatch.setattr(pipeline, "read_graph", lambda path: calls.append(path))
    r = invoke("export", "--graph", str(graph), "--reason", "--format", "trig")
    assert r.exit_code == 0, r.output
    assert calls == []
    same_quads(as_dataset(r.stdout_bytes, "trig"), as_dataset(ref.stdout_bytes, "trig"))
    assert len(as_dataset(r.stdout_bytes, "trig").graph(INFERRED_GRAPH)) > 0


def test_validate_and_query_of_a_built_graph_read_it_natively(invoke, mini, tmp_path, monkeypatch):
    """kg validate, and kg query --reason on a store built without the entailments,
    read the built kg.ttl with Oxigraph too, with the reference engines' answers."""
    from kg import pipeline

    out = tmp_path / "plain"
    assert invoke("build", str(mini), "-o", str(out)).exit_code == 0
    graph = out / "kg.ttl"
    query = ["query", "timeline", "--format", "csv", "--graph", str(graph), "--reason"]
    expected = [
        invoke("validate", str(graph), "--format", "json", "--engine", "reference"),
        invoke(*query, "--engine", "reference"),
    ]
    calls = []
    monkeypatch.setattr(pipeline, "read_graph", lambda path: calls.append(path))
    got = [invoke("validate", str(graph), "--format", "json"), invoke(*query)]
    assert calls == []
    assert [(r.exit_code, r.output) for r in got] == [(r.exit_code, r.output) for r in expected]
    assert got[1].output.count("\n") > 1


def test_export_of_a_changed_built_graph_reads_it_carefully(built_out, invoke):
    """A kg.ttl edited after the build is read (and checked) by rdflib: an ill-typed
    literal added by hand is refused, as from any other file."""
    graph = built_out / "kg.ttl"
    with graph.open("a", encoding="utf-8") as fh:
        fh.write('\n<http://example.org/x> <http://example.org/d> "2024-02-30"^^xsd:date .\n')
    r = invoke("export", "--graph", str(graph), "--format", "nt")
    assert r.exit_code == 2
    assert "2024-02-30" in r.output


def test_export_keeps_blank_nodes_of_a_file(invoke, tmp_path):
    """Blank nodes in the data: written by rdflib's serialisers, as before."""
    f = tmp_path / "b.ttl"
    f.write_text('<http://example.org/s> <http://example.org/p> [ <http://example.org/q> "v" ] .\n')
    for engine in ("native", "reference"):
        r = invoke("export", "--graph", str(f), "--format", "nt", "--engine", engine)
        assert r.exit_code == 0, r.output
        assert isomorphic(Graph().parse(data=r.stdout_bytes, format="nt"), Graph().parse(f))
