"""Where dualpy keeps what it downloads and builds, and where its shipped data lives."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def cache_dir() -> Path:
    """The cache root: $DUALPY_CACHE_DIR, else $XDG_CACHE_HOME/dualpy, else ~/.cache/dualpy."""
    explicit = os.environ.get("DUALPY_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "dualpy"


def data_dir(name: str) -> Path:
    """A shipped data folder ('recipes' or 'images'): inside the wheel, or beside the package in a checkout."""
    installed = PACKAGE_DIR / "_data" / name
    if installed.is_dir():
        return installed
    return PACKAGE_DIR.parent / name
