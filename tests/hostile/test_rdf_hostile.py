"""Hostile RDF input and hostile shapes/ontologies (groups 3 and 4 of the
hostile-input suite): refused with the exact message, or read without any
fetch; never a connection, a read of another file, or a write."""

from __future__ import annotations

import pytest

from tests.hostile.conftest import assert_refused

RDF_NS = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://x.test/"'
LOLS = "".join(f'  <!ENTITY lol{i} "' + f"&lol{i - 1};" * 10 + '">\n' for i in range(1, 10))
BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n  <!ENTITY lol0 "lol">\n' + LOLS + "]>\n"
    f'<rdf:RDF {RDF_NS}><rdf:Description rdf:about="http://x.test/s">'
    "<ex:p>&lol9;</ex:p></rdf:Description></rdf:RDF>\n"
)


def xml_with(doctype: str, body: str = "&e;") -> str:
    return (
        f'<?xml version="1.0"?>\n{doctype}\n<rdf:RDF {RDF_NS}>'
        f'<rdf:Description rdf:about="http://x.test/s"><ex:p>{body}</ex:p>'
        "</rdf:Description></rdf:RDF>\n"
    )


DOCTYPE_MSG = (
    "Error: {f}: RDF/XML with a DOCTYPE or entity declarations is refused (entity expansion "
    "and external entities are not processed); write full IRIs instead of &entity; references"
)
CONTEXT_MSG = (
    "Error: {f}: JSON-LD context {ctx!r} is refused: kg loads no contexts from the network or "
    "other files; write the context inside the document"
)
DOC = '"@id": "http://x.test/s", "p": "v"'
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
SUMMARY = "0 violation(s), 0 warning(s), 0 info: conforms (fail-on: violation)"

