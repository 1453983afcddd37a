"""The ``kg`` group: offline by default, kg's errors mapped to exit codes in one place."""

from __future__ import annotations

import errno
from typing import Any

import click

from kg import __version__
from kg.errors import EXIT_BAD_INPUT, KgError, did_you_mean
from kg.terms.checks import visible


class _Hints(click.Command):
    """An unknown option's hint from :func:`kg.errors.did_you_mean`, phrased and
    ranked as every other near miss of kg's (click has its own)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as exc:
            names = [o for p in self.get_params(ctx) for o in (*p.opts, *p.secondary_opts)]
            hint = did_you_mean(exc.option_name, names)
            raise click.NoSuchOption(
                exc.option_name, f"no such option {exc.option_name!r}{hint}", ctx=ctx
            ) from None


class KgCommand(_Hints):
    """A command that runs offline (:func:`kg.sandbox.offline.offline`) unless it talks
    to a store or serves by design; those open only their own hosts."""

    ONLINE = frozenset({"push", "serve"})

    def invoke(self, ctx: click.Context) -> Any:
        if self.name in self.ONLINE:
            return super().invoke(ctx)
        from kg.sandbox.offline import offline

        with offline():
            return super().invoke(ctx)


class KgGroup(_Hints, click.Group):
    """Maps kg's exceptions to exit codes, for every command."""

    command_class = KgCommand

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.NoSuchCommand as exc:
            hint = did_you_mean(exc.command_name, self.list_commands(ctx))
            raise click.UsageError(
                f"no such command {exc.command_name!r}{hint}; `kg --help` lists them", ctx
            ) from None

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
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="No progress on standard error (shown only on a terminal, and not when CI is set).",
)
@click.pass_context
def cli(ctx: click.Context, debug: bool, quiet: bool) -> None:
    """kg: a knowledge graph of NATO–Japan relations, from curated records.

    Exit codes: 0 success (or conforms), 1 data does not conform, 2 bad input,
    a refused request (SERVICE, updates, a query over its limits), a usage
    error or an output that could not be written, 3 remote store or network
    failure.
    """
    from kg.progress import set_quiet

    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    set_quiet(quiet)


def _shown(exc: KgError) -> str:
    """The message for the terminal: control characters quoted from the input
    shown as escapes, lines and tabs kept (a list of record problems spans lines)."""
    return visible(str(exc), keep="\n\t")
