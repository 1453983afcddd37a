"""kg export: every format round-trips to an isomorphic graph; datasets keep named graphs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, RDFS

from kg.errors import WriteFailed
from kg.pipeline.open import load
from kg.rdfio.formats import RDF_FORMATS
from kg.terms.namespaces import ID, INFERRED_GRAPH, KG, ONTOLOGY_GRAPH

EXTENSIONS = {name: f.extension for name, f in RDF_FORMATS.items()}


@pytest.mark.parametrize("fmt", sorted(RDF_FORMATS))
def test_round_trip_by_extension(fmt, invoke, mini, tmp_path):
    out = tmp_path / f"kg{EXTENSIONS[fmt]}"
    result = invoke("export", "--records", str(mini), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert f"Wrote {out} ({fmt})" in result.output
    rdflib_fmt, is_dataset = RDF_FORMATS[fmt].rdflib, RDF_FORMATS[fmt].dataset
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
    assert "cannot tell the RDF or network format of" in result.output
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
    from patching import patch_everywhere

    import kg.rdfio.write as write
    from kg.pipeline.export import export

    out = tmp_path / "out" / "kg.ttl"
    out.parent.mkdir()
    out.write_bytes(b"previous")

    def boom(*args):
        raise RuntimeError("disk full")

    patch_everywhere(monkeypatch, write, "rdf_bytes", boom)
    patch_everywhere(monkeypatch, write, "serialize", boom)
    with pytest.raises(RuntimeError):
        export(out, None, records=mini, engine=engine)
    assert out.read_bytes() == b"previous"
    assert [p.name for p in out.parent.iterdir()] == ["kg.ttl"]


def test_atomic_write_failure_mid_stream(tmp_path):
    from kg.rdfio.atomic import atomic_write

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
    rdflib_fmt, is_dataset = RDF_FORMATS[fmt].rdflib, RDF_FORMATS[fmt].dataset
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
    from patching import patch_everywhere

    import kg.pipeline.open as pipeline

    graph = built_out / "kg.ttl"
    ref = invoke("export", "--graph", str(graph), "--reason", "--format", "trig",
                 "--engine", "reference")  # fmt: skip
    assert ref.exit_code == 0, ref.output
    calls = []
    patch_everywhere(monkeypatch, pipeline, "read_graph", lambda path: calls.append(path))
    r = invoke("export", "--graph", str(graph), "--reason", "--format", "trig")
    assert r.exit_code == 0, r.output
    assert calls == []
    same_quads(as_dataset(r.stdout_bytes, "trig"), as_dataset(ref.stdout_bytes, "trig"))
    assert len(as_dataset(r.stdout_bytes, "trig").graph(INFERRED_GRAPH)) > 0


def test_validate_and_query_of_a_built_graph_read_it_natively(invoke, mini, tmp_path, monkeypatch):
    """kg validate, and kg query --reason on a store built without the entailments,
    read the built kg.ttl with Oxigraph too, with the reference engines' answers."""
    from patching import patch_everywhere

    import kg.pipeline.open as pipeline

    out = tmp_path / "plain"
    assert invoke("build", str(mini), "-o", str(out)).exit_code == 0
    graph = out / "kg.ttl"
    query = ["query", "timeline", "--format", "csv", "--graph", str(graph), "--reason"]
    expected = [
        invoke("validate", str(graph), "--format", "json", "--engine", "reference"),
        invoke(*query, "--engine", "reference"),
    ]
    calls = []
    patch_everywhere(monkeypatch, pipeline, "read_graph", lambda path: calls.append(path))
    got = [invoke("validate", str(graph), "--format", "json"), invoke(*query)]
    assert calls == []
    assert [(r.exit_code, r.output) for r in got] == [(r.exit_code, r.output) for r in expected]
    assert got[1].output.count("\n") > 1


