"""The report site of the bundled records, built once for the browser tests, and a
headless Chromium to open it with (installed from Debian when asked to)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from shared import shared_folder

BROWSERS = ("chromium", "chromium-browser")


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`kg report` of the bundled records, written to a temporary folder: built once
    per run and shared by the xdist workers, its files read-only."""
    from kg.views.report.site import generate

    return shared_folder(tmp_path_factory, "bundled-report", generate)


def _find_browser() -> str | None:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path to Chromium. When absent it is installed (apt-get install chromium) under
    CI=true or KG_BROWSER_TESTS=1; otherwise the browser tests are skipped."""
    found = _find_browser()
    if found:
        return found
    wanted = os.environ.get("CI") == "true" or os.environ.get("KG_BROWSER_TESTS") == "1"
    if not wanted:
        pytest.skip(
            "chromium is not installed; set KG_BROWSER_TESTS=1 (or CI=true) to install "
            "Debian's chromium with apt-get and run the browser tests"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "chromium"]
    done = subprocess.run(install, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:  # the package lists may be missing or stale
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, check=False)
        done = subprocess.run(install, env=env, capture_output=True, text=True, check=False)
    found = _find_browser()
    if not found:
        pytest.fail(f"could not install chromium:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return found
