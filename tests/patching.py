"""Test helper: replace a function on every path that calls it."""

from __future__ import annotations


def patch_everywhere(monkeypatch, module, name, replacement):
    """Replace ``module.name`` in ``module`` and in every kg module that imported
    it (``from … import name`` binds it there too), so no path still calls the
    original. Returns the original."""
    import sys

    original = getattr(module, name)
    for mod_name, mod in list(sys.modules.items()):
        if (mod_name == "kg" or mod_name.startswith("kg.")) and getattr(
            mod, name, None
        ) is original:
            monkeypatch.setattr(mod, name, replacement)
    return original
