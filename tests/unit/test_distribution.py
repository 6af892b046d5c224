"""dualpy's distribution: a name nobody else holds on the index, installed only from a path, giving `dualpy`.

On the public index the name `dualpy` belongs to an unrelated project (forward-mode automatic
differentiation): `pip install dualpy` installs a stranger's code. The distribution is `dualpy-toolchain`;
the import package and the command stay `dualpy`. Every install line of the workflows and the action
installs from a checkout, never dualpy by name.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from tests.action_runner import ActionRun, host_env, run_action

ROOT = Path(__file__).parent.parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
DISTRIBUTION = "dualpy-toolchain"
OURS = {"dualpy", DISTRIBUTION}  # neither may come from an index by name
CHECKOUT_EXPRESSIONS = ("${{ github.action_path }}", "${{ github.workspace }}")
# pip options that take a value (the value is not a requirement); -e's value is one
VALUED_OPTIONS = {"-r", "--requirement", "-c", "--constraint", "-t", "--target", "--prefix", "--root", "--python",
                  "-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--platform", "--python-version",
                  "--implementation", "--abi", "--cache-dir", "--src", "--report", "--progress-bar", "--log"}
SHELL_SEPARATORS = {";", "&&", "||", "|", ">", ">>", "2>&1"}


def test_the_distribution_name_is_not_the_strangers() -> None:
    name = canonicalize_name(PYPROJECT["project"]["name"])
    assert name != "dualpy", "`dualpy` on the public index is an unrelated project: keep the distribution name ours"
    assert name == DISTRIBUTION


def test_the_import_package_and_the_command_stay_dualpy() -> None:
    assert PYPROJECT["project"]["scripts"] == {"dualpy": "dualpy.cli:main"}
    wheel = PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert wheel["packages"] == ["dualpy"]
    assert wheel["force-include"] == {"recipes": "dualpy/_data/recipes", "images": "dualpy/_data/images"}


def _steps() -> Iterator[tuple[str, dict[str, Any]]]:
    """(file name, step) for every step of every workflow job and of the action."""
    for workflow in sorted((ROOT / ".github" / "workflows").glob("*.yml")):
        for job in yaml.safe_load(workflow.read_text())["jobs"].values():
            for step in job.get("steps", []):
                yield workflow.name, step
    for step in yaml.safe_load((ROOT / "action.yml").read_text())["runs"]["steps"]:
        yield "action.yml", step


def install_targets(script: str) -> list[str]:
    """The requirement arguments of every `pip install` in a shell script (options and their values left out)."""
    targets = []
    for line in script.replace("\\\n", " ").splitlines():
        match = re.search(r"\bpip\b(?:\s+-\S+)*\s+install\s+(.*)", line)
        if not match:
            continue
        tokens = iter(shlex.split(match.group(1), comments=True))
        for token in tokens:
            if token in SHELL_SEPARATORS:
                break
            if token in ("-e", "--editable"):
                targets.append(next(tokens))
            elif token in VALUED_OPTIONS:
                next(tokens)
            elif not token.startswith("-"):
                targets.append(token)
    return targets


def test_install_targets_are_read_like_pip_reads_them() -> None:
    script = ('python -m pip install -e \'.[test]\' ruff\n"$venv/bin/python" -m pip install --quiet "$SRC/"\n'
              "pip install -r req.txt --index-url https://x dualpy==1 && echo ok  # pip install no\n"
              "python3 -m pip --disable-pip-version-check install \\\n  --python /v/bin/python ./here\n")
    assert install_targets(script) == [".[test]", "ruff", "$SRC/", "dualpy==1", "./here"]


def _is_checkout(target: str, env: dict[str, str]) -> bool:
    """A target that names a directory: a path, or a variable set from the action path or the workspace."""
    if target.startswith(("$", "${")):
        variable = re.match(r"\$\{?(\w+)", target)
        value = env.get(variable.group(1), "") if variable else ""
        return value.startswith(CHECKOUT_EXPRESSIONS)
    return target.startswith((".", "/"))


def test_every_install_line_installs_dualpy_from_a_checkout_never_by_name() -> None:
    from_checkout = []
    for where, step in _steps():
        env = {key: str(value) for key, value in step.get("env", {}).items()}
        for target in install_targets(step.get("run", "")):
            if _is_checkout(target, env):
                from_checkout.append((where, target))
                continue
            assert not target.startswith("$"), f"{where}: pip install {target}: not known to be a checkout"
            try:
                name = canonicalize_name(Requirement(target).name)
            except InvalidRequirement:
                pytest.fail(f"{where}: pip install {target}: neither a path nor a requirement")
            assert name not in OURS, f"{where}: pip install {target} installs dualpy by name from an index"
    assert ("action.yml", "$DUALPY_ACTION_SOURCE/") in from_checkout  # the check is not vacuous


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from this checkout, offline (no build isolation: hatchling from the test environment)."""
    try:
        import hatchling  # noqa: F401
    except ImportError:
        raise AssertionError("hatchling is missing: pip install -e '.[test]'") from None
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
                   check=True, capture_output=True, text=True)
    (built,) = out.glob("*.whl")
    return built


