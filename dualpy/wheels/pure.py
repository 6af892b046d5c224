"""The one py3-none-any wheel of a pure-Python project, built with `build` (cibuildwheel leaves those to it)."""

from __future__ import annotations

import fnmatch
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO

from dualpy.errors import BuildFailed, UsageError
from dualpy.sdist import extract
from dualpy.wheels.project import Project

_BUILD_ARTIFACTS = ("build", "dist", "*.egg-info", "__pycache__", ".venv", ".tox", ".nox", "wheelhouse")


def ignore_artifacts(_directory: str, names: list[str]) -> set[str]:
    """The names copytree leaves out: earlier build output, virtual environments, dualpy's staging dirs."""
    return {n for n in names if any(fnmatch.fnmatch(n, p) for p in _BUILD_ARTIFACTS) or ".dualpy-" in n}


def _source_copy(project: Project, scratch: Path) -> Path:
    """The project's source in scratch: the sdist unpacked (each member checked: no links out, no devices) or a copy."""
    if project.is_sdist:
        extract(project.path, scratch)
        tops = [p for p in scratch.iterdir() if p.is_dir()]
        if len(tops) != 1:
            raise UsageError(f"{project.path.name} unpacks into {len(tops)} top directories, not the one an sdist "
                             "has: rebuild it with `python -m build --sdist`")
        return tops[0]
    source = scratch / project.path.name
    shutil.copytree(project.path, source, ignore=ignore_artifacts, symlinks=True)
    return source


def build_pure_wheel(project: Project, output: Path, log: IO[str]) -> Path:
    """Build the one py3-none-any wheel with `build`.

    It builds from a copy, so the project's tree gets no build/ or *.egg-info.
    """
    with tempfile.TemporaryDirectory(prefix="dualpy-pure-") as scratch:
        source = _source_copy(project, Path(scratch))
        result = subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(output), str(source)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        log.write(result.stdout)
        if result.returncode != 0:
            last = (result.stdout.strip().splitlines() or ["?"])[-1]
            raise BuildFailed(f"building the pure-Python wheel with `build` failed ({last})")
    wheels = sorted(output.glob("*.whl"))
    if len(wheels) != 1:
        raise BuildFailed(f"`python -m build --wheel` left {len(wheels)} wheels in {output}, not one; see the log")
    return wheels[0]
