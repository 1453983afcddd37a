"""Fuzzing a records file through ``kg validate`` and ``kg query --records``:
records of every type with every field's kind of value, valid and not,
arbitrary Unicode, YAML's escapes, ids, keys and nesting, and YAML text
that is barely YAML at all.

Whatever the file holds, kg ends with a documented exit code and, on
failure, an ``Error:`` message; it opens no file beside its inputs and makes
no connection (:mod:`tests.hostile.fuzzing`). Most records drawn are well
formed, so that the hostile part reaches the builder, the shapes and the
query engine rather than the first check.
"""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from kg.records.load import load_records
from kg.records.schema import FieldSpec, load_schema
from tests.hostile.fuzzing import AUDIT, assert_front_door, fuzz, invoke

MINI = Path(__file__).parent.parent / "fixtures" / "mini"
SCHEMA = load_schema()
TYPES = sorted(SCHEMA.types)
# The ids of the small valid records set, by type: what a reference may name.
MINI_IDS = {rid: rec.type for rid, rec in load_records(MINI).records.items()}
IDS = ["src-test", "alice", "x", "-x", "Alice", "alice\n", "a" * 300, "NO", "id:alice", ""]

# Text in any script (no controls, not blank); text with what a hostile file
# may put in it past the checks (line and paragraph separators, bidi
# overrides, a byte-order mark, lone surrogates that YAML escapes can write,
# quotes and YAML's own signs); and text with control characters.
PRINTABLE = st.text(
    st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp", "Zs")), min_size=1, max_size=20
)
SIGNS = "\t\n\u2028\u2029\u202e\u200d\ufeff\ud800\udbff\udfff\"'\\:#&*!|>%@`{}[],-? "
CONTROLS = "\x00\x07\x08\x0b\x1b\r\x7f\x85\x9b"


def chars(alphabet: str, exclude: tuple[str, ...]) -> st.SearchStrategy[str]:
    """Text of any characters and of ``alphabet``'s, each as likely as the other
    (inside ``st.text`` hypothesis draws a sampled alphabet's rare code points
    almost never)."""
    one = st.characters(exclude_categories=exclude) | st.sampled_from(alphabet)
    return st.lists(one, min_size=1, max_size=20).map("".join)


PAST_CHECKS = chars(SIGNS, ("Cc",))
ODD = PAST_CHECKS | chars(SIGNS + CONTROLS, ())
SCALARS = st.one_of(
    ODD, st.sampled_from(IDS), st.integers(), st.floats(), st.booleans(), st.none(), st.dates()
)
NESTED = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ODD, inner, max_size=3),
    max_leaves=6,
)
LANGS = st.sampled_from(["en", "fr", "ja", "EN", "english", "x-priv", "en-US-US", "", "en\n", "zz"])


def text(odd: bool) -> st.SearchStrategy[str]:
    return ODD if odd else PRINTABLE


def good(kind: str, spec: FieldSpec, odd: bool) -> st.SearchStrategy[Any]:
    """A value of ``kind`` the records reference allows (its text perhaps odd)."""
    if kind == "text":
        return st.dictionaries(st.sampled_from(["en", "fr", "ja"]), text(odd), min_size=1)
    if kind == "string":
        return text(odd)
    if kind == "ref":
        targets = sorted(rid for rid, rtype in MINI_IDS.items() if rtype in spec.to)
        return st.sampled_from(targets or ["src-test"])
    if kind == "enum":
        return st.sampled_from(sorted(spec.values))
    return st.sampled_from(
        {
            "date": ["2013", "2013-06", "2013-06-25"],
            "datetime": ["2013-06-25T09:30", "2013-06-25T09:30:15"],
            "integer": ["80", "0", "123456789012345678901234567890"],
            "uri": ["https://example.org/x", "http://example.org/%C3%A9?q=1#f"],
            "iri": ["https://example.org/x", "urn:x:y", "http://example.org/日本"],
            "lang": ["en", "fr", "ja", "ja-Latn-JP"],
        }[kind]
    )


BAD: dict[str, st.SearchStrategy[Any]] = {
    "text": st.dictionaries(LANGS, ODD | st.lists(ODD, max_size=2) | NESTED, max_size=3),
    "string": NESTED,
    "date": st.sampled_from(["2024-02-30", "２０１３", "2013-6", "13", ""])
    | st.dates(min_value=datetime.date(1, 1, 1)),
    "datetime": st.sampled_from(["2013-06-25T24:00", "2013-06-25T09:30:00Z", "2013-06-25"])
    | st.datetimes(),
    "integer": st.integers() | st.sampled_from(["0755", "-3", "٣", "1e3", "80\n"]),
    "uri": st.sampled_from(
        [
            "http://127.0.0.1:9/",
            "file:///etc/passwd",
            "SECRET.txt",
            "javascript:alert(1)",
            "http://[::1",
            "https://example.org/a b",
            "https://example.org/\x1b",
        ]
    ),
    "iri": st.sampled_from(["foaf:Person", "http://x/%zz", "http://x:99999/", "<http://x/>"]),
    "lang": LANGS,
    "ref": st.sampled_from(IDS) | ODD,
    "enum": st.sampled_from(["Primary", "nope", ""]) | ODD,
}


def citations(odd: bool) -> st.SearchStrategy[list[dict[str, Any]]]:
    return st.builds(lambda q: [{"source": "src-test", "quote": q}], text(odd))


