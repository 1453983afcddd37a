"""kg diff of two kg builds by their persisted stores: the output the lines of
both sides give (the path before), byte for byte, in every format."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import URIRef

import kg.views.diff.sides as sides
import kg.views.diff.stored as stored
import kg.views.diff.support as support
from kg.builder.ontology import ontology_triples
from kg.cli.app import cli
from kg.resources import records_dir
from kg.store.persist import STORE_DIR, store_counts, write_stamp
from kg.terms.convert import TermConverter
from kg.views.diff import DIFF_FORMATS
from tests.patching import patch_everywhere

HERE = Path(__file__).parent
MINI = HERE / "fixtures" / "mini"


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == count, (path, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def _edit_generated(folder: Path) -> None:
    """A few records of ``kg generate --events 40 --seed 3`` edited: a label, a
    citation's locator, a start date; one statement record dropped."""
    for f in sorted(folder.glob("*.yaml")):
        text = f.read_text(encoding="utf-8")
        text = text.replace("(10)", "(10, revised)").replace('"E20"', '"E20-b"')
        text = re.sub(
            r'(- id: g-event-30\n(?:  .*\n)*?  start: ")(\d{4})-\d\d-\d\d"', r'\1\2"', text
        )
        text = re.sub(r"- id: g-statement-4\n(?:  .*\n|\n(?=  ))*\n", "", text)
        f.write_text(text, encoding="utf-8")


def _build(records: Path, out: Path, *flags: str) -> Path:
    result = CliRunner().invoke(cli, ["build", str(records), "-o", str(out), *flags], obj={})
    assert result.exit_code == 0, result.output
    assert (out / STORE_DIR).is_dir()
    return out


@pytest.fixture(scope="module")
def builds(tmp_path_factory, generated_build) -> Path:
    """kg builds to compare: generated records (``gen-a``, the shared build),
    edited (``gen-b``) and of another seed (``gen-c``); the small records set
    with qualifiers and facts changed (``mini-a``, ``mini-b``); the bundled
    records and a copy with a title and a date edited (``bundled``, ``bundled-b``)."""
    work = tmp_path_factory.mktemp("diff-stored")
    (work / "gen-a").symlink_to(generated_build.parent)
    shutil.copytree(generated_build.parent.parent / "records", work / "rec-b")
    _edit_generated(work / "rec-b")
    _build(work / "rec-b", work / "gen-b")
    runner = CliRunner()
    made = runner.invoke(
        cli, ["generate", "--events", "40", "--seed", "4", "-o", str(work / "rec-c")], obj={}
    )
    assert made.exit_code == 0, made.output
    _build(work / "rec-c", work / "gen-c", "--reason")
    shutil.copytree(MINI, work / "rec-mini-b")
    events = work / "rec-mini-b" / "events.yaml"
    _edit(events, "qualifier: [approximate]", "qualifier: [disputed]")
    _edit(events, "participant: [alice, org-division]", "participant: [alice]")
    _edit(events, "signatory: [alice]", "signatory: [alice, ruritania]")
    _build(MINI, work / "mini-a")
    _build(work / "rec-mini-b", work / "mini-b")
    shutil.copytree(records_dir(), work / "rec-bundled-b")
    _edit(
        work / "rec-bundled-b" / "founding" / "events.yaml",
        '  start: "2013-06-25"\n  end: "2013-06-29"',
        '  start: "2013-06-24"\n  end: "2013-06-29"',
    )
    _edit(
        work / "rec-bundled-b" / "founding" / "roles.yaml",
        "en: Secretary General of NATO, ja: NATO事務総長}",
        "en: NATO Secretary-General, ja: NATO事務総長}",
    )
    _build(records_dir(), work / "bundled")
    _build(work / "rec-bundled-b", work / "bundled-b")
    return work


def _diff(work: Path, monkeypatch, *args: str):
    monkeypatch.chdir(work)
    return CliRunner().invoke(cli, ["diff", *args], obj={})


def _by_lines(monkeypatch) -> None:
    """The path before: no side opened by its store."""
    patch_everywhere(monkeypatch, stored, "open_build", lambda arg: None)


def _no_lines(monkeypatch) -> None:
    """Any read of a whole side as lines, or an index of them, fails."""

    def refuse(*args, **kwargs):
        raise AssertionError("a whole side read as lines")

    patch_everywhere(monkeypatch, sides, "open_side", refuse)
    patch_everywhere(monkeypatch, sides, "nt_lines", refuse)
    monkeypatch.setattr(support.SideIndex, "__init__", refuse)


