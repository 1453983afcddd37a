"""kg diff: two builds, RDF files, records or git revisions compared as facts."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from rdflib import Dataset, URIRef

from kg.cli.app import cli
from kg.resources import records_dir
from kg.terms.namespaces import GRAPH
from kg.views.diff.sides import open_side

HERE = Path(__file__).parent
MINI = HERE / "fixtures" / "mini"

ROLE_FILE = Path("founding/roles.yaml")
ROLE_TITLE = (
    "title: {fr: secrétaire général de l'OTAN, en: Secretary General of NATO, ja: NATO事務総長}",
    "title: {fr: secrétaire général de l'OTAN, en: NATO Secretary-General, ja: NATO事務総長}",
)
EVENT_FILE = Path("founding/events.yaml")
EVENT_START = (
    '  start: "2013-06-25"\n  end: "2013-06-29"',
    '  start: "2013-06-24"\n  end: "2013-06-29"',
)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, (path, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def _run(runner, *args: str):
    return runner.invoke(cli, list(args), obj={})


@pytest.fixture(scope="module")
def sides(tmp_path_factory) -> Path:
    """A folder with `build` (the bundled records built) and `edited` (a copy of
    the records with a role's English title and an event's start date edited)."""
    from click.testing import CliRunner

    work = tmp_path_factory.mktemp("diff")
    built = CliRunner().invoke(cli, ["build", "-o", str(work / "build")], obj={})
    assert built.exit_code == 0, built.output
    shutil.copytree(records_dir(), work / "edited")
    _edit(work / "edited" / ROLE_FILE, *ROLE_TITLE)
    _edit(work / "edited" / EVENT_FILE, *EVENT_START)
    return work


ROLE_HEAD = (
    "Role: Anders Fogh Rasmussen as Secretary General of NATO  "
    "(id:role-anders-fogh-rasmussen-nato-secretary-general)"
)
EVENT_HEAD = (
    "Event: Visit of the NATO Emerging Security Challenges Division delegation to Tokyo "
    "(June 2013)  (id:esc-visit-tokyo-2013)"
)
EXPECTED_BUNDLED = f"""\
{ROLE_HEAD}
  changed    Title as printed @en: Secretary General of NATO
  to         Title as printed @en: NATO Secretary-General
             sources: src-fact-sheet, src-nato-2013-esc-tokyo, src-s03, src-s05, src-s06

{EVENT_HEAD}
  changed    Visit of the NATO Emerging Security Challenges Division delegation to Tokyo (June 2013)
             began on 2013-06-25
  to         Visit of the NATO Emerging Security Challenges Division delegation to Tokyo (June 2013)
             began on 2013-06-24
             sources: src-fact-sheet, src-nato-2013-esc-tokyo, src-s01

