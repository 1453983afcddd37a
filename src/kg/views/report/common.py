"""Small helpers the report's pictures share."""

from __future__ import annotations

import re

# --- small helpers ------------------------------------------------------------------------


def rounded(x: float) -> float:
    """Round a coordinate so layouts print the same on every machine."""
    return round(x, 1) + 0.0


def shorten(text: str, n: int = 34) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def year_value(text: str) -> float | None:
    """A date as a fractional year (2013-07-01 -> about 2013.5)."""
    m = re.match(r"^(-?\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", text)
    if not m:
        return None
    year = int(m.group(1))
    month = int(m.group(2) or 1)
    day = int(m.group(3) or 1)
    return year + (month - 1) / 12 + (day - 1) / 365
