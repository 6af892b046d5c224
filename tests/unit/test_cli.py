"""CLI behaviour that needs no engine: exit codes, one-line errors, --json on stdout only."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dualpy.cli import main

PROJECTS = Path(__file__).parent.parent / "projects"


def test_recipes_list_json_is_the_only_stdout(capsys):
    assert main(["recipes", "list", "--json"]) == 0
    out = capsys.readouterr().out
    versions = [r["version"] for r in json.loads(out)["recipes"]]
    assert "3.13.15" in versions and "3.13.5" in versions
    row = json.loads(out)["recipes"][versions.index("3.13.15")]
    assert row["variants"]["freethreaded"]["abi_tag"] == "cp313-cp313t"


@pytest.mark.parametrize("args", [["images", "build", "--python", "3.99"], ["sources", "fetch", "2.7.18"],
                                  ["images", "build", "--python", "3.13", "--variants", "nogil,x"],
                                  ["images", "build", "--python", "3.13", "--profile", "turbo"]])
def test_bad_input_is_one_line_and_exit_2(capsys, args):
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and len(err.splitlines()) == 1


# Each command here reaches the engine before anything on the machine could stop it first (`base build` checks
# debootstrap and root before the engine, so it has its own test below).
@pytest.mark.parametrize("args", [["images", "inspect", "dualpy/cpython:3.13.15"], ["verify", "image", "x"],
                                  ["bench", "x"], ["pipeline", str(PROJECTS / "pure-python"), "--python", "3.13"]])
def test_engine_down_is_one_line_naming_the_fix(tmp_path, args):
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}
    result = subprocess.run([sys.executable, "-m", "dualpy", *args], capture_output=True, text=True, env=env,
                            cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: no Docker engine answers") and "dockerd" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_base_build_without_debootstrap_is_one_line_naming_the_fix(tmp_path):
    # An empty PATH makes "no debootstrap" true on every machine, root or not, engine or not.
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock", "PATH": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "dualpy", "base", "build", "--tag", "dualpy-test/never:1"],
                            capture_output=True, text=True, env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: debootstrap is not installed") and "apt-get install" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_version_flag(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("dualpy ")


def _suggested_commands(message: str) -> list[list[str]]:
    """Every `dualpy ...` command an error message suggests, split as a shell would."""
    import re
    import shlex

    return [shlex.split(found)[1:] for found in re.findall(r"`(dualpy [^`]+)`", message)]


def _parses(args: list[str]) -> None:
    """Parse args exactly as `dualpy ARGS` would, every option checked, with each command's body replaced by a no-op."""
    import typer

    from dualpy.cli import app

    root = typer.main.get_command(app)  # a fresh command tree: changing it leaves the real CLI alone
    pending = [root]
    while pending:
        command = pending.pop()
        children = getattr(command, "commands", None)
        if children:
            pending += children.values()
        else:
            command.callback = lambda **_kwargs: None
    root.main(args=list(args), prog_name="dualpy", standalone_mode=False)


def test_every_suggested_command_runs_as_written(tmp_path):
    from dualpy.errors import image_absent
    from dualpy.sources.recipes import find_release
    from dualpy.tags import python_named_by
    from dualpy.verify import wheel_paths

    named = ("dualpy/cpython:3.13.15", "dualpy/cpython:3.14")
    messages = [str(image_absent(tag, python_named_by(tag))) for tag in named]
    messages.append(str(image_absent("ci/builder:latest", "3.13.15")))
    with pytest.raises(Exception) as caught:
        wheel_paths(tmp_path)
    messages.append(str(caught.value))
    suggestions = [args for message in messages for args in _suggested_commands(message)]
    assert len(suggestions) == len(messages)
    for args in suggestions:
        _parses(args)
        if "--python" in args:
            find_release(args[args.index("--python") + 1])  # a version dualpy has a recipe for


def test_config_show_json_is_the_documented_shape(tmp_path, capsys):
    (tmp_path / "pyproject.toml").write_text('[tool.dualpy]\npythons = ["3.13"]\n')
    assert main(["config", "show", str(tmp_path), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["pythons"] == {"value": ["3.13"], "source": f"{tmp_path / 'pyproject.toml'} [tool.dualpy]"}
    assert document["variants"] == {"value": ["gil", "freethreaded"], "source": "default"}


def test_every_command_module_registers_itself_one_way():
    """One way to register: each module under dualpy/commands has register(root), and the CLI calls every one."""
    import importlib
    import pkgutil

    import dualpy.commands
    from dualpy import cli

    names = sorted(m.name for m in pkgutil.iter_modules(dualpy.commands.__path__))
    for name in names:
        module = importlib.import_module(f"dualpy.commands.{name}")
        assert callable(getattr(module, "register", None)), f"dualpy.commands.{name} has no register(root)"
    registered = {group.name for group in cli.app.registered_groups} | {
        command.name for command in cli.app.registered_commands}
    assert registered == set(names)