build and edited differ: 2 entities, 2 facts (2 triple(s) removed, 2 added).
"""


def test_an_edited_title_and_date_are_named_with_their_entities_and_sources(
    runner, sides, monkeypatch
):
    monkeypatch.chdir(sides)
    result = _run(runner, "diff", "build", "edited")
    assert (result.output, result.exit_code) == (EXPECTED_BUNDLED, 1)


def test_a_build_against_itself_is_the_same(runner, sides, monkeypatch, bundled):
    monkeypatch.chdir(sides)
    result = _run(runner, "diff", "build", "build")
    count = len(bundled.triples)
    assert (result.output, result.exit_code) == (
        f"No differences: build and build have the same {count} triples.\n",
        0,
    )
    # The build's kg.ttl, any RDF file of it, and the records it was built from are the same.
    (sides / "kg.nt").write_bytes(
        _run(runner, "export", "--graph", "build/kg.ttl", "--format", "nt").stdout_bytes
    )
    for other in ("build/kg.ttl", "kg.nt", str(records_dir())):
        result = _run(runner, "diff", other, "build")
        assert result.exit_code == 0, result.output
        assert result.output.startswith(f"No differences: {other} and build"), result.output


def test_json_output(runner, sides, monkeypatch):
    monkeypatch.chdir(sides)
    result = _run(runner, "diff", "build", "edited", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["old"]["name"] == "build" and data["old"]["kind"] == "build"
    assert data["new"]["name"] == "edited" and data["new"]["kind"] == "records"
    assert data["old"]["triples"] == data["new"]["triples"]
    assert (data["same"], data["triples"]) == (False, {"removed": 2, "added": 2})
    assert [e["id"] for e in data["entities"]] == [
        "role-anders-fogh-rasmussen-nato-secretary-general",
        "esc-visit-tokyo-2013",
    ]
    role = data["entities"][0]
    sources = ["src-fact-sheet", "src-nato-2013-esc-tokyo", "src-s03", "src-s05", "src-s06"]
    assert role == {
        "iri": "https://w3id.org/kg-nj/id/role-anders-fogh-rasmussen-nato-secretary-general",
        "id": "role-anders-fogh-rasmussen-nato-secretary-general",
        "label": "Anders Fogh Rasmussen as Secretary General of NATO",
        "kind": "Role",
        "status": "changed",
        "facts": [
            {
                "change": "changed",
                "prop": "kg:title",
                "old": [
                    {
                        "text": "Title as printed @en: Secretary General of NATO",
                        "term": '"Secretary General of NATO"@en',
                        "sources": sources,
                        "qualifiers": [],
                    }
                ],
                "new": [
                    {
                        "text": "Title as printed @en: NATO Secretary-General",
                        "term": '"NATO Secretary-General"@en',
                        "sources": sources,
                        "qualifiers": [],
                    }
                ],
                "notes": [],
            }
        ],
    }
    event_fact = data["entities"][1]["facts"][0]
    assert (event_fact["change"], event_fact["prop"]) == ("changed", "kg:startDate")
    assert [s["term"] for s in event_fact["old"] + event_fact["new"]] == [
        '"2013-06-25"^^<http://www.w3.org/2001/XMLSchema#date>',
        '"2013-06-24"^^<http://www.w3.org/2001/XMLSchema#date>',
    ]


def test_the_changeset_is_trig_with_two_named_graphs(runner, sides, monkeypatch):
    monkeypatch.chdir(sides)
    result = _run(runner, "diff", "build", "edited", "-o", "changes.trig")
    assert (result.output, result.exit_code) == ("", 1)
    ds = Dataset()
    ds.parse(sides / "changes.trig", format="trig")
    removed, added = ds.graph(GRAPH["diff/removed"]), ds.graph(GRAPH["diff/added"])
    counts = json.loads(_run(runner, "diff", "build", "edited", "--format", "json").output)
    assert (len(removed), len(added)) == (2, 2) == tuple(counts["triples"].values())
    role = URIRef("https://w3id.org/kg-nj/id/role-anders-fogh-rasmussen-nato-secretary-general")
    assert {str(o) for o in removed.objects(role, None)} == {"Secretary General of NATO"}
    assert {str(o) for o in added.objects(role, None)} == {"NATO Secretary-General"}
    names = {str(c.identifier) for c in ds.contexts() if len(c)}
    assert names == {str(GRAPH["diff/removed"]), str(GRAPH["diff/added"])}
    nquads = _run(runner, "diff", "build", "edited", "--format", "nquads").output
    assert len(nquads.splitlines()) == 4 and nquads.count("/graph/diff/added>") == 2


def test_a_changeset_is_not_written_in_a_format_without_named_graphs(runner, sides, monkeypatch):
    monkeypatch.chdir(sides)
    result = _run(runner, "diff", "build", "edited", "-o", "changes.ttl")
    assert result.exit_code == 2
    assert result.output == (
        "Error: a changeset has two named graphs, which Turtle cannot hold; "
        "write it as .nq, .trig, .jsonld or use --format\n"
    )
    assert not (sides / "changes.ttl").exists()


# --- qualifiers, added and removed facts (the small records set) ------------------------------


@pytest.fixture
def mini_pair(tmp_path: Path) -> Path:
    shutil.copytree(MINI, tmp_path / "a")
    shutil.copytree(MINI, tmp_path / "b")
    _edit(tmp_path / "b" / "events.yaml", "qualifier: [approximate]", "qualifier: [disputed]")
    _edit(
        tmp_path / "b" / "events.yaml", "participant: [alice, org-division]", "participant: [alice]"
    )
    _edit(tmp_path / "b" / "events.yaml", "signatory: [alice]", "signatory: [alice, ruritania]")
    return tmp_path


def test_qualifiers_and_added_and_removed_facts(runner, mini_pair, monkeypatch):
    monkeypatch.chdir(mini_pair)
    result = _run(runner, "diff", "a", "b")
    assert (result.output, result.exit_code) == (
        """\
