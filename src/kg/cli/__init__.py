"""The ``kg`` command: a thin shell over the library.

Each command reads its options, calls one library function, and renders the
result. Errors the library expects are turned into ``Error: …`` and an exit
code in one place (:class:`KgGroup`); tracebacks only with ``--debug``.
"""

from __future__ import annotations

from kg.cli import build, query, records, stores, views  # noqa: F401 - they register the commands
from kg.cli.app import cli


def main() -> None:
    cli(obj={})


if __name__ == "__main__":
    main()
