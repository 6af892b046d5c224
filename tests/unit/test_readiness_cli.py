"""`dualpy readiness` at the CLI: bad input is one line and exit 2 before any engine is asked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dualpy.cli import main


@pytest.fixture
def lists(tmp_path: Path) -> Path:
    (tmp_path / "requirements.txt").write_text("six\n")
    (tmp_path / "Pipfile").write_text("[packages]\n")
    os.mkfifo(tmp_path / "fifo.txt")
    (tmp_path / "loop.txt").symlink_to(tmp_path / "loop.txt")
    (tmp_path / "cyclic.txt").write_text("-r cyclic.txt\n")
    return tmp_path


@pytest.mark.parametrize(("args", "message"), [
    (["Pipfile"], "Pipfile: unknown kind of dependency list"),
    (["fifo.txt"], "not a regular file"),
    (["loop.txt"], "loop.txt: cannot read it"),
    (["cyclic.txt"], "-r includes form a cycle"),
    (["missing.txt"], "missing.txt: cannot read it"),
    (["requirements.txt", "--kind", "conda"], "--kind conda: give one of"),
    (["requirements.txt", "--group", "dev"], "groups belong to a pyproject.toml"),
    (["requirements.txt", "--markdown", "."], "is a directory"),
    (["requirements.txt", "--python", "3.12", "--image", "x"], "--python 3.12: free-threaded builds begin with 3.13"),
    (["requirements.txt", "--python", "three", "--image", "x"], "'three' is not a CPython version"),
    (["requirements.txt", "--python", "3.99"], "no recipe for Python '3.99'"),
])
def test_bad_input_is_one_line_and_exit_2(lists: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                                          message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(lists)
    assert main(["readiness", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error:") and message in captured.err and len(captured.err.splitlines()) == 1


def test_engine_down_is_one_line_after_the_list_is_read(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("six\n")
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}
    result = subprocess.run([sys.executable, "-m", "dualpy", "readiness", str(tmp_path / "requirements.txt"),
                             "--image", "dualpy/cpython:3.14.2"], capture_output=True, text=True, env=env,
                            timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("error: no Docker engine answers") and len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("flag", ["--threads", "--iterations"])
def test_a_stress_flag_without_stress_is_a_usage_error(tmp_path, capsys, flag):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("six==1.17.0\n")
    assert main(["readiness", str(requirements), flag, "3"]) == 2
    captured = capsys.readouterr()
    assert f"{flag} has no effect without --stress" in captured.err and captured.out == ""
