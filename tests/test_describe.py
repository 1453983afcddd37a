"""kg describe: look-ups by IRI, id or name; the facts in plain language, with sources."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import RDF, URIRef

from kg.builder.graph import records_to_graph
from kg.errors import BadInput
from kg.records.display import load_display
from kg.records.load import load_records
from kg.records.schema import load_schema
from kg.resources import record_display_file
from kg.terms.namespaces import ID
from kg.views.describe import describe
from kg.views.graphview import Ambiguous, GraphView, NotFound, resolve
from kg.views.text import render_text

MINI = Path(__file__).parent / "fixtures" / "mini"

ALICE = """\
Alice Example  (Person)
id:alice  <https://w3id.org/kg-nj/id/alice>
  label @en: Alice Example
  label @fr: Alice Exemple
  sources of the record: [1]

Roles held
  - Alice Example held the post of Chair in Test Alliance (attested on 2020-01-01)  [2]
      (record: role-alice-chair)

Statements made
  - Alice Example said: “We will cooperate.” at Information day  [3]
      (record: quote-alice)

Signed
  - Alice Example signed Test Declaration on 2019-05-05  [4]

Took part in
  - Alice Example took part in Visit to Capital City from 2020-01-01 to 2020-01-03  [5]

Sources
  [1] src-test (primary source)
      “Alice Example opened the meeting.” @en
      https://example.org/release
  [2] src-test (primary source)
      “the Chair of the Alliance” @en
  [3] src-test (primary source)
      “"We will cooperate," said Alice Example.” @en
  [4] src-test (primary source)
      “the declaration signed on 5 May” @en
  [5] src-test (primary source)
      “The visit took place from 1 to 3 January.” @en
"""


@pytest.fixture(scope="module")
def mini_graph():

    return records_to_graph(load_records(MINI)).graph


def test_describe_person_exact_output(invoke):

    result = invoke("describe", "alice", "--records", str(MINI))
    assert result.exit_code == 0
    assert result.output == ALICE


@pytest.mark.parametrize(
    "thing",
    [
        "alice",
        "id:alice",
        "https://w3id.org/kg-nj/id/alice",
        "Alice Example",
        "alice example",
        "  ALICE EXAMPLE ",
        "Alice Exemple",  # the French label
    ],
)
def test_resolve_iri_prefixed_id_and_labels_in_any_language(mini_graph, thing):
    assert resolve(mini_graph, thing) == ID["alice"]


def test_resolve_by_acronym_and_title(bundled):
    assert resolve(bundled.graph, "NATO") == ID["nato"]  # its label (and acronym)
    assert resolve(bundled.graph, "安倍晋三") == ID["shinzo-abe"]  # the Japanese label


def test_unknown_thing_exits_2_with_a_clear_message(invoke):

    result = invoke("describe", "Bob Nobody", "--records", str(MINI))
    assert result.exit_code == 2
    assert result.output.startswith("Error: nothing in the graph is called 'Bob Nobody'")


def test_unknown_iri_exits_2(invoke):

    result = invoke("describe", "id:bob", "--records", str(MINI))
    assert result.exit_code == 2
    assert result.output == "Error: nothing in the graph has the IRI id:bob\n"


def test_partial_name_lists_candidates_and_exits_2(invoke):

    result = invoke("describe", "Alice", "--records", str(MINI))
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        "Error: nothing is called exactly 'Alice'; did you mean one of these?",
        "  alice  Alice Example (Person)",
        "  quote-alice  Alice on cooperation (Statement)",
        "  role-alice-chair  Alice Example as Chair (Role)",
    ]


def test_ambiguous_label_lists_candidates_and_exits_2(invoke, mini):
    extra = mini / "twin.yaml"
    extra.write_text(
        "- id: alice-twin\n"
        "  type: person\n"
        "  label: {en: Alice Example}\n"
        "  sources: [{source: src-test, quote: Another Alice Example.}]\n",
        encoding="utf-8",
    )
    result = invoke("describe", "alice example", "--records", str(mini))
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        "Error: 'alice example' matches 2 things; give one of these ids:",
        "  alice       Alice Example (Person)",
        "  alice-twin  Alice Example (Person)",
    ]
    with pytest.raises(Ambiguous) as info:
        resolve(records_to_graph(load_records(mini)).graph, "Alice Example")
    assert [c[0] for c in info.value.candidates] == ["alice", "alice-twin"]


def test_not_found_is_a_usage_error():
    from kg.errors import UsageError

    assert issubclass(NotFound, UsageError) and NotFound.exit_code == 2


def test_qualified_fact_shows_its_qualifier_note_and_own_source(invoke):

    result = invoke("describe", "day-2020", "--records", str(MINI))
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert "  - Information day was attended by 40 people (approximate)  [2]" in lines
    assert '      note @en: The release says "some 40".' in lines
    assert lines[lines.index("  [2] src-test (primary source)") + 1] == (
        "      “some 40 people attended” @en"
    )


def test_source_lists_what_it_supports(invoke):

    result = invoke("describe", "src-test", "--records", str(MINI))
    assert result.exit_code == 0
    assert "What this source supports (18 citations)" in result.output
    # Each theme tag cites its own words (kgsh:CitedThemeShape).
    assert "  - Visit to Capital City — theme\n      “a visit on cyber defence”" in result.output
    assert "  - Information day — attendance\n      “some 40 people attended”" in result.output


def _section(text: str, title: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index(title) + 1
    end = next((i for i in range(start, len(lines)) if not lines[i]), len(lines))
    return lines[start:end]


def test_person_lists_roles_events_and_statements_each_with_a_source(invoke):
    """The issue's acceptance test, on the bundled records."""
    result = invoke("describe", "Shinzo Abe")
    assert result.exit_code == 0
    out = result.output
    assert out.startswith(
        "Shinzo Abe  (Person)\nid:shinzo-abe  <https://w3id.org/kg-nj/id/shinzo-abe>\n"
    )
    sources = dict(
        (int(m.group(1)), m.group(2))
        for m in re.finditer(r"^  \[(\d+)\] (\S+)", out.split("\nSources\n")[1], re.M)
    )
    for title in ("Roles held", "Took part in", "Statements made", "Signed"):
        items = [ln for ln in _section(out, title) if ln.startswith("  - ")]
        assert items, f"no {title!r} section"
        text = "\n".join(_section(out, title))
        # every fact carries at least one citation, and each citation is listed under Sources
        for item in re.split(r"\n  - ", "\n" + text)[1:]:
            numbers = [int(n) for n in re.findall(r"\[(\d+)\]", item)]
            assert numbers, f"a fact under {title!r} has no source: {item!r}"
            assert all(sources[n].startswith("src-") for n in numbers)
    roles = "\n".join(_section(out, "Roles held"))
    assert "Shinzo Abe held the post of Prime Minister of Japan" in roles
    signed = "\n".join(_section(out, "Signed"))
    assert "Shinzo Abe signed NATO–Japan Joint Political Declaration (2013) on 2013-04-15" in signed
    # The year is worked out from the release's wording, not from S03/S05/S06, which
    # state it: the qualifier names the citations of the one source that derives it.
    assert re.search(r"\(date derived per\s+(\[\d+\])+,\s+date disputed\)", signed), signed
    took_part = "\n".join(_section(out, "Took part in"))
    assert "Signing of the NATO–Japan Joint Political Declaration" in took_part
    # the misprint in the founding release is shown as a correction
    assert "- label: the source prints “Shinzo Abeon”; corrected to “Shinzo Abe”" in out


