"""The one rule for each kind of term text: record ids, IRIs, language tags,
dates, date-times, integers and literal text.

The records reader, the builder, the RDF readers and writers, the canned
queries' parameters and the views all ask these, so a value is accepted or
refused the same way on every path. Every rule matches the whole text: a
pattern written ``^…$`` and used with ``re.match`` also takes a trailing
newline (``"alice\\n"``), which is how an id once got past the records check
and broke every path after it. Digits are ASCII digits (``\\d`` would take
"２０１３").

What each rule decides:

- a record id (and a canned query's name): lower-case ASCII letters, digits
  and hyphens, not starting with a hyphen;
- an IRI: an absolute IRI (RFC 3987) as Oxigraph, kg's store and serialiser,
  parses it: what it refuses could be neither stored, exported nor pushed;
  an IRI a person writes (records' ``iri`` and ``uri`` fields, ``kg query -p``)
  must also have an authority (or be a ``urn:``), so a prefixed name such as
  ``foaf:Person`` is not taken for an IRI of scheme ``foaf``;
- a language tag: a well-formed BCP 47 tag (RFC 5646), as Oxigraph checks it
  (RDF 1.1's rule), whose language subtag has two or three letters (ISO 639):
  the longer forms BCP 47 reserves are unregistered, and in practice a name
  written for a code ("english"); a tag of private use only ("x-…") or a
  grandfathered "i-…" is refused too;
- a date, a date-time: the forms the records reference gives;
- an integer a person writes (records' ``integer`` fields, which are counts,
  and a query's integer parameter): ASCII digits without leading zeros, at
  most 18 of them (:data:`MAX_INTEGER_DIGITS`), so every one fits the 64-bit
  integers Oxigraph compares and adds (beyond, its comparisons fail and the
  engines would disagree) and Python converts it at once;
- an integer in an RDF file: any length xsd:integer allows, up to the digits
  Python converts to a number (4,300 by default, ``sys.get_int_max_str_digits``):
  rdflib cannot hold the value of a longer one, so the RDF readers refuse it
  with its length (:func:`integer_too_long`) rather than let it through as an
  ill-typed literal;
- literal text: any character but the C0 and C1 control characters (U+0000
  to U+001F, U+007F to U+009F), tab and line feed excepted (a quotation spans
  lines). DEL (U+007F) is refused with them: it is a control character, and a
  terminal acts on it. LINE SEPARATOR and PARAGRAPH SEPARATOR (U+2028,
  U+2029) are allowed: they are not controls but line breaks, as harmless as
  a line feed in a terminal, a page or an RDF file; no name (id, tag, IRI
  authority) can hold them. A lone surrogate (U+D800 to U+DFFF, half of a
  UTF-16 pair) is no character at all: YAML's "\\ud800" escape writes one, and
  no UTF-8 file, store or engine can hold it; it is refused with the controls.

What kg prints for a person to read (a table of results, a description, a
validation report, an error message) may still quote text from elsewhere: an
RDF file, a store's answer, a file name. :func:`visible` writes the control
characters in it as escapes a terminal shows and does not act on.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from datetime import date as _date
from functools import lru_cache
from urllib.parse import urlsplit

_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")


_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")


_DATETIME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?")


MAX_INTEGER_DIGITS = 18
"""The most digits of an integer a person writes: every such number fits a
signed 64-bit integer (at most 9,223,372,036,854,775,807), as Oxigraph holds them."""


_INTEGER = re.compile(rf"0|[1-9][0-9]{{0,{MAX_INTEGER_DIGITS - 1}}}")


_SIGNED_INTEGER = re.compile(rf"-?(?:0|[1-9][0-9]{{0,{MAX_INTEGER_DIGITS - 1}}})")


# xsd:integer's lexical form (leading zeros and a plus sign allowed).
_XSD_INTEGER = re.compile(r"[+-]?([0-9]+)")


# C0/C1 control characters other than tab and line feed.
# The language subtag of a tag kg takes: two or three letters (see the module's notes).
_LANGUAGE_SUBTAG = re.compile(r"[a-zA-Z]{2,3}(?:-|\Z)")


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def patterns() -> dict[str, str]:
    """The regular expressions of the checks the report site repeats in the browser
    (its live query forms), as JavaScript reads them: one rule, exported.

    >>> patterns()["record_id"]
    '^(?:[a-z0-9][a-z0-9-]*)$'
    """
    whole = {"record_id": _NAME, "date": _DATE, "signed_integer": _SIGNED_INTEGER}
    out = {k: f"^(?:{rx.pattern})$" for k, rx in whole.items()}
    out["language_subtag"] = "^" + _LANGUAGE_SUBTAG.pattern.replace(r"\Z", "$")
    out["control"] = _CONTROL.pattern
    return out


def is_record_id(text: str) -> bool:
    """Whether ``text`` is a record id: lower-case letters, digits and hyphens.

    >>> is_record_id("shinzo-abe"), is_record_id("alice\\n"), is_record_id("-x")
    (True, False, False)
    """
    return _NAME.fullmatch(text) is not None


def is_query_name(text: str) -> bool:
    """Whether ``text`` may name a canned query: the form of a record id.

    >>> is_query_name("roles-at-date"), is_query_name("Timeline")
    (True, False)
    """
    return _NAME.fullmatch(text) is not None


def iri_problem(text: str) -> str | None:
    """Why ``text`` is not an absolute IRI (RFC 3987) RDF can hold; None if it is.

    Oxigraph's parser decides (forbidden characters, a second "#", a broken
    %-escape, a bad port or host): its refusal is the store's, the
    serialisers' and the SPARQL endpoint's.

    >>> iri_problem("https://w3id.org/kg-nj/id/x") is None
    True
    >>> iri_problem("https://example.org/a b")
    "Invalid IRI code point ' '"
    """
    import pyoxigraph  # the store's own parser: what it refuses, kg cannot hold

    try:
        pyoxigraph.NamedNode(text)
    except ValueError as exc:
        return _printable(str(exc))
    bidi = _BIDI.search(text)
    if bidi is not None:
        # RFC 3987 4.1 forbids them, Oxigraph does not check: an IRI shown
        # with U+202E reads backwards ("…/\u202egnp.exe" shows as "exe.png").
        return f"bidirectional formatting character U+{ord(bidi.group()):04X}"
    return None


# LRM, RLM, LRE, RLE, PDF, LRO, RLO (RFC 3987 4.1) and the isolates LRI…PDI.
_BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _printable(message: str) -> str:
    """``message`` with what a terminal would act on escaped (Oxigraph quotes
    the character it refuses: a newline, an escape)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)


