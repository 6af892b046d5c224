"""What PROJECT names: a source tree or an sdist, and its [tool.cibuildwheel] table as Linux sees it."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dualpy.errors import UsageError
from dualpy.sdist import read_top

_OTHER_PLATFORMS = ("macos", "windows", "ios", "pyodide", "android")

CibuildwheelTable = dict[str, Any]  # TOML values, as the project wrote them


@dataclass(frozen=True)
class Project:
    """What PROJECT names: a source tree or an sdist, and its [tool.cibuildwheel] table as Linux sees it."""

    path: Path
    is_sdist: bool
    cibuildwheel_table: CibuildwheelTable
    cibuildwheel_section: CibuildwheelTable = field(default_factory=dict)  # as written, every platform included


def _load_sdist(path: Path) -> Project:
    if not path.name.endswith(".tar.gz"):
        raise UsageError(f"{path}: a project is a source directory or an sdist (.tar.gz)")
    top = read_top(path)
    if not top.has_project_file:
        raise UsageError(f"{path}: not an sdist (no pyproject.toml or setup.py at its top)")
    try:
        document = tomllib.loads(top.pyproject.decode(errors="replace")) if top.pyproject is not None else {}
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{top.pyproject_location}: not valid TOML ({exc})") from None
    return Project(path.resolve(), True, cibuildwheel_table(document), cibuildwheel_section(document))


def _load_tree(path: Path) -> Project:
    pyproject = path / "pyproject.toml"
    if not pyproject.is_file() and not (path / "setup.py").is_file():
        raise UsageError(f"{path}: no pyproject.toml or setup.py here; point PROJECT at a Python project")
    document: dict[str, Any] = {}
    if pyproject.is_file():
        try:
            document = tomllib.loads(pyproject.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(f"{pyproject}: not valid TOML ({exc})") from None
    return Project(path.resolve(), False, cibuildwheel_table(document), cibuildwheel_section(document))


def load_project(path: Path) -> Project:
    """Check that PROJECT is a source tree with pyproject.toml/setup.py, or an sdist; read its cibuildwheel table."""
    if not path.exists():
        raise UsageError(f"{path}: no such project directory or sdist")
    return _load_sdist(path) if path.is_file() else _load_tree(path)


def cibuildwheel_section(document: dict[str, Any]) -> CibuildwheelTable:
    """The project's [tool.cibuildwheel] as written (a copy; {} when absent or not a table)."""
    tool = document.get("tool", {})
    section = tool.get("cibuildwheel", {}) if isinstance(tool, dict) else {}
    return dict(section) if isinstance(section, dict) else {}


def cibuildwheel_table(document: dict[str, Any]) -> CibuildwheelTable:
    """The project's [tool.cibuildwheel] with the [tool.cibuildwheel.linux] table applied over it."""
    table = cibuildwheel_section(document)
    linux = table.pop("linux", {}) or {}
    for platform in _OTHER_PLATFORMS:
        table.pop(platform, None)
    return {**table, **linux} if isinstance(linux, dict) else table
