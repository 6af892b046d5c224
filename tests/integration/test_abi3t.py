"""abi3t (PEP 803) end to end: meson-python builds tests/projects/ext-abi3t in the free-threaded 3.15 of the
multi-Python image into one `cp315-abi3.abi3t` wheel holding a .abi3t.so; the manifest says it serves both 3.15
builds; verify passes it statically, installs and imports it in both 3.15 interpreters, and the GIL stays off in
3.15t.

Only the t identifier is built (`--variants freethreaded`): meson-python targets abi3t only from a free-threaded
interpreter, and cibuildwheel 4.3.5 builds cp315 before cp315t without reusing across the two, so the GIL
identifier would add a second, GIL-only cp315-abi3 wheel (see the abi3t note)."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECTS_DIR, run_dualpy

pytestmark = pytest.mark.docker

# auditwheel picks the platform tags from what the extension needs (manylinux1.manylinux_2_5 here: libc only).
WHEEL_NAME = re.compile(r"^dualpy_abi3t-1\.0\.0-cp315-abi3\.abi3t-[\w.]*manylinux[\w.]*_x86_64\.whl$")


@pytest.fixture(scope="module")
def abi3t_wheelhouse(multi_image: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    output = tmp_path_factory.mktemp("abi3t")
    result = run_dualpy("wheels", "build", str(PROJECTS_DIR / "ext-abi3t"), "--python", "3.15", "--variants",
                        "freethreaded", "--image", multi_image, "--output-dir", str(output), "--json")
    return output, json.loads(result.stdout)


def test_meson_python_builds_one_abi3_abi3t_wheel_with_an_abi3t_extension(
        abi3t_wheelhouse: tuple[Path, dict[str, Any]]) -> None:
    output, built = abi3t_wheelhouse
    (record,) = built["wheels"]
    assert WHEEL_NAME.match(record["filename"]), record["filename"]
    with zipfile.ZipFile(output / record["filename"]) as archive:
        extensions = [n for n in archive.namelist() if n.endswith(".so")]
        wheel_file = archive.read("dualpy_abi3t-1.0.0.dist-info/WHEEL").decode()
    # CPython 3.15 lists the multiarch form first in EXTENSION_SUFFIXES (gh-122931) and meson takes that one.
    assert extensions == ["dualpy_abi3t.abi3t-x86_64-linux-gnu.so"]
    assert "Generator: meson" in wheel_file


def test_the_manifest_says_the_one_wheel_serves_both_315_builds(abi3t_wheelhouse: tuple[Path, dict[str, Any]]) -> None:
    output, built = abi3t_wheelhouse
    manifest = json.loads((output / "dualpy-manifest.json").read_text())
    (entry,) = manifest["wheels"]
    assert entry["filename"] == built["wheels"][0]["filename"]
    assert entry["variant"] == "both" and entry["python"] == "3.15"
    assert "abi3.abi3t" in entry["note"] and "serves the GIL and the free-threaded build" in entry["note"]
    assert {t.split("-")[1] for t in entry["tags"]} == {"abi3", "abi3t"}


def test_verify_installs_it_in_both_315_builds_and_the_gil_stays_off(
        multi_image: str, abi3t_wheelhouse: tuple[Path, dict[str, Any]]) -> None:
    output, built = abi3t_wheelhouse
    probe = "import dualpy_abi3t as m; assert m.target_abi() == 'abi3t' and m.add(2, 3) == 5"
    result = run_dualpy("verify", "wheels", str(output), "--image", multi_image, "--json",
                        "--test-command", f'python -c "{probe}"', check=False)
    report = json.loads(result.stdout)
    failed = [r for r in report["results"] if r["status"] == "fail"]
    assert result.returncode == 0 and not failed, failed
    wheel = built["wheels"][0]["filename"]
    passed = {(r["check"], r["interpreter"]) for r in report["results"]
              if r["subject"] == wheel and r["status"] == "pass"}
    for interpreter in ("cp315-cp315", "cp315-cp315t"):
        assert ("runtime.install", interpreter) in passed
        assert ("runtime.import", interpreter) in passed
        assert ("runtime.test-command", interpreter) in passed  # the abi3t build loads in the GIL build too
    assert ("runtime.gil", "cp315-cp315t") in passed
    installs = {r["interpreter"] for r in report["results"] if r["check"] == "runtime.install"}
    assert installs == {"cp315-cp315", "cp315-cp315t"}  # cp315 tags: no 3.13 or 3.14 interpreter takes it
    stable = [r for r in report["results"] if r["subject"] == wheel and r["check"] == "wheel.abi3-freethreaded"]
    assert [r["status"] for r in stable] == ["pass"] and "both builds" in stable[0]["message"]
