"""The two file jobs every module shares: writing a file whole (temp path, then rename) and hashing one."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """The hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def atomic_write_bytes(path: Path, data: bytes, mode: int | None = None) -> Path:
    """Write data to path through a unique temp file in the same directory, then rename it into place.

    A reader never sees half a file, parallel writers never share a temp name, and a failed write leaves
    nothing behind. What was at `path` (a symlink, a device) is replaced, never written through.
    """
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        if mode is not None:
            Path(temp_name).chmod(mode)
        Path(temp_name).replace(path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: Path, text: str, mode: int | None = None) -> Path:
    """atomic_write_bytes for text, encoded as UTF-8."""
    return atomic_write_bytes(path, text.encode(), mode)
