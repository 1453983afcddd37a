"""Records as tables (CSV, TSV): the same records, the same checks and the same
graph as YAML, every problem at the file, the row's line and the column."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.errors import BadInput, BadRecords
from kg.records.load import load_records

EVENTS_CSV = (
    "id,type,label@en,label@fr,start,end,place,participant,theme,theme.sources,"
    "theme.sources.quote,start.qualifier,sources,sources.quote,sources.locator\n"
    "meeting-a,meeting,Meeting A,Réunion A,2021-03-04,,capital,alice|org-division,theme-cyber,"
    "src-test,on cyber defence,,"
    'src-test,"Alice met the division, in the capital.",p. 2\n'
    "talks-b,talks,Talks B,,2021-05,,capital,alice,,,,derived,src-test|src-test,first|second,|T2\n"
    '"visit-c",visit,"Visit C, by Alice",,2021,2022,capital,alice,theme-security|theme-cyber,'
    "src-test,security and cyber defence,,src-test,Visit C,\n"
)

# The same three events written in YAML: the table must give the same graph. A
# theme's citation column cites each of the cell's themes.
EVENTS_YAML = """\
- id: meeting-a
  type: meeting
  label: {en: Meeting A, fr: Réunion A}
  start: "2021-03-04"
  place: [capital]
  participant: [alice, org-division]
  theme: [{value: theme-cyber, sources: [{source: src-test, quote: on cyber defence}]}]
  sources: [{source: src-test, quote: "Alice met the division, in the capital.", locator: p. 2}]
- id: talks-b
  type: talks
  label: {en: Talks B}
  start: {value: "2021-05", qualifier: [derived]}
  place: [capital]
  participant: [alice]
  sources: [{source: src-test, quote: first}, {source: src-test, quote: second, locator: T2}]
- id: visit-c
  type: visit
  label: {en: "Visit C, by Alice"}
  start: "2021"
  end: "2022"
  place: [capital]
  participant: [alice]
  theme:
    - {value: theme-security, sources: [{source: src-test, quote: security and cyber defence}]}
    - {value: theme-cyber, sources: [{source: src-test, quote: security and cyber defence}]}
  sources: [{source: src-test, quote: Visit C}]
