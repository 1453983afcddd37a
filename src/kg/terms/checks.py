"""The one rule for each kind of term text: record ids, IRIs, language tags,
dates, date-times, integers and literal text.

The records reader, the builder, the RDF readers and the writers all ask
these, so a value is accepted or refused the same way on every path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date as _date
from urllib.parse import urlsplit

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


LANG_RE = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")


DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


DATETIME_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$")


INTEGER_RE = re.compile(r"^(0|[1-9][0-9]*)$")


# Characters that are never valid in an IRI (RFC 3987) and would break N-Triples.
IRI_BAD_RE = re.compile(r'[\x00-\x20<>"{}|\\^`\x7f-\x9f]')


# C0/C1 control characters other than tab and newline have no place in text.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _check_date(s: str) -> str | None:
    """Return the xsd type name for a date string, or None if it is not a real date."""
    m = DATE_RE.match(s)
    if not m:
        return None
    year, month, day = m.group(1), m.group(2), m.group(3)
    try:
        if day:
            _date(int(year), int(month), int(day))
            return "date"
        if month:
            if not 1 <= int(month) <= 12:
                return None
            return "gYearMonth"
        return "gYear"
    except ValueError:
        return None


def _check_datetime(s: str) -> str | None:
    m = DATETIME_RE.match(s)
    if not m:
        return None
    y, mo, d, h, mi, sec = m.groups()
    try:
        _date(int(y), int(mo), int(d))
    except ValueError:
        return None
    if int(h) > 23 or int(mi) > 59 or (sec is not None and int(sec) > 59):
        return None
    return s if sec is not None else s + ":00"


_BAD_PERCENT_RE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _is_absolute_iri(s: str, schemes: Iterable[str] | None = None) -> bool:
    """An absolute IRI (RFC 3987): a scheme, an authority (or urn:), no
    forbidden characters and no broken %-escapes.

    >>> _is_absolute_iri("https://w3id.org/kg-nj/id/x"), _is_absolute_iri("http://[::1")
    (True, False)
    """
    if IRI_BAD_RE.search(s) or _BAD_PERCENT_RE.search(s):
        return False
    try:
        parts = urlsplit(s)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    if not parts.scheme or not (parts.netloc or parts.scheme == "urn"):
        return False
    if schemes is not None and parts.scheme not in schemes:
        return False
    # Oxigraph's IRI parser is stricter than urlsplit (a second "#", say): what
    # it refuses could be neither stored, exported nor pushed.
    import pyoxigraph

    try:
        pyoxigraph.NamedNode(s)
    except ValueError:
        return False
    return True