def is_iri(text: str) -> bool:
    """Whether ``text`` is an absolute IRI (see :func:`iri_problem`).

    >>> is_iri("mailto:someone@example.org"), is_iri("http://[::1")
    (True, False)
    """
    return iri_problem(text) is None


def is_absolute_iri(text: str, schemes: Iterable[str] | None = None) -> bool:
    """Whether ``text`` is an IRI as a person writes one: an IRI (:func:`is_iri`)
    with an authority (or ``urn:``), in one of ``schemes`` when given.

    >>> is_absolute_iri("https://w3id.org/kg-nj/id/x"), is_absolute_iri("foaf:Person")
    (True, False)
    """
    if not is_iri(text):
        return False
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return False
    if not (parts.netloc or parts.scheme == "urn"):
        return False
    return schemes is None or parts.scheme in schemes


@lru_cache(maxsize=1024)
def language_tag_problem(text: str) -> str | None:
    """Why ``text`` is not a language tag kg takes; None if it is.

    >>> language_tag_problem("ja-Latn-JP") is None, language_tag_problem("en\\n") is None
    (True, False)
    """
    import pyoxigraph  # RDF's rule for language tags, as the store applies it

    try:
        pyoxigraph.Literal("", language=text)
    except ValueError as exc:
        return _printable(str(exc))
    if not _LANGUAGE_SUBTAG.match(text):
        return "its language subtag must have two or three letters, as ISO 639 codes do"
    return None


def is_language_tag(text: str) -> bool:
    """Whether ``text`` is a well-formed BCP 47 language tag (RFC 5646) with a
    language subtag of two or three letters.

    >>> is_language_tag("fr-CA"), is_language_tag("en-US-US"), is_language_tag("english")
    (True, False, False)
    """
    return language_tag_problem(text) is None


def date_datatype(text: str) -> str | None:
    """The xsd datatype (local name) of a date written "YYYY-MM-DD", "YYYY-MM"
    or "YYYY"; None if ``text`` is not a real date so written.

    >>> date_datatype("2013-06-25"), date_datatype("2013-06"), date_datatype("2024-02-30")
    ('date', 'gYearMonth', None)
    """
    m = _DATE.fullmatch(text)
    if not m:
        return None
    year, month, day = m.groups()
    if day:
        try:
            _date(int(year), int(month), int(day))
        except ValueError:
            return None
        return "date"
    if month:
        return "gYearMonth" if 1 <= int(month) <= 12 else None
    return "gYear"


