"""`dualpy pipeline` end to end: sdist, wheels from the sdist, the same verdicts as verify; interruption."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dualpy import engine
from tests.conftest import PROJECTS_DIR, run_dualpy

pytestmark = pytest.mark.docker
EXAMPLE = Path(__file__).parent.parent.parent / "examples" / "hello-ext"


def pipeline(project, out, *extra, check=True):
    result = run_dualpy("pipeline", str(project), "--python", "3.13", "--output-dir", str(out), "--json", *extra,
                        check=check)
    return result, json.loads(result.stdout) if result.stdout.strip() else None


def test_example_project_main_job(dual_image, tmp_path):
    result, summary = pipeline(EXAMPLE, tmp_path / "out")
    assert summary["verdict"] == "pass" and summary["sdist"] == "hello_ext-0.1.0.tar.gz"
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    # the default floor (2_28) is in the tags, with the older policies the symbols allow
    platforms = "manylinux1_x86_64.manylinux_2_28_x86_64.manylinux_2_5_x86_64"
    assert files == ["dualpy-manifest.json", f"hello_ext-0.1.0-cp313-cp313-{platforms}.whl",
                     f"hello_ext-0.1.0-cp313-cp313t-{platforms}.whl",
                     "hello_ext-0.1.0.tar.gz", "verify.json", "verify.junit.xml", "verify.md"]
    manifest = json.loads((tmp_path / "out" / "dualpy-manifest.json").read_text())
    assert {"filename": "hello_ext-0.1.0.tar.gz", "kind": "sdist"}.items() <= manifest["wheels"][-1].items()
    assert set(summary["stage_seconds"]) == {"image", "sdist", "wheels", "verify"}
    checks = json.loads((tmp_path / "out" / "verify.json").read_text())["results"]
    assert any(r["check"] == "runtime.test-command" and r["status"] == "pass" for r in checks)
    assert [(r["check"], r["message"]) for r in checks if r["status"] != "pass"] == []  # the example is exemplary


@pytest.mark.parametrize(("project", "verdict", "failing"), [
    ("ext-freethreading", "pass", []),
    ("ext-gil-only", "fail", [("runtime.gil", "cp313-cp313t")]),
    ("pure-python", "pass", []),
])
def test_pipeline_gives_the_same_verdicts_as_verify(dual_image, tmp_path, project, verdict, failing):
    result, summary = pipeline(PROJECTS_DIR / project, tmp_path / "out", check=False)
    assert result.returncode == (0 if verdict == "pass" else 1)
    assert summary["verdict"] == verdict
    report = json.loads((tmp_path / "out" / "verify.json").read_text())
    assert [(r["check"], r["interpreter"]) for r in report["results"] if r["status"] == "fail"] == failing


def test_sigint_during_the_wheel_stage_leaves_nothing_behind(dual_image, tmp_path):
    out = tmp_path / "out"
    before = {c.id for c in engine.client().containers.list(all=True, filters={"name": "cibuildwheel-"})}
    process = subprocess.Popen(
        [sys.executable, "-m", "dualpy", "pipeline", str(PROJECTS_DIR / "uv-frontend"), "--python", "3.13",
         "--output-dir", str(out)], stderr=subprocess.PIPE, text=True)
    seen = []
    deadline = time.monotonic() + 300
    for line in process.stderr:
        seen.append(line)
        if ": building" in line or time.monotonic() > deadline:
            break
    time.sleep(1.5)
    process.send_signal(signal.SIGINT)
    rest = process.communicate(timeout=120)[1]
    assert process.returncode == 130, "".join(seen) + rest
    assert not out.exists() or list(out.iterdir()) == []
    leftovers = [c for c in engine.client().containers.list(all=True, filters={"name": "cibuildwheel-"})
                 if c.id not in before]  # another run's debris is not this run's to remove
    assert [(c.name, c.status, c.labels) for c in leftovers] == [], rest


def test_an_sdist_is_built_with_its_own_settings(dual_image, tmp_path):
    # The sdist's pyproject.toml names the Python; the pyproject.toml beside it would fail if it were read.
    import tarfile

    source = PROJECTS_DIR / "pure-python"
    pyproject = (source / "pyproject.toml").read_text() + '\n[tool.dualpy]\npythons = ["3.13"]\n'
    staged = tmp_path / "dualpy_pure-1.0.0"
    staged.mkdir()
    (staged / "pyproject.toml").write_text(pyproject)
    (staged / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: dualpy-pure\nVersion: 1.0.0\n")
    sdist = tmp_path / "dualpy_pure-1.0.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as archive:
        archive.add(staged, arcname=staged.name)
        archive.add(source / "src", arcname=f"{staged.name}/src")
    (tmp_path / "pyproject.toml").write_text('[tool.dualpy]\npythons = ["3.99"]\n')
    result = run_dualpy("pipeline", str(sdist), "--output-dir", str(tmp_path / "out"), "--json", check=False)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    # The input sdist is named, and kept in the output dir beside its wheels.
    assert summary["verdict"] == "pass" and summary["sdist"] == "dualpy_pure-1.0.0.tar.gz"
    assert (tmp_path / "out" / "dualpy_pure-1.0.0.tar.gz").read_bytes() == sdist.read_bytes()
    assert [w["filename"] for w in summary["wheels"]] == ["dualpy_pure-1.0.0-py3-none-any.whl"]


def test_a_failed_t_build_keeps_the_gil_wheel_verified_and_says_error(dual_image, tmp_path):
    """The t build's C code #errors: the cp313 wheel is still built, verified and published; verdict error, exit 3."""
    result, summary = pipeline(PROJECTS_DIR / "ext-refuses-t", tmp_path / "out", check=False)
    assert result.returncode == 3, result.stderr[-2000:]
    assert summary["verdict"] == "error" and summary["stage"] == "wheels" and summary["exit_code"] == 3
    assert "cp313t" in summary["error"] and summary["build_errors"] == [summary["error"]]
    assert [(w["variant"], w["verdict"]) for w in summary["wheels"]] == [("gil", "pass")]
    states = {name: state["state"] for name, state in summary["builds"].items()}
    assert states == {"cp313-manylinux_x86_64": "built", "cp313t-manylinux_x86_64": "failed"}
    out = tmp_path / "out"
    assert (out / summary["wheels"][0]["filename"]).is_file()
    manifest = json.loads((out / "dualpy-manifest.json").read_text())
    assert manifest["identifiers"]["cp313t-manylinux_x86_64"]["state"] == "failed"
    checks = json.loads((out / "verify.json").read_text())["results"]
    assert any(r["check"] == "runtime.import" and r["status"] == "pass" for r in checks)
    assert result.stderr.strip().splitlines()[-1].startswith("error: ")