Event: Information day  (id:day-2020)
  support    Information day was attended by 40 people (disputed)
             now disputed; no longer approximate
             sources: src-test

Document: Test Declaration  (id:declaration-2019)
  added      Ruritania signed Test Declaration
             sources: src-test

Event: Visit to Capital City  (id:visit-2020)
  removed    Test Division took part in Visit to Capital City
             sources: src-test

a and b differ: 3 entities, 3 facts (2 triple(s) removed, 2 added).
""",
        1,
    )


def test_an_added_source_is_an_added_entity_and_new_support(runner, tmp_path, monkeypatch):
    shutil.copytree(MINI, tmp_path / "a")
    shutil.copytree(MINI, tmp_path / "b")
    with (tmp_path / "b" / "sources.yaml").open("a", encoding="utf-8") as fh:
        fh.write(
            "- id: src-press\n  type: source\n  title: {en: Press report}\n"
            "  publisher: org-alliance\n  published: '2020-01-05'\n  language: en\n"
            "  reliability: secondary\n"
        )
    _edit(
        tmp_path / "b" / "events.yaml",
        "  sources: [{source: src-test, quote: The visit took place from 1 to 3 January.}]",
        "  sources:\n    - {source: src-test, quote: The visit took place from 1 to 3 January.}"
        "\n    - {source: src-press, quote: The visit ended on 3 January.}",
    )
    monkeypatch.chdir(tmp_path)
    result = _run(runner, "diff", "a", "b")
    assert (result.output, result.exit_code) == (
        """\
Source: Press report  (id:src-press) [added]
  added      type: Source document
  added      label @en: Press report
  added      Title @en: Press report
  added      Press report was published by Test Alliance
  added      Press report was published on 2020-01-05
  added      Language: en
  added      Press report is a secondary source

Event: Visit to Capital City  (id:visit-2020)
  support    the record as a whole
             now also from src-press
             sources before: src-test; after: src-press, src-test

a and b differ: 2 entities, 8 facts (0 triple(s) removed, 12 added).
""",
        1,
    )
    back = _run(runner, "diff", "b", "a")
    assert back.exit_code == 1
    assert "Source: Press report  (id:src-press) [removed]" in back.output
    assert "no longer from src-press" in back.output


# --- git revisions ----------------------------------------------------------------------------


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        check=True,
        capture_output=True,
    )


def test_git_revisions_of_the_records(runner, tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    shutil.copytree(MINI, repo / "data" / "records")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "first")
    actors = repo / "data" / "records" / "actors.yaml"
    _edit(actors, "en: Chair of the Test Alliance", "en: Chair of the Alliance")
    _git(repo, "commit", "-qam", "second")
    _edit(actors, "en: Chair of the Alliance", "en: Uncommitted Chair")  # the work tree's own
    monkeypatch.chdir(tmp_path)
    result = _run(runner, "diff", "HEAD~1", "HEAD", "--records", "repo/data/records")
    assert (result.output, result.exit_code) == (
        """\
Role: Alice Example as Chair  (id:role-alice-chair)
  changed    Title as printed @en: Chair of the Test Alliance
  to         Title as printed @en: Chair of the Alliance
             sources: src-test

