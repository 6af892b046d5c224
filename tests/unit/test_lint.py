"""The lint tier (`-m lint`, deselect with `-m "not lint"`): ruff, mypy --strict, the launcher's warnings."""

import os
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.lint

ROOT = Path(__file__).parent.parent.parent


def test_ruff_finds_nothing():
    # ruff from this interpreter's environment: the venv's bin/ need not be on PATH
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "dualpy", "tests", "benchmarks",
                             "docs"], cwd=ROOT, capture_output=True, text=True)
    assert "No module named ruff" not in result.stderr, "ruff is missing: pip install -e '.[test]'"
    assert result.returncode == 0, result.stdout


def test_the_lint_net_stays_wide():
    """The rule families pypa/build and cibuildwheel use, a complexity cap of 12, and each ignore with its reason."""
    lint = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["lint"]
    assert {"I", "SIM", "RET", "ARG", "PTH", "PL", "C90", "SLF"} <= set(lint["select"])
    assert lint["mccabe"]["max-complexity"] == 12
    text = (ROOT / "pyproject.toml").read_text()
    for code in lint["ignore"]:
        line = next(line for line in text.splitlines() if f'"{code}",' in line)
        assert "#" in line, f"{code} is ignored without a reason"


def test_mypy_strict_finds_nothing():
    # the cache beside the temp files, not in the checkout (which may be read-only), one per user
    cache = Path(tempfile.gettempdir()) / f"dualpy-mypy-cache-{os.getuid()}"
    result = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache), "dualpy"], cwd=ROOT,
                            capture_output=True, text=True)
    assert "No module named mypy" not in result.stderr, "mypy is missing: pip install -e '.[test]'"
    assert result.returncode == 0, result.stdout + result.stderr


def test_launcher_compiles_without_warnings(tmp_path):
    from dualpy.launcher import COMPILE_FLAGS, source_path

    result = subprocess.run(["cc", *COMPILE_FLAGS, "-Wall", "-Wextra", "-o", str(tmp_path / "python"),
                             str(source_path())], capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr == "", result.stderr
