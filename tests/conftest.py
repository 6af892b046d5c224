"""Shared fixtures and helpers: the real dual image, built once per session; small wheels made on the spot."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest

# The test projects' own test suites run inside images (verify --stress), never in this session.
collect_ignore = ["projects"]

DUAL_IMAGE_PYTHON = os.environ.get("DUALPY_TEST_PYTHON", "3.13.15")
DUAL_IMAGE_TAG = os.environ.get("DUALPY_TEST_IMAGE", f"dualpy/cpython:{DUAL_IMAGE_PYTHON}")


def pytest_configure(config: pytest.Config) -> None:
    # A session started in the background by a shell without job control, or in mutmut's stats child, inherits SIGINT
    # ignored, and so would every dualpy it starts; the interrupt tests send SIGINT as a terminal's Ctrl-C does, which
    # needs the default action. The handler the session found is put back when it ends.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        config.add_cleanup(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))


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


def environment_tool(name: str) -> str | None:
    """A command installed beside this interpreter (a venv's bin/, which need not be on PATH), else on PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() and os.access(beside, os.X_OK) else shutil.which(name)


@pytest.fixture(scope="session")
def dual_image() -> str:
    """The real dual 3.13.15 image; built (or taken from the layer cache) once per session."""
    run_dualpy("images", "build", "--python", DUAL_IMAGE_PYTHON, "--tag", DUAL_IMAGE_TAG)
    return DUAL_IMAGE_TAG


# The CI image that doubles as the 3.14 and 3.15 image: every current Python in one image, built once.
MULTI_PYTHON = os.environ.get("DUALPY_TEST_MULTI_PYTHON", "3.13,3.14,3.15")


@pytest.fixture(scope="session")
def multi_image() -> str:
    """The real multi-Python image (3.13, 3.14, 3.15 by default); built (or taken from the cache) once per session."""
    from dualpy.images import default_tag_for, resolve_pythons  # noqa: PLC0415

    releases = resolve_pythons(MULTI_PYTHON)
    tag = os.environ.get("DUALPY_TEST_MULTI_IMAGE") or default_tag_for([p.release for p in releases])
    report = json.loads(run_dualpy("images", "build", "--python", MULTI_PYTHON, "--tag", tag, "--json").stdout)
    assert report["versions"] == [p.version for p in releases]
    return tag


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


def make_wheel(directory: Path, name: str = "demo", version: str = "1.0", requires: Sequence[str] = (),
               body: bytes = b"VALUE = 1\n") -> Path:
    """A small valid pure-Python (py3-none-any) wheel of one module `name` (its __init__.py is body), depending
    on `requires`."""
    dist_info = f"{name}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {requirement}\n" for requirement in requires)
    files = {
        f"{name}/__init__.py": body,
        f"{dist_info}/METADATA": metadata.encode(),
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: dualpy-tests\nRoot-Is-Purelib: true\n"
                              b"Tag: py3-none-any\n",
    }
    record = "".join(f"{member},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},"
                     f"{len(data)}\n" for member, data in files.items())
    path = directory / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in files.items():
            archive.writestr(member, data)
        archive.writestr(f"{dist_info}/RECORD", record + f"{dist_info}/RECORD,,\n")
    return path
