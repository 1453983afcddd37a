#!/usr/bin/env python3
"""Fetch the report site's third-party JavaScript with npm and vendor it.

Each package is fetched with ``npm pack NAME@VERSION`` (the registry's tarball,
checked against the sha512 integrity pinned below) and the files the site uses
are copied to ``src/kg/views/report/vendor/NAME/``, where they are committed:
``kg report`` copies them into the site and nothing is fetched when a site is
built or viewed. Run it only to change a version (then update the pins and
``vendor/VENDOR.md``)::

    python scripts/vendor_js.py
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[1] / "src" / "kg" / "views" / "report" / "vendor"

# name: (version, npm integrity, {path in the tarball: vendored name})
PACKAGES = {
    "minisearch": (
        "7.2.0",
        "sha512-dqT2XBYUOZOiC5t2HRnwADjhNS2cecp9u+TJRiJ1Qp/f5qjkeT5APcGPjHw+bz89Ms8Jp+cG4AlE+QZ/QnDglg==",
        {"package/dist/umd/index.js": "index.js", "package/LICENSE.txt": "LICENSE.txt"},
    ),
    "cytoscape": (
        "3.35.0",
        "sha512-sMvBIXiGMnhkCaWz2R06FwF/27MNlS+Tqvi17foO9UhnUg3XGZccKjxsvEqQFAQYMSSZmN5SxYzUYlQ0DOJJ3g==",
        {"package/dist/cytoscape.min.js": "cytoscape.min.js", "package/LICENSE": "LICENSE"},
    ),
    # The npm tarball holds no licence file: oxigraph is "MIT OR Apache-2.0" (its
    # package.json); vendor/oxigraph/LICENSE is the MIT text of the project's
    # repository (LICENSE-MIT), committed by hand.
    "oxigraph": (
        "0.5.11",
        "sha512-zKdgmp1tsrutGzC1lCCywwZRPpLJKaJnKSDWoY2hIhMiwiCRRXNN1DU7WUyTInBvgPKT8Y5N+RgwTL8qKXpLng==",
        {
            "package/web.js": "web.js",
            "package/web_bg.wasm": "web_bg.wasm",
            "package/package.json": "package.json",
        },
    ),
}


def integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def vendor(name: str, version: str, pinned: str, files: dict[str, str], work: Path) -> None:
    done = subprocess.run(
        ["npm", "pack", f"{name}@{version}", "--json", "--pack-destination", str(work)],
        capture_output=True,
        text=True,
        check=True,
    )
    tarball = work / json.loads(done.stdout)[0]["filename"]
    got = integrity(tarball.read_bytes())
    if got != pinned:
        sys.exit(f"{name}@{version}: integrity {got} is not the pinned {pinned}")
    out = VENDOR / name
    out.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball) as tar:
        for member, target in files.items():
            data = tar.extractfile(member)
            if data is None:
                sys.exit(f"{name}@{version}: no {member} in the tarball")
            (out / target).write_bytes(data.read())
    print(f"{name}@{version}: {', '.join(files.values())} -> {out}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name, (version, pinned, files) in PACKAGES.items():
            vendor(name, version, pinned, files, Path(tmp))


if __name__ == "__main__":
    main()
