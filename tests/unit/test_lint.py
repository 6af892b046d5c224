"""The lint tier (`-m lint`, deselect with `-m "not lint"`): ruff, mypy --strict, the launcher's warnings."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.lint

ROOT = Path(__file__).parent.parent.parent


def test_ruff_finds_nothing():
    ruff = shutil.which("ruff")
    assert ruff, "ruff is missing: pip install -e '.[test]'"
    result = subprocess.run([ruff, "check", "dualpy", "tests", "benchmarks", "docs"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_mypy_strict_finds_nothing():
    result = subprocess.run([sys.executable, "-m", "mypy", "--strict", "dualpy"], cwd=ROOT, capture_output=True,
                            text=True)
    assert "No module named mypy" not in result.stderr, "mypy is missing: pip install -e '.[test]'"
    assert result.returncode == 0, result.stdout + result.stderr


def test_launcher_compiles_without_warnings(tmp_path):
    from dualpy.launcher import COMPILE_FLAGS, source_path

    result = subprocess.run(["cc", *COMPILE_FLAGS, "-Wall", "-Wextra", "-o", str(tmp_path / "python"),
                             str(source_path())], capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr == "", result.stderr