# name -> (file name, content, expected message)
CASES: dict[str, tuple[str, str, str]] = {
    "billion-laughs": ("bomb.rdf", BILLION_LAUGHS, DOCTYPE_MSG),
    "external-entity-file": (
        "xxe.rdf",
        xml_with('<!DOCTYPE rdf:RDF [<!ENTITY e SYSTEM "SECRET.txt">]>'),
        DOCTYPE_MSG,
    ),
    "external-entity-absolute-file": (
        "xxe2.rdf",
        xml_with('<!DOCTYPE rdf:RDF [<!ENTITY e SYSTEM "file://{dir}/SECRET.txt">]>'),
        DOCTYPE_MSG,
    ),
    "external-entity-http": (
        "xxe3.rdf",
        xml_with('<!DOCTYPE rdf:RDF [<!ENTITY e SYSTEM "http://127.0.0.1:{port}/e">]>'),
        DOCTYPE_MSG,
    ),
    "external-parameter-entity": (
        "xxe4.rdf",
        xml_with('<!DOCTYPE rdf:RDF [<!ENTITY % p SYSTEM "http://127.0.0.1:{port}/p"> %p;]>', "x"),
        DOCTYPE_MSG,
    ),
    "external-dtd": (
        "dtd.rdf",
        xml_with('<!DOCTYPE rdf:RDF SYSTEM "http://127.0.0.1:{port}/rdf.dtd">', "x"),
        DOCTYPE_MSG,
    ),
    "jsonld-remote-context": (
        "remote.jsonld",
        '{"@context": "http://127.0.0.1:{port}/context.jsonld", ' + DOC + "}",
        CONTEXT_MSG,
    ),
    "jsonld-file-context": (
        "file.jsonld",
        '{"@context": "file://{dir}/SECRET.txt", ' + DOC + "}",
        CONTEXT_MSG,
    ),
    "jsonld-relative-context": (
        "relative.jsonld",
        '{"@context": "SECRET.txt", ' + DOC + "}",
        CONTEXT_MSG,
    ),
    "jsonld-context-in-list": (
        "list.jsonld",
        '{"@context": [{"p": "http://x.test/p"}, "http://127.0.0.1:{port}/c"], ' + DOC + "}",
        CONTEXT_MSG.replace("{ctx!r}", "'http://127.0.0.1:{port}/c'"),
    ),
    "jsonld-scoped-context": (
        "scoped.jsonld",
        '{"@context": {"p": {"@id": "http://x.test/p", '
        '"@context": "http://127.0.0.1:{port}/scoped"}}, ' + DOC + "}",
        CONTEXT_MSG.replace("{ctx!r}", "'http://127.0.0.1:{port}/scoped'"),
    ),
    "jsonld-nested-object-context": (
        "nested.jsonld",
        '{"@id": "http://x.test/s", "http://x.test/p": {"@context": '
        '"http://127.0.0.1:{port}/inner", "q": "v"}}',
        CONTEXT_MSG,
    ),
    "jsonld-import": (
        "import.jsonld",
        '{"@context": {"@version": 1.1, "@import": "http://127.0.0.1:{port}/i"}, ' + DOC + "}",
        "Error: {f}: JSON-LD @import 'http://127.0.0.1:{port}/i' is refused: kg loads no "
        "contexts from the network or other files",
    ),
    "jsonld-deep-nesting": (
        "deep.jsonld",
        '{"@id": "http://x.test/s", "http://x.test/p": ' + "[" * 300 + "]" * 300 + "}",
        "Error: {f}: JSON-LD nested more than 200 levels deep (KG_MAX_DEPTH raises the limit)",
    ),
    "jsonld-recursion-bomb": (
        "bomb.jsonld",
        '{"@id": "http://x.test/s", "http://x.test/p": ' + "[" * 100000 + "]" * 100000 + "}",
        "Error: {f}: not valid jsonld: nested too deeply to read",
    ),
    "ill-typed-date": (
        "date.ttl",
        '<http://x.test/s> <http://x.test/p> "2024-02-30"^^<http://www.w3.org/2001/XMLSchema#date> .\n',  # noqa: E501
        'Error: {f}: ill-typed literal "2024-02-30"^^<http://www.w3.org/2001/XMLSchema#date> '
        "(on <http://x.test/p>): the text is not a valid value of its datatype",
    ),
    "ill-typed-integer": (
        "int.nt",
        '<http://x.test/s> <http://x.test/p> "12abc"^^<http://www.w3.org/2001/XMLSchema#integer> .\n',  # noqa: E501
        'Error: {f}: ill-typed literal "12abc"^^<http://www.w3.org/2001/XMLSchema#integer> '
        "(on <http://x.test/p>): the text is not a valid value of its datatype",
    ),
    # An integer longer than Python converts (4,300 digits) was refused as "ill-typed",
    # printed in full; one of 5,000 digits in records gave a traceback.
    "integer-of-5000-digits": (
        "big.nt",
        '<http://x.test/s> <http://x.test/p> "' + "9" * 5000 + '"^^<' + XSD_INTEGER + "> .\n",
        "Error: {f}: an integer of 5000 digits (on <http://x.test/p>): kg reads integers of "
        "at most 4300 digits",
    ),
    "ill-typed-megabyte-literal": (
        "long.nt",
        '<http://x.test/s> <http://x.test/p> "' + "x" * 1_000_000 + '"^^<' + XSD_INTEGER + "> .\n",
        'Error: {f}: ill-typed literal "'
        + "x" * 99
        + "…(1000000 characters)…"
        + "x" * 55
        + '"^^<'
        + XSD_INTEGER
        + "> (on <http://x.test/p>): the text is not a valid value of "
        "its datatype",
    ),
    # What RDF 1.2 adds, and Oxigraph's parser reads, rdflib cannot hold.
    "rdf12-triple-term": (
        "triple.ttl",
        "@prefix : <http://x.test/> .\n:s :p <<( :a :b :c )>> .\n",
        "Error: {f}: not valid RDF 1.1: a triple term (<< … >>, RDF 1.2), which kg does not read",
    ),
    "rdf12-base-direction": (
        "direction.nt",
        '<http://x.test/s> <http://x.test/p> "x"@en--ltr .\n',
        'Error: {f}: not valid RDF 1.1: "x"@en--ltr has a base direction (RDF 1.2), which kg '
        "does not read",
    ),
    "rdfxml-iri-with-space": (
        "space.rdf",
        f'<?xml version="1.0"?>\n<rdf:RDF {RDF_NS}><rdf:Description rdf:about="http://x.test/a b">'
        "<ex:p>x</ex:p></rdf:Description></rdf:RDF>\n",
        "Error: {f}: not valid RDF: 'http://x.test/a b' is not an IRI (Invalid IRI code point ' ')",
    ),
    # W3C Turtle negative syntax tests (rdf-tests, turtle-syntax-bad-*), as kg reports them.
    "w3c-turtle-syntax-bad-prefix-01": (
        "bad-prefix-01.ttl",
        ':s <http://www.w3.org/2013/TurtleTests/p> "x" .\n',
        "Error: {f}: not valid turtle: line 1, column 1: The prefix : has not been declared",
    ),
    "w3c-turtle-syntax-bad-kw-01": (
        "bad-kw-01.ttl",
        "@prefix : <http://www.w3.org/2013/TurtleTests/> .\n:s :p A .\n",
        "Error: {f}: not valid turtle: line 2, column 7: A is not a valid RDF object",
    ),
    "w3c-turtle-syntax-bad-string-01": (
        "bad-string-01.ttl",
        "@prefix : <http://www.w3.org/2013/TurtleTests/> .\n:s :p \"abc' .\n",
        "Error: {f}: not valid turtle: line 2, column 7: Unexpected end of file",
    ),
    "w3c-turtle-syntax-bad-struct-14": (
        "bad-struct-14.ttl",
        '"abc" <http://www.w3.org/2013/TurtleTests/p> <http://www.w3.org/2013/TurtleTests/p> .\n',
        'Error: {f}: not valid turtle: line 1, column 1: "abc" is not a valid subject or '
        "graph name",
    ),
    "w3c-turtle-syntax-bad-uri-01": (
        "bad-uri-01.ttl",
        "<http://www.w3.org/2013/TurtleTests/\\u0020> <http://www.w3.org/2013/TurtleTests/p> "
        "<http://www.w3.org/2013/TurtleTests/o> .\n",
        # kg's one rule for IRIs, with the message every path gives (the IRI named).
        "Error: {f}: not valid RDF: 'http://www.w3.org/2013/TurtleTests/ ' is not an IRI "
        "(Invalid IRI code point ' ')",
    ),
    "w3c-turtle-syntax-bad-n3-extras-formula": (
        "bad-n3-extras.ttl",
        "{ <http://x.test/a> <http://x.test/b> <http://x.test/c> } <http://x.test/p> "
        "<http://x.test/o> .\n",
        "Error: {f}: not valid turtle: line 1, column 1: { is not a valid subject or graph name",
    ),
    "w3c-ntriples-bad-no-dot": (
        "bad.nt",
        "<http://x.test/s> <http://x.test/p> <http://x.test/o>\n",
        "Error: {f}: not valid nt: line 2, column 1: Quads must be followed by a dot",
    ),
}