"""


def _problems(paths) -> list[str]:
    with pytest.raises(BadRecords) as info:
        load_records(paths)
    return [str(p) for p in info.value.problems]


def test_a_csv_of_three_events_builds_the_graph_its_yaml_gives(invoke, mini, tmp_path):
    (mini / "new-events.csv").write_text(EVENTS_CSV, encoding="utf-8")
    yaml_records = tmp_path / "yaml-records"
    yaml_records.mkdir()
    for f in mini.glob("*.yaml"):
        (yaml_records / f.name).write_bytes(f.read_bytes())
    (yaml_records / "new-events.yaml").write_text(EVENTS_YAML, encoding="utf-8")

    from_table = invoke("build", str(mini), "-o", str(tmp_path / "t"))
    from_yaml = invoke("build", str(yaml_records), "-o", str(tmp_path / "y"))

    assert from_table.exit_code == 0, from_table.output
    assert from_yaml.exit_code == 0, from_yaml.output
    table_ttl = (tmp_path / "t" / "kg.ttl").read_bytes()
    assert table_ttl == (tmp_path / "y" / "kg.ttl").read_bytes()
    assert b"id:talks-b" in table_ttl and b"id:visit-c" in table_ttl
    ids = {r.id: r for r in load_records(mini)}
    assert (ids["talks-b"].file, ids["talks-b"].line) == (f"{mini}/new-events.csv", 3)


def test_a_bad_date_in_the_second_row_names_file_line_3_and_column(invoke, mini):
    table = mini / "new-events.csv"
    table.write_text(EVENTS_CSV.replace("2021-05,", "2021-02-30,"), encoding="utf-8")

    result = invoke("build", str(mini), "-o", str(mini.parent / "out"))

    assert result.exit_code == 2
    assert result.output == (
        "Error: 1 problem(s) in the records:\n"
        f"  {table}:3, record 'talks-b', field 'start': '2021-02-30' is not a real date "
        'written "YYYY-MM-DD", "YYYY-MM" or "YYYY"\n'
    )


def test_a_tsv_is_a_table_too_and_a_cell_may_span_lines(mini):
    (mini / "more.tsv").write_text(
        "id\ttype\tlabel@en\tdescription@en\tstart\tsources\n"
        'ev-x\tevent\tX\t"two\nlines"\t2020\tsrc-test\n'
        "ev-y\tevent\tY\t\t2020-13\tsrc-test\n",
        encoding="utf-8",
    )
    # ev-y's row is line 4 of the file: the cell above spans lines 2 and 3.
    assert _problems(mini) == [
        f"{mini}/more.tsv:4, record 'ev-y', field 'start': '2020-13' is not a real date "
        'written "YYYY-MM-DD", "YYYY-MM" or "YYYY"'
    ]
    (mini / "more.tsv").write_text(
        (mini / "more.tsv").read_text().replace("2020-13", "2020-12"), encoding="utf-8"
    )
    recs = load_records(mini)
    assert recs["ev-x"].fields["description"][0].value == ("two\nlines", "en")


@pytest.mark.parametrize(
    ("header", "row", "message"),
    [
        (
            "id,label@en",
            "x,X",
            "t.csv:1: a records table needs the columns 'id' and 'type' (missing: type); "
            "line 1 names the columns, each later line is a record",
        ),
        (
            "id,type,partcipant",
            "x,event,alice",
            "t.csv:1: column 'partcipant' names no field of any record type "
            "(did you mean 'participant'?)",
        ),
        (
            "id,type,corrections",
            "x,event,y",
            "t.csv:1: corrections cannot be written in a table; "
            "write the record that has them in YAML",
        ),
        ("id,type,type", "x,event,event", "t.csv:1: column 'type' is named twice"),
        (
            "id,type,start.sorces",
            "x,event,2020",
            "t.csv:1: column 'start.sorces': after a field, a table takes .qualifier, "
            ".note@LANG, .sources and .sources.quote (.locator, .lang, .via)",
        ),
    ],
)
def test_a_header_kg_cannot_read_is_refused_at_line_1(mini, header, row, message):
    (mini / "t.csv").write_text(f"{header}\n{row}\n", encoding="utf-8")
    assert _problems(mini) == [f"{mini}/{message}"]


@pytest.mark.parametrize(
    ("header", "row", "message"),
    [
        (
            "id,type,label",
            "x,event,X",
            "record 'x', field 'label': column 'label' holds text: "
            "name it label@en (its language after @)",
        ),
        (
            "id,type,start@en",
            "x,event,2020",
            "record 'x', field 'start@en': column 'start@en': 'start' is not text "
            "and takes no @LANG",
        ),
        (
            "id,type,place.qualifier",
            "x,event,inferred",
            "record 'x', field 'place.qualifier': column 'place.qualifier': a table cannot "
            "qualify or annotate one value of 'place', which takes many; "
            "write this record in YAML",
        ),
        (
            "id,type,start.qualifier",
            "x,event,derived",
            "record 'x', field 'start': column 'start' is empty: its qualifier, note or "
            "sources qualify no value",
        ),
        (
            "id,type,sources,sources.quote",
            "x,event,src-test|src-test,one quote",
            "record 'x', field 'sources.quote': column 'sources.quote' has 1 part(s) "
            "separated by '|', for 2 citation(s): one part per source, empty where none",
        ),
        ("id,type,label@en", "x,event,X,extra", "the row has 4 cells, the header 3"),
        (
            "id,type",
            "x,evnt",
            "record 'x', field 'type': unknown type 'evnt' (did you mean 'event'?); known types:",
        ),
    ],
)
def test_a_row_kg_cannot_read_is_refused_at_its_line_and_column(mini, header, row, message):
    (mini / "t.csv").write_text(f"{header}\n{row}\n", encoding="utf-8")
    problems = [p for p in _problems(mini) if "t.csv" in p]
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{mini}/t.csv:2")
    assert message in problems[0]


def test_a_field_of_another_type_is_refused_for_the_row_with_the_allowed_ones(mini):
    (mini / "t.csv").write_text("id,type,definition@en\nx,person,A person\n", encoding="utf-8")
    assert _problems(mini) == [
        f"{mini}/t.csv:2, record 'x', field 'definition': unknown field for type 'person'; "
        "allowed: altLabel, corrections, description, familyName, givenName, label, "
        "nationality, note, qualifier, sameAs, sources"
    ]


def test_malformed_csv_is_bad_input_at_its_line(mini):
    (mini / "t.csv").write_text('id,type\nx,"event\n', encoding="utf-8")
    with pytest.raises(BadRecords) as info:
        load_records(mini)
    (problem,) = info.value.problems
    assert isinstance(problem, BadInput)
    assert str(problem) == f"{mini}/t.csv:2: malformed table: unexpected end of data"


def test_a_reference_to_a_near_miss_id_suggests_the_id(mini):
    (mini / "t.csv").write_text(
        "id,type,label@en,start,participant,sources\nx,event,X,2020,alise,src-test\n",
        encoding="utf-8",
    )
    assert _problems(mini) == [
        f"{mini}/t.csv:2, record 'x', field 'participant': refers to 'alise', "
        "which is not the id of any record (did you mean 'alice'?)"
    ]


def test_fumio_kishda_suggests_fumio_kishida(tmp_path: Path):
    from kg.resources import records_dir

    new = tmp_path / "new.yaml"
    new.write_text(
        "- id: new-talks\n  type: talks\n  label: {en: T}\n  start: '2024'\n"
        "  participant: [fumio-kishda]\n  sources: [{source: src-s09, quote: q}]\n",
        encoding="utf-8",
    )
    assert _problems([records_dir(), new]) == [
        f"{new}:5, record 'new-talks', field 'participant': refers to 'fumio-kishda', "
        "which is not the id of any record (did you mean 'fumio-kishida'?)"
    ]


def test_a_header_separated_by_semicolons_is_told_so(mini):
    (mini / "t.csv").write_text("id;type;label@en\nx;event;X\n", encoding="utf-8")
    assert _problems(mini) == [
        f"{mini}/t.csv:1: a records table needs the columns 'id' and 'type' (missing: id, type); "
        "line 1 names the columns, each later line is a record "
        "(its cells are separated by ';', not ',')"
    ]


def test_only_the_first_unknown_ids_get_a_hint(mini):
    from kg.records.load import MAX_HINTS

    rows = "".join(f"x{i},event,X,2020,alice{i},src-test\n" for i in range(MAX_HINTS + 1))
    (mini / "t.csv").write_text("id,type,label@en,start,participant,sources\n" + rows)
    problems = _problems(mini)
    assert len(problems) == MAX_HINTS + 1
    assert sum("did you mean 'alice'?" in p for p in problems) == MAX_HINTS


def test_an_incremental_build_reads_a_changed_table_as_a_full_build_does(invoke, mini, tmp_path):
    table = mini / "new-events.csv"
    table.write_text(EVENTS_CSV, encoding="utf-8")
    assert invoke("build", str(mini), "-o", str(tmp_path / "inc")).exit_code == 0
    table.write_text(EVENTS_CSV.replace("Talks B", "Talks B renamed"), encoding="utf-8")

    inc = invoke("build", str(mini), "-o", str(tmp_path / "inc"))
    full = invoke("build", str(mini), "-o", str(tmp_path / "full"), "--full")

    assert inc.exit_code == 0 and full.exit_code == 0, inc.output + full.output
    assert (tmp_path / "inc" / "kg.ttl").read_bytes() == (tmp_path / "full" / "kg.ttl").read_bytes()
    assert b"Talks B renamed" in (tmp_path / "inc" / "kg.ttl").read_bytes()
    table.write_text(EVENTS_CSV.replace("2021-05,", "2021-02-30,"), encoding="utf-8")
    bad = invoke("build", str(mini), "-o", str(tmp_path / "inc"))
    assert bad.exit_code == 2
    assert f"{table}:3, record 'talks-b', field 'start': '2021-02-30'" in bad.output


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (
            "  labl: {en: Bob}\n",
            "field 'labl': unknown field for type 'person' (did you mean 'label'?); allowed: ",
        ),
        (
            "  sources: [{source: src-test, qoute: q}]\n",
            "field 'sources': unknown key(s) ['qoute'] in a citation (did you mean 'quote'?); ",
        ),
        (
            "  corrections: [{field: labl, printed: a, corrected: b}]\n",
            "field 'corrections': correction names unknown field 'labl' (did you mean 'label'?)",
        ),
    ],
)
def test_a_near_miss_key_in_yaml_suggests_the_closest(mini, record, message):
    (mini / "t.yaml").write_text(
        "- id: bob\n  type: person\n  label: {en: Bob}\n" + record, encoding="utf-8"
    )
    (problem,) = _problems(mini)
    assert message in problem