def test_description_object_for_library_use(bundled):
    view = GraphView(bundled.graph)
    d = describe(view, ID["shinzo-abe"])
    assert d.kind == "person" and d.id == "shinzo-abe"
    assert d.labels["ja"] == ["安倍晋三"]
    assert d.section("Roles held") is not None
    assert render_text(d).startswith("Shinzo Abe  (Person)\n")


# --- kinds and phrasing are data (ontology/record-display.yaml) ----------------------------


def _display_copy(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    """A copy of the bundled record-display file with each (old, new) edit made once."""
    text = record_display_file().read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "record-display.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_link_a_record_writes_has_its_wording():
    """A link between records without a phrase reads "Is listed by of" from the other side."""
    phrases = load_display().phrases
    links = {
        f.property
        for t in load_schema().types.values()
        for f in t.fields.values()
        if "ref" in f.kinds
    }
    assert sorted(p for p in links if p not in phrases) == []


def test_describe_reads_kinds_and_phrases_from_the_display_data(tmp_path, mini_graph):
    path = _display_copy(
        tmp_path,
        ('kg:signatory: {sentence: "{o} signed {s}{when}"', 'kg:signatory: {sentence: "{o} put '
         'their name to {s}{when}"'),
        ("{type: person, singular: Person,", "{type: person, singular: Human being,"),
        ("  organisation: {type: organization,", '  state: {type: state, singular: Country, '
         'plural: Countries, colour: "#ABCDEF"}\n  organisation: {type: organization,'),
        ("order: [person,", "order: [person, state,"),
    )  # fmt: skip
    display = load_display(path)
    text = render_text(describe(GraphView(mini_graph, display=display), ID["alice"]))
    assert "  - Alice Example put their name to Test Declaration on 2019-05-05  [4]\n" in text
    assert "Alice Example signed" not in text
    with pytest.raises(NotFound) as info:
        resolve(mini_graph, "Alice Ex", display=display)
    assert "  alice  Alice Example (Human being)" in str(info.value)
    ruritania = describe(GraphView(mini_graph, display=display), ID["ruritania"])
    assert (ruritania.kind, ruritania.kind_title) == ("state", "Country")
    # the bundled data, for contrast
    assert describe(GraphView(mini_graph), ID["ruritania"]).kind == "organisation"
    with pytest.raises(NotFound) as info:
        resolve(mini_graph, "Alice Ex")
    assert "  alice  Alice Example (Person)" in str(info.value)


# (text replaced, by what, the line the error names (its start), the message)
BAD_DISPLAY = [
    ('colour: "#2563EB"', 'colour: "#2563EG"', "  person:", "kinds: person: colour: '#2563EG' "
     "is not a colour written #RRGGBB"),
    ("{type: person,", "{type: persn,", "  person:", "kinds: person: 'persn' is not a record type"),
    ('"#2563EB", network: true}', '"#2563EB", netwrk: true}', "  person:", "kinds: person: "
     "unknown key 'netwrk' (known: type, singular, plural, colour, network, export)"),
    ('"#2563EB", network: true}', '"#2563EB", network: yes}', "  person:", "kinds: person: "
     "network must be true or false, not 'yes'"),
    ("  place:        {type: place,", "  Place:        {type: place,", "  Place:", "kinds: Place: "
     "a kind's name is lower-case letters, digits and hyphens, and not 'other'"),
    ("        place, source, other]", "        place, other]", "order:", "order: missing "
     "'source'"),
    ("        place, source, other]", "        place, source, other, post]", "        place, "
     "source", "order: 'post' is listed twice"),
    ("order: [person,", "order: [persons,", "order:", "order: 'persons' is not a kind"),
    ('  none: "#C9CED6"\n', "", "themes:", "themes: missing 'none'"),
    ('"{o} signed {s}{when}"', '"{o} signed {s}{wen}"', "  kg:signatory:", "phrases: "
     "kg:signatory: sentence: unknown placeholder {wen} in '{o} signed {s}{wen}'"),
    ('"{o} signed {s}{when}"', '"{o} signed {s}{when"', "  kg:signatory:", "phrases: "
     "kg:signatory: sentence: a stray { or } in '{o} signed {s}{when'"),
    ('"{o} signed {s}{when}"', '"{o} signed [{s}[{when}]]"', "  kg:signatory:", "phrases: "
     "kg:signatory: sentence: unbalanced or nested [ ] in '{o} signed [{s}[{when}]]'"),
    ('"{o} signed {s}{when}"', '"{o} signed {s.zz:x}"', "  kg:signatory:", "phrases: "
     "kg:signatory: sentence: unknown placeholder {s.zz:x} in '{o} signed {s.zz:x}'"),
    ("  kg:title: {field: Title as printed}", "  zz:title: {field: Title as printed}",
     "  zz:title:", "phrases: 'zz:title' is not a prefixed name kg knows"),
    ("  kg:title: {field: Title as printed}", "  kg:title: {feld: Title as printed}",
     "  kg:title:", "phrases: kg:title: unknown key 'feld' (known: sentence, inverse, heading, "
     "field, hidden)"),
    ("  kg:familyName: {field: Family name}", "  kg:givenName: {field: Family name}",
     "  kg:givenName: {field: Family", "duplicate key 'kg:givenName' (first at line {first})"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "at", "message"), BAD_DISPLAY)
def test_a_malformed_display_file_is_bad_input_named_by_line(tmp_path, old, new, at, message):
    path = _display_copy(tmp_path, (old, new))
    lines = path.read_text(encoding="utf-8").splitlines()

    def line_of(start: str) -> int:
        return next(n for n, text in enumerate(lines, 1) if text.startswith(start))

    message = message.replace("{first}", str(line_of("  kg:givenName: {field: Given")))
    with pytest.raises(BadInput) as info:
        load_display(path)
    assert str(info.value) == f"{path.resolve()}:{line_of(at)}: {message}"


def test_the_bundled_display_file_covers_every_kind_once():
    display = load_display()
    names = [k.name for k in display.kinds]
    assert sorted(display.order) == sorted([*names, "other"])
    assert display.network_kinds == ("person", "organisation", "group", "event", "document")
    assert display.title("person", plural=True) == "People" and display.title("x") == "Other"


def test_describe_json_has_the_text_facts_structured(invoke):
    """kg describe --format json: the same facts as the text, with their sources."""
    import json

    r = invoke("describe", "shinzo-abe", "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert list(d) == [
        "entity", "labels", "alt_labels", "qualifiers", "record_citations", "label_facts",
        "facts", "corrections", "supports", "citations", "neighbours",
    ]  # fmt: skip
    assert d["entity"] == {
        "iri": "https://w3id.org/kg-nj/id/shinzo-abe", "id": "shinzo-abe",
        "label": "Shinzo Abe", "kind": "person", "kind_title": "Person",
        "classes": [{"iri": "https://w3id.org/kg-nj/ontology#Person", "id": None,
                     "label": "Person", "kind": None}],
    }  # fmt: skip
    assert d["labels"] == {"en": ["Shinzo Abe"], "fr": ["Shinzo Abe"], "ja": ["安倍晋三"]}
    text = " ".join(invoke("describe", "shinzo-abe").output.split())
    for f in d["facts"]:  # every fact's phrasing is the text's, with its sources
        assert " ".join(f["text"].split()) in text
        by_n = {c["n"]: c["source"]["id"] for c in d["citations"]}
        cited = [by_n[n] for n in f["citations"]]
        assert f["sources"] == list(dict.fromkeys(cited)) != []
    roles = [f for f in d["facts"] if f["section"] == "Roles held"]
    assert roles[0]["text"].startswith("Shinzo Abe held the post of Prime Minister of Japan")
    assert roles[0]["sources"][0] == "src-nato-2013-esc-tokyo"
    assert {"iri": "https://w3id.org/kg-nj/id/japan", "id": "japan", "label": "Japan",
            "kind": "organisation"} in roles[0]["links"]  # fmt: skip
    assert d["label_facts"][0]["qualifiers"] == ["corrected"]
    assert d["neighbours"][0] == {
        "iri": "https://w3id.org/kg-nj/id/abe-rasmussen-discussion-east-asia-2013-04-15",
        "id": "abe-rasmussen-discussion-east-asia-2013-04-15",
        "label": "Abe and Rasmussen on East Asian security and North Korea (15 April 2013)",
        "kind": "event", "relation": "took part in", "outgoing": False,
    }  # fmt: skip


def test_query_list_json_names_parameters_with_defaults(invoke):
    import json

    from kg.sparql.canned import catalog

    r = invoke("query", "--list", "--format", "json")
    assert r.exit_code == 0, r.output
    listing = json.loads(r.output)
    assert [q["name"] for q in listing] == sorted(catalog())
    timeline = next(q for q in listing if q["name"] == "timeline")
    assert timeline["title"] == "Timeline of events" and timeline["form"] == "SELECT"
    params = [(p["name"], p["type"], p["default"], p["required"]) for p in timeline["parameters"]]
    assert params == [
        ("from", "date", "1900", False), ("to", "date", "2100", False),
        ("lang", "lang", "en", False),
    ]  # fmt: skip
    r = invoke("query", "--list", "--format", "csv")
    assert r.exit_code == 2
    assert "Error: --list writes a table or json (--format json)" in r.output


# --- citation numbers inside qualifiers ------------------------------------------------------


def _all_facts(d):
    return [*d.label_facts, *d.facts, *d.details, *(f for s in d.related for f in s.facts)]


def test_numbers_a_qualifier_names_are_the_citations_of_its_readings(bundled):
    """ "derived per [1][25]" is written while the description is put together and
    must be renumbered with the citations: Rasmussen's page named [31], a fact
    sheet row the fact does not rest on, for the release's header."""
    view = GraphView(bundled.graph)
    seen = 0
    for node in sorted(set(bundled.graph.subjects(RDF.type, None))):
        if not isinstance(node, URIRef) or "/" in str(node)[len(str(ID)) :]:
            continue
        if not str(node).startswith(str(ID)):
            continue
        d = describe(view, node)
        for f in _all_facts(d):
            for q in f.qualifiers:
                if " per [" in q:
                    seen += 1
                    named = {int(n) for n in re.findall(r"\[(\d+)\]", q)}
                    assert named <= set(f.citations), (d.id, f.text, q, f.citations)
    assert seen >= 3


def test_a_source_that_gives_some_words_of_a_text_is_cited_for_those_words(bundled):
    """S12 confirms only the last sentence of Hamada's description (T34)."""
    d = describe(GraphView(bundled.graph), ID["hamada-press-conference-ccdcoe-2022-11"])
    (desc,) = [f for f in d.details if f.field_name == "Description"]
    (part,) = [q for q in desc.qualifiers if "for the words" in q]
    n = int(re.match(r"\[(\d+)\]", part).group(1))
    assert part == (
        f"[{n}] for the words “Japan joins Australia and South Korea among non-NATO"
        " contributing participants.” only"
    )
    (s12,) = [c for c in d.citations if c.n == n]
    assert s12.source.id == "src-s12" and n not in desc.citations


def test_a_mistyped_record_id_gets_the_nearest_ids(invoke):
    result = invoke("describe", "shinzo-abbe")
    assert result.exit_code == 2
    assert result.output == (
        "Error: nothing in the graph is called 'shinzo-abbe' (did you mean 'shinzo-abe'?) "
        "(tried IRIs, record ids, labels, titles and acronyms in every language); "
        "`kg query timeline` or `kg report` list what there is\n"
    )
