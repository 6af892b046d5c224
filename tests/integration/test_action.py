"""The composite action end to end: its run: steps as the runner runs them, with the real install and pipeline.

Nothing stands in: the install step makes a venv and pip-installs this checkout with its dependencies from
the index; the pipeline step runs the real `dualpy pipeline` on examples/hello-ext in the local dual image.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from tests.action_runner import host_env, run_action

pytestmark = pytest.mark.docker
ROOT = Path(__file__).parent.parent.parent
EXAMPLE = ROOT / "examples" / "hello-ext"


def test_the_action_builds_verifies_and_reports_hello_ext(dual_image: str, tmp_path: Path) -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    workspace, temp = tmp_path / "workspace", tmp_path / "runner-temp"
    temp.mkdir()
    shutil.copytree(EXAMPLE, workspace / "project")
    python = dual_image.rsplit(":", 1)[1].rsplit(".", 1)[0]  # dualpy/cpython:3.13.15 -> 3.13
    run = run_action(
        action, inputs={"package-dir": "project", "python-versions": python}, action_path=ROOT,
        workspace=workspace, temp=temp, uses_outputs={"python": {"python-path": sys.executable}},
        conditions={"inputs.image != ''": lambda context: context["inputs"]["image"] != "",
                    "inputs.readiness == ''": lambda context: context["inputs"]["readiness"] == "",
                    "inputs.readiness != ''": lambda context: context["inputs"]["readiness"] != ""},
        base_env=host_env(), timeout=1800,
    )
    assert run.succeeded, run.log()
    assert run.step("pull").outcome == "skipped"
    assert run.outputs["verdict"] == "pass", run.log()
    wheels = run.outputs["wheels"].splitlines()
    assert json.loads(run.outputs["wheels-json"]) == wheels
    assert sorted(Path(w).name.split("-")[3] for w in wheels) == ["cp313", "cp313t"]
    assert all((workspace / w).is_file() for w in wheels)
    assert (workspace / run.outputs["sdist"]).is_file()
    summary = json.loads(Path(run.outputs["summary-json"]).read_text())
    assert summary["verdict"] == "pass" and summary["images"] == {dual_image.rsplit(":", 1)[1]: dual_image}
    report = (workspace / run.outputs["report"]).read_text()
    assert run.summary.startswith("## dualpy: pass\n") and run.summary.count(report) == 1
