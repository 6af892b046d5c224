"""Real projects' sdists from the index, built and verified by `dualpy pipeline` with their own cibuildwheel settings.

The two quickest of benchmarks/real_projects.py (which runs all of them): markupsafe (build[uv] frontend, archs
and musllinux overrides, a module that declares Py_MOD_GIL_NOT_USED) and immutables (a Linux test-command that
runs its unittest suite in each build; its module re-enables the GIL in the t build, a true finding).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dualpy.paths import cache_dir
from tests.conftest import run_dualpy

pytestmark = pytest.mark.docker


def download_sdist(name: str, version: str, destination: Path) -> Path:
    """The project's sdist from the index with the host's pip settings (its build dependencies may be wheels)."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", name,
                    "--disable-pip-version-check", "-q", "-d", str(destination), f"{name}=={version}"],
                   check=True, timeout=600)
    (sdist,) = destination.glob("*.tar.gz")
    return sdist


def run_pipeline(sdist: Path, image: str, out: Path) -> tuple[int, dict, list[dict], str]:
    """Exit code, the --json summary, the verify.json results and the cibuildwheel log of one pipeline run."""
    result = run_dualpy("pipeline", str(sdist), "--python", "3.13", "--image", image, "--output-dir", str(out),
                        "--json", check=False, timeout=900)
    assert result.stdout.strip(), result.stderr
    summary = json.loads(result.stdout)
    # --json keeps the progress lines quiet; the run's log is the newest of this sdist's in dualpy's cache
    log = max((cache_dir() / "logs").glob(f"wheels-{sdist.name.removesuffix('.tar.gz')}-*.log"),
              key=lambda path: path.stat().st_mtime)
    return (result.returncode, summary, json.loads(Path(summary["reports"]["json"]).read_text())["results"],
            log.read_text())


def test_markupsafe_builds_both_wheels_and_passes(dual_image, tmp_path):
    sdist = download_sdist("markupsafe", "3.0.4", tmp_path / "sdist")
    code, summary, results, _log = run_pipeline(sdist, dual_image, tmp_path / "out")
    assert code == 0 and summary["verdict"] == "pass"
    assert sorted((w["filename"], w["verdict"]) for w in summary["wheels"]) == [
        ("markupsafe-3.0.4-cp313-cp313-manylinux2014_x86_64.manylinux_2_17_x86_64.manylinux_2_28_x86_64.whl", "pass"),
        ("markupsafe-3.0.4-cp313-cp313t-manylinux2014_x86_64.manylinux_2_17_x86_64.manylinux_2_28_x86_64.whl", "pass"),
    ]
    # its METADATA has no Free Threading classifier: a project-level note with the fix, not a warning
    assert [(r["check"], r["status"]) for r in results if r["status"] != "pass"] == [
        ("wheel.free-threading-classifier", "note")]
    assert any(r["check"] == "runtime.gil" and r["status"] == "pass" for r in results)


def test_immutables_runs_its_test_command_and_its_t_wheel_re_enables_the_gil(dual_image, tmp_path):
    sdist = download_sdist("immutables", "0.21", tmp_path / "sdist")
    code, summary, results, log = run_pipeline(sdist, dual_image, tmp_path / "out")
    assert code == 1 and summary["verdict"] == "fail"
    verdicts = {w["filename"]: w["verdict"] for w in summary["wheels"]}
    platforms = "manylinux1_x86_64.manylinux_2_28_x86_64.manylinux_2_5_x86_64"  # the default floor, and older
    assert verdicts == {f"immutables-0.21-cp313-cp313-{platforms}.whl": "pass",
                        f"immutables-0.21-cp313-cp313t-{platforms}.whl": "fail"}
    failing = [(r["check"], r["interpreter"]) for r in results if r["status"] == "fail"]
    assert failing == [("runtime.gil", "cp313-cp313t")]
    (gil,) = (r for r in results if r["check"] == "runtime.gil" and r["status"] == "fail")
    assert "immutables._map" in gil["message"] and "Py_MOD_GIL_NOT_USED" in gil["message"]
    # its own test-command (python {project}/tests/__init__.py, with test-extras) ran in both builds
    assert re.findall(r"^\[(cp313t?)\] Ran \d+ tests", log, re.MULTILINE) in (["cp313", "cp313t"], ["cp313t", "cp313"])