def datetime_lexical(text: str) -> str | None:
    """The xsd:dateTime lexical form of "YYYY-MM-DDThh:mm[:ss]" (seconds added
    when missing); None if ``text`` is not a real date and time so written.

    >>> datetime_lexical("2013-06-25T09:30"), datetime_lexical("2013-06-25T24:00")
    ('2013-06-25T09:30:00', None)
    """
    m = _DATETIME.fullmatch(text)
    if not m:
        return None
    y, mo, d, h, mi, sec = m.groups()
    try:
        _date(int(y), int(mo), int(d))
    except ValueError:
        return None
    if int(h) > 23 or int(mi) > 59 or (sec is not None and int(sec) > 59):
        return None
    return text if sec is not None else text + ":00"


def is_integer(text: str, *, signed: bool = False) -> bool:
    """Whether ``text`` is a whole number written in ASCII digits without
    leading zeros, at most :data:`MAX_INTEGER_DIGITS` of them (and, when
    ``signed``, perhaps a minus sign).

    >>> is_integer("80"), is_integer("0755"), is_integer("-3"), is_integer("-3", signed=True)
    (True, False, False, True)
    >>> is_integer("9" * 18), is_integer("9" * 19)
    (True, False)
    """
    return (_SIGNED_INTEGER if signed else _INTEGER).fullmatch(text) is not None


def integer_too_long(text: str) -> int:
    """The number of digits of ``text``, an xsd:integer written in more digits
    than Python converts to a number (``sys.get_int_max_str_digits()``); 0 if
    it is not one.

    >>> integer_too_long("1" * 5000), integer_too_long("-" + "1" * 4300)
    (5000, 0)
    """
    limit = sys.get_int_max_str_digits()
    if not limit or len(text) <= limit:
        return 0
    m = _XSD_INTEGER.fullmatch(text)
    return len(m.group(1)) if m and len(m.group(1)) > limit else 0


def find_control(text: str) -> int:
    """The index of the first character literal text may not hold, or -1.

    >>> find_control("two\\nlines\\tand a tab"), find_control("bell\\a")
    (-1, 4)
    """
    m = _CONTROL.search(text)
    return -1 if m is None else m.start()


def control_character(text: str) -> str | None:
    """The first character literal text may not hold (a C0 or C1 control
    character other than tab and line feed, or a lone surrogate), or None.

    >>> control_character("a\\u2028b"), control_character("\\x1b[2J")
    (None, '\\x1b')
    """
    i = find_control(text)
    return None if i < 0 else text[i]


def character_name(ch: str) -> str:
    """What a message calls a character :func:`control_character` refused.

    >>> character_name("\\x1b"), character_name("\\ud800")
    ('control character U+001B', 'lone surrogate U+D800 (no character)')
    """
    if _SURROGATE.match(ch):
        return f"lone surrogate U+{ord(ch):04X} (no character)"
    return f"control character U+{ord(ch):04X}"


def lone_surrogate(text: str) -> str | None:
    """The first lone surrogate in ``text`` (no character: text read with the
    wrong encoding, or an escape that writes half a pair), or None.

    >>> lone_surrogate("SELECT"), lone_surrogate("caf\\udce9")
    (None, '\\udce9')
    """
    m = _SURROGATE.search(text)
    return None if m is None else m.group()


# Each C0 and C1 control character as Python writes it in a string: `\x1b`, `\r`, `\x9b`.
_ESCAPES = {c: repr(chr(c))[1:-1] for c in [*range(0x20), *range(0x7F, 0xA0)]}


@lru_cache(maxsize=8)
def _escapes(keep: str) -> tuple[re.Pattern[str], dict[int, str]]:
    """What to look for, and what to write for each, when ``keep`` is kept."""
    table = {c: e for c, e in _ESCAPES.items() if chr(c) not in keep}
    return re.compile("[" + "".join(re.escape(chr(c)) for c in table) + "]"), table


def visible(text: str, keep: str = "") -> str:
    """``text`` for a terminal: each C0 and C1 control character (U+0000 to
    U+001F, U+007F to U+009F) but those in ``keep`` written as an escape.

    A terminal acts on these (ESC starts sequences that retitle the window,
    clear the screen or move the cursor; a carriage return overwrites the
    line): text quoted from a file or a store is shown, never obeyed. Every
    renderer for people calls this at its output; machine formats (CSV, TSV,
    JSON, XML, RDF) keep the exact text.

    >>> print(visible("evil\\x1b]0;owned\\x07 \\x9b2J"))
    evil\\x1b]0;owned\\x07 \\x9b2J
    >>> visible("two\\nlines\\r", keep="\\n")
    'two\\nlines\\\\r'
    """
    found, table = _escapes(keep)
    if found.search(text) is None:  # nearly always: no copy (tables of 20k rows)
        return text
    return text.translate(table)
