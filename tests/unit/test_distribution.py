"""dualpy's distribution: a name nobody else holds on the index, installed only from a path, giving `dualpy`.

On the public index the name `dualpy` belongs to an unrelated project (forward-mode automatic
differentiation): `pip install dualpy` installs a stranger's code. The distribution is `dualpy-toolchain`;
the import package and the command stay `dualpy`. Every install line of the workflows and the action
installs from a checkout, never dualpy by name.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

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
    """`pip install <checkout>` into a fresh venv, offline: dependencies come from the host (system site)."""
    venv = tmp_path / "venv"
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}  # no checkout on sys.path
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True)
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
