"""Scripts that run inside an image's interpreters (read as text and passed to the container)."""

from __future__ import annotations

from pathlib import Path


def probe_source(name: str) -> str:
    """The text of a probe script shipped in this folder."""
    return (Path(__file__).parent / f"{name}.py").read_text()