PAIRS = [
    ("gen-a", "gen-b"),
    ("gen-b/kg.ttl", "gen-a/kg.ttl"),
    ("gen-a", "gen-c"),
    ("gen-a", "gen-a/kg.ttl"),
    ("mini-a", "mini-b"),
    ("mini-b", "mini-a"),
    ("bundled", "bundled-b/kg.ttl"),
]


def _every_format(work: Path, monkeypatch, pair: tuple[str, str]) -> dict[str, bytes]:
    """The diff of ``pair`` in every format (compared once, as kg diff compares),
    and its exit code under ``"exit"``."""
    from kg.views.diff.compare import compare
    from kg.views.diff.render import render

    monkeypatch.chdir(work)
    d = compare(*stored.open_sides(*pair))
    out = {fmt: render(d, fmt) for fmt in DIFF_FORMATS}
    return {**out, "exit": b"0" if d.same else b"1"}


@pytest.mark.parametrize("pair", PAIRS, ids="|".join)
def test_the_stores_give_what_the_lines_gave_in_every_format(builds, monkeypatch, pair):
    with monkeypatch.context() as m:
        _no_lines(m)
        got = _every_format(builds, m, pair)
        cli = _diff(builds, m, *pair)  # what kg diff prints is what was compared
        assert (cli.exit_code, cli.stdout_bytes) == (int(got["exit"]), got["text"])
    _by_lines(monkeypatch)
    want = _every_format(builds, monkeypatch, pair)
    for fmt in want:
        assert got[fmt] == want[fmt], fmt
    assert (want["exit"] == b"0") == (pair[0].split("/")[0] == pair[1].split("/")[0])


def test_only_the_changed_entities_are_read_as_rdflib_terms(builds, monkeypatch):
    """Two builds by their stores: no side read as lines, and the rdflib graphs
    the words are made from hold a few dozen triples, not the build's 10k."""
    sizes: list[int] = []
    whole = support.Lookups.neighbourhood

    def neighbourhood(self, entities, conv):
        g = whole(self, entities, conv)
        sizes.append(len(g))
        return g

    monkeypatch.setattr(support.Lookups, "neighbourhood", neighbourhood)
    _no_lines(monkeypatch)
    result = _diff(builds, monkeypatch, "gen-a", "gen-b")
    assert result.exit_code == 1, result.output
    assert result.output.endswith(
        "gen-a and gen-b differ: 3 entities, 11 facts (34 triple(s) removed, 9 added).\n"
    ), result.output
    assert len(sizes) == 2 and max(sizes) < 500, sizes


def _restamp(build: Path, add: list[tuple], to_file: list[tuple]) -> None:
    """Add the triples ``add`` to ``build``'s store and ``to_file`` to its kg.ttl,
    stamped again as kg build stamps (so both are trusted)."""
    conv = TermConverter()
    ox = conv.ox
    store = ox.Store(str(build / STORE_DIR))
    store.extend(conv.quads(add, None))
    counts = store_counts(store)
    del store
    graph = build / "kg.ttl"
    data = graph.read_bytes()
    lines = ox.serialize(
        [ox.Triple(*map(conv.to_ox, t)) for t in to_file], format=ox.RdfFormat.N_TRIPLES
    )
    data += b"\n" + lines
    graph.write_bytes(data)
    write_stamp(build / STORE_DIR, "kg.ttl", data, True, counts)


def _ontology_triple() -> tuple:
    return next(t for t in sorted(ontology_triples()) if all(isinstance(x, URIRef) for x in t))


def test_a_store_holding_more_than_its_file_and_the_ontology_is_not_used(
    builds, tmp_path, monkeypatch
):
    """A store with a triple neither its kg.ttl nor the ontology has (the very
    one the other side adds) does not stand for its kg.ttl: the lines are read."""
    shutil.copytree(builds / "gen-a", tmp_path / "a")
    shutil.copytree(builds / "gen-b", tmp_path / "b")
    want = _diff(tmp_path, monkeypatch, "a", "b", "--format", "json")
    conv = TermConverter()
    old, new = (sides.open_side(str(tmp_path / x)).triples for x in "ab")
    extra = support.rdf_triples([sorted(new - old)[0]], conv)[0]
    _restamp(tmp_path / "a", [extra], [])
    opened = []
    monkeypatch.setattr(
        stored, "_lines", lambda side: opened.append(side.name) or sides.open_side(side.name)
    )
    got = _diff(tmp_path, monkeypatch, "a", "b", "--format", "json")
    assert (got.exit_code, got.output) == (want.exit_code, want.output)
    assert opened == ["a", "b"]


