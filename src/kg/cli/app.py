"""The ``kg`` group: offline by default, kg's errors mapped to exit codes in one place."""

from __future__ import annotations

from typing import Any

import click

from kg import __version__
from kg.errors import EXIT_BAD_INPUT, KgError


class KgCommand(click.Command):
    """A command that runs offline (:func:`kg.sandbox.offline.offline`) unless it talks
    to a store or serves by design; those open only their own hosts."""

    ONLINE = frozenset({"push", "serve"})

    def invoke(self, ctx: click.Context) -> Any:
        if self.name in self.ONLINE:
            return super().invoke(ctx)
        from kg.sandbox.offline import offline

        with offline():
            return super().invoke(ctx)


class KgGroup(click.Group):
    """Maps kg's exceptions to exit codes, for every command."""

    command_class = KgCommand

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KgError as exc:
            _fail(ctx, _shown(exc), exc.exit_code)
        except RecursionError:
            _fail(ctx, "input nested too deeply to process", EXIT_BAD_INPUT)


def _fail(ctx: click.Context, message: str, code: int) -> None:
    """End the command with ``Error: message`` and its exit code. ``--debug``
    prints the traceback first and keeps the code: re-raising would make
    every error exit 1, and a script would read a refusal as "does not conform"."""
    if ctx.obj and ctx.obj.get("debug"):
        import traceback

        click.echo(traceback.format_exc(), err=True, nl=False)
    click.echo(f"Error: {message}", err=True)
    ctx.exit(code)


@click.group(cls=KgGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kg")
@click.option(
    "--debug", is_flag=True, help="Show a traceback on errors (the exit code stays the same)."
)
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """kg: a knowledge graph of NATO–Japan relations, from curated records.

    Exit codes: 0 success (or conforms), 1 data does not conform, 2 bad input,
    usage error or an output that could not be written, 3 remote store or
    network failure.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def _shown(exc: KgError) -> str:
    """The message for the terminal: control characters quoted from the input
    shown as escapes, lines and tabs kept (a list of record problems spans lines)."""
    from kg.terms.checks import visible

    return visible(str(exc), keep="\n\t")
