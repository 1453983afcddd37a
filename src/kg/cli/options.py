"""Options several commands share, written once."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from kg.engines import ENGINES
from kg.errors import UsageError, did_you_mean
from kg.rdfio.formats import EXPORT_FORMATS, RDF_FORMATS, RESULT_FORMATS
from kg.sandbox.limits import limit_value

RDF_FORMAT_NAMES = list(RDF_FORMATS)


RESULT_FORMAT_NAMES = list(RESULT_FORMATS)


EXPORT_FORMAT_NAMES = list(EXPORT_FORMATS)  # kg export's: RDF, then the network's


# kg query's: a name in both lists (xml) is looked up among the kind of the answer.
QUERY_FORMAT_NAMES = RESULT_FORMAT_NAMES + [f for f in RDF_FORMAT_NAMES if f not in RESULT_FORMATS]


SEVERITY_NAMES = ["violation", "warning", "info"]


class Choice(click.Choice):  # type: ignore[type-arg]
    """click's Choice, an unknown value's hint from :func:`kg.errors.did_you_mean`
    (``--format jsn``: did you mean 'json'?). Every option of kg with a fixed
    set of values takes one of these."""

    def get_invalid_choice_message(self, value: Any, ctx: click.Context | None) -> str:
        hint = did_you_mean(str(value), [str(c) for c in self.choices])
        return super().get_invalid_choice_message(value, ctx).removesuffix(".") + hint


def graph_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--graph / --records / --reason: which graph a read command works on."""

    @click.option(
        "--graph",
        "graph_file",
        type=click.Path(path_type=Path, dir_okay=False),
        help="An RDF file to use (e.g. build/kg.ttl) instead of the records.",
    )
    @click.option(
        "--records",
        type=click.Path(path_type=Path),
        help="A records folder or file to build from. Default: the bundled NATO–Japan records.",
    )
    @click.option("--reason", is_flag=True, help="Add the OWL RL entailments.")
    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return f(*args, **kwargs)

    return wrapper


def records_option(argument: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """--records DIR on a command that takes its records as the argument
    ``argument`` too (kg build RECORDS, kg validate PATHS): the option every
    other command takes works here as well, and giving both is refused."""

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        @click.option(
            "--records",
            "records_option",
            type=click.Path(path_type=Path),
            help=f"A records folder or file (the same as giving it as {argument.upper()}).",
        )
        @functools.wraps(f)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            given = kwargs.pop("records_option")
            if given is not None:
                if kwargs[argument]:
                    raise UsageError(
                        f"give the records as {argument.upper()} or with --records, not both"
                    )
                kwargs[argument] = (given,) if isinstance(kwargs[argument], tuple) else given
            return f(*args, **kwargs)

        return wrapper

    return decorate


def engine_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """--engine native|reference: Oxigraph and kg's native reasoner and validator, or
    the reference engines (rdflib SPARQL, owlrl, pySHACL). Same answers."""
    return click.option(
        "--engine",
        type=Choice(ENGINES),
        default="native",
        show_default=True,
        help="native: Oxigraph store, native OWL RL and SHACL (fast); "
        "reference: rdflib, owlrl, pySHACL. Both give the same answers.",
    )(f)


def remote_options(f: Callable[..., Any] | None = None, *, timeout: float = 30.0) -> Any:
    """--user / --password / --auth / --timeout / --retries, passed on as ``conn``
    (a :class:`kg.remote.http.Connection`) to a command that talks to a store.
    ``@remote_options(timeout=S)`` gives --timeout another default."""
    if f is None:
        return functools.partial(remote_options, timeout=timeout)

    @click.option("--user", envvar="KG_USER", show_envvar=True, help="User name for the store.")
    @click.option(
        "--password",
        envvar="KG_PASSWORD",
        show_envvar=True,
        help="Password (prefer the environment variable: options show in process lists).",
    )
    @click.option(
        "--auth",
        "auth_type",
        type=Choice(["basic", "digest"]),
        default="basic",
        show_default=True,
        help="HTTP authentication scheme (Virtuoso's -auth endpoints: digest).",
    )
    @click.option(
        "--timeout",
        type=SECONDS,
        default=timeout,
        show_default=True,
        metavar="SECONDS",
        help="Give up on a request the store has not answered (kg query: a query; kg push: "
        "an upload, which a store may take minutes to load) in this time.",
    )
    @click.option(
        "--retries",
        type=int,
        default=3,
        show_default=True,
        help="Retries (exponential backoff) of PUT/GET and queries on transient failures.",
    )
    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from kg.remote.http import Connection

        kwargs["conn"] = Connection(
            user=kwargs.pop("user") or None,
            password=kwargs.pop("password"),
            auth=kwargs.pop("auth_type"),
            timeout=kwargs.pop("timeout"),
            retries=kwargs.pop("retries"),
        )
        return f(*args, **kwargs)

    return wrapper


def output_option(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """-o/--output FILE, given to the command as a Path, or None for standard
    output (no -o, or ``-o -``; ``./-`` is a file named "-"). A FILE that
    exists and is not a regular file (a FIFO, a device, a socket, or a link
    to one) is refused here, before any work
    (:func:`kg.rdfio.atomic.refuse_special`)."""

    def target(ctx: click.Context, param: click.Parameter, value: str | None) -> Path | None:
        from kg.errors import OutputError
        from kg.rdfio.atomic import refuse_special

        if value is None or value == "-":
            return None
        path = Path(value)
        try:
            refuse_special(path)
        except OutputError as exc:
            raise OutputError(f"{exc}; -o - writes to standard output") from None
        return path

    return click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, allow_dash=True),
        callback=target,
        help=f"{what} -o - (or no -o): standard output.",
    )


class _Seconds(click.ParamType):
    """A time limit in seconds: 0 (none) or a finite number (kg.sandbox.limits's rule)."""

    name = "seconds"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, float):
            return value
        try:
            number = float(value)
        except ValueError:
            self.fail(f"{value!r} is not a number", param, ctx)
        try:
            return limit_value(number, "")  # click names the option
        except UsageError as exc:
            self.fail(str(exc), param, ctx)


SECONDS = _Seconds()


def _emit(text: str | bytes, out: Path | None, rdf: str | None = None) -> None:
    """Write ``text`` to ``out`` atomically, or to standard output. ``rdf``: the RDF
    format of ``text`` (rdflib's serialiser wrote it), read back by Oxigraph's
    parser first (:func:`kg.rdfio.write.read_back`): bytes that do not read
    are an error, and nothing is written."""
    from kg.rdfio.atomic import atomic_write
    from kg.rdfio.write import read_back

    data = text.encode("utf-8") if isinstance(text, str) else text
    if out is None:
        if rdf is not None:
            read_back(data, rdf, "rdflib", "standard output")
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    elif rdf is None:
        atomic_write(out, lambda fh: fh.write(data))
    else:
        fmt, name = rdf, str(out)

        def check(tmp: Path) -> None:  # the file as written, before the rename
            read_back(tmp.read_bytes(), fmt, "rdflib", name)

        atomic_write(out, lambda fh: fh.write(data), check)


def _parse_params(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for v in values:
        name, sep, value = v.partition("=")
        if not sep or not name:
            raise UsageError(f"-p takes name=value, got {v!r}")
        out[name.strip()] = value
    return out