def test_the_wheel_is_named_dualpy_toolchain_and_carries_the_dualpy_command(wheel: Path) -> None:
    assert wheel.name.startswith("dualpy_toolchain-")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        dist_info = next(name.split("/")[0] for name in names if name.endswith(".dist-info/METADATA"))
        metadata = archive.read(f"{dist_info}/METADATA").decode()
        entry_points = archive.read(f"{dist_info}/entry_points.txt").decode()
    assert re.search(r"^Name: dualpy-toolchain$", metadata, re.M), metadata[:200]
    assert "[console_scripts]\ndualpy = dualpy.cli:main" in entry_points
    assert "dualpy/cli.py" in names and "dualpy/__main__.py" in names
    assert any(name.startswith("dualpy/_data/recipes/") and name.endswith(".toml") for name in names)
    assert any(name.startswith("dualpy/_data/images/") for name in names)


def test_pip_install_of_the_checkout_gives_the_dualpy_command(tmp_path: Path) -> None:
    """`pip install <checkout>` into a fresh venv, offline: dependencies come from this test environment.

    The venv sees this environment's site-packages through a .pth line (not --system-site-packages: the base
    interpreter, e.g. Debian's python3, need not hold hatchling or dualpy's dependencies).
    """
    venv = tmp_path / "venv"
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}  # no checkout on sys.path
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (site,) = (venv / "lib").glob("python3*/site-packages")
    ours = dict.fromkeys(sysconfig.get_paths()[kind] for kind in ("purelib", "platlib"))
    (site / "test-environment.pth").write_text("".join(f"{path}\n" for path in ours))
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--quiet",
                    "--no-deps", "--no-build-isolation", "--no-index", str(ROOT)],
                   check=True, capture_output=True, text=True, cwd=tmp_path, env=env)
    version = subprocess.run([str(venv / "bin" / "dualpy"), "--version"], capture_output=True, text=True,
                             cwd=tmp_path, env=env, check=True)
    assert version.stdout.strip().startswith("dualpy ")
    probe = ("import dualpy, importlib.metadata as m; print(dualpy.__file__); "
             "print(m.distribution('dualpy-toolchain').entry_points['dualpy'].value)")
    where = subprocess.run([str(venv / "bin" / "python"), "-c", probe], capture_output=True, text=True,
                           cwd=tmp_path, env=env, check=True).stdout.splitlines()
    assert where[0].startswith(str(venv)), where  # the installed copy, not a checkout on sys.path
    assert where[1] == "dualpy.cli:main"


# ---- the workflows that use the action and publish the images ---------------------------------------------------

WORKFLOWS = ROOT / ".github" / "workflows"


def _workflow(name: str) -> dict[str, Any]:
    raw: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    return {"on" if key is True else str(key): value for key, value in raw.items()}  # YAML reads `on` as True


def test_the_wheels_workflow_runs_the_action_from_a_dualpy_checkout_beside_the_project() -> None:
    workflow = _workflow("dualpy.yml")
    inputs = workflow["on"]["workflow_call"]["inputs"]
    assert "dualpy-version" not in inputs  # it named a requirement, and the default named the stranger's package
    assert inputs["dualpy-repository"]["required"] and inputs["dualpy-ref"]["required"]
    assert inputs["runners"]["default"] == '["ubuntu-latest"]'  # x86_64 as before; aarch64 runners on request
    assert workflow["jobs"]["build"]["runs-on"] == "${{ matrix.runner }}"
    steps = workflow["jobs"]["build"]["steps"]
    project, dualpy, action = steps[0], steps[1], steps[2]
    assert project["with"]["path"] == "project"  # the dualpy checkout is not inside the project (its sdist)
    assert dualpy["with"] == {"repository": "${{ inputs.dualpy-repository }}", "ref": "${{ inputs.dualpy-ref }}",
                              "path": "dualpy-action", "persist-credentials": False}
    assert action["uses"] == "./dualpy-action"
    assert action["with"]["package-dir"] == "project/${{ inputs.project-dir }}"
    assert action["with"]["image"] == "${{ inputs.image != '' && format(inputs.image, matrix.python) || '' }}"


