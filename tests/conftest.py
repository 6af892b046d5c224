"""Shared fixtures: the real dual image, built once per session."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DUAL_IMAGE_PYTHON = os.environ.get("DUALPY_TEST_PYTHON", "3.13.15")
DUAL_IMAGE_TAG = os.environ.get("DUALPY_TEST_IMAGE", f"dualpy/cpython:{DUAL_IMAGE_PYTHON}")


def run_dualpy(*args: str, check: bool = True, timeout: int = 3600, **kwargs) -> subprocess.CompletedProcess:
    """Run the real CLI in a subprocess (integration tests)."""
    result = subprocess.run(
        [sys.executable, "-m", "dualpy", *args], capture_output=True, text=True, timeout=timeout, **kwargs
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"dualpy {' '.join(args)} exited {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
    return result


@pytest.fixture(scope="session")
def dual_image() -> str:
    """The real dual 3.13.15 image; built (or taken from the layer cache) once per session."""
    run_dualpy("images", "build", "--python", DUAL_IMAGE_PYTHON, "--tag", DUAL_IMAGE_TAG)
    return DUAL_IMAGE_TAG


PROJECTS_DIR = Path(__file__).parent / "projects"
TEST_PROJECTS = ("ext-freethreading", "ext-gil-only", "pure-python", "ext-abi3", "uv-frontend")


@pytest.fixture(scope="session")
def test_wheelhouse(dual_image, tmp_path_factory):
    """The wheels of all five test projects, built once per session by `dualpy wheels build` in the dual image."""
    wheelhouse = tmp_path_factory.mktemp("wheelhouse")
    results = {}
    for name in TEST_PROJECTS:
        result = run_dualpy("wheels", "build", str(PROJECTS_DIR / name), "--python", "3.13", "--image", dual_image,
                            "--output-dir", str(wheelhouse), "--json")
        results[name] = json.loads(result.stdout)
    return wheelhouse, results