HEAD~1 and HEAD differ: 1 entity, 1 fact (1 triple(s) removed, 1 added).
""",
        1,
    )
    result = _run(runner, "diff", "HEAD", "repo/data/records", "--records", "repo/data/records")
    assert result.exit_code == 1 and "Uncommitted Chair" in result.output
    assert _run(runner, "diff", "HEAD", "HEAD", "--records", "repo/data/records").exit_code == 0
    # The work tree and the index are as they were: only the uncommitted edit differs.
    status = subprocess.run(
        ["git", "-C", str(repo), "status", "--porcelain"], capture_output=True, text=True
    )
    assert status.stdout == " M data/records/actors.yaml\n"
    assert "Uncommitted Chair" in actors.read_text(encoding="utf-8")


def test_bad_records_at_a_revision_are_named_as_git_names_them(runner, tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    shutil.copytree(MINI, repo / "records")
    _edit(repo / "records" / "events.yaml", 'start: "2020-01-01"', 'start: "2020-02-30"')
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "first")
    monkeypatch.chdir(tmp_path)
    result = _run(runner, "diff", "HEAD", "repo/records", "--records", "repo/records")
    assert (result.exit_code, result.output) == (
        2,
        "Error: 1 problem(s) in the records:\n"
        "  HEAD:records/events.yaml:15, record 'visit-2020', field 'start': '2020-02-30' is not "
        'a real date written "YYYY-MM-DD", "YYYY-MM" or "YYYY"\n',
    )


def test_an_unknown_revision_is_bad_input(runner, tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    shutil.copytree(MINI, repo / "records")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "first")
    monkeypatch.chdir(tmp_path)
    result = _run(runner, "diff", "no-such-rev", "HEAD", "--records", "repo/records")
    assert result.exit_code == 2
    assert result.output == (
        f"Error: 'no-such-rev' is no file or folder, nor a git revision of {repo.resolve()} "
        "(kg diff takes builds, RDF files, records or revisions)\n"
    )
    outside = tmp_path / "plain"
    shutil.copytree(MINI, outside)
    result = _run(runner, "diff", "HEAD~1", "HEAD", "--records", "plain")
    assert (result.exit_code, result.output) == (
        2,
        "Error: 'HEAD~1' is no file or folder, and plain is not in a git repository\n",
    )


# --- bad input --------------------------------------------------------------------------------


def test_bad_input_exits_2_with_a_clear_message(runner, tmp_path, monkeypatch, mini):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.ttl").write_text("garbage <<\n", encoding="utf-8")
    result = _run(runner, "diff", "bad.ttl", str(mini))
    assert (result.exit_code, result.output) == (
        2,
        "Error: bad.ttl: not valid turtle: line 1, column 1: garbage is not a valid subject "
        "or graph name\n",
    )
    (tmp_path / "graph.xyz").write_text("", encoding="utf-8")
    result = _run(runner, "diff", "graph.xyz", str(mini))
    assert result.exit_code == 2 and "cannot tell the RDF format of 'graph.xyz'" in result.output
    _edit(mini / "events.yaml", 'start: "2020-01-01"', 'start: "2020-02-30"')
    result = _run(runner, "diff", str(mini), str(mini))
    assert result.exit_code == 2 and "'2020-02-30' is not a real date" in result.output


def test_a_missing_path_is_bad_input(runner, tmp_path, monkeypatch, mini):
    monkeypatch.chdir(tmp_path)  # not in a git repository
    result = _run(runner, "diff", "missing/kg.ttl", str(mini), "--records", str(mini))
    assert (result.exit_code, result.output) == (
        2,
        f"Error: 'missing/kg.ttl' is no file or folder, and {mini} is not in a git repository\n",
    )


def test_blank_nodes_are_refused(tmp_path):
    (tmp_path / "b.nt").write_text(
        "_:x <http://example.org/p> <http://example.org/o> .\n", encoding="utf-8"
    )
    from kg.errors import BadInput

    with pytest.raises(BadInput, match="1 triple"):
        open_side(str(tmp_path / "b.nt"))