@st.composite
def field_value(draw: st.DrawFn, spec: FieldSpec, hostile: bool) -> Any:
    """A value for one field: of its kind (odd text one time in ten), or, in a
    hostile record, of another; one or many; plain or qualified."""
    odd = draw(st.integers(0, 9)) == 9
    kinds = [BAD[k] if hostile else good(k, spec, odd) for k in spec.kinds]
    one = st.one_of(*kinds)
    qualified = st.fixed_dictionaries(
        {"value": one},
        optional={
            "qualifier": st.lists(st.sampled_from(["approximate", "derived", "disputed"])),
            "note": good("text", spec, odd),
            "sources": citations(odd),
        },
    )
    item = one | qualified
    return draw(st.lists(item, min_size=1, max_size=3) | item if spec.many else item)


@st.composite
def records(draw: st.DrawFn) -> list[Any]:
    """One to three records of the schema's types; one in five is hostile (a
    bad value, id, type or key), the others well formed with odd text now and then."""
    out: list[Any] = []
    for n in range(draw(st.integers(1, 3))):
        hostile = draw(st.integers(0, 4)) == 4
        type_name = draw(st.sampled_from(TYPES))
        rid: Any = f"fuzz-{n}"
        if hostile:
            type_name = draw(st.sampled_from(TYPES) | ODD)
            rid = draw(st.just(rid) | st.sampled_from(IDS) | ODD | NESTED)
        fields = SCHEMA.types[type_name].fields if type_name in SCHEMA.types else {}
        record: dict[Any, Any] = {"id": rid, "type": type_name}
        record["label"] = draw(good("text", SCHEMA.types["person"].fields["label"], False))
        names = st.lists(st.sampled_from(sorted(fields)), max_size=4, unique=True)
        for name in draw(names) if fields else []:
            record[name] = draw(field_value(fields[name], hostile))
        record["sources"] = draw(citations(draw(st.integers(0, 9)) == 9))
        if hostile:
            record[draw(ODD | st.integers())] = draw(NESTED)
        out.append(record)
    return out


def yaml_text(data: Any, unicode: bool) -> str:
    """YAML as a program writes it; what is not printable is written as a YAML
    escape ("\\e", "\\x07", "\\ud800") unless ``unicode`` keeps it raw."""
    return yaml.safe_dump(data, allow_unicode=unicode, sort_keys=False)


# YAML text that is barely YAML: anchors, tags, merge keys, directives, flows.
FRAGMENTS = st.sampled_from(
    ["- ", "id: ", "type: person", "label: ", "{en: ", "}", "[", "]", "&a ", "*a", "<<: ",
     "!!python/object/apply:os.system [ls]", "!!binary ", "%YAML 1.1\n", "---\n", "...\n",
     '"\\e]0;x\\a"', '"\\ud800"', "'", '"', "\t", "\n", "\n  ", "? ", ": ", "|\n", ">-\n",
     "# c\n", "\ufeff", "\x00", "\x85", "src-test", "sources: [{source: src-test, quote: q}]"]
)  # fmt: skip
RAW = st.lists(FRAGMENTS | ODD, max_size=25).map("".join)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small valid records set, a SECRET.txt beside it and one inside."""
    root = tmp_path_factory.mktemp("fuzz-records")
    shutil.copytree(MINI, root / "records")
    (root / "SECRET.txt").write_text("the secret\n", encoding="utf-8")
    (root / "records" / "SECRET.txt").write_text("not a records file\n", encoding="utf-8")
    return root


def run_on(folder: Path, content: str, args: list[str], codes: tuple[int, ...]) -> None:
    """``kg ARGS records/``, records/fuzz.yaml holding ``content``."""
    target = folder / "records" / "fuzz.yaml"
    target.write_text(content, encoding="utf-8", errors="surrogatepass")
    inputs = set((folder / "records").glob("*.yaml"))
    with AUDIT.recording() as audit:
        result = invoke([*args, str(folder / "records")])
    assert_front_door(result, codes)
    assert audit.beside(folder, inputs) == []
    assert audit.connected == []


@fuzz(60)
@given(data=records(), unicode=st.booleans())
def test_records_of_every_field_kind(folder, data, unicode):
    run_on(folder, yaml_text(data, unicode), ["validate"], (0, 1, 2))


TEXT_FIELDS = sorted(
    (t, name)
    for t, rtype in SCHEMA.types.items()
    for name, spec in rtype.fields.items()
    if set(spec.kinds) & {"text", "string"}
)


@st.composite
def odd_text_record(draw: st.DrawFn) -> list[Any]:
    """One well-formed record with odd text (past the control check) in one of
    its text fields, or in its label or a citation's quote."""
    type_name, name = draw(st.sampled_from(TEXT_FIELDS))
    odd = draw(PAST_CHECKS)
    spec = SCHEMA.types[type_name].fields[name]
    record = {
        "id": "fuzz-odd",
        "type": type_name,
        "label": {"en": "Odd"},
        name: {draw(st.sampled_from(["en", "fr", "ja"])): odd} if "text" in spec.kinds else odd,
        "sources": [{"source": "src-test", "quote": draw(st.just("q") | PAST_CHECKS)}],
    }
    return [record]


@fuzz(40)
@given(data=odd_text_record(), unicode=st.booleans())
def test_odd_text_in_a_well_formed_record(folder, data, unicode):
    run_on(folder, yaml_text(data, unicode), ["validate"], (0, 1, 2))


@fuzz(50)
@given(text=RAW)
def test_barely_yaml(folder, text):
    run_on(folder, text, ["validate"], (0, 1, 2))


@fuzz(30)
@given(data=records())
def test_records_queried(folder, data):
    """The same records built and queried by ``kg query --records``."""
    args = ["query", "-e", "SELECT ?s ?l WHERE { ?s rdfs:label ?l }", "--records"]
    run_on(folder, yaml_text(data, False), args, (0, 2))
