"""CLI behaviour that needs no engine: exit codes, one-line errors, --json on stdout only."""

import json
import os
import subprocess
import sys

import pytest

from dualpy.cli import main


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


@pytest.mark.parametrize("args", [["images", "inspect", "dualpy/cpython:3.13.15"], ["verify", "image", "x"],
                                  ["bench", "x"], ["base", "build", "--tag", "dualpy-test/never:1"]])
def test_engine_down_is_one_line_naming_the_fix(tmp_path, args):
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}
    result = subprocess.run([sys.executable, "-m", "dualpy", *args], capture_output=True, text=True, env=env)
    assert result.returncode == 2
    assert result.stderr.startswith("error: no Docker engine answers") and "dockerd" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_version_flag(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("dualpy ")