@pytest.mark.parametrize("command", ["validate", "query"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_rdf_is_refused(case, command, hostile, listener, tmp_path):
    name, content, message = CASES[case]
    subst = {"{port}": str(listener.port), "{dir}": tmp_path.as_posix()}
    for k, v in subst.items():
        content, message = content.replace(k, v), message.replace(k, v)
    ctx = content.split('"@context": ', 1)[-1].split('"')[1] if "context" in case else ""
    message = message.replace("{f}", name).replace("{ctx!r}", repr(ctx))
    args = (
        ["validate", name, "-o", "out.txt"]
        if command == "validate"
        else ["query", "--graph", name, "-e", "ASK { ?s ?p ?o }", "-o", "out.txt"]
    )
    out = hostile(args, {name: content})
    assert_refused(out, 2, message)


def test_billion_laughs_refused_before_any_parser_expands_it(tmp_path, monkeypatch):
    """The first pass refuses the DOCTYPE: rdflib's XML parser never runs (it
    would expand the entities), whatever the machine's speed."""
    import rdflib.plugins.parsers.rdfxml as rdfxml

    from kg.errors import BadInput
    from kg.rdfio.read import parse_rdf

    def never(*_args, **_kwargs):
        raise AssertionError("rdflib's RDF/XML parser ran on the bomb")

    monkeypatch.setattr(rdfxml.RDFXMLParser, "parse", never)
    (tmp_path / "bomb.rdf").write_text(BILLION_LAUGHS, encoding="utf-8")
    with pytest.raises(BadInput, match="DOCTYPE"):
        parse_rdf(tmp_path / "bomb.rdf")


def test_input_over_the_size_limit_is_refused(hostile):
    out = hostile(
        ["validate", "big.nt", "-o", "out.txt"],
        {"big.nt": "<http://x.test/s> <http://x.test/p> <http://x.test/o> .\n" * 10},
        KG_MAX_INPUT_BYTES="100",
    )
    assert_refused(
        out,
        2,
        "Error: big.nt: over the 100-byte limit for one input file (KG_MAX_INPUT_BYTES raises it)",
    )


@pytest.mark.parametrize("engine", ["native", "reference"])
@pytest.mark.parametrize("command", ["validate", "query", "export"])
def test_an_integer_longer_than_python_converts_is_refused_on_both_engines(
    command, engine, hostile
):
    args = {
        "validate": ["validate", "big.nt"],
        "query": ["query", "--graph", "big.nt", "-e", "ASK { ?s ?p ?o }"],
        "export": ["export", "--graph", "big.nt", "--format", "nt"],
    }[command]
    name, content, message = CASES["integer-of-5000-digits"]
    out = hostile([*args, "--engine", engine], {name: content})
    assert_refused(out, 2, message.replace("{f}", name))


@pytest.mark.parametrize("engine", ["native", "reference"])
def test_an_integer_as_long_as_python_converts_is_read(engine, hostile):
    """4,300 digits: a value Python and rdflib hold; validation neither crashes nor
    reports it (no shape of kg's applies to this property)."""
    nt = '<http://x.test/s> <http://x.test/p> "' + "9" * 4300 + '"^^<' + XSD_INTEGER + "> .\n"
    out = hostile(["validate", "big.nt", "--engine", engine], {"big.nt": nt})
    assert (out.code, out.stderr, out.stdout.splitlines()) == (0, "", [SUMMARY])


# A literal of 4 MB (N-Triples, and Turtle written over 2 million lines), an IRI of
# 1 MB: rdflib's readers are quadratic in them (99 s, over 200 s, 9 s). kg runs in
# its own process here, stopped at 60 s.
LONG = {
    "literal.nt": '<http://x.test/s> <http://x.test/p> "' + "a" * 4_000_000 + '" .\n',
    "lines.ttl": '<http://x.test/s> <http://x.test/p> """' + "a\n" * 2_000_000 + '""" .\n',
    "iri.nt": "<http://x.test/s> <http://x.test/p> <http://x.test/" + "a" * 1_000_000 + "> .\n",
}


@pytest.mark.parametrize("engine", ["native", "reference"])
@pytest.mark.parametrize("name", sorted(LONG))
def test_a_long_literal_or_line_is_read_in_linear_time(name, engine, tmp_path):
    import subprocess
    import sys

    (tmp_path / name).write_text(LONG[name], encoding="utf-8")
    # The subprocess timeout is a hang guard, not a timing: rdflib's readers
    # took minutes on these inputs, Oxigraph's take a fraction of a second.
    r = subprocess.run(
        [sys.executable, "-m", "kg", "validate", name, "--engine", engine],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert (r.returncode, r.stderr, r.stdout.splitlines()) == (0, "", [SUMMARY])


def test_deeply_nested_turtle_is_read(hostile):
    """Oxigraph's parser reads 3,000 levels of [ ] and ( ) (rdflib's recursed and gave
    up: "nested too deeply to read"); what comes after handles the deep graph as it
    does the same graph written in N-Triples, a chain of blank nodes."""
    deep = "@prefix : <http://x.test/> .\n:s :p " + "[ :p " * 3000 + ":o" + " ]" * 3000 + " .\n"
    lists = "@prefix : <http://x.test/> .\n:s :p " + "( " * 3000 + ":o" + " )" * 3000 + " .\n"
    files = {"deep.ttl": deep, "lists.ttl": lists}
    walks = {  # from :s down the nesting, then one step: the triples of the nesting
        "deep.ttl": ("<http://x.test/p>*", "<http://x.test/p>", 3001),
        "lists.ttl": ("<http://x.test/p>/rdf:first*", "rdf:first", 3000),
    }
    for name, (walk, step, n) in walks.items():
        out = hostile(["validate", name], files)
        assert (out.code, out.stderr, out.stdout.splitlines()) == (0, "", [SUMMARY])
        query = f"SELECT (COUNT(*) AS ?n) {{ <http://x.test/s> {walk} ?x . ?x {step} ?y }}"
        out = hostile(["query", "--graph", name, "--format", "csv", "-e", query], files)
        assert (out.code, out.stderr, out.stdout.splitlines()) == (0, "", ["n", str(n)]), name


# --- group 4: hostile shapes and ontologies -------------------------------------------

IMPORTS = (
    "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
    "<http://x.test/onto> a owl:Ontology ;\n"
    "  owl:imports <http://127.0.0.1:{port}/onto.ttl>, <file://{dir}/SECRET.txt> .\n"
)
SPARQL_SHAPE = (
    "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
    "<http://x.test/shape> a sh:NodeShape ; sh:targetNode <http://x.test/onto> ;\n"
    '  sh:sparql [ sh:select """SELECT $this WHERE { SERVICE <http://127.0.0.1:{port}/s> '
    '{ ?a ?b ?c } }""" ] ;\n'
    "  sh:shapesGraph <http://127.0.0.1:{port}/shapes.ttl> .\n"
)


def _quiet(out, stdout_lines):
    assert (out.code, out.stderr) == (0, "")
    assert out.stdout.splitlines() == stdout_lines
    assert out.connections == 0
    assert out.secrets_opened == []
    assert out.changed == []


def test_owl_imports_are_never_fetched_by_validate(hostile, tmp_path):
    out = hostile(
        ["validate", "onto.ttl"], {"onto.ttl": IMPORTS.replace("{dir}", tmp_path.as_posix())}
    )
    _quiet(out, [SUMMARY])


@pytest.mark.parametrize("engine", ["reference", "native"])
def test_owl_imports_are_never_fetched_when_reasoning(engine, hostile, tmp_path):
    out = hostile(
        ["query", "--graph", "onto.ttl", "--reason", "--engine", engine, "-e",
         "ASK { <http://x.test/onto> a owl:Ontology }"],
        {"onto.ttl": IMPORTS.replace("{dir}", tmp_path.as_posix())},
    )  # fmt: skip
    _quiet(out, ["true"])


def test_owl_imports_are_never_fetched_by_export(hostile, tmp_path):
    out = hostile(
        ["export", "--graph", "onto.ttl", "--reason", "--format", "nt"],
        {"onto.ttl": IMPORTS.replace("{dir}", tmp_path.as_posix())},
    )
    assert (out.code, out.connections, out.secrets_opened, out.changed) == (0, 0, [], [])


def test_shapes_in_the_data_are_not_run(hostile):
    """A shape smuggled into the data (with a SPARQL constraint calling SERVICE and
    an sh:shapesGraph link) is data: only kg's own shapes are applied."""
    out = hostile(["validate", "shapes.ttl"], {"shapes.ttl": SPARQL_SHAPE})
    _quiet(out, [SUMMARY])


def test_protege_style_ontology_with_entities_is_refused(hostile):
    onto = xml_with(
        '<!DOCTYPE rdf:RDF [<!ENTITY owl "http://www.w3.org/2002/07/owl#">]>', "x"
    ).replace("<rdf:Description", '<rdf:Description rdf:type="&owl;Ontology"', 1)
    out = hostile(["validate", "onto.owl", "-o", "out.txt"], {"onto.owl": onto})
    assert_refused(out, 2, DOCTYPE_MSG.replace("{f}", "onto.owl"))


def test_jsonld_ontology_with_remote_context_is_refused(hostile, listener):
    out = hostile(
        ["query", "--graph", "onto.jsonld", "--reason", "-e", "ASK { ?s ?p ?o }"],
        {"onto.jsonld": '{"@context": "http://127.0.0.1:{port}/owl.jsonld", "@id": "x"}'},
    )
    ctx = f"http://127.0.0.1:{listener.port}/owl.jsonld"
    assert_refused(out, 2, CONTEXT_MSG.replace("{f}", "onto.jsonld").replace("{ctx!r}", repr(ctx)))


def test_library_validation_of_an_importing_graph_makes_no_connection(listener):
    from rdflib import Graph

    from kg.validate.engines import validate_graph

    g = Graph().parse(
        data=IMPORTS.replace("{port}", str(listener.port)).replace("{dir}", "/x"), format="turtle"
    )
    assert validate_graph(g).conforms
    assert listener.count == 0