def test_describe_and_report_of_a_built_graph_read_it_natively(
    built_out, invoke, mini, tmp_path, monkeypatch
):
    """kg describe and kg report read a built kg.ttl with Oxigraph, as the records say."""
    from patching import patch_everywhere

    import kg.pipeline.open as pipeline

    graph = built_out / "kg.ttl"
    expected = invoke("describe", "alice", "--records", str(mini), "--reason")
    assert expected.exit_code == 0, expected.output
    calls = []
    patch_everywhere(monkeypatch, pipeline, "read_graph", lambda path: calls.append(path))
    r = invoke("describe", "alice", "--graph", str(graph), "--reason")
    assert (r.exit_code, r.output) == (0, expected.output)
    r = invoke("report", "-o", str(tmp_path / "site"), "--graph", str(graph))
    assert r.exit_code == 0, r.output
    assert calls == []


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


# --- what a second reading found ------------------------------------------------------


def _forge(built_out: Path, text: str) -> Path:
    """A kg.ttl replaced by ``text``, with the store's stamp made to match it."""
    import hashlib
    import json

    graph = built_out / "kg.ttl"
    graph.write_text(text, encoding="utf-8")
    stamp_file = built_out / "kg.oxigraph" / "kg-store.json"
    stamp = json.loads(stamp_file.read_text(encoding="utf-8"))
    data = graph.read_bytes()
    stamp.update(size=len(data), sha256=hashlib.sha256(data).hexdigest())
    stamp_file.write_text(json.dumps(stamp), encoding="utf-8")
    return graph


def test_a_matching_stamp_does_not_skip_the_checks(built_out, invoke, monkeypatch):
    """The stamp says which file the store was built from, not that the file is safe:
    an ill-typed literal and the input size limit are refused as from any file."""
    graph = _forge(
        built_out,
        '<http://example.org/s> <http://example.org/d> "2024-02-30"'
        "^^<http://www.w3.org/2001/XMLSchema#date> .\n",
    )
    for engine in ("native", "reference"):
        r = invoke("export", "--graph", str(graph), "--format", "nt", "--engine", engine)
        assert r.exit_code == 2, (engine, r.output)
        assert "ill-typed literal" in r.output and "2024-02-30" in r.output
        assert "Traceback" not in r.output and "Failed to convert" not in r.output
    monkeypatch.setenv("KG_MAX_INPUT_BYTES", "10")
    r = invoke("export", "--graph", str(graph), "--format", "nt")
    assert r.exit_code == 2
    assert "over the 10-byte limit" in r.output


@pytest.mark.parametrize(
    ("term", "why"),
    [
        ("<http://example.org/%zz>", "Invalid IRI percent encoding"),
        ("<http://example.org/a#b#c>", "Invalid IRI code point '#'"),
        ('"v"@abcdefghi', "eight characters"),
    ],
)
@pytest.mark.parametrize("engine", ["native", "reference"])
@pytest.mark.parametrize("subject", ["<http://example.org/s>", "_:b"])
def test_terms_rdf_does_not_allow_are_bad_input(subject, term, why, engine, invoke, tmp_path):
    """rdflib reads them, Oxigraph can hold none of them: refused as the file is
    read (exit 2, naming the file and the term), whichever serialiser would write."""
    f = tmp_path / "bad.nt"
    f.write_text(f"{subject} <http://example.org/p> {term} .\n", encoding="utf-8")
    out = tmp_path / "out.ttl"
    for cmd in (["export", "-o", str(out)], ["query", "-e", "ASK {}"], ["validate"]):
        args = [*cmd, str(f)] if cmd == ["validate"] else [*cmd, "--graph", str(f)]
        r = invoke(*args, "--engine", engine)
        assert r.exit_code == 2, (cmd, r.output)
        assert r.output.startswith(f"Error: {f}: not valid RDF: "), (cmd, r.output)
        assert why in r.output and r.output.count("\n") == 1, (cmd, r.output)
    assert not out.exists()


