"""Test helper: edits to built files as copying tools bring them in."""

from __future__ import annotations

import os
from pathlib import Path


def edit_keeping_size_and_time(path: Path, old: bytes, new: bytes) -> None:
    """Edit ``path`` as ``cp -p``, ``rsync -a`` or tar can bring an edit in: the
    same size and the same modification time (older than the store's stamp)."""
    assert len(old) == len(new)
    st = path.stat()
    data = path.read_bytes()
    assert data.count(old) >= 1
    path.write_bytes(data.replace(old, new))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
