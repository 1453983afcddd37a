"""The site's vendored JavaScript (``vendor/``, see ``vendor/VENDOR.md``) and kg's
own scripts (``assets/``), as the files a site ships.

A page opened from disk (``file://``) may run classic ``<script src>`` files
only: browsers refuse ``fetch()``, local XHR and ES modules there. Oxigraph's
npm build is an ES module that fetches its WebAssembly, so it is shipped as a
classic script with the WebAssembly inlined (base64) that sets
``globalThis.kgOxigraph`` to a promise of the module's exports.

>>> script = oxigraph_script()
>>> script.startswith(b"/*") and b"import.meta" not in script and b"\\nexport " not in script
True
"""

from __future__ import annotations

import base64
import re
from functools import cache
from pathlib import Path

VENDOR = Path(__file__).parent / "vendor"
ASSETS = Path(__file__).parent / "assets"

_EXPORTED = re.compile(r"^export (class|function) (\w+)", re.MULTILINE)
_EXPORT_LIST = re.compile(r"^export \{[^}]*\};?\s*$", re.MULTILINE)


@cache
def oxigraph_script() -> bytes:
    """Oxigraph's ``web.js`` as a classic script, its ``web_bg.wasm`` inlined."""
    source = (VENDOR / "oxigraph" / "web.js").read_text(encoding="utf-8")
    wasm = (VENDOR / "oxigraph" / "web_bg.wasm").read_bytes()
    names = [m.group(2) for m in _EXPORTED.finditer(source)]
    body = _EXPORT_LIST.sub("", _EXPORTED.sub(r"\1 \2", source))
    # Never reached (the module is passed in), but `import.meta` is a syntax
    # error outside a module.
    body = body.replace("import.meta.url", "document.baseURI")
    wasm64 = base64.b64encode(wasm).decode("ascii")
    exports = ", ".join(names)
    text = (
        "/* Oxigraph (npm oxigraph, MIT OR Apache-2.0, see vendor/oxigraph/LICENSE): web.js as a\n"
        "   classic script with web_bg.wasm inlined, made by kg report. */\n"
        "globalThis.kgOxigraph = (function () {\n"
        '"use strict";\n'
        f"{body}\n"
        f'const wasm64 = "{wasm64}";\n'
        "const raw = atob(wasm64);\n"
        "const bytes = new Uint8Array(raw.length);\n"
        "for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);\n"
        f"return __wbg_init({{ module_or_path: bytes }}).then(() => ({{ {exports} }}));\n"
        "})();\n"
    )
    return text.encode("utf-8")


def vendored(package: str, name: str) -> bytes:
    """A vendored file, as committed."""
    return (VENDOR / package / name).read_bytes()


def vendored_package(package: str) -> dict[str, bytes]:
    """A vendored library's files (its code and its licence), at
    ``vendor/PACKAGE/`` in the site."""
    folder = VENDOR / package
    return {f"vendor/{package}/{p.name}": p.read_bytes() for p in sorted(folder.iterdir())}


def asset(name: str) -> bytes:
    """One of kg's own scripts."""
    return (ASSETS / name).read_bytes()