def test_triples_about_the_ontologys_terms_in_kg_ttl_are_compared_too(
    builds, tmp_path, monkeypatch
):
    """kg.ttl may state what the ontology states, or more about its terms: such
    triples are compared as the lines compared them, by the store path still."""
    shutil.copytree(builds / "mini-a", tmp_path / "a")
    shutil.copytree(builds / "mini-a", tmp_path / "b")
    same = _ontology_triple()
    comment = (same[0], URIRef("http://www.w3.org/2000/01/rdf-schema#comment"), same[0])
    _restamp(tmp_path / "b", [comment], [same, comment])
    for pair in (("a", "b"), ("b", "a")):
        with monkeypatch.context() as m:
            _no_lines(m)
            got = _diff(tmp_path, m, *pair, "--format", "json")
        with monkeypatch.context() as m:
            _by_lines(m)
            want = _diff(tmp_path, m, *pair, "--format", "json")
        assert (got.exit_code, got.output) == (want.exit_code, want.output)
        assert '"removed": 2' in got.output if pair[0] == "b" else '"added": 2' in got.output


TTL = b"""@prefix ex: <http://example.org/> .

ex:a ex:p ex:b , ex:c ;
\tex:q "x y" .
ex:c ex:p ex:d .
"""


def test_only_the_blocks_that_differ_are_compared_and_under_the_same_prefixes():
    new = TTL.replace(b"ex:c ex:p ex:d .", b"ex:c ex:p ex:e .\nex:f ex:p ex:d .")
    ex = "http://example.org/"
    blocks = stored._blocks
    assert stored._block_differences(blocks(TTL), blocks(new)) == (
        frozenset({f"<{ex}c> <{ex}p> <{ex}d> ."}),
        frozenset({f"<{ex}c> <{ex}p> <{ex}e> .", f"<{ex}f> <{ex}p> <{ex}d> ."}),
    )
    assert stored._block_differences(blocks(TTL), blocks(TTL)) == (frozenset(), frozenset())
    # The same blocks under another binding of ex: are other triples.
    other = TTL.replace(b"<http://example.org/>", b"<http://example.org/v2/>")
    assert stored._block_differences(blocks(TTL), blocks(other)) is None


def test_files_with_other_prefixes_are_read_as_lines(builds, tmp_path, monkeypatch):
    shutil.copytree(builds / "mini-a", tmp_path / "a")
    shutil.copytree(builds / "mini-b", tmp_path / "b")
    graph = tmp_path / "b" / "kg.ttl"
    data = graph.read_bytes().replace(
        b"@prefix", b"@prefix zz: <http://example.org/zz#> .\n@prefix", 1
    )
    graph.write_bytes(data)
    ox = TermConverter().ox
    store = ox.Store(str(tmp_path / "b" / STORE_DIR))
    counts = store_counts(store)
    del store
    write_stamp(tmp_path / "b" / STORE_DIR, "kg.ttl", data, True, counts)
    opened = []
    with monkeypatch.context() as m:
        m.setattr(
            stored, "_lines", lambda side: opened.append(side.name) or sides.open_side(side.name)
        )
        got = _diff(tmp_path, m, "a", "b", "--format", "json")
    assert opened == ["a", "b"]
    _by_lines(monkeypatch)
    want = _diff(tmp_path, monkeypatch, "a", "b", "--format", "json")
    assert (got.exit_code, got.output) == (want.exit_code, want.output) and got.exit_code == 1


def test_kg_turtle_counted_by_its_lines_and_separators_outside_strings(monkeypatch):
    data = (
        b"@prefix ex: <http://example.org/> .\n@prefix id: <https://w3id.org/kg-nj/id/> .\n\n"
        b'id:a ex:p "x , y" , "say \\"a , b\\" \\\\" , "z"@en ;\n\tex:q ex:b , ex:c .\n'
        b'id:b ex:p "1"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
    )
    ox = TermConverter().ox
    assert len(list(ox.parse(data, format=ox.RdfFormat.TURTLE))) == 6
    side = stored.StoredSide("x", "rdf", Path("kg.ttl"), data, None, 0)
    monkeypatch.setattr(stored, "_scan", None)  # not parsed whole
    assert stored._count(side, stored._ontology_subjects(), stored._blocks(data))
    assert (side.size, side.own) == (6, set())
