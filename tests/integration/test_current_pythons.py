"""3.14 and 3.15 end to end in the multi-Python image: six wheels in one command (3.13 by cibuildwheel 3.4.1, 3.14 and
3.15 by 4.3.5), one manifest, each wheel verified in its own interpreter; bench on 3.14."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECTS_DIR, run_dualpy

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def six_wheels(multi_image: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    output = tmp_path_factory.mktemp("six")
    result = run_dualpy("wheels", "build", str(PROJECTS_DIR / "ext-freethreading"), "--python", "3.13,3.14,3.15",
                        "--image", multi_image, "--output-dir", str(output), "--json")
    return output, json.loads(result.stdout)


def test_one_command_builds_all_six_wheels_with_the_right_cibuildwheel(six_wheels: tuple[Path, dict[str, Any]]
                                                                       ) -> None:
    output, built = six_wheels
    abis = sorted(name.split("-")[3] for name in (w["filename"] for w in built["wheels"]))
    assert abis == ["cp313", "cp313t", "cp314", "cp314t", "cp315", "cp315t"]
    by_abi = {w["filename"].split("-")[3]: w for w in built["wheels"]}
    assert {by_abi[a]["cibuildwheel"] for a in ("cp313", "cp313t")} == {"3.4.1"}
    assert {by_abi[a]["cibuildwheel"] for a in ("cp314", "cp314t", "cp315", "cp315t")} == {"4.3.5"}
    assert sorted(built["cibuildwheel_versions"]) == ["3.4.1", "4.3.5"]
    manifest = json.loads((output / "dualpy-manifest.json").read_text())
    assert sorted(w["filename"] for w in manifest["wheels"]) == sorted(by_abi[a]["filename"] for a in by_abi)
    assert {w["variant"] for w in manifest["wheels"] if w["filename"].split("-")[3].endswith("t")} == {"freethreaded"}


def test_each_wheel_passes_in_its_own_interpreter(multi_image: str, six_wheels: tuple[Path, dict[str, Any]]) -> None:
    output, _built = six_wheels
    result = run_dualpy("verify", "wheels", str(output), "--image", multi_image, "--json", check=False)
    report = json.loads(result.stdout)
    assert result.returncode == 0, [r for r in report["results"] if r["status"] == "fail"]
    gil = {r["interpreter"] for r in report["results"] if r["check"] == "runtime.gil" and r["status"] == "pass"}
    assert gil == {"cp313-cp313t", "cp314-cp314t", "cp315-cp315t"}  # the GIL stays off in every t build
    installs = {(r["subject"].split("-")[3], r["interpreter"]) for r in report["results"]
                if r["check"] == "runtime.install" and r["status"] == "pass"}
    assert installs == {(f"cp3{m}{t}", f"cp3{m}-cp3{m}{t}") for m in (13, 14, 15) for t in ("", "t")}
    readiness = {r["subject"].rsplit(" ", 1)[1]: r["message"] for r in report["results"]
                 if r["check"] == "wheelhouse.free-threading"}
    assert set(readiness) == {"3.13", "3.14", "3.15"}
    assert all(message.startswith("ready for free-threading: yes") for message in readiness.values())


def test_the_launcher_picks_across_minors(multi_image: str) -> None:
    result = run_dualpy("verify", "image", multi_image, "--json", check=False)
    report = json.loads(result.stdout)
    failed = [r for r in report["results"] if r["status"] == "fail"]
    assert result.returncode == 0 and not failed, failed
    cases = {r["interpreter"] for r in report["results"] if r["check"] == "image.launcher"}
    assert {"rule1 DUALPY_PYTHON=3.15t", "rule4 .python-version 3.14t", "rule2 -X gil=0",
            "rule2 -X gil=0 with .python-version 3.13", "rule5 default 3.14 gil"} <= cases


def test_bench_on_314_reports_cost_and_scaling(multi_image: str) -> None:
    result = run_dualpy("bench", multi_image, "--python", "3.14", "--threads", "2", "--json")
    document = json.loads(result.stdout)
    assert document["single_thread_ratio"]["overall"] > 0
    assert set(document["speedup"]) == {"gil", "freethreaded"}
    assert set(document["speedup"]["freethreaded"]) == {"1", "2"} and document["speedup"]["gil"]["1"] == 1.0
    assert "3.14.7" in json.dumps(document)  # the 3.14 builds were the ones timed


def test_the_quick_start_pipeline_builds_314_by_default(multi_image: str, tmp_path: Path) -> None:
    # Runs after the multi-Python image exists, so the 3.14 builder stages come from the layer cache.
    root = Path(__file__).resolve().parents[2]
    output = tmp_path / "wheelhouse"
    result = run_dualpy("pipeline", str(root / "examples" / "hello-ext"), "--output-dir", str(output), "--json")
    summary = json.loads(result.stdout)
    assert summary["verdict"] == "pass"
    assert list(summary["images"].values()) == ["dualpy/cpython:3.14.7"]
    assert sorted(w["filename"].split("-")[3] for w in summary["wheels"]) == ["cp314", "cp314t"]
    assert sorted(p.name.split("-")[3] for p in output.glob("*.whl")) == ["cp314", "cp314t"]
