"""``kg records``: for people who write records (templates, the authoring guide)."""

from __future__ import annotations

from pathlib import Path

import click

from kg.cli.app import KgCommand, cli
from kg.cli.options import _emit, output_option


class _RecordsGroup(click.Group):
    command_class = KgCommand  # offline, as every command


@cli.group(cls=_RecordsGroup)
def records() -> None:
    """Write records: a type's empty template, the authoring guide.

    Examples:

        kg records template meeting --format csv > meetings.csv

        kg records guide -o docs/records.md
    """


@records.command()
@click.argument("record_type", metavar="TYPE")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["yaml", "csv", "tsv"]),
    default="yaml",
    show_default=True,
    help="yaml: a record with every field, commented; csv, tsv: a table's header "
    "(what each column takes on standard error).",
)
def template(record_type: str, fmt: str) -> None:
    """Print an empty record of TYPE: every field, what it takes, whether it is needed.

    Examples:

        kg records template event > new-events.yaml

        kg records template meeting --format csv > meetings.csv
    """
    from kg.views.authoring import template as make_template

    text, legend = make_template(record_type, fmt)
    _emit(text, None)
    if legend:
        click.echo(legend, err=True, nl=False)


@records.command()
@output_option(
    "Replace the record types' part of this Markdown file (between its markers; "
    "a new file: the part alone)."
)
def guide(output: Path | None) -> None:
    """Print the record types' part of the authoring guide (docs/records.md):
    every type, its fields, what each takes, whether it is needed, an example.

    Example:

        kg records guide -o docs/records.md
    """
    from kg.views.authoring import guide_document

    _emit(guide_document(output), output)
    if output is not None:
        click.echo(f"Wrote {output}")
