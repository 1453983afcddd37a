"""kg query: canned queries (golden results), parameters bound as terms, formats."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from rdflib import Literal, URIRef, Variable
from rdflib.plugins.sparql.results.xmlresults import XMLResultParser

from kg.sparql.canned import catalog
from kg.sparql.render import render
from kg.sparql.run import run_query

GOLDEN = Path(__file__).parent / "golden"
MINI = Path(__file__).parent / "fixtures" / "mini"
QUERIES = sorted(catalog())
UPDATE = os.environ.get("KG_UPDATE_GOLDEN") == "1"


def test_at_least_ten_canned_queries_listed(invoke):
    result = invoke("query", "--list")
    assert result.exit_code == 0
    names = [ln.split()[0] for ln in result.output.splitlines()[:-1]]
    assert names == QUERIES
    assert len(names) >= 10


@pytest.mark.parametrize("name", QUERIES)
def test_canned_query_golden(name, bundled):
    """Each canned query, default parameters, on the bundled records."""
    from kg.builder.ontology import load_ontology
    from kg.sparql.canned import bind_params, get_query

    q = get_query(name)
    graph = bundled.graph + load_ontology()
    text = render(run_query(graph, q.text, bind_params(q, {})), "csv")
    golden = GOLDEN / f"{name}.csv"
    if UPDATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8", newline="")
    assert golden.exists(), f"no golden file for {name}; run with KG_UPDATE_GOLDEN=1 and review"
    assert text == golden.read_bytes().decode("utf-8")
    assert len(text.splitlines()) > 1, f"{name} returns no rows on the bundled records"


@pytest.mark.parametrize("name", QUERIES)
def test_no_row_twice_with_or_without_reasoning(name, bundled):
    """Inferred types (a statement is also a kg:Statement) must not repeat rows."""
    from kg.builder.ontology import load_ontology
    from kg.reason.native import infer_triples
    from kg.sparql.canned import bind_params, get_query

    q = get_query(name)
    graph = bundled.graph + load_ontology()
    for reasoned in (False, True):
        if reasoned:
            for t in infer_triples(set(graph)):
                graph.add(t)
        rows = run_query(graph, q.text, bind_params(q, {})).rows
        repeated = {r for r in rows if rows.count(r) > 1}
        assert not repeated, f"{name} (reasoned={reasoned}) repeats {sorted(map(str, repeated))}"


def test_every_query_header_is_complete():
    for q in catalog().values():
        assert q.title and q.description
        for p in q.params:
            assert p.description, f"{q.name}: parameter {p.name} has no description"


def test_parameter_is_bound_not_pasted(invoke, mini):
    """A value that would break out of a pasted string is just a value."""
    evil = 'x" } ; DROP ALL ; SELECT * WHERE { "'
    result = invoke("query", "meetings", "--records", str(mini), "-p", f"who={evil}")
    assert result.exit_code == 2
    assert "is not a record id, prefixed name or IRI" in result.output


def test_meetings_filtered_by_parameter(invoke, mini):
    result = invoke(
        "query", "meetings", "--records", str(mini), "-p", "who=alice", "--format", "csv"
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0] == ["date", "event", "eventLabel", "a", "aLabel", "b", "bLabel", "place"]
    assert rows[1:] == [
        [
            "2020-01-01",
            "https://w3id.org/kg-nj/id/visit-2020",
            "Visit to Capital City",
            "https://w3id.org/kg-nj/id/alice",
            "Alice Example",
            "https://w3id.org/kg-nj/id/org-division",
            "Test Division",
            "Capital City",
        ],
    ]


def test_lang_parameter_changes_labels(invoke, mini):
    result = invoke("query", "timeline", "--records", str(mini), "-p", "lang=fr", "--format", "csv")
    assert result.exit_code == 0
    assert "Visite à Capitale" in result.output and "Capitale" in result.output


def test_unknown_and_missing_parameters(invoke, mini):
    r = invoke("query", "timeline", "--records", str(mini), "-p", "colour=red")
    assert r.exit_code == 2
    assert (
        "Error: query 'timeline' has no parameter(s) colour; it takes: from, to, lang" in r.output
    )
    r = invoke("query", "timeline", "--records", str(mini), "-p", "from=yesterday")
    assert r.exit_code == 2
    assert "parameter 'from': 'yesterday' is not a date" in r.output


def test_unknown_query_name(invoke):
    r = invoke("query", "nope")
    assert r.exit_code == 2
    assert r.output.startswith("Error: no canned query named 'nope'; `kg query --list` shows them:")


def test_ad_hoc_query_and_file(invoke, mini, tmp_path):
    q = "SELECT ?p WHERE { ?p a kg:Person } ORDER BY ?p"
    r = invoke("query", "--records", str(mini), "-e", q, "--format", "tsv")
    assert r.exit_code == 0
    assert r.output == "?p\n<https://w3id.org/kg-nj/id/alice>\n"
    f = tmp_path / "q.rq"
    f.write_text(q, encoding="utf-8")
    assert (
        invoke("query", "--records", str(mini), "--file", str(f), "--format", "tsv").output
        == r.output
    )


def test_bad_sparql_is_bad_input(invoke, mini):
    r = invoke("query", "--records", str(mini), "-e", "SELECT WHERE {")
    assert r.exit_code == 2
    assert r.output.startswith("Error: ")


def test_ask_and_construct(invoke, mini):
    r = invoke("query", "--records", str(mini), "-e", "ASK { ?s a kg:Visit }")
    assert r.output == "true\n"
    r = invoke(
        "query", "--records", str(mini), "-e", "CONSTRUCT { ?s a kg:Visit } WHERE { ?s a kg:Visit }"
    )
    assert r.exit_code == 0
    assert "id:visit-2020 a kg:Visit ." in r.output


@pytest.mark.parametrize("engine", ["native", "reference"])
def test_construct_leaves_out_triples_rdf_cannot_have(engine):
    """SPARQL 1.1 16.2: an instance with a literal subject or predicate is left out
    (rdflib's own CONSTRUCT keeps it); the valid instances stay."""
    from rdflib import Graph

    from kg.store.native import memory_graph

    g = Graph()
    g.add((URIRef("http://x.test/a"), URIRef("http://x.test/p"), Literal("x")))
    graph = memory_graph(g) if engine == "native" else g
    text = "CONSTRUCT { ?o ?p ?s . ?s ?o 1 . ?s ?p ?o } WHERE { ?s ?p ?o }"
    assert sorted(run_query(graph, text).graph) == [
        (URIRef("http://x.test/a"), URIRef("http://x.test/p"), Literal("x"))
    ]


@pytest.mark.parametrize("engine", ["native", "reference"])
def test_a_typed_xsd_string_comes_back_as_a_plain_literal(engine):
    """RDF 1.1: "a"^^xsd:string is "a"; both engines return it in one form, so
    their rows (and JSON results) are equal."""
    from rdflib import Graph

    from kg.store.native import memory_graph

    graph = memory_graph([]) if engine == "native" else Graph()
    res = run_query(graph, 'SELECT (STRDT("a", xsd:string) AS ?x) ("b" AS ?y) WHERE {}')
    assert res.rows == [(Literal("a"), Literal("b"))]
    assert [type(v) for v in res.rows[0]] == [Literal, Literal]
    assert all(v.datatype is None for v in res.rows[0])
    text = (
        "CONSTRUCT { <http://x.test/a> <http://x.test/p> ?o } "
        'WHERE { BIND(STRDT("a", xsd:string) AS ?o) }'
    )
    ((_s, _p, o),) = run_query(graph, text).graph
    assert o == Literal("a") and o.datatype is None


def test_result_formats_parse_back(mini):
    from kg.pipeline.open import open_graph

    g = open_graph(records=mini)
    res = run_query(g, "SELECT ?p ?l WHERE { ?p a kg:Person ; rdfs:label ?l } ORDER BY ?l")
    doc = json.loads(render(res, "json"))
    assert [b["l"]["value"] for b in doc["results"]["bindings"]] == [
        "Alice Example",
        "Alice Exemple",
    ]
    assert doc["results"]["bindings"][1]["l"]["xml:lang"] == "fr"
    xml = XMLResultParser().parse(io.BytesIO(render(res, "xml").encode("utf-8")))
    assert [str(b[Variable("l")]) for b in xml.bindings] == ["Alice Example", "Alice Exemple"]
    table = render(res, "table").splitlines()
    assert table[0].split() == ["p", "l"]
    assert table[2].split() == ["id:alice", "Alice", "Example"]
    assert table[-1] == "(2 rows)"


def test_show_prints_the_sparql(invoke):
    r = invoke("query", "timeline", "--show")
    assert r.exit_code == 0
    assert r.output.startswith("#+ title: Timeline of events")


def test_results_do_not_depend_on_hash_seed(tmp_path):
    """Canned query output is the same in processes with different hash seeds."""
    import subprocess
    import sys

    script = (
        "from kg.builder.ontology import load_ontology\n"
        "from kg.pipeline.open import load\n"
        "from kg.sparql.canned import bind_params, catalog\n"
        "from kg.sparql.render import render\n"
        "from kg.sparql.run import run_query\n"
        "g = load().graph + load_ontology()\n"
        "for name, q in sorted(catalog().items()):\n"
        "    print(render(run_query(g, q.text, bind_params(q, {})), 'csv'))\n"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("11", "12")
    }
    assert len(outs) == 1


def test_native_binding_leaves_iri_lookalikes_to_a_values_block():
    # `?o<?d&&?x>?o` lexes as an IRI: writing terms into it would leave ?d
    # unbound, so the text stays as it is and every parameter goes by VALUES.
    from kg.sparql.bind import _substitute

    text = "SELECT ?x WHERE { ?x ?p ?o FILTER(?o<?d&&?x>?o) }"
    assert _substitute(text, {"d": '"2"'}) == (text, {"d"})
    assert _substitute("SELECT ?x WHERE { ?x ?p ?d }", {"d": '"2"'}) == (
        'SELECT ?x WHERE { ?x ?p "2" }',
        set(),
    )


def test_one_object_per_iri_whether_given_as_text_or_term():
    from rdflib import RDF

    from kg.terms.iris import intern, iri

    assert intern(RDF.type) is iri(str(RDF.type))


# A parameter is bound as rdflib's initBindings binds it: a literal as a
# predicate or a graph name finds no match. Oxigraph gets the term written in
# the variable's place, which is a syntax error there; the query then runs
# again with the parameters bound by VALUES. Whatever the syntax around the
# variable (`;`, `[ ]`, paths, numbers with exponents, `^^` datatypes, a
# prefixed name ending a triple), the rows must be rdflib's, and these.
FR, FORTY = Literal("fr"), Literal(40)
DAY = Literal("2020-01-02", datatype=URIRef("http://www.w3.org/2001/XMLSchema#date"))
LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
DAY_2020 = "https://w3id.org/kg-nj/id/day-2020"
ALICE = "https://w3id.org/kg-nj/id/alice"
BINDING_CASES = {
    "subject": ("SELECT ?x WHERE { ?d ?p ?x }", {"d": FR}, "x"),
    "predicate": ("SELECT ?x WHERE { ?x ?d ?o }", {"d": FR}, "x"),
    "predicate after ;": ("SELECT ?x WHERE { ?x a kg:Person ; ?d ?o }", {"d": FR}, "x"),
    "predicate in [ ]": ("SELECT ?x WHERE { ?x ?p [ ?d ?o ] }", {"d": FR}, "x"),
    "predicate, in OPTIONAL, and in FILTER": (
        "SELECT ?x ?l WHERE { ?x a kg:Person ; rdfs:label ?l .\n"
        "  OPTIONAL { ?x ?d ?o } FILTER(LANG(?l) = ?d) }",
        {"d": FR},
        f"x,l\n{ALICE},Alice Exemple",
    ),
    "object in [ ]": (
        "SELECT ?st WHERE { ?st rdf:predicate kg:attendance ; rdf:subject [ kg:attendance ?n ] }",
        {"n": FORTY},
        f"st\n{DAY_2020}/fact/attendance/1/src-test",
    ),
    "predicate and object in [ ]": (
        "SELECT ?st WHERE { ?st rdf:subject ?e . OPTIONAL { ?e ?p [ ?n ?n ] }\n"
        "  ?e kg:attendance ?n }",
        {"n": FORTY},
        f"st\n{DAY_2020}/fact/attendance/1/src-test",
    ),
    "graph name": (
        "SELECT ?x WHERE { ?x kg:attendance ?n . OPTIONAL { GRAPH ?n { ?x ?p ?o } } }",
        {"n": FORTY},
        f"x\n{DAY_2020}",
    ),
    "graph name, in MINUS": (
        "SELECT ?x WHERE { ?x kg:attendance ?n MINUS { GRAPH ?n { ?x ?p ?o } } }",
        {"n": FORTY},
        f"x\n{DAY_2020}",
    ),
    "subject, predicate, object, [ ] and graph name": (
        "SELECT ?x WHERE { ?d ?p ?x . ?x ?d ?o ; ?q [ ?d ?d ] . GRAPH ?d { ?x ?p ?d } }",
        {"d": Literal("2")},
        "x",
    ),
    "an IRI in all of those places": (
        "SELECT ?x ?o WHERE { ?x ?d ?o ; a kg:Person . OPTIONAL { ?d ?p ?x }\n"
        "  OPTIONAL { ?x ?q [ ?d ?o ] } OPTIONAL { GRAPH ?d { ?x ?p ?o } } } ORDER BY ?o",
        {"d": LABEL},
        f"x,o\n{ALICE},Alice Example\n{ALICE},Alice Exemple",
    ),
    "an IRI as subject and predicate": (
        "SELECT ?x ?o WHERE { ?x a kg:Person ; ?d ?o FILTER NOT EXISTS { ?d ?p ?x } } ORDER BY ?o",
        {"d": LABEL},
        f"x,o\n{ALICE},Alice Example\n{ALICE},Alice Exemple",
    ),
    "object after an inverse path": (
        "SELECT ?e WHERE { ?e ^kg:subEventOf/kg:attendance ?n }",
        {"n": FORTY},
        "e\nhttps://w3id.org/kg-nj/id/visit-2020",
    ),
    "object after a path with *": (
        "SELECT ?e WHERE { ?e kg:subEventOf*/kg:attendance ?n }",
        {"n": FORTY},
        f"e\n{DAY_2020}",
    ),
    "object after an alternative path": (
        "SELECT ?e WHERE { ?e (kg:quote|kg:attendance) ?n }",
        {"n": FORTY},
        f"e\n{DAY_2020}",
    ),
    "object after a negated path": (
        "SELECT ?e WHERE { ?e !rdf:type ?n } ORDER BY ?e",
        {"n": FORTY},
        f"e\n{DAY_2020}\n{DAY_2020}/fact/attendance/1/src-test",
    ),
    "object after a path with ?": (
        "SELECT ?e WHERE { ?e kg:attendance? ?n } ORDER BY ?e",
        {"n": FORTY},
        f"e\n{DAY_2020}\n40",
    ),
    "predicate after a path": (
        "SELECT ?e WHERE { ?e kg:subEventOf+ ?v ; ?n ?o }",
        {"n": FORTY},
        "e",
    ),
    "object after a number with an exponent": (
        "SELECT ?e WHERE { { ?e kg:attendance 4e1 } UNION { ?e kg:attendance ?n } }",
        {"n": FORTY},
        f"e\n{DAY_2020}",
    ),
    "predicate after a number with an exponent": (
        "SELECT ?e WHERE { { ?e kg:attendance ?n } UNION { ?e ?p 1E+5 ; ?n ?o } }",
        {"n": FORTY},
        f"e\n{DAY_2020}",
    ),
    "object after an exponent in FILTER": (
        "SELECT ?e WHERE { ?e kg:attendance ?a FILTER(?a < 1e5) ?e kg:attendance ?n }",
        {"n": FORTY},
        f"e\n{DAY_2020}",
    ),
    "object after a decimal": (
        "SELECT ?e WHERE { ?e kg:attendance ?n OPTIONAL { ?e ?p 1.5 , ?n } }",
        {"n": FORTY},
        f"e\n{DAY_2020}",
    ),
    "predicate after a decimal": (
        "SELECT ?e WHERE { ?e kg:attendance ?n OPTIONAL { ?e ?p 40.0 ; ?n ?o } }",
        {"n": FORTY},
        f"e\n{DAY_2020}",
    ),
    "object after a ^^ prefixed datatype": (
        'SELECT ?e WHERE { ?e kg:startDate "2020-01-02"^^xsd:date ; kg:attendance ?n }',
        {"n": FORTY},
        f"e\n{DAY_2020}",
    ),
    "object after a ^^ IRI datatype": (
        'SELECT ?e WHERE { ?e kg:startDate "2020-01-02"^^<http://www.w3.org/2001/XMLSchema#date> ;'
        " kg:attendance ?n }",
        {"n": FORTY},
        f"e\n{DAY_2020}",
    ),
    "predicate after a ^^ datatype": (
        'SELECT ?e WHERE { ?e kg:startDate "2020-01-02"^^xsd:date ; ?n ?o }',
        {"n": FORTY},
        "e",
    ),
    "a typed date": ("SELECT ?e WHERE { ?e kg:startDate ?d }", {"d": DAY}, f"e\n{DAY_2020}"),
    "after a prefixed name ending the triple": (
        "SELECT ?x WHERE { ?x a kg:Person. ?x rdfs:label ?l FILTER(LANG(?l) = ?d) }",
        {"d": FR},
        f"x\n{ALICE}",
    ),
    "subject after a prefixed name ending the triple": (
        "SELECT ?x WHERE { ?x a kg:Person. ?d ?p ?x }",
        {"d": FR},
        "x",
    ),
    "in a collection and in IN ( )": (
        "SELECT ?e WHERE { ?e kg:attendance ?n FILTER(?n IN (1, ?n)) OPTIONAL { ?x ?p (?n) } }",
        {"n": FORTY},
        f"e\n{DAY_2020}",
    ),
    "after true and a": ("SELECT ?x WHERE { ?x a kg:Person ; ?p true , ?d }", {"d": FR}, "x"),
    # The term written in place: a projected parameter holds it in every row,
    # and a MINUS shares only what the written term would (rdflib's own
    # initBindings keep ?d in every solution, and its MINUS removed them all).
    "a parameter the query projects": (
        "SELECT ?x ?d WHERE { ?x a kg:Person }",
        {"d": FR},
        f"x,d\n{ALICE},fr",
    ),
    "in a MINUS that shares no other variable": (
        "SELECT DISTINCT ?x WHERE { ?x a kg:Person ; rdfs:label ?l MINUS { ?y a ?d } }",
        {"d": URIRef("https://w3id.org/kg-nj/ontology#Person")},
        f"x\n{ALICE}",
    ),
    "bound by VALUES, in and out of a MINUS": (
        "#+ bind: values\nSELECT DISTINCT ?x WHERE { ?x a ?d MINUS { ?y a ?d } }",
        {"d": URIRef("https://w3id.org/kg-nj/ontology#Person")},
        f"x\n{ALICE}",
    ),
    "projected, and a literal predicate in a MINUS": (
        "SELECT DISTINCT ?x ?d WHERE { ?x a kg:Person MINUS { ?x ?d ?o } }",
        {"d": FR},
        f"x,d\n{ALICE},fr",
    ),
    "in a sub-query's SELECT, FILTER and GROUP BY": (
        "SELECT ?x ?n ?d WHERE { { SELECT ?x ?d (COUNT(?l) AS ?n) WHERE {\n"
        "  ?x a kg:Person ; rdfs:label ?l FILTER(LANG(?l) = ?d) } GROUP BY ?x ?d } }",
        {"d": FR},
        f"x,n,d\n{ALICE},1,fr",
    ),
    "ASK, predicate": ("ASK { ?x ?d ?o }", {"d": FR}, "boolean\nfalse"),
    "ASK, object": ("ASK { ?x kg:attendance ?d }", {"d": FORTY}, "boolean\ntrue"),
}


@pytest.fixture(scope="module")
def both_engines():
    """The small records on the reference engine (a Dataset: rdflib answers GRAPH
    patterns only on one) and on Oxigraph."""
    from rdflib import Dataset

    from kg.pipeline.open import open_graph, open_native

    reference = Dataset()
    for t in open_graph(records=MINI):
        reference.add(t)
    return reference, open_native(records=MINI)


@pytest.mark.parametrize(
    ("text", "bindings", "rows"), BINDING_CASES.values(), ids=list(BINDING_CASES)
)
def test_parameter_anywhere_gives_rdflibs_rows(text, bindings, rows, both_engines):
    reference, native = both_engines
    expected = rows.replace("\n", "\r\n") + "\r\n"
    assert render(run_query(reference, text, bindings), "csv") == expected
    assert render(run_query(native, text, bindings), "csv") == expected


def test_literal_parameter_in_a_construct_template(both_engines):
    """A triple with a literal predicate is left out (SPARQL 1.1 16.2), one with a
    literal subject too; the others stay."""
    text = "CONSTRUCT { ?x ?d ?o . ?d ?p ?x . ?x rdfs:label ?d } WHERE { ?x a kg:Person ; ?p ?o }"
    for graph in both_engines:
        assert sorted(run_query(graph, text, {"d": FR}).graph) == [(URIRef(ALICE), LABEL, FR)]


@pytest.mark.parametrize(
    ("text", "iri"),
    [("CONSTRUCT WHERE { ?x ?d ?o }", LABEL), ("CONSTRUCT WHERE { ?d ?p ?x }", URIRef(ALICE))],
)
def test_construct_where_with_a_literal_parameter_where_sparql_takes_none(text, iri, both_engines):
    """The short form takes no VALUES block, so Oxigraph refused it with a syntax
    error where rdflib finds no match: kg writes it in full, and both give an
    empty graph; with an IRI both give the matching triples."""
    for graph in both_engines:
        assert len(run_query(graph, text, {"d": FR}).graph) == 0
    ref, nat = (run_query(g, text, {"d": iri}).graph for g in both_engines)
    assert sorted(ref) == sorted(nat) != []


def test_construct_where_with_parameters_bound_by_values(both_engines):
    """A `#+ bind: values` query binds every parameter by VALUES, which the short
    form cannot hold: kg writes it in full first."""
    reference, native = both_engines
    text = "#+ bind: values\nCONSTRUCT WHERE { ?x ?d ?o }"
    ref, nat = run_query(reference, text, {"d": LABEL}), run_query(native, text, {"d": LABEL})
    assert sorted(ref.graph) == sorted(nat.graph) != []
    assert {p for _, p, _ in nat.graph} == {LABEL}


def test_canned_query_with_literal_parameters_as_subject_and_predicate(mini, tmp_path):
    from kg.pipeline.open import open_graph, open_native
    from kg.sparql.canned import bind_params, parse_query_file

    path = tmp_path / "said-in.rq"
    path.write_text(
        "#+ title: Labels in a language\n"
        "#+ description: Each person's label in a language, and what is said on a date.\n"
        "#+ params:\n"
        "#+   lang: {type: lang, default: FR, description: Language of the labels}\n"
        '#+   day: {type: date, default: "2020-01-01", description: A date}\n'
        "SELECT ?p ?label ?said ?what WHERE {\n"
        "  ?p a kg:Person ; rdfs:label ?label .\n"
        "  FILTER(LANG(?label) = ?lang)\n"
        "  OPTIONAL { ?p ?lang ?said }\n"
        "  OPTIONAL { ?day ?what ?p }\n"
        "}\n",
        encoding="utf-8",
    )
    q = parse_query_file(path)
    bindings = bind_params(q, {})
    reference = render(run_query(open_graph(records=mini), q.text, bindings), "csv")
    native = render(run_query(open_native(records=mini), q.text, bindings), "csv")
    assert native == reference
    assert reference == "p,label,said,what\r\nhttps://w3id.org/kg-nj/id/alice,Alice Exemple,,\r\n"


@pytest.fixture(scope="module")
def bundled_native(bundled):
    from kg.builder.ontology import ontology_triples
    from kg.store.native import memory_graph

    return memory_graph(bundled.triples, (), ontology_triples())


def _count_selects(native, monkeypatch):
    calls: list[str] = []
    select = type(native).select

    def counted(self, text):
        calls.append(text)
        return select(self, text)

    monkeypatch.setattr(type(native), "select", counted)
    return calls


@pytest.mark.parametrize("name", QUERIES)
def test_canned_query_runs_once_with_its_terms_written_in(name, bundled_native, monkeypatch):
    """No canned query needs its literals bound by VALUES for want of a place:
    its parameters are written into the text (or, with `#+ bind: values`, bound
    by VALUES as its header asks), which Oxigraph plans faster (see
    kg.sparql.bind), and the store runs it once."""
    from kg.sandbox.limits import limits
    from kg.sparql.bind import bind, terms_of
    from kg.sparql.canned import bind_params, get_query
    from kg.sparql.run import run_query

    q = get_query(name)
    calls = _count_selects(bundled_native, monkeypatch)
    bindings = bind_params(q, {})
    with limits(timeout=0):  # in this process, where the count is kept
        run_query(bundled_native, q.text, bindings)
    assert calls == [bind(q.text, terms_of(bindings), lambda text: True)]


def test_a_literal_where_sparql_takes_none_is_bound_by_values_instead(mini, monkeypatch):
    """Written in place, "fr" would be a predicate: a syntax error, which
    Oxigraph's parser finds before the store is asked (kg.sparql.door). The
    store runs the query once, the parameter bound by VALUES."""
    from kg.pipeline.open import open_native
    from kg.sandbox.limits import limits
    from kg.sparql.door import _valid
    from kg.sparql.run import run_query

    native = open_native(records=mini)
    calls = _count_selects(native, monkeypatch)
    with limits(timeout=0):  # in this process, where the count is kept
        res = run_query(native, "SELECT ?x WHERE { ?x a kg:Person ; ?d ?o }", {"d": FR})
    assert res.rows == []
    assert not _valid('SELECT ?x WHERE { ?x a kg:Person ; "fr" ?o }')
    assert calls == ['SELECT ?x WHERE { VALUES ?d { "fr" }  ?x a kg:Person ; ?d ?o }']


# A syntax error in the query itself is Oxigraph's for the query as written, not
# for the text with its terms or VALUES blocks written in (its columns off, or
# no group to put them in), whatever parameters it has.
SYNTAX_ERRORS = {
    "unclosed FILTER": (
        "SELECT ?p ?label WHERE {\n  ?p a kg:Person ; rdfs:label ?label .\n"
        "  FILTER(LANG(?label) = ?lang\n}\n",
        {"lang": FR},
        # The query's own error, as written (no "@" or "^^" a literal would allow).
        'at 4:1: expected one of "&&", ")", "*", "+", "-", "/", "||"',
    ),
    "error after a literal predicate": (
        "SELECT ?s WHERE {\n ?s ?v ?o .\n FILTER(?o = 1\n}",
        {"v": FR},
        # At the unclosed FILTER, not on line 2 where "fr" was written in as a predicate.
        "at 4:2:",
    ),
    "no group for the VALUES block": (
        "SELECT ?x WHERE ?x ?p ?lang",
        {"lang": LABEL},
        'at 1:17: expected "{"',
    ),
    "no group, a literal": (
        "SELECT ?x WHERE ?x ?p ?lang",
        {"lang": FR},
        'at 1:17: expected "{"',
    ),
    "unbound variable grouped": (
        "SELECT ?x WHERE { ?x ?p ?lang } GROUP BY ?y",
        {"lang": FR},
        # The column of the query as written (`?lang`, not the shorter "fr").
        'at 1:44: expected one of "$", "(", ":", "<", "?", IF, TZ,'
        " The SELECT contains a variable that is unbound",
    ),
}


@pytest.mark.parametrize(
    ("text", "bindings", "error"), SYNTAX_ERRORS.values(), ids=list(SYNTAX_ERRORS)
)
def test_syntax_error_with_parameters_is_the_querys_own(text, bindings, error, mini):
    from kg.errors import BadInput
    from kg.pipeline.open import open_native

    with pytest.raises(BadInput) as exc:
        run_query(open_native(records=mini), text, bindings)
    assert str(exc.value).startswith(f"SPARQL error {error}")


def test_canned_query_with_a_syntax_error_exits_2(invoke, mini, tmp_path, monkeypatch):
    text = SYNTAX_ERRORS["unclosed FILTER"][0]
    (tmp_path / "broken.rq").write_text(
        "#+ title: T\n#+ description: D\n#+ params:\n"
        "#+   lang: {type: lang, default: en, description: Language}\n" + text,
        encoding="utf-8",
    )
    monkeypatch.setattr("kg.sparql.canned.queries_dir", lambda: tmp_path)
    r = invoke("query", "broken", "--records", str(mini), "-p", "lang=fr")
    assert r.exit_code == 2
    assert r.output == (  # the header's four lines come first
        'Error: SPARQL error at 8:1: expected one of "&&", ")", "*", "+", "-", "/", "||"\n'
        "  }\n"
        "  ^\n"
    )


@pytest.mark.parametrize(
    ("param", "error"),
    [
        ("on: {type: date, description: A day}", None),
        ("no: {type: lang, default: no, description: Norwegian}", None),
        ("2013: {type: date}", "must be a SPARQL variable name"),
        ("day: {type: date, optional: yes}", "optional must be true or false"),
        ("day: {type: date, description: A day (YYYY, YYYY-MM)}", "needs quotes"),
    ],
)
def test_query_header_reads_yaml_words_as_text(tmp_path, param, error):
    from kg.errors import BadInput
    from kg.sparql.canned import parse_query_file

    path = tmp_path / "words.rq"
    path.write_text(
        f"#+ title: T\n#+ description: D\n#+ params:\n#+   {param}\n"
        "SELECT * WHERE { ?s ?p ?o }\n",
        encoding="utf-8",
    )
    if error:
        with pytest.raises(BadInput, match=error):
            parse_query_file(path)
        return
    (p,) = parse_query_file(path).params
    assert p.name == param.split(":")[0]
    assert p.default in (None, "no")


@pytest.mark.parametrize(
    "text",
    [
        "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
        "ASK { GRAPH ?g { ?s ?p ?o } }",
        "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }",
        "SELECT * WHERE { { GRAPH ?g { ?s ?p ?o } } UNION { ?s ?p ?o } }",
    ],
)
def test_graph_on_the_reference_engine_says_what_to_use(invoke, text):
    # rdflib refuses some of these when it parses them, others when it evaluates.
    r = invoke("query", "--engine", "reference", "-e", text)
    assert r.exit_code == 2
    assert r.output == (
        "Error: GRAPH needs named graphs, and the reference engine (rdflib) queries one merged "
        "graph; use --engine native (the inferred triples are a named graph there)\n"
    )


def test_select_star_columns_do_not_depend_on_the_hash_seed():
    """rdflib orders the columns of a SELECT * by string hashing, so they changed
    from run to run (s,o,p with one seed, o,s,p with another): kg lists them in
    the order the query first writes them, on either engine."""
    import subprocess
    import sys

    headers = set()
    for engine in ("reference", "native"):
        for seed in ("1", "2"):
            out = subprocess.run(
                [sys.executable, "-m", "kg", "query", "--engine", engine, "--format", "csv",
                 "-e", "SELECT * WHERE { ?s a kg:Person ; ?p ?o } LIMIT 1"],
                env={**os.environ, "PYTHONHASHSEED": seed},
                capture_output=True, text=True, check=True,
            ).stdout  # fmt: skip
            headers.add(out.splitlines()[0])
    assert headers == {"s,p,o"}


STAR_CASES = {
    "written order": ("SELECT * WHERE { ?x rdfs:label ?l . ?x a ?c }", {}, ["x", "l", "c"]),
    "DISTINCT, $ variables": ("SELECT DISTINCT * { $x a kg:Person ; ?q ?l }", {}, ["x", "q", "l"]),
    "a parameter the query writes is a column": (
        "SELECT * WHERE { ?x a kg:Person ; rdfs:label ?l FILTER(LANG(?l) = ?d) }",
        {"d": FR},
        ["x", "l", "d"],
    ),
    "a parameter it does not write is not": (
        "SELECT * WHERE { ?x a kg:Person }",
        {"d": FR},
        ["x"],
    ),
    # rdflib listed ?y (only read by a FILTER, never bound) and dropped ?z's values.
    "a variable a FILTER only reads is not": (
        "SELECT * WHERE { ?x a kg:Person ; rdfs:label ?l FILTER(!BOUND(?y)) }",
        {},
        ["x", "l"],
    ),
    "one bound by a trailing VALUES is": (
        "SELECT * WHERE { ?x a kg:Person ; rdfs:label ?l } VALUES ?z { 1 }",
        {},
        ["x", "l", "z"],
    ),
    # Only the variables are asked of Oxigraph: the query is not run twice.
    "sorted VALUES, nothing from the graph": (
        "SELECT * WHERE { VALUES ?b { 2 1 } VALUES ?a { 3 } } ORDER BY ?b",
        {},
        ["b", "a"],
    ),
    "a parameter in MINUS": (
        'SELECT * WHERE { ?x a kg:Person ; ?p ?o MINUS { ?x ?p "none" } }',
        {"p": LABEL},
        ["x", "p", "o"],
    ),
}


@pytest.mark.parametrize(("text", "bindings", "columns"), STAR_CASES.values(), ids=list(STAR_CASES))
def test_select_star_columns_are_the_same_on_both_engines(text, bindings, columns, both_engines):
    reference, native = both_engines
    ref, nat = run_query(reference, text, bindings), run_query(native, text, bindings)
    assert ref.vars == nat.vars == columns
    assert sorted(ref.rows) == sorted(nat.rows) != []
    for name, value in {**bindings, "z": Literal(1)}.items():
        if name in columns:
            assert {row[columns.index(name)] for row in nat.rows} == {value}


@pytest.mark.parametrize("engine", ["native", "reference"])
@pytest.mark.parametrize(
    ("date", "rows"),
    [
        # Abe attested as PM on 2014-05-06 and 2017-10-31, nobody else in between.
        (
            "2015-06-01",
            [["Shinzo Abe", "Prime Minister of Japan", "bracketed",
              "attested on 2014-05-06 and on 2017-10-31"]],
        ),
        # Abe attested in 2007-01 and on 2013-04-15, but Fukuda on 2007-12-13:
        # not bracketed across another holder's attested term.
        ("2007-06-01", []),
        ("2010-01-01", []),
        # Stoltenberg: 2017-10-31 and 2022-06-29; Hayashi in post from 2018-07-01.
        (
            "2019-01-01",
            [["Hajime Hayashi", "Ambassador of Japan to NATO", "in post",
              "in post from 2018-07-01"],
             ["Jens Stoltenberg", "NATO Secretary General", "bracketed",
              "attested on 2017-10-31 and on 2022-06-29"]],
        ),
        # A day a source attests is "attested", never bracketed as well.
        (
            "2013-04-15",
            [["Anders Fogh Rasmussen", "Secretary General of NATO", "attested",
              "attested on 2013-04-15"],
             ["Shinzo Abe", "Prime Minister of Japan", "attested", "attested on 2013-04-15"]],
        ),
    ],
)  # fmt: skip
def test_roles_at_date_between_attestations(date, rows, engine, invoke):
    """Who held a post on a day no source names: the holder attested before and
    after it, with no other holder of the post attested in between, marked
    "bracketed" with the two attestations; the same rows on both engines."""
    r = invoke(
        "query", "roles-at-date", "-p", f"date={date}", "--engine", engine, "--format", "csv"
    )
    assert r.exit_code == 0, r.output
    lines = list(csv.reader(io.StringIO(r.output)))
    assert lines[0] == [
        "person", "personLabel", "title", "organization", "organizationLabel", "basis", "evidence"
    ]  # fmt: skip
    assert [[row[1], row[2], row[5], row[6]] for row in lines[1:]] == rows


def test_stated_facts_name_a_source_only_for_the_words_it_gives(invoke):
    """S12 confirms only the last sentence of Hamada's description (T34): it is
    listed for that sentence, never for the whole description (issue 18)."""
    result = invoke("query", "stated-facts", "-p", "source=src-s12", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = [
        r
        for r in csv.DictReader(io.StringIO(result.output))
        if r["subject"].endswith("/hamada-press-conference-ccdcoe-2022-11")
    ]
    assert [(r["property"].rsplit("/", 1)[-1], r["value"], r["key"]) for r in rows] == [
        (
            "description",
            "Japan joins Australia and South Korea among non-NATO contributing participants.",
            "S12",
        )
    ]


@pytest.mark.parametrize("engine", ["native", "reference"])
def test_a_parameter_naming_nothing_is_warned_about_with_the_nearest_ids(invoke, engine):
    """A mistyped id gives no rows, which reads like an answer: stderr says so,
    and the rows (none) are still the query's, exit 0. Defaults are not checked
    (they name bundled records, and may be run on other data)."""
    result = invoke(
        "query", "fact-sources", "-p", "about=shinzo-abbe", "--engine", engine, "--format", "csv"
    )
    assert result.exit_code == 0
    assert result.stdout == "fact,property,source,reliability,locator,quote,qualifiers\n"
    assert result.stderr == (
        "Warning: parameter 'about': nothing in the graph is called 'shinzo-abbe' "
        "(did you mean 'shinzo-abe'?); the query runs as asked\n"
    )
    known = invoke("query", "fact-sources", "-p", "about=shinzo-abe", "--engine", engine)
    assert known.exit_code == 0 and known.stderr == ""