def test_a_second_fragment_in_a_record_iri_is_refused_where_it_is_written(invoke, mini):
    (mini / "same.yaml").write_text(
        "- id: bob\n  type: person\n  label: {en: Bob}\n"
        '  sameAs: ["https://example.org/wiki#a#b"]\n'
        "  sources: [{source: src-test, quote: Bob}]\n",
        encoding="utf-8",
    )
    r = invoke("export", "--records", str(mini), "--format", "nt")
    assert r.exit_code == 2
    assert "same.yaml:4" in r.output and "bob" in r.output and "sameAs" in r.output
    assert "'https://example.org/wiki#a#b' is not an absolute IRI" in r.output


@pytest.mark.parametrize(
    "predicate",
    [
        "http://example.org/p/",
        "http://example.org/1",
        "urn:isbn:123",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#about",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#li",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#aboutEach",
    ],
)
@pytest.mark.parametrize("subject", ["<http://example.org/s>", "_:b"])
def test_rdfxml_refuses_a_predicate_it_cannot_write(subject, predicate, invoke, tmp_path):
    f = tmp_path / "p.nt"
    f.write_text(f'{subject} <{predicate}> "v" .\n', encoding="utf-8")
    for engine in ("native", "reference"):
        r = invoke("export", "--graph", str(f), "--format", "xml", "--engine", engine)
        assert (r.exit_code, r.output) == (
            2,
            f"Error: cannot write xml: the predicate <{predicate}> cannot be written in "
            "RDF/XML (it needs an XML name after its namespace); use another format "
            "(Turtle, N-Triples, JSON-LD, …)\n",
        )


SCHEMA_IN_DATA = (
    "<https://w3id.org/kg-nj/id/x> a <http://example.org/C> ;\n"
    "  <http://example.org/p> <https://w3id.org/kg-nj/id/y> .\n"
    "<http://example.org/C> <http://www.w3.org/2000/01/rdf-schema#subClassOf>"
    " <http://example.org/D> .\n"
    "<http://example.org/p> <http://www.w3.org/2002/07/owl#inverseOf> <http://example.org/q> .\n"
)


@pytest.mark.parametrize(
    ("extra", "owlrl"),
    [
        ("", False),  # axioms kg's rules implement: read with the ontology's
        ("<http://example.org/p> a <http://www.w3.org/2002/07/owl#SymmetricProperty> .\n", True),
        ("<https://w3id.org/kg-nj/id/C2> <http://www.w3.org/2000/01/rdf-schema#subClassOf>"
         " <http://example.org/C> .\n", True),  # about a node kg mints
    ],
    ids=["implemented", "symmetric", "minted-class"],
)  # fmt: skip
def test_schema_axioms_in_the_data_are_reasoned_with(extra, owlrl, invoke, tmp_path, monkeypatch):
    """kg's rules come from the ontology; the axioms a file states itself are read
    with them, or, when kg's rules do not implement one, the file is reasoned by
    owlrl, so --reason means the same on both engines."""
    import owlrl as owlrl_module

    f = tmp_path / "schema.ttl"
    f.write_text(SCHEMA_IN_DATA + extra, encoding="utf-8")
    r = invoke("export", "--graph", str(f), "--format", "nt", "--reason", "--engine", "reference")
    assert r.exit_code == 0, r.output
    out = {"reference": r.stdout_bytes}
    if not owlrl:

        def refuse(*args, **kwargs):
            raise AssertionError("owlrl ran")

        monkeypatch.setattr(owlrl_module, "DeductiveClosure", refuse)
    for engine in ("native",):
        r = invoke("export", "--graph", str(f), "--format", "nt", "--reason", "--engine", engine)
        assert r.exit_code == 0, r.output
        out[engine] = r.stdout_bytes
    assert out["native"] == out["reference"]
    assert (
        b"<https://w3id.org/kg-nj/id/y> <http://example.org/q> <https://w3id.org/kg-nj/id/x> ."
        in out["native"]
    )
    assert (
        b"<https://w3id.org/kg-nj/id/x> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
        b" <http://example.org/D> ." in out["native"]
    )


