"""Run the README's console examples and, with --update, write their real output back.

    python tests/readme_examples.py --update

Each ```console block holds `$ kg …` lines, each followed by its output. A
command that exits with another code than 0 is followed by `$ echo $?` and
that code, as a shell shows it. The examples run in a fresh temporary folder
(after `kg build -o build` when they read build/), exactly as
tests/test_docs.py runs them to check the README: output and exit code.

The round trip on a copy of the records starts with `$ cp -r records
my-records` (the one line that is not kg's); a later line that reads
my-records/ or out/ gets them made first, the copy and `kg build my-records
-o out`, as the lines before it in the README made them.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

from click.testing import CliRunner

ROOT = Path(__file__).parents[1]
README = ROOT / "README.md"
BLOCK_RE = re.compile(r"(```console\n)(.*?)(```)", re.S)


ECHO_STATUS = "echo $?"


COPY = "cp -r records my-records"


def examples(text: str) -> list[tuple[str, str, int]]:
    """(command line, expected output, expected exit code) for each `$ kg …` in
    ```console blocks."""
    out: list[tuple[str, str, int]] = []
    for match in BLOCK_RE.finditer(text):
        current: list[str] | None = None
        lines = iter(match.group(2).splitlines())
        for line in lines:
            if line == f"$ {ECHO_STATUS}":
                assert current is not None, "`$ echo $?` before any command"
                out.append((current[0], "\n".join(current[1:]), int(next(lines))))
                current = None
            elif line.startswith("$ "):
                if current is not None:
                    out.append((current[0], "\n".join(current[1:]), 0))
                current = [line[2:]]
            elif current is not None:
                current.append(line)
        if current is not None:
            out.append((current[0], "\n".join(current[1:]), 0))
    return out


def run(line: str, workdir: Path) -> tuple[str, int]:
    """Run one example line in ``workdir``; return what a user would see and
    the exit code."""
    from kg.cli.app import cli

    copy = workdir / "my-records"
    if (line == COPY or "my-records" in line or "out/" in line) and not copy.exists():
        shutil.copytree(ROOT / "records", copy)
    if line == COPY:
        return "", 0
    args = shlex.split(line)
    assert args[0] == "kg", line
    runner = CliRunner()
    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        if "build/" in line and not (workdir / "build" / "kg.ttl").exists():
            built = runner.invoke(cli, ["build", "-o", "build"], obj={})
            assert built.exit_code == 0, built.output
        if "out/" in line and not (workdir / "out" / "kg.ttl").exists():
            built = runner.invoke(cli, ["build", "my-records", "-o", "out"], obj={})
            assert built.exit_code == 0, built.output
        result = runner.invoke(cli, args[1:], obj={})
    finally:
        os.chdir(cwd)
    return result.output.rstrip("\n"), result.exit_code


def update() -> None:
    text = README.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "docs").symlink_to(ROOT / "docs")

        def fill(match: re.Match[str]) -> str:
            lines = []
            for line, _old, _code in examples(match.group(0)):
                lines.append(f"$ {line}")
                output, code = run(line, work)
                if output:
                    lines.append(output)
                if code != 0:
                    lines += [f"$ {ECHO_STATUS}", str(code)]
            return match.group(1) + "\n".join(lines) + "\n" + match.group(3)

        README.write_text(BLOCK_RE.sub(fill, text), encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit(__doc__)
    update()
