"""kg build: conforming, byte-identical Turtle that other parsers read."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from kg.terms.namespaces import ID, KG


def test_build_bundled_conforms_and_writes_turtle(invoke, tmp_path):
    result = invoke("build", "-o", str(tmp_path))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Built ") and lines[0].endswith(" triples.")
    assert lines[1].startswith("Validation: 0 violation(s), ")
    assert lines[1].endswith("conforms (fail-on: violation)")
    assert lines[-1] == f"Wrote {tmp_path / 'kg.ttl'}"
    assert (tmp_path / "kg.ttl").read_bytes().startswith(b"@prefix ")


def test_two_builds_are_byte_identical_across_processes(tmp_path):
    """Different hash seeds, separate processes: same bytes."""
    outs = []
    for seed in ("1", "2"):
        out = tmp_path / seed
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(
            [sys.executable, "-m", "kg", "build", "-o", str(out), "--reason"],
            check=True,
            env=env,
            capture_output=True,
        )
        outs.append(out)
    for name in ("kg.ttl", "kg-inferred.ttl"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes()


def test_output_parses_with_an_independent_parser(invoke, tmp_path):
    assert invoke("build", "-o", str(tmp_path)).exit_code == 0
    data = (tmp_path / "kg.ttl").read_bytes()
    oxi = list(pyoxigraph.parse(data, format=pyoxigraph.RdfFormat.TURTLE))
    ours = Graph().parse(data=data, format="turtle")
    assert len(oxi) == len(ours) > 500


def test_no_blank_nodes(bundled):
    from rdflib import BNode

    assert not [t for t in bundled.graph if any(isinstance(x, BNode) for x in t)]


def test_every_subject_is_under_the_id_namespace(bundled):
    assert all(str(s).startswith(str(ID)) for s in bundled.graph.subjects())


def test_non_conforming_build_fails_and_keeps_previous_output(invoke, mini, tmp_path):
    out = tmp_path / "out"
    assert invoke("build", str(mini), "-o", str(out)).exit_code == 0
    before = (out / "kg.ttl").read_bytes()
    text = (mini / "events.yaml").read_text(encoding="utf-8")
    # A statement without a speaker: well-formed, but it does not conform.
    (mini / "events.yaml").write_text(text.replace("  speaker: alice\n", ""), encoding="utf-8")
    result = invoke("build", str(mini), "-o", str(out))
    assert result.exit_code == 1
    assert "VIOLATION: " in result.output
    assert "events.yaml:" in result.output and "record 'quote-alice'" in result.output
    assert (out / "kg.ttl").read_bytes() == before


def test_reason_writes_inferences_apart(invoke, mini, tmp_path):
    result = invoke("build", str(mini), "-o", str(tmp_path), "--reason")
    assert result.exit_code == 0, result.output
    asserted = Graph().parse(tmp_path / "kg.ttl")
    inferred = Graph().parse(tmp_path / "kg-inferred.ttl")
    alice, visit = ID["alice"], ID["visit-2020"]
    assert (alice, KG.participatesIn, visit) in inferred
    assert (alice, KG.participatesIn, visit) not in asserted
    assert (alice, RDF.type, KG.Agent) in inferred
    assert not set(asserted) & set(inferred)
    assert not [t for t in inferred if t[1] == URIRef("http://www.w3.org/2002/07/owl#sameAs")]


def test_build_from_any_directory(tmp_path):
    """The bundled data is found from any working directory."""
    proc = subprocess.run(
        [sys.executable, "-m", "kg", "build", "-o", "out"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert (Path(tmp_path) / "out" / "kg.ttl").exists()


@pytest.mark.parametrize("engine", ["native", "reference"])
def test_build_without_reason_removes_the_older_inferred_file(engine, invoke, mini, tmp_path):
    """kg-inferred.ttl of an earlier --reason build would not match the new kg.ttl."""
    out = tmp_path / "out"
    args = ["build", str(mini), "-o", str(out), "--engine", engine]
    assert invoke(*args, "--reason").exit_code == 0
    assert (out / "kg-inferred.ttl").is_file()
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert [line for line in result.output.splitlines() if line.startswith("Wrote ")] == [
        f"Wrote {out / 'kg.ttl'}"
    ]
    want = [".kg-state", "kg.oxigraph", "kg.ttl"] if engine == "native" else ["kg.ttl"]
    assert sorted(p.name for p in out.iterdir()) == want
    # And --reason again writes it again.
    assert invoke(*args, "--reason").exit_code == 0
    assert (out / "kg-inferred.ttl").is_file()


@pytest.mark.parametrize("engine", ["native", "reference"])
def test_outputs_get_the_usual_file_permissions(engine, invoke, mini, tmp_path):
    """Not mkstemp's 0600: a new file as the umask says, a replaced one keeps its own."""
    out = tmp_path / "out"
    old = os.umask(0o022)
    try:
        assert invoke("build", str(mini), "-o", str(out), "--engine", engine).exit_code == 0
        assert (out / "kg.ttl").stat().st_mode & 0o777 == 0o644
        (out / "kg.ttl").chmod(0o640)
        again = invoke("build", str(mini), "-o", str(out), "--engine", engine, "--full")
        assert again.exit_code == 0, again.output
        assert (out / "kg.ttl").stat().st_mode & 0o777 == 0o640
        assert invoke("export", "-o", str(tmp_path / "g.nt")).exit_code == 0
        assert (tmp_path / "g.nt").stat().st_mode & 0o777 == 0o644
    finally:
        os.umask(old)