@pytest.mark.parametrize("fmt", ["turtle", "trig", "jsonld", "xml"])
def test_a_literal_and_an_iri_of_the_same_text_keep_their_order(fmt, tmp_path):
    import os
    import subprocess
    import sys

    f = tmp_path / "tie.ttl"
    f.write_text(
        "".join(
            f'<http://example.org/s{i}> <http://example.org/p> "http://example.org/o{i}",'
            f" <http://example.org/o{i}> .\n"
            for i in range(30)
        ),
        encoding="utf-8",
    )
    outs = set()
    for seed in ("1", "2", "3"):
        cmd = [sys.executable, "-m", "kg", "export", "--graph", str(f), "--format", fmt]
        env = {**os.environ, "PYTHONHASHSEED": seed}
        r = subprocess.run(cmd, capture_output=True, env=env, check=True)
        outs.add(r.stdout)
    assert len(outs) == 1


def test_an_export_with_the_ontology_reads_back_without_owlrl(invoke, mini, tmp_path, monkeypatch):
    """The ontology's declarations and axioms in the data are kg's rules' own."""
    import owlrl

    full = tmp_path / "full.ttl"
    assert (
        invoke("export", "--records", str(mini), "--with-ontology", "-o", str(full)).exit_code == 0
    )
    ref = invoke(
        "export", "--graph", str(full), "--reason", "--format", "nt", "--engine", "reference"
    )
    assert ref.exit_code == 0, ref.output

    def refuse(*args, **kwargs):
        raise AssertionError("owlrl ran")

    monkeypatch.setattr(owlrl, "DeductiveClosure", refuse)
    r = invoke("export", "--graph", str(full), "--reason", "--format", "nt")
    assert r.exit_code == 0, r.output
    same_quads(as_dataset(r.stdout_bytes, "nt"), as_dataset(ref.stdout_bytes, "nt"))


def test_jsonld_is_compacted_with_the_ontology_prefixes_and_reads_back_whole(invoke, tmp_path):
    """Every key a prefixed name under one @context of kg's prefixes, not a full
    IRI; the same quads as N-Quads; the same bytes from both engines."""
    import json

    import pyoxigraph as ox

    from kg.terms.namespaces import PREFIXES

    out = {}
    for engine in ("native", "reference"):
        path = tmp_path / f"{engine}.jsonld"
        r = invoke("export", "--reason", "-o", str(path), "--engine", engine)
        assert r.exit_code == 0, r.output
        out[engine] = path.read_bytes()
    assert out["native"] == out["reference"]
    doc = json.loads(out["native"])
    assert list(doc) == ["@context", "@graph"]
    assert doc["@context"] == {k: str(v) for k, v in sorted(PREFIXES.items())}
    source = next(g for g in doc["@graph"] if g["@id"] == "id:src-fact-sheet")
    abe = next(n for n in source["@graph"] if n["@id"] == "id:shinzo-abe")
    assert abe["@type"] == "kg:Person"
    assert {"@language": "ja", "@value": "安倍晋三"} in abe["rdfs:label"]
    keys = {k for g in doc["@graph"] for n in g["@graph"] for k in n}
    assert not [k for k in keys if k.startswith("http")]
    r = invoke("export", "--reason", "--format", "nquads")
    as_quads = set(ox.parse(r.stdout_bytes, format=ox.RdfFormat.N_QUADS))
    assert set(ox.parse(out["native"], format=ox.RdfFormat.JSON_LD)) == as_quads


def test_a_construct_as_jsonld_is_compacted_too(invoke):
    import json

    r = invoke(
        "query", "-e", "CONSTRUCT { id:nato rdfs:label ?l } WHERE { id:nato rdfs:label ?l }",
        "--format", "jsonld",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["@id"] == "id:nato" and doc["@context"]["rdfs"].endswith("rdf-schema#")
    assert doc["rdfs:label"][0] == {"@language": "en", "@value": "NATO"}
