"""Run the README's console examples and, with --update, write their real output back.

    python tests/readme_examples.py --update

Each ```console block holds `$ kg …` lines, each followed by its output. The
examples run in a fresh temporary folder (after `kg build -o build` when they
read build/), exactly as tests/test_docs.py runs them to check the README.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
import tempfile
from pathlib import Path

from click.testing import CliRunner

ROOT = Path(__file__).parents[1]
README = ROOT / "README.md"
BLOCK_RE = re.compile(r"(```console\n)(.*?)(```)", re.S)


def examples(text: str) -> list[tuple[str, str]]:
    """(command line, expected output) for each `$ kg …` in ```console blocks."""
    out = []
    for match in BLOCK_RE.finditer(text):
        current: list[str] | None = None
        for line in match.group(2).splitlines():
            if line.startswith("$ "):
                if current is not None:
                    out.append((current[0], "\n".join(current[1:])))
                current = [line[2:]]
            elif current is not None:
                current.append(line)
        if current is not None:
            out.append((current[0], "\n".join(current[1:])))
    return out


def run(line: str, workdir: Path) -> str:
    """Run one example line in ``workdir`` and return what a user would see."""
    from kg.cli.app import cli

    args = shlex.split(line)
    assert args[0] == "kg", line
    runner = CliRunner()
    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        if "build/" in line and not (workdir / "build" / "kg.ttl").exists():
            runner.invoke(cli, ["build", "-o", "build"], obj={})
        result = runner.invoke(cli, args[1:], obj={})
    finally:
        os.chdir(cwd)
    return result.output.rstrip("\n")


def update() -> None:
    text = README.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "docs").symlink_to(ROOT / "docs")

        def fill(match: re.Match[str]) -> str:
            lines = []
            for line, _old in examples(match.group(0)):
                lines.append(f"$ {line}")
                output = run(line, work)
                if output:
                    lines.append(output)
            return match.group(1) + "\n".join(lines) + "\n" + match.group(3)

        README.write_text(BLOCK_RE.sub(fill, text), encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit(__doc__)
    update()