def test_library_names_stay_what_they_are_once_every_module_is_loaded():
    """`kg.build` is the pipeline's function even after its submodules are
    imported (a submodule of the same name used to replace it)."""
    code = (
        "import importlib, pkgutil, types, kg\n"
        "for m in pkgutil.walk_packages(kg.__path__, 'kg.'):\n"
        "    if m.name == 'kg.__main__':\n"
        "        continue  # runs the command line\n"
        "    importlib.import_module(m.name)\n"
        "bad = [n for n in kg.__all__ if isinstance(getattr(kg, n), types.ModuleType)]\n"
        "print(bad, kg.build.__module__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "[] kg.pipeline.build\n"


def test_turtle_pieces_are_whole_blocks_that_parse_to_the_same_triples(tmp_path):
    from kg.pipeline.build import build
    from kg.rdfio.write import turtle_pieces

    build(None, tmp_path, reason=True)
    data = (tmp_path / "kg.ttl").read_bytes()
    head = data[: data.index(b"\n\n") + 2]
    pieces = list(turtle_pieces(data, 4000))
    assert len(pieces) > 10
    assert all(p.startswith(head) for p in pieces)
    # Each piece ends where a subject's block ends: the next starts a line
    # with its subject, never a tab.
    assert all(not p[len(head) :].startswith(b"\t") for p in pieces)
    assert head + b"".join(p[len(head) :] for p in pieces) == data
    whole = set(pyoxigraph.parse(data, pyoxigraph.RdfFormat.TURTLE))
    parts = [set(pyoxigraph.parse(p, pyoxigraph.RdfFormat.TURTLE)) for p in pieces]
    assert set().union(*parts) == whole
    assert sum(len(p) for p in parts) == len(whole)  # no subject split over two pieces
    # Blank node labels name one node per document only: such data stays whole.
    with_bnode = head + b"id:x kg:p _:b1 .\n_:b1 kg:p id:y .\n" * 3000
    assert list(turtle_pieces(with_bnode, 4000)) == [with_bnode]
    assert list(turtle_pieces(data[: len(head)], 4000)) == [data[: len(head)]]
    assert list(turtle_pieces(data[: len(head)], 10)) == [data[: len(head)]]  # header only


def test_a_store_loaded_in_pieces_holds_what_one_document_gives(tmp_path, monkeypatch):
    import kg.rdfio.write
    from kg.pipeline.build import build

    def quads(out):
        store = pyoxigraph.Store.read_only(str(out / "kg.oxigraph"))
        # The ontology's lists are blank nodes, labelled afresh by each build.
        return sorted(
            str(q)
            for q in store.quads_for_pattern(None, None, None, None)
            if not isinstance(q.subject, pyoxigraph.BlankNode)
            and not isinstance(q.object, pyoxigraph.BlankNode)
        )

    build(None, tmp_path / "whole", reason=True)
    monkeypatch.setattr(kg.rdfio.write, "PIECE", 4000)
    build(None, tmp_path / "pieces", reason=True)
    got, want = quads(tmp_path / "pieces"), quads(tmp_path / "whole")
    assert len(want) > 8000
    assert got == want


def test_a_build_validates_on_its_store_as_pyshacl_does(tmp_path):
    """kg build runs the SPARQL-based constraints on the store it is loading;
    its report is pySHACL's, the end dates before their start included."""
    from kg.errors import NotConforming
    from kg.generate import generate_records
    from kg.pipeline.build import build
    from kg.pipeline.check import validate_paths

    records = tmp_path / "records"
    generate_records(records, events=30, seed=4, violations=4)
    want = validate_paths([records], engine="reference")
    component = "kgsh:NotBeforeConstraintComponent"
    assert sum(f.component == component for f in want.findings) == 2
    with pytest.raises(NotConforming) as got:
        build(records, tmp_path / "out", reason=True, full=True)
    assert str(got.value) == want.render("text").rstrip()
    assert not (tmp_path / "out" / "kg.oxigraph").exists()


@pytest.mark.parametrize("violations", [0, 4])
def test_a_build_reports_a_reasoning_clash_only_when_the_data_conforms(
    violations, tmp_path, monkeypatch
):
    """kg build reasons before it validates (the store loads the inferred graph
    meanwhile), yet reports as it always did: validation's report when the data
    does not conform, else the clash the reasoner found; no output either way."""
    from patching import patch_everywhere

    import kg.reason.native
    from kg.errors import NotConforming
    from kg.generate import generate_records
    from kg.pipeline.build import build
    from kg.pipeline.check import validate_paths

    records = tmp_path / "records"
    generate_records(records, events=30, seed=4, violations=violations)
    want = validate_paths([records], engine="reference")
    assert want.conforms == (violations == 0)
    reasoned = []

    def clash(*_args: object, **_kwargs: object) -> list:
        reasoned.append(True)
        raise NotConforming("OWL RL reasoning found the graph inconsistent: a clash")

    patch_everywhere(monkeypatch, kg.reason.native, "infer_triples", clash)
    with pytest.raises(NotConforming) as got:
        build(records, tmp_path / "out", reason=True, full=True)
    expected = want.render("text").rstrip() if violations else "OWL RL reasoning found"
    assert str(got.value).startswith(expected) and reasoned == [True]
    out = tmp_path / "out"
    assert not any((out / name).exists() for name in ("kg.ttl", "kg-inferred.ttl", "kg.oxigraph"))


@pytest.mark.parametrize("call", ["build", "validate", "infer", "open_graph", "export_bytes"])
def test_every_stage_checks_the_engine_name_the_same_way(call, tmp_path):
    """A misspelt engine is refused by the one check, not taken for the reference engine."""
    from kg.builder.graph import build_graph
    from kg.errors import UsageError
    from kg.pipeline.build import build
    from kg.pipeline.export import export_bytes
    from kg.pipeline.open import open_graph
    from kg.reason.engines import infer
    from kg.validate.engines import validate_graph

    calls = {
        "build": lambda: build(None, tmp_path / "out", engine="Native"),
        "validate": lambda: validate_graph(build_graph(), engine="Native"),
        "infer": lambda: infer(build_graph(), engine="Native"),
        "open_graph": lambda: open_graph(engine="Native"),
        "export_bytes": lambda: export_bytes("nt", engine="Native"),
    }
    with pytest.raises(UsageError, match=r"unknown engine 'Native'; use one of: native, reference"):
        calls[call]()
    assert not (tmp_path / "out").exists()


def test_records_as_the_argument_or_with_records_alike(invoke, mini, tmp_path):
    """`--records DIR` works on kg build and kg validate as on every other
    command (the README said so; it failed with "No such option")."""
    by_argument = invoke("build", str(mini), "-o", str(tmp_path / "a"))
    by_option = invoke("build", "--records", str(mini), "-o", str(tmp_path / "b"))
    assert by_argument.exit_code == by_option.exit_code == 0
    assert by_option.output == by_argument.output.replace(str(tmp_path / "a"), str(tmp_path / "b"))
    assert (tmp_path / "a" / "kg.ttl").read_bytes() == (tmp_path / "b" / "kg.ttl").read_bytes()
    checked = invoke("validate", "--records", str(mini), "--format", "json")
    assert checked.exit_code == 0
    assert checked.output == invoke("validate", str(mini), "--format", "json").output


def test_records_given_twice_is_refused(invoke, mini, tmp_path, monkeypatch):
    """kg build takes one records set. (kg validate FILE --records DIR is
    meaningful: FILE read with the records it refers to.)"""
    monkeypatch.chdir(tmp_path)
    r = invoke("build", str(mini), "--records", str(mini))
    assert r.exit_code == 2
    assert r.output == "Error: give the records as RECORDS or with --records, not both\n"
    assert not (tmp_path / "build").exists()
