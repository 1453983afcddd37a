"""Errors kg raises, and the exit code each maps to.

The CLI turns these into a one-line ``Error: …`` and the exit code; nothing
else in kg decides exit codes. Codes: 0 success, 1 data does not conform,
2 bad input / refused request / usage error, 3 remote store or network failure.
"""

from __future__ import annotations

from dataclasses import dataclass

EXIT_OK = 0
EXIT_NONCONFORMING = 1
EXIT_BAD_INPUT = 2
EXIT_REMOTE = 3


@dataclass(frozen=True)
class Location:
    """Where in the records a problem is: file, line, record id and field."""

    file: str | None = None
    line: int | None = None
    record: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = self.file or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        parts = [where]
        if self.record:
            parts.append(f"record {self.record!r}")
        if self.field:
            parts.append(f"field {self.field!r}")
        return ", ".join(parts)


class KgError(Exception):
    """Base class: every error kg expects carries its exit code."""

    exit_code = EXIT_BAD_INPUT


class BadInput(KgError):
    """Input that cannot be used: malformed records, unknown fields, bad RDF."""

    def __init__(self, message: str, location: Location | None = None) -> None:
        self.location = location
        super().__init__(f"{location}: {message}" if location else message)


class BadRecords(BadInput):
    """Several record problems found in one pass; each names its location."""

    def __init__(self, problems: list[BadInput]) -> None:
        self.problems = problems
        head = f"{len(problems)} problem(s) in the records"
        lines = [str(p) for p in problems[:50]]
        if len(problems) > 50:
            lines.append(f"… and {len(problems) - 50} more")
        KgError.__init__(self, head + ":\n  " + "\n  ".join(lines))
        self.location = problems[0].location if problems else None


class UsageError(KgError):
    """A request kg refuses: unknown query, missing parameter, bad option value."""


class NotConforming(KgError):
    """The data does not conform to the shapes (at or above --fail-on)."""

    exit_code = EXIT_NONCONFORMING


class RemoteError(KgError):
    """A remote store or the network failed."""

    exit_code = EXIT_REMOTE
