"""Line breaks in records files: every line kg reports is the line a text
editor shows. CRLF (every Windows editor) and a lone CR are one line break
each; U+2028 and U+2029 inside a value are no line break at all, though YAML
1.1 (PyYAML and libyaml alike) counts them as one; the fast (libyaml) and the
strict (PyYAML) readers agree.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.records.load import read_records_file
from kg.records.schema import load_schema
from tests.hostile.conftest import assert_refused

MINI = Path(__file__).parent.parent / "fixtures" / "mini"
# events.yaml of the mini records, with an attendance that is not a number
# (its key is on line 28).
EVENTS = (MINI / "events.yaml").read_text(encoding="utf-8").replace('value: "40"', 'value: "x40"')
ATTENDANCE = (
    "records/events.yaml:{line}, record 'day-2020', field 'attendance': 'x40' is not a whole "
    "number written in digits, without leading zeros, of at most 18 digits"
)


def _records(events: str | bytes) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {
        f"records/{p.name}": p.read_text(encoding="utf-8") for p in MINI.glob("*.yaml")
    }
    files["records/events.yaml"] = events
    return files


def _one_problem(problem: str) -> str:
    return f"Error: 1 problem(s) in the records:\n  {problem}"


@pytest.mark.parametrize("eol", ["\r\n", "\r"])
def test_windows_and_old_mac_line_endings_are_read_with_the_editors_lines(eol, hostile):
    """CRLF was refused as 'control character U+000D' at line 1."""
    out = hostile(["validate", "records"], _records(EVENTS.replace("\n", eol)))
    assert_refused(out, 2, _one_problem(ATTENDANCE.format(line=28)))


def test_mixed_line_endings_count_one_break_each(hostile):
    lines = EVENTS.split("\n")
    mixed = "".join(line + ("\r\n", "\r", "\n")[i % 3] for i, line in enumerate(lines[:-1]))
    out = hostile(["validate", "records"], _records(mixed))
    assert_refused(out, 2, _one_problem(ATTENDANCE.format(line=28)))


def test_a_records_file_saved_on_windows_builds_the_same_bytes(hostile, tmp_path):
    files = {f"records/{p.name}": p.read_text(encoding="utf-8") for p in MINI.glob("*.yaml")}
    assert hostile(["build", "records", "-o", "lf"], files).code == 0
    crlf = {name: text.replace("\n", "\r\n") for name, text in files.items()}
    assert hostile(["build", "records", "-o", "crlf"], crlf).code == 0
    for name in ("kg.ttl",):
        assert (tmp_path / "crlf" / name).read_bytes() == (tmp_path / "lf" / name).read_bytes()


@pytest.mark.parametrize("sep", ["\u2028", "\u2029"])
@pytest.mark.parametrize("quote", ['"', "'"])
def test_a_line_separator_in_a_value_does_not_shift_the_lines_after_it(sep, quote, hostile):
    """The attendance was reported at line 29: YAML counted the separator on line 3."""
    events = EVENTS.replace(
        "label: {en: Security, fr: Sécurité}", f"label: {{en: {quote}Secu{sep}rity{quote}}}", 1
    )
    out = hostile(["validate", "records"], _records(events))
    assert_refused(out, 2, _one_problem(ATTENDANCE.format(line=28)))


def test_a_line_separator_in_plain_block_text_is_reported_at_its_line_with_a_hint(hostile):
    events = EVENTS.replace("label: {en: Security, fr: Sécurité}", "label:\n    en: a\u2028b", 1)
    out = hostile(["validate", "records"], _records(events))
    assert_refused(
        out,
        2,
        _one_problem(
            "records/events.yaml:5: malformed YAML: could not find expected ':' (line 4 "
            "holds U+2028, which YAML reads as a line break outside quoted text: quote the text "
            "that holds it, and keep it out of comments)"
        ),
    )


def test_a_control_character_after_crlf_and_separators_is_at_the_editors_line(hostile):
    events = EVENTS.replace("label: {en: Security", 'label: {en: "Se\u2028cu\u2029rity"', 1)
    events = events.replace("quote: an information day", "quote: an \x85information day")
    out = hostile(["validate", "records"], _records(events.replace("\n", "\r\n")))
    assert_refused(
        out, 2, _one_problem("records/events.yaml:33: control character U+0085 in the file")
    )


def test_a_byte_that_is_not_utf8_after_crlf_is_at_the_editors_line(hostile):
    data = EVENTS.replace("\n", "\r\n").encode("utf-8").replace(b"Capital", b"Capit\xffl", 1)
    offset = data.index(b"\xff")
    out = hostile(["validate", "records"], _records(data))
    assert_refused(
        out,
        2,
        _one_problem(
            f"records/events.yaml:14: not UTF-8 (byte 0xff at offset {offset}); "
            "save the file as UTF-8"
        ),
    )


# --- property: any line endings, any separators in values -------------------------------

# Text as a record keeps it: no blank text, no space (U+2028 is one) at either end.
TEXT = st.text(alphabet=st.sampled_from("ab é😀\u2028\u2029'\"\\"), min_size=1, max_size=8).filter(
    lambda s: s.strip() == s and s != ""
)
EOLS = st.sampled_from(["\n", "\r\n", "\r"])
_BREAK = re.compile(r"\r\n|\r|\n")
_FOLD = re.compile(" *([\u2028\u2029]) *")


def _editor_line(text: str, pos: int) -> int:
    """The oracle: the line an editor shows for ``text[pos]`` (CRLF, CR, LF)."""
    return len(_BREAK.findall(text, 0, pos)) + 1


def _file(labels: list[str], eols: list[str]) -> str:
    lines: list[str] = []
    for i, label in enumerate(labels):
        quoted = '"' + label.replace("\\", "\\\\").replace('"', '\\"') + '"'
        lines += [
            f"- id: r{i}",
            "  type: person",
            f"  label: {{en: {quoted}}}",
            "  sources: [{source: src-test, quote: q}]",
        ]
    return "".join(line + eols[i % len(eols)] for i, line in enumerate(lines))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(labels=st.lists(TEXT, min_size=1, max_size=4), eols=st.lists(EOLS, min_size=1, max_size=5))
def test_every_reported_line_is_the_editors_on_both_readers(labels, eols):
    text = _file(labels, eols)
    want = {}
    for i in range(len(labels)):
        start = text.index(f"- id: r{i}")
        want[f"r{i}"] = {
            key: _editor_line(text, text.index(f"  {key}:", start) if key != "id" else start)
            for key in ("id", "type", "label", "sources")
        }
    schema = load_schema()
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "people.yaml"
        path.write_bytes(text.encode("utf-8"))
        for libyaml in (True, False):  # the fast reader, then the strict one
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(yaml, "__with_libyaml__", libyaml and yaml.__with_libyaml__)
                got = read_records_file(path, "people.yaml", schema)
            assert got.problems == []
            assert got.records is not None
            lines = {r.id: {"id": r.line, **r.field_lines} for r in got.records}
            assert {rid: {k: v[k] for k in want[rid]} for rid, v in lines.items()} == want
            # The text as YAML 1.1 reads it: spaces next to a separator are folded
            # away, as next to any line break; the same on both readers.
            folded = [_FOLD.sub(r"\1", x) for x in labels]
            assert [r.fields["label"][0].value for r in got.records] == [(x, "en") for x in folded]


@pytest.mark.parametrize("sep", ["\u2028", "\u2029"])
def test_a_line_separator_in_plain_text_is_refused_at_its_line(sep, hostile):
    """Unquoted, YAML reads it as a line break editors do not show (it can end a
    comment or a value and start a field): refused where it is, quoted it is text."""
    events = EVENTS.replace(
        "label: {en: Security, fr: Sécurité}", f"label: {{en: Secu{sep}rity}}", 1
    )
    out = hostile(["validate", "records"], _records(events))
    name = {"\u2028": "LINE SEPARATOR", "\u2029": "PARAGRAPH SEPARATOR"}[sep]
    assert_refused(
        out,
        2,
        "Error: 1 problem(s) in the records:\n  records/events.yaml:3: "
        f"U+{ord(sep):04X} ({name}) outside quoted text: YAML reads it as a line break that "
        "editors do not show, so it can end a comment or a value and start a field; quote "
        "the text that holds it",
    )