def test_the_images_workflow_builds_natively_per_architecture_and_publishes_per_tag() -> None:
    workflow = _workflow("images.yml")
    inputs = workflow["on"]["workflow_call"]["inputs"]
    assert json.loads(inputs["runners"]["default"]) == ["ubuntu-24.04", "ubuntu-24.04-arm"]
    assert workflow["permissions"] == {"contents": "read"}
    build, manifest = workflow["jobs"]["build"], workflow["jobs"]["manifest"]
    assert build["runs-on"] == "${{ matrix.runner }}"
    assert build["strategy"]["matrix"] == {"python": "${{ fromJSON(inputs.python-versions) }}",
                                           "runner": "${{ fromJSON(inputs.runners) }}"}
    assert manifest["needs"] == "build" and "if" not in manifest  # every architecture built, or no manifest
    for job in (build, manifest):
        assert job["permissions"] == {"contents": "read", "packages": "write"}
        for step in job["steps"]:
            assert "${{" not in step.get("run", ""), step
    runs = "\n".join(step.get("run", "") for step in build["steps"])
    assert "dualpy verify image" in runs and "dualpy \"${args[@]}\"" in runs and "args=(images push" in runs


def _job_as_action(workflow: dict[str, Any], job: str, step_ids: set[str]) -> dict[str, Any]:
    """Some `run:` steps of a workflow job, as a composite action the test runner runs (inputs = workflow_call's)."""
    steps = [{**step, "shell": "bash"} for step in workflow["jobs"][job]["steps"] if step.get("id") in step_ids]
    return {"inputs": workflow["on"]["workflow_call"]["inputs"], "runs": {"steps": steps}}


def _stand_in(directory: Path, name: str, script: str) -> dict[str, str]:
    """A program called name on PATH (a Python script); returns the step env that puts it first."""
    directory.mkdir(parents=True, exist_ok=True)
    program = directory / name
    program.write_text(f"#!{sys.executable}\n{script}")
    program.chmod(0o755)
    return {"PATH": f"{directory}{os.pathsep}{os.environ['PATH']}"}


IMAGES_INPUTS = {"repository": "registry.example/team/dualpy-cpython", "dualpy-repository": "o/dualpy",
                 "dualpy-ref": "0" * 40}


@pytest.mark.parametrize(("request_", "tags"), [("3.14", ["3.14.7", "3.14"]), ("3.14.6", ["3.14.6"])])
def test_images_build_and_push_steps_record_the_digest_and_keep_the_password_off_argv(
        tmp_path: Path, request_: str, tags: list[str]) -> None:
    release = tags[0] if request_.count(".") == 2 else "3.14.7"
    log = tmp_path / "dualpy-calls.jsonl"
    dualpy = _stand_in(tmp_path / "bin", "dualpy", f"""
import json, sys
line = {{"argv": sys.argv[1:], "stdin": "" if sys.argv[1:3] != ["images", "build"] else None}}
if sys.argv[1:3] == ["images", "push"]:
    line["stdin"] = sys.stdin.read()
open({str(log)!r}, "a").write(json.dumps(line) + "\\n")
if sys.argv[1:3] == ["images", "build"]:
    print(json.dumps({{"tag": "dualpy/cpython:{release}", "version": "{release}"}}))
elif sys.argv[1:3] == ["images", "push"]:
    print(json.dumps({{"destination": sys.argv[4], "digest": "sha256:" + "ab" * 32}}))
""")
    python = tmp_path / "bin" / "python"  # what setup-python puts on a runner's PATH; this machine may have none
    python.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} \"$@\"\n")
    python.chmod(0o755)
    workflow = _workflow("images.yml")
    push_steps = [step for step in workflow["jobs"]["build"]["steps"] if step.get("name") == "Push by digest"]
    verify_steps = [step for step in workflow["jobs"]["build"]["steps"] if str(step.get("run", "")).startswith(
        "dualpy verify image")]
    for step in push_steps + verify_steps:
        step.setdefault("id", "push" if step in push_steps else "verify")
    action = _job_as_action(workflow, "build", {"build", "verify", "push"})
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    run = run_action(action, inputs={**IMAGES_INPUTS, "force": "false"}, action_path=ROOT, workspace=workspace,
                     temp=tmp_path, uses_outputs={}, conditions={}, base_env=host_env(),
                     step_env={step_id: dualpy for step_id in ("build", "verify", "push")},
                     extra_context={"matrix": {"python": request_, "runner": "ubuntu-24.04"},
                                    "secrets": {"registry-password": "s3cret pass"},
                                    "github": {"actor": "octocat", "token": "job-token"}})
    assert run.succeeded, run.log()
    arch = run.step("build").outputs["arch"]
    assert run.step("build").outputs == {"tag": f"dualpy/cpython:{release}", "release": release, "arch": arch,
                                         "tags": json.dumps(tags)}
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert [call["argv"][:2] for call in calls] == [["images", "build"], ["verify", "image"], ["images", "push"]]
    push = calls[2]
    assert push["argv"] == ["images", "push", f"dualpy/cpython:{release}",
                            f"registry.example/team/dualpy-cpython:{release}-{arch}", "--json", "--username", "octocat"]
    assert push["stdin"] == "s3cret pass\n" and not any("s3cret" in arg for arg in push["argv"])
    record = json.loads((workspace / "digests" / f"{release}-{arch}.json").read_text())
    assert record == {"release": release, "arch": arch, "tags": tags, "digest": "sha256:" + "ab" * 32,
                      "pushed_as": f"registry.example/team/dualpy-cpython:{release}-{arch}"}


