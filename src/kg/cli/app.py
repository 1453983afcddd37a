"""The ``kg`` group: offline by default, kg's errors mapped to exit codes in one place."""

from __future__ import annotations

import errno
from typing import Any

import click

from kg import __version__
from kg.errors import EXIT_BAD_INPUT, KgError
from kg.terms.checks import visible


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
        except OSError as exc:
            # What the paths above leave to the system: standard output that
            # cannot be written (a full disk, a closed pipe), a name too long.
            if exc.errno not in _LOCAL_ERRNOS:
                raise
            where = f": {exc.filename}" if exc.filename is not None else " (standard output?)"
            _fail(ctx, f"{exc.strerror}{where}", EXIT_BAD_INPUT)


_LOCAL_ERRNOS = frozenset(
    getattr(errno, name)
    for name in ("ENOSPC", "EDQUOT", "EPIPE", "EIO", "EFBIG", "ENAMETOOLONG", "EROFS")
    if hasattr(errno, name)
)


def _fail(ctx: click.Context, message: str, code: int) -> None:
    """End the command with ``Error: message`` and its exit code. ``--debug``
    prints the traceback first and keeps the code: re-raising would make
    every error exit 1, and a script would read a refusal as "does not conform"."""
    if ctx.obj and ctx.obj.get("debug"):
        import traceback

        # The traceback quotes the input too (a file name, a store's answer).
        click.echo(visible(traceback.format_exc(), keep="\n\t"), err=True, nl=False)
    click.echo(f"Error: {visible(message, keep=chr(10) + chr(9))}", err=True)
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
    return visible(str(exc), keep="\n\t")
