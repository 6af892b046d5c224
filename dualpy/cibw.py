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
        """The major version: 3 or 4."""
        return int(self.version.split(".")[0])


# Newest first. 4.x removed cp313t; 3.4.x knows no cp315t (see ../shared/CIBUILDWHEEL.md).
RELEASES = (
    CibuildwheelRelease("4.3.5", frozenset({PythonMinor(3, 14), PythonMinor(3, 15)}), needs_enable=False),
    CibuildwheelRelease("3.4.1", frozenset({PythonMinor(3, 13), PythonMinor(3, 14)}), needs_enable=True),
)


def release(version: str) -> CibuildwheelRelease:
    """The pinned release with this version."""
    for candidate in RELEASES:
        if candidate.version == version:
            return candidate
    raise UsageError(f"dualpy pins no cibuildwheel {version}: known are {', '.join(r.version for r in RELEASES)}")


def choose_releases(minors: Iterable[PythonMinor]) -> dict[CibuildwheelRelease, tuple[PythonMinor, ...]]:
    """Group the requested minors by the cibuildwheel release that builds them: one release when one can do all."""
    wanted = sorted(set(minors))
    for candidate in RELEASES:
        if all(m in candidate.freethreaded_minors for m in wanted):
            return {candidate: tuple(wanted)}
    groups: dict[CibuildwheelRelease, list[PythonMinor]] = {}
    for minor in wanted:
        chosen = next((r for r in RELEASES if minor in r.freethreaded_minors), None)
        if chosen is None:
            known = sorted({m for r in RELEASES for m in r.freethreaded_minors})
            raise UsageError(f"no cibuildwheel release dualpy knows builds Python {minor}t: "
                             f"supported are {', '.join(str(m) for m in known)}")
        groups.setdefault(chosen, []).append(minor)
    return {chosen: tuple(group) for chosen, group in groups.items()}


def venv_dir(chosen: CibuildwheelRelease) -> Path:
    """Where the release's virtual environment lives: <cache>/cibuildwheel/<version>."""
    return cache_dir() / "cibuildwheel" / chosen.version


def _usable(python: Path) -> bool:
    # The venv's python is a symlink to the interpreter that made it; it dangles once that one is gone.
    return python.exists()


def venv_python(chosen: CibuildwheelRelease) -> Path:
    """The interpreter of the release's cached virtual environment, created (once) if absent."""
    final = venv_dir(chosen)
    python = final / "bin" / "python"
    if _usable(python):
        return python
    root = final.parent
    root.mkdir(parents=True, exist_ok=True)
    if final.exists():  # left by an interpreter that is gone: make it again
        shutil.rmtree(final, ignore_errors=True)
    # Built aside and renamed into place, so a half-made environment is never found and reused.
    temp = Path(tempfile.mkdtemp(dir=root, prefix=f".{chosen.version}-"))
    console.info(f"  installing cibuildwheel {chosen.version} into {final} (once)")
    try:
        subprocess.run([sys.executable, "-m", "venv", str(temp)], check=True, capture_output=True)
        # pip reads the host's config files and PIP_* variables, so the index and CA are the host's.
        result = subprocess.run(
            [str(temp / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             f"cibuildwheel=={chosen.version}"],
            capture_output=True, text=True,
        )
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["?"])[-1]
            raise BuildFailed(
                f"installing cibuildwheel {chosen.version} failed ({last}): check the host's pip settings"
            )
        try:
            os.replace(temp, final)  # `python -m` keeps working after the move; console scripts would not
        except OSError:
            if not _usable(python):  # another dualpy finished first; use its copy, else the error stands
                raise
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    return python