def _manifest_run(tmp_path: Path, records: list[dict[str, Any]]) -> tuple[ActionRun, list[list[str]]]:
    """Run the manifest job's publish step on digest records, with a stand-in docker; return it and docker's argv."""
    workspace = tmp_path / "workspace"
    (workspace / "digests").mkdir(parents=True)
    for record in records:
        (workspace / "digests" / f"{record['release']}-{record['arch']}.json").write_text(json.dumps(record))
    log = tmp_path / "docker-calls.jsonl"
    docker = _stand_in(tmp_path / "bin", "docker", f"""
import hashlib, json, sys
open({str(log)!r}, "a").write(json.dumps(sys.argv[1:]) + "\\n")
if sys.argv[1:4] == ["buildx", "imagetools", "inspect"]:
    print(json.dumps({{"digest": "sha256:" + hashlib.sha256(sys.argv[4].encode()).hexdigest()}}))
""")
    action = _job_as_action(_workflow("images.yml"), "manifest", {"publish"})
    run = run_action(action, inputs=IMAGES_INPUTS, action_path=ROOT, workspace=workspace, temp=tmp_path,
                     uses_outputs={}, conditions={}, base_env=host_env(), step_env={"publish": docker})
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return run, calls


def _digest(release: str, arch: str, tags: list[str]) -> dict[str, Any]:
    return {"release": release, "arch": arch, "tags": tags, "pushed_as": f"r:{release}-{arch}",
            "digest": "sha256:" + hashlib.sha256(f"{release}{arch}".encode()).hexdigest()}


def test_manifest_step_makes_one_multi_arch_manifest_per_tag_from_the_digests(tmp_path: Path) -> None:
    records = [_digest("3.14.7", "x86_64", ["3.14.7", "3.14"]), _digest("3.14.7", "aarch64", ["3.14.7", "3.14"]),
               _digest("3.13.15", "aarch64", ["3.13.15"]), _digest("3.13.15", "x86_64", ["3.13.15"])]
    run, calls = _manifest_run(tmp_path, records)
    assert run.succeeded, run.log()
    repository = IMAGES_INPUTS["repository"]
    by_digest = {r["digest"]: r for r in records}
    creates = [call for call in calls if call[:3] == ["buildx", "imagetools", "create"]]
    first, second = creates
    assert all(source.startswith(f"{repository}@sha256:") for source in first[5:] + second[7:])  # by digest
    assert first[3:5] == ["--tag", f"{repository}:3.13.15"]
    assert sorted(by_digest[s.split("@")[1]]["arch"] for s in first[5:]) == ["aarch64", "x86_64"]
    assert second[3:7] == ["--tag", f"{repository}:3.14", "--tag", f"{repository}:3.14.7"]
    assert {by_digest[s.split("@")[1]]["release"] for s in second[7:]} == {"3.14.7"} and len(second[7:]) == 2
    published = json.loads(run.step("publish").outputs["published"])
    assert [p["tag"] for p in published] == [f"{repository}:3.13.15", f"{repository}:3.14", f"{repository}:3.14.7"]
    assert all(p["architectures"] == ["aarch64", "x86_64"] and p["digest"].startswith("sha256:") for p in published)
    assert f"| `{repository}:3.14` |" in run.summary


def test_manifest_step_refuses_a_release_missing_an_architecture(tmp_path: Path) -> None:
    run, calls = _manifest_run(tmp_path, [_digest("3.14.7", "x86_64", ["3.14.7", "3.14"]),
                                          _digest("3.13.15", "x86_64", ["3.13.15"]),
                                          _digest("3.13.15", "aarch64", ["3.13.15"])])
    assert not run.succeeded
    assert "3.14.7: digests for ['x86_64'], expected 2 distinct architectures" in run.step("publish").stderr
    assert calls == []  # checked before anything is published: no tag moves when one release is incomplete
