"""Incremental rebuilds (kg.incremental): after editing records, a build into the
same folder gives exactly what a full build into a fresh folder gives — the
Turtle files byte for byte, the findings with their locations, the store's
quads — or fails exactly as the full build fails; and where it cannot vouch
for that, it builds in full."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli.app import cli
from kg.errors import BadRecords, NotConforming
from kg.generate import generate_records
from kg.pipeline.build import build
from kg.pipeline.incremental.state import STATE_DIR
from kg.pipeline.outputs import BuildResult
from kg.terms.namespaces import ID

FILES = 4


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generated records for 60 events, split into four files."""
    base = tmp_path_factory.mktemp("gen")
    generate_records(base / "one", 60, seed=1)
    text = (base / "one" / "generated-00000.yaml").read_text(encoding="utf-8")
    head, _, body = text.partition("\n- id:")
    records = ["- id:" + r for r in ("\n- id:" + body).split("\n- id:")[1:]]
    out = base / "records"
    out.mkdir()
    per = -(-len(records) // FILES)
    for i in range(FILES):
        chunk = records[i * per : (i + 1) * per]
        (out / f"part-{i}.yaml").write_text(
            head + "\n" + "\n".join(r.rstrip("\n") + "\n" for r in chunk), encoding="utf-8"
        )
    return out


@pytest.fixture
def work(generated: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the records and a first (full) build of them."""
    records = tmp_path / "records"
    shutil.copytree(generated, records)
    out = tmp_path / "out"
    first = build(records, out, reason=True)
    assert first.mode == "full"
    assert (out / STATE_DIR / "manifest.json").is_file()
    return records, out


def _record(records: Path, rid: str) -> tuple[Path, str, str]:
    """The file holding record ``rid``, its text, and the record's own text."""
    for path in sorted(records.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        m = re.search(rf"^- id: {re.escape(rid)}\n(?:(?!- id:).*\n?)*", text, re.M)
        if m:
            return path, text, m.group(0)
    raise AssertionError(f"no record {rid}")


def _edit(records: Path, rid: str, old: str, new: str) -> Path:
    path, text, rec = _record(records, rid)
    assert old in rec, rec
    path.write_text(text.replace(rec, rec.replace(old, new, 1)), encoding="utf-8")
    return path


def _first_id(records: Path, prefix: str) -> str:
    ids = re.findall(rf"^- id: ({re.escape(prefix)}[\w-]*)$", _all(records), re.M)
    return ids[len(ids) // 2]


def _all(records: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in sorted(records.glob("*.yaml")))


def _quads(out: Path) -> list[str]:
    import pyoxigraph as ox

    store = ox.Store.read_only(str(out / "kg.oxigraph"))
    return sorted(str(q) for q in store.quads_for_pattern(None, None, None, None))


def _snapshot(out: Path) -> dict[str, object]:
    return {
        "kg.ttl": (out / "kg.ttl").read_bytes(),
        "kg-inferred.ttl": (out / "kg-inferred.ttl").read_bytes(),
        "stamp": (out / "kg.oxigraph" / "kg-store.json").read_bytes(),
        "quads": _quads(out),
    }


def _inferred_block(out: Path, rid: str) -> str:
    """The lines of kg-inferred.ttl about record ``rid``."""
    text = (out / "kg-inferred.ttl").read_text(encoding="utf-8")
    m = re.search(rf"^id:{re.escape(rid)} .*\n(?:\t.*\n)*", text, re.M)
    return m.group(0) if m else ""


def _findings(result: BuildResult) -> list[tuple]:
    assert result.report is not None
    return [(f.to_dict(), f.location) for f in result.report.findings]


def _same_as_full(records: Path, out: Path, tmp_path: Path, mode: str) -> BuildResult:
    """Rebuild into ``out``; check it took ``mode`` and equals a fresh full build."""
    got = build(records, out, reason=True)
    assert got.mode == mode, got.fallback
    fresh = tmp_path / "fresh"
    shutil.rmtree(fresh, ignore_errors=True)
    want = build(records, fresh, reason=True, full=True)
    assert want.mode == "full"
    assert (out / "kg.ttl").read_bytes() == (fresh / "kg.ttl").read_bytes()
    assert (out / "kg-inferred.ttl").read_bytes() == (fresh / "kg-inferred.ttl").read_bytes()
    assert _findings(got) == _findings(want)
    assert got.report is not None and want.report is not None
    assert got.report.render("json") == want.report.render("json")
    assert _quads(out) == _quads(fresh)
    assert (got.record_count, got.triples, got.inferred_count) == (
        want.record_count,
        want.triples,
        want.inferred_count,
    )
    # The store answers for the new kg.ttl (its stamp matches).
    from kg.store.persist import open_persisted

    assert open_persisted(out / "kg.ttl", reason=True) is not None
    # And the state it left serves the next build (nothing changed: nothing to do).
    again = build(records, out, reason=True)
    assert again.mode == "incremental", again.fallback
    assert _findings(again) == _findings(want)
    return got


def _fails_as_full(records: Path, out: Path, tmp_path: Path, error: type[Exception]) -> str:
    """Rebuild into ``out`` and build fresh: both raise ``error`` with the same
    message, and neither writes anything. Returns the message."""
    before = _snapshot(out)
    with pytest.raises(error) as inc:
        build(records, out, reason=True)
    with pytest.raises(error) as full:
        build(records, tmp_path / "fresh", reason=True, full=True)
    assert str(inc.value) == str(full.value)
    assert _snapshot(out) == before  # nothing written
    assert not (tmp_path / "fresh").exists()
    return str(inc.value)


def test_change_a_literal(work: tuple[Path, Path], tmp_path: Path) -> None:
    records, out = work
    eid = _first_id(records, "g-event-")
    before = (out / "kg.ttl").read_bytes()
    _edit(records, eid, "label: {en: ", "label: {en: Renamed ")
    got = _same_as_full(records, out, tmp_path, "incremental")
    assert len(got.changed_files) == 1
    assert (out / "kg.ttl").read_bytes() != before
    assert b"Renamed " in (out / "kg.ttl").read_bytes()


def test_add_a_participant(work: tuple[Path, Path], tmp_path: Path) -> None:
    records, out = work
    eid = _first_id(records, "g-event-")
    person = _first_id(records, "g-person-")
    _edit(records, eid, "participant: [", f"participant: [{person}, ")
    _same_as_full(records, out, tmp_path, "incremental")


def test_add_a_record(work: tuple[Path, Path], tmp_path: Path) -> None:
    records, out = work
    src = _first_id(records, "g-src-")
    path = records / "part-2.yaml"
    path.write_text(
        path.read_text(encoding="utf-8")
        + '\n- id: g-person-new\n  type: person\n  label: {en: "New Person"}\n'
        + f'  sources:\n    - source: {src}\n      quote: "A new person."\n',
        encoding="utf-8",
    )
    got = _same_as_full(records, out, tmp_path, "incremental")
    assert got.changed_files == [path.as_posix()]  # records outside the working folder


def test_add_a_file(work: tuple[Path, Path], tmp_path: Path) -> None:
    records, out = work
    src = _first_id(records, "g-src-")
    (records / "part-9.yaml").write_text(
        '- id: g-place-new\n  type: place\n  label: {en: "Newton"}\n'
        + f'  sources:\n    - source: {src}\n      quote: "Newton."\n',
        encoding="utf-8",
    )
    _same_as_full(records, out, tmp_path, "incremental")


def test_change_class_and_theme(work: tuple[Path, Path], tmp_path: Path) -> None:
    records, out = work
    _path, _text, rec = _record(records, "g-event-7")
    kind = re.search(r"^  type: (\S+)$", rec, re.M)
    assert kind is not None
    other = "meeting" if kind.group(1) != "meeting" else "visit"
    _edit(records, "g-event-7", f"  type: {kind.group(1)}\n", f"  type: {other}\n")
    theme = re.search(r"theme:\n    - value: ([\w-]+)", rec)
    assert theme is not None
    _edit(records, "g-event-7", theme.group(1), "theme-g-security-dialogue")
    _same_as_full(records, out, tmp_path, "incremental")


def test_lines_move(work: tuple[Path, Path], tmp_path: Path) -> None:
    """Same triples, but every record of the file one line lower: the kept
    findings follow their records."""
    records, out = work
    path = records / "part-1.yaml"
    path.write_text("# a new first line\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    before = (out / "kg.ttl").read_bytes()
    got = _same_as_full(records, out, tmp_path, "incremental")
    assert (out / "kg.ttl").read_bytes() == before
    assert got.report is not None
    assert any(f.location and f.location.file.endswith("part-1.yaml") for f in got.report.findings)


def test_overlapping_role_fails_as_full(work: tuple[Path, Path], tmp_path: Path) -> None:
    """Two roles of one post that now overlap: a cross-record SPARQL constraint."""
    records, out = work
    text = _all(records)
    post = re.search(r"^  post: (\S+)$", text, re.M)
    assert post is not None
    roles = re.findall(
        rf"^- id: (\S+)\n(?:(?!- id:).*\n)*?  post: {re.escape(post.group(1))}\n", text, re.M
    )
    assert len(roles) >= 2
    _p, _t, first = _record(records, roles[0])
    _edit(records, roles[0], re.search(r"  end: .*\n", first).group(0), "")  # type: ignore[union-attr]
    message = _fails_as_full(records, out, tmp_path, NotConforming)
    assert "overlaps another role record for the same post" in message


def test_yaml_error_fails_as_full(work: tuple[Path, Path], tmp_path: Path) -> None:
    records, out = work
    path = records / "part-2.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "- id: [unclosed\n", encoding="utf-8")
    _fails_as_full(records, out, tmp_path, BadRecords)
    result = CliRunner().invoke(cli, ["build", str(records), "-o", str(out), "--reason"])
    assert result.exit_code == 2


def test_bad_value_fails_as_full(work: tuple[Path, Path], tmp_path: Path) -> None:
    """A record problem the incremental path reports itself (no record lost)."""
    records, out = work
    eid = _first_id(records, "g-event-")
    person = _first_id(records, "g-person-")
    _edit(records, eid, "participant: [", "participant: [nobody-at-all, ")
    _edit(records, person, "label: {en: ", "label: {xx-bad-: ")
    assert "nobody-at-all" in _fails_as_full(records, out, tmp_path, BadRecords)


def test_owl_sameas_falls_back(work: tuple[Path, Path], tmp_path: Path) -> None:
    """owl:sameAs rewrites every triple of the nodes it joins: an edit adding one
    builds in full, and so does every build while the graph holds one."""
    records, out = work
    person = _first_id(records, "g-person-")
    other = "g-person-1" if person != "g-person-1" else "g-person-2"
    link = f"  sameAs: [{ID}{other}]\n"
    _edit(records, person, "  type: person\n", "  type: person\n" + link)
    got = build(records, out, reason=True)
    assert (got.mode, got.fallback) == ("full", "the change uses owl:sameAs")
    build(records, tmp_path / "fresh", reason=True, full=True)
    # The other's label is the person's too.
    label = re.search(r"label: \{en: (.*)\}", _record(records, other)[2])
    assert label is not None
    assert f"{label.group(1)}@en" in _inferred_block(out, person)
    for name in ("kg.ttl", "kg-inferred.ttl"):
        assert (out / name).read_bytes() == (tmp_path / "fresh" / name).read_bytes()
    _edit(records, _first_id(records, "g-event-"), "label: {en: ", "label: {en: Renamed ")
    got = build(records, out, reason=True)
    assert (got.mode, got.fallback) == ("full", "the graph uses owl:sameAs")
    _edit(records, person, link, "")
    assert build(records, out, reason=True).fallback == "the graph uses owl:sameAs"
    # The graph holds none again: the next edit is incremental.
    _edit(records, person, "  type: person\n", "  type: person\n  altLabel: {en: [Another]}\n")
    _same_as_full(records, out, tmp_path, "incremental")


def test_removing_a_record_falls_back(work: tuple[Path, Path], tmp_path: Path) -> None:
    records, out = work
    path, text, rec = _record(records, _first_id(records, "g-interest-"))
    path.write_text(text.replace(rec, ""), encoding="utf-8")
    got = _same_as_full(records, out, tmp_path, "full")
    assert "removed" in got.fallback


def test_source_language_change_falls_back(work: tuple[Path, Path], tmp_path: Path) -> None:
    """Quotes in other files take their source's language."""
    records, out = work
    _edit(records, _first_id(records, "g-src-"), "  language: en\n", "  language: fr\n")
    got = _same_as_full(records, out, tmp_path, "full")
    assert got.fallback == "a source changed language"


def test_unsafe_retype_falls_back(work: tuple[Path, Path], tmp_path: Path) -> None:
    """A state may be some person's nationality: as a ministry it could not be."""
    records, out = work
    path = records / "part-3.yaml"
    text = path.read_text(encoding="utf-8")
    src = _first_id(records, "g-src-")
    state = (
        '- id: g-state-new\n  type: state\n  label: {en: "Newland"}\n'
        f'  sources:\n    - source: {src}\n      quote: "Newland."\n'
    )
    path.write_text(text + "\n" + state, encoding="utf-8")
    _same_as_full(records, out, tmp_path, "incremental")
    _edit(records, "g-state-new", "  type: state\n", "  type: ministry\n")
    got = _same_as_full(records, out, tmp_path, "full")
    assert got.fallback == "a record changed type where others may refer to it"


@pytest.mark.parametrize("where", ["same file", "other file"])
def test_duplicate_id_fails_as_full(work: tuple[Path, Path], tmp_path: Path, where: str) -> None:
    records, out = work
    rid = _first_id(records, "g-place-")
    path, _text, rec = _record(records, rid)
    others = [p for p in sorted(records.glob("*.yaml")) if p != path]
    target = path if where == "same file" else others[0]
    target.write_text(target.read_text(encoding="utf-8") + "\n" + rec, encoding="utf-8")
    assert "duplicate id" in _fails_as_full(records, out, tmp_path, BadRecords)


def test_removing_a_file_falls_back(work: tuple[Path, Path], tmp_path: Path) -> None:
    records, out = work
    (records / "part-9.yaml").write_text("# nothing yet\n", encoding="utf-8")
    assert build(records, out, reason=True).mode == "incremental"
    (records / "part-9.yaml").unlink()
    got = _same_as_full(records, out, tmp_path, "full")
    assert "removed" in got.fallback


def test_ontology_change_falls_back(
    work: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from patching import patch_everywhere

    import kg.resources

    records, out = work
    extra = tmp_path / "extra.ttl"
    extra.write_text(
        "<https://w3id.org/kg-nj/ontology#Event> "
        '<http://www.w3.org/2000/01/rdf-schema#comment> "changed" .\n',
        encoding="utf-8",
    )
    original = kg.resources.ontology_files
    patch_everywhere(monkeypatch, kg.resources, "ontology_files", lambda: [*original(), extra])
    got = build(records, out, reason=True)
    assert got.mode == "full"
    assert "ontology" in got.fallback


def test_options_and_full_flag(work: tuple[Path, Path], tmp_path: Path) -> None:
    records, out = work
    assert build(records, out, reason=True, full=True).fallback == "--full"
    assert build(records, out, reason=True).mode == "incremental"
    # Another --reason flag: the state does not fit. The full build removes
    # the kg-inferred.ttl of the --reason one.
    assert (out / "kg-inferred.ttl").is_file()
    assert build(records, out).mode == "full"
    assert not (out / "kg-inferred.ttl").exists()
    runner = CliRunner()
    result = runner.invoke(cli, ["build", str(records), "-o", str(out), "--full"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Built 176 records into 4738 triples.")


def test_outputs_edited_by_hand_fall_back(work: tuple[Path, Path], tmp_path: Path) -> None:
    records, out = work
    with open(out / "kg.ttl", "ab") as fh:
        fh.write(b"\n")
    got = build(records, out, reason=True)
    assert got.mode == "full"
    assert "outputs" in got.fallback


@pytest.mark.parametrize("name", ["kg.ttl", "kg-inferred.ttl"])
def test_outputs_edited_keeping_size_and_time_fall_back(
    name: str, work: tuple[Path, Path], tmp_path: Path
) -> None:
    """An edit brought in by ``cp -p`` or ``rsync -a`` (same size, an older time)
    is seen: the state knows its outputs by digest, so the next build is a full
    one and the edit is gone, as from a fresh build."""
    from edits import edit_keeping_size_and_time

    records, out = work
    text = (out / name).read_bytes()
    i = text.index(b'"', text.index(b"\n\n"))  # the first literal after the prefixes
    edit_keeping_size_and_time(out / name, text[i : i + 2], b'"#' if text[i + 1] != 35 else b'"$')
    eid = _first_id(records, "g-event-")
    _edit(records, eid, "label: {en: ", "label: {en: Renamed ")
    got = _same_as_full(records, out, tmp_path, "full")
    assert "outputs" in got.fallback


def test_damaged_state_falls_back(work: tuple[Path, Path], tmp_path: Path) -> None:
    records, out = work
    (out / STATE_DIR / "manifest.json").write_text("{not json", encoding="utf-8")
    eid = _first_id(records, "g-event-")
    _edit(records, eid, "label: {en: ", "label: {en: Renamed ")
    got = _same_as_full(records, out, tmp_path, "full")
    assert "no state" in got.fallback


def test_missing_state_copy_falls_back(work: tuple[Path, Path], tmp_path: Path) -> None:
    records, out = work
    eid = _first_id(records, "g-event-")
    path = _edit(records, eid, "label: {en: ", "label: {en: Renamed ")
    for copy in (out / STATE_DIR / "files").iterdir():
        copy.unlink()  # the old copy of the changed file is gone
    got = _same_as_full(records, out, tmp_path, "full")
    assert "could not be used" in got.fallback or "damaged" in got.fallback
    assert path.is_file()


def test_output_folder_inside_the_records_folder(generated: Path, tmp_path: Path) -> None:
    # The state's copies of the records files must never be read as records.
    records = tmp_path / "records"
    shutil.copytree(generated, records)
    out = records / "build"
    assert build(records, out, reason=True).mode == "full"
    eid = _first_id(records, "g-event-")
    _edit(records, eid, "label: {en: ", "label: {en: Renamed ")
    again = build(records, out, reason=True)
    assert again.mode == "incremental", again.fallback
    assert b"Renamed " in (out / "kg.ttl").read_bytes()


def test_splice_turtlesubject_blocks() -> None:
    """Replacing, adding (first, middle, last) and removing subject blocks gives
    the bytes of serialising the new triples from scratch."""
    from rdflib import Literal, URIRef

    from kg.pipeline.incremental.splice import splice, subject_blocks
    from kg.rdfio.write import turtle_bytes
    from kg.terms.convert import TermConverter
    from kg.terms.namespaces import ID, KG

    conv = TermConverter()

    def triples(names: list[str], tag: str = "") -> set[tuple]:
        out = set()
        for n in names:
            s = URIRef(f"{ID}{n}")
            out.add((s, KG.label, Literal(f"{n}{tag}\nline two", lang="en")))
            out.add((s, KG.part, URIRef(f"{ID}{n}/citation/1")))
            out.add((URIRef(f"{ID}{n}/citation/1"), KG.quote, Literal("q")))
        return out

    old = triples(["b", "d", "f", "h"])
    new = (old - triples(["d"])) | triples(["a", "e", "z"]) | triples(["f"], " changed")
    new -= triples(["f"])
    new |= triples(["f"], " changed")
    changed = {t[0] for t in old ^ new}
    got = splice(turtle_bytes(old, conv), subject_blocks(new, changed, conv), conv)
    assert got == turtle_bytes(new, conv)
    from_nothing = splice(turtle_bytes(set(), conv), subject_blocks(new, changed, conv), conv)
    assert from_nothing == turtle_bytes({t for t in new if t[0] in changed}, conv)


def test_store_in_an_older_layout_is_not_opened(work: tuple[Path, Path]) -> None:
    from kg.pipeline.open import open_native
    from kg.store.native import BASE
    from kg.store.persist import STAMP, STORE_DIR, open_persisted

    _records, out = work
    native = open_persisted(out / "kg.ttl", reason=True)
    assert native is not None and native.graphs[0] is BASE
    rows = len(native)
    del native
    stamp = out / STORE_DIR / STAMP
    doc = json.loads(stamp.read_text(encoding="utf-8"))
    doc.pop("layout")  # as the stores kg wrote before the layout had a number
    stamp.write_text(json.dumps(doc), encoding="utf-8")
    assert open_persisted(out / "kg.ttl", reason=True) is None
    # A query then loads kg.ttl into memory instead, and sees the same graph.
    assert len(open_native(out / "kg.ttl", reason=True)) == rows


def test_incremental_build_without_reason_removes_an_inferred_file(
    work: tuple[Path, Path], tmp_path: Path
) -> None:
    """As the full build does: none is left that does not match kg.ttl."""
    records, out = work
    inferred = (out / "kg-inferred.ttl").read_bytes()
    assert build(records, out).mode == "full"
    (out / "kg-inferred.ttl").write_bytes(inferred)  # not from this build: copied back, say
    _edit(records, _first_id(records, "g-event-"), "label: {en: ", "label: {en: Renamed ")
    got = build(records, out)
    assert got.mode == "incremental", got.fallback
    assert got.written == [out / "kg.ttl"]
    assert not (out / "kg-inferred.ttl").exists()
    fresh = build(records, tmp_path / "fresh", full=True)
    assert (out / "kg.ttl").read_bytes() == (tmp_path / "fresh" / "kg.ttl").read_bytes()
    assert sorted(p.name for p in out.iterdir()) == sorted(
        p.name for p in (tmp_path / "fresh").iterdir()
    )
    assert fresh.written == [tmp_path / "fresh" / "kg.ttl"]
