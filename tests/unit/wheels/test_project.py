"""What PROJECT names: a source tree or an sdist (read bounded, members checked), and its cibuildwheel table."""

from __future__ import annotations

import io
import tarfile
import textwrap
from pathlib import Path

import pytest

from dualpy import sdist as sdist_module
from dualpy.errors import UsageError
from dualpy.wheels import load_project
from tests.unit.wheels.support import PROJECTS


def _sdist(tmp_path: Path, files: dict[str, str], kinds: dict[str, bytes] | None = None) -> Path:
    path = tmp_path / "demo-1.0.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"demo-1.0/{name}")
            info.size = len(data)
            if kinds and name in kinds:
                info.type = kinds[name]
                info.linkname = "/etc/passwd"
                info.size = 0
                archive.addfile(info)
                continue
            archive.addfile(info, io.BytesIO(data))
    return path


def test_projects_must_exist_and_be_projects(tmp_path):
    with pytest.raises(UsageError, match="no such project"):
        load_project(tmp_path / "missing")
    with pytest.raises(UsageError, match="no pyproject.toml or setup.py"):
        load_project(tmp_path)
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(UsageError, match="sdist"):
        load_project(tmp_path / "notes.txt")
    (tmp_path / "broken.tar.gz").write_text("not gzip")
    with pytest.raises(UsageError, match="not a readable sdist"):
        load_project(tmp_path / "broken.tar.gz")


def test_the_linux_table_applies_over_the_projects_table():
    uv = load_project(PROJECTS / "uv-frontend")
    assert uv.cibuildwheel_table["build-frontend"] == "build[uv]" and not uv.is_sdist


def test_an_sdist_is_a_project_and_its_table_is_read(tmp_path):
    sdist = _sdist(tmp_path, {"pyproject.toml": textwrap.dedent("""\
        [tool.cibuildwheel]
        test-command = "a"
        [tool.cibuildwheel.linux]
        test-command = "b"
        [tool.cibuildwheel.macos]
        test-command = "c"
        """)})
    project = load_project(sdist)
    assert project.is_sdist and project.cibuildwheel_table == {"test-command": "b"}


def test_a_setup_py_sdist_has_an_empty_table(tmp_path):
    project = load_project(_sdist(tmp_path, {"setup.py": "", "demo/__init__.py": ""}))
    assert project.is_sdist and project.cibuildwheel_table == {}


def test_an_sdist_pyproject_that_is_a_link_or_too_big_is_refused(tmp_path, monkeypatch):
    link = _sdist(tmp_path, {"pyproject.toml": ""}, kinds={"pyproject.toml": tarfile.SYMTYPE})
    with pytest.raises(UsageError, match="not a regular file"):
        load_project(link)
    monkeypatch.setattr(sdist_module, "MAX_PYPROJECT_BYTES", 10)
    big = _sdist(tmp_path, {"pyproject.toml": "# " + "x" * 20})
    with pytest.raises(UsageError, match="more than a pyproject.toml needs"):
        load_project(big)


def test_the_member_scan_of_an_sdist_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(sdist_module, "MAX_MEMBERS", 3)
    late = _sdist(tmp_path, {"a": "", "b": "", "c": "", "pyproject.toml": ""})
    with pytest.raises(UsageError, match="not an sdist"):
        load_project(late)


def test_an_sdist_with_broken_toml_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="not valid TOML"):
        load_project(_sdist(tmp_path, {"pyproject.toml": "[tool"}))
