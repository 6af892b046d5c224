"""Which cibuildwheel release builds which free-threaded Python, and its cached virtual environment."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from dualpy import console
from dualpy.errors import BuildFailed, UsageError
from dualpy.paths import cache_dir
from dualpy.tags import PythonMinor


@dataclass(frozen=True)
class CibuildwheelRelease:
    """A pinned cibuildwheel release and the CPython minors whose t builds it can make."""

    version: str
    freethreaded_minors: frozenset[PythonMinor]
    needs_enable: bool  # cp313t sits behind enable = ["cpython-freethreading"] in 3.x

    @property
    def series(self) -> int:
        return int(self.version.split(".")[0])


# Newest first. 4.x removed cp313t; 3.4.x knows no cp315t (see ../shared/CIBUILDWHEEL.md).
RELEASES = (
    CibuildwheelRelease("4.3.5", frozenset({PythonMinor(3, 14), PythonMinor(3, 15)}), needs_enable=False),
    CibuildwheelRelease("3.4.1", frozenset({PythonMinor(3, 13), PythonMinor(3, 14)}), needs_enable=True),
)


def choose_releases(minors: Iterable[PythonMinor]) -> dict[CibuildwheelRelease, tuple[PythonMinor, ...]]:
    """Group the requested minors by the cibuildwheel release that builds them: one release when one can do all."""
    wanted = sorted(set(minors))
    for release in RELEASES:
        if all(m in release.freethreaded_minors for m in wanted):
            return {release: tuple(wanted)}
    groups: dict[CibuildwheelRelease, list[PythonMinor]] = {}
    for minor in wanted:
        release = next((r for r in RELEASES if minor in r.freethreaded_minors), None)
        if release is None:
            known = sorted({m for r in RELEASES for m in r.freethreaded_minors})
            raise UsageError(f"no cibuildwheel release dualpy knows builds Python {minor}t: "
                             f"supported are {', '.join(str(m) for m in known)}")
        groups.setdefault(release, []).append(minor)
    return {release: tuple(group) for release, group in groups.items()}


def venv_python(release: CibuildwheelRelease) -> Path:
    """The interpreter of the release's cached virtual environment, created (once) if absent."""
    root = cache_dir() / "cibuildwheel"
    final = root / release.version
    python = final / "bin" / "python"
    if python.exists():
        return python
    root.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(dir=root, prefix=f".{release.version}-"))
    console.info(f"  creating a virtual environment for cibuildwheel {release.version} in {final}")
    try:
        subprocess.run([sys.executable, "-m", "venv", str(temp)], check=True, capture_output=True)
        result = subprocess.run(
            [str(temp / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             f"cibuildwheel=={release.version}"],
            capture_output=True, text=True,
        )
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["?"])[-1]
            raise BuildFailed(
                f"installing cibuildwheel {release.version} failed ({last}): check the host's pip settings"
            )
        os.replace(temp, final)  # `python -m` keeps working after the move; console scripts would not
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    return python
