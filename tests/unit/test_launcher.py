"""The launcher's rule table, run against the real compiled C launcher and fake interpreters."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

from dualpy import launcher
from dualpy.tags import Variant

FAKE = """#!/bin/sh
echo "{name}"
for argument in "$@"; do echo "arg:$argument"; done
exit "${{FAKE_EXIT:-0}}"
"""


@pytest.fixture(scope="module")
def installation(tmp_path_factory):
    root = tmp_path_factory.mktemp("launcher")
    interpreters = {}
    for request in ("3.13", "3.13t", "3.14t"):
        fake = root / "interpreters" / f"python{request}"
        fake.parent.mkdir(exist_ok=True)
        fake.write_text(FAKE.format(name=request))
        fake.chmod(0o755)
        interpreters[request] = str(fake)
    prefix = root / "prefix"
    launcher.install(prefix, interpreters, Variant.GIL)
    return prefix


def launch(prefix, *args, env=None, cwd=None, name="python"):
    clean = {k: v for k, v in os.environ.items() if k not in ("DUALPY_PYTHON", "PYTHON_GIL", "DUALPY_LAUNCHER_DEBUG")}
    result = subprocess.run([str(prefix / "bin" / name), *args], capture_output=True, text=True,
                            env={**clean, **(env or {})}, cwd=cwd or prefix)
    chosen = result.stdout.splitlines()[0] if result.stdout else None
    return result, chosen


@pytest.mark.parametrize(
    ("request_text", "expected"),
    [("3.13", "3.13"), ("3.13t", "3.13t"), ("3.13+freethreaded", "3.13t"), ("3.13+gil", "3.13"),
     ("t", "3.14t"), ("3.14t", "3.14t"), ("3.13.15t", "3.13t"), (" 3.13t ", "3.13t")],
)
def test_rule1_dualpy_python_in_uv_syntax(installation, request_text, expected):
    result, chosen = launch(installation, "-c", "pass", env={"DUALPY_PYTHON": request_text})
    assert (result.returncode, chosen) == (0, expected), result.stderr


def test_rule1_default_version_is_the_newest_with_the_requested_build(installation):
    # 3.14 has only a t build here: `gil` names 3.14's GIL build, which is absent
    result, _ = launch(installation, env={"DUALPY_PYTHON": "gil"})
    assert result.returncode == 2 and "3.14" in result.stderr and "installed: 3.13, 3.13t, 3.14t" in result.stderr


@pytest.mark.parametrize("request_text", ["3.12t", "3.12", "3.15+gil"])
def test_absent_interpreter_is_an_error_listing_installed_ones(installation, request_text):
    result, chosen = launch(installation, env={"DUALPY_PYTHON": request_text})
    assert result.returncode == 2 and chosen is None
    assert "not installed" in result.stderr and "installed: 3.13, 3.13t, 3.14t" in result.stderr


@pytest.mark.parametrize("request_text", ["banana", "3", "3.13x", "3.13t+gil", "3.13+nogil", "2.7"])
def test_malformed_dualpy_python_is_an_error(installation, request_text):
    result, _ = launch(installation, env={"DUALPY_PYTHON": request_text})
    assert result.returncode == 2 and "DUALPY_PYTHON" in result.stderr


def test_rule2_x_gil_picks_and_reaches_the_interpreter(installation):
    prefix, default_version = installation, "3.14"
    result, chosen = launch(prefix, "-X", "gil=0", "-c", "pass", env={"DUALPY_PYTHON": "3.13t"})
    assert chosen == "3.13t"
    assert result.stdout.splitlines()[1:3] == ["arg:-X", "arg:gil=0"]
    result, chosen = launch(prefix, "-Xgil=0", "-c", "pass")
    assert chosen == f"{default_version}t"
    result, chosen = launch(prefix, "-X", "gil=1", "-c", "pass", env={"DUALPY_PYTHON": "3.13t"})
    assert chosen == "3.13t", "3.13t with -X gil=1 runs the free-threaded build with the GIL on"


def test_rule2_conflict_with_rule1_is_an_error(installation):
    result, chosen = launch(installation, "-X", "gil=0", "-c", "pass", env={"DUALPY_PYTHON": "3.13"})
    assert result.returncode == 2 and chosen is None and "-X gil=0" in result.stderr


def test_rule2_only_reads_interpreter_options(installation):
    # after -c, -m or the script, -X belongs to the program
    _, chosen = launch(installation, "-c", "pass", "-X", "gil=0", env={"DUALPY_PYTHON": "3.13"})
    assert chosen == "3.13"
    _, chosen = launch(installation, "-m", "mod", "-X", "gil=0", env={"DUALPY_PYTHON": "3.13"})
    assert chosen == "3.13"
    _, chosen = launch(installation, "-W", "ignore", "-X", "gil=0", "-c", "pass", env={"PYTHON_GIL": "1"})
    assert chosen == "3.14t"


def test_python_gil_0_with_x_gil_1_is_an_error_not_a_crash(installation):
    result, chosen = launch(installation, "-X", "gil=1", "-c", "pass", env={"PYTHON_GIL": "0", "DUALPY_PYTHON": "3.13"})
    assert (result.returncode, chosen) == (2, None) and "PYTHON_GIL=0" in result.stderr


def test_rule2_beats_rule3_and_never_falls_back(installation):
    # -X gil=1 asks for the GIL build of the default version, 3.14, which has only a t build here
    result, chosen = launch(installation, "-X", "gil=1", "-c", "pass", env={"PYTHON_GIL": "1"})
    assert (result.returncode, chosen) == (2, None)
    assert "Python 3.14 (GIL build, from rule 2, -X gil=1) is not installed" in result.stderr


def test_rule3_python_gil(installation, tmp_path):
    _, chosen = launch(installation, "-c", "pass", env={"PYTHON_GIL": "0", "DUALPY_PYTHON": "3.13t"})
    assert chosen == "3.13t"
    result, chosen = launch(installation, "-c", "pass", env={"PYTHON_GIL": "0"}, cwd=tmp_path)
    assert chosen == "3.14t", result.stderr


@pytest.mark.parametrize("value", ["2", "yes", "00"])
def test_rule3_malformed_python_gil_is_an_error(installation, value):
    result, chosen = launch(installation, env={"PYTHON_GIL": value})
    assert result.returncode == 2 and chosen is None and "PYTHON_GIL" in result.stderr


def test_python_gil_0_with_an_explicit_gil_build_is_an_error(installation):
    result, _ = launch(installation, env={"PYTHON_GIL": "0", "DUALPY_PYTHON": "3.13"})
    assert result.returncode == 2 and "PYTHON_GIL=0" in result.stderr


def test_rule4_nearest_python_version_with_comments_and_several_lines(installation, tmp_path):
    outer = tmp_path / "outer"
    inner = outer / "project" / "src"
    inner.mkdir(parents=True)
    (outer / ".python-version").write_text("3.13\n")
    (outer / "project" / ".python-version").write_text("# pinned by the team\n\n3.12t  # not here\n3.13t\n")
    _, chosen = launch(installation, "-c", "pass", cwd=inner)
    assert chosen == "3.13t"
    _, chosen = launch(installation, "-c", "pass", cwd=outer)
    assert chosen == "3.13"
    _, chosen = launch(installation, "-c", "pass", cwd=inner, env={"PYTHON_GIL": "1", "DUALPY_PYTHON": "3.13"})
    assert chosen == "3.13", "rules 1-3 come before the file"


def test_rule4_absent_or_malformed_version_file(installation, tmp_path):
    (tmp_path / ".python-version").write_text("3.12t\n")
    result, _ = launch(installation, cwd=tmp_path)
    assert result.returncode == 2 and "3.12t" in result.stderr and ".python-version" in result.stderr
    # pypy3.10 was refused here before issue 13; uv and pyenv skip another implementation, so does rule 4 now
    (tmp_path / ".python-version").write_text("banana3.10\n")
    result, _ = launch(installation, cwd=tmp_path)
    assert result.returncode == 2 and "not a Python version" in result.stderr


def test_rule5_default_and_debug_output(installation, tmp_path):
    result, chosen = launch(installation, "-c", "pass", cwd=tmp_path, env={"DUALPY_LAUNCHER_DEBUG": "1"})
    # default gil, newest minor is 3.14 but it has no GIL build: the default is an error, never a fallback
    assert chosen is None and result.returncode == 2
    assert "rule 5" in result.stderr


def test_arguments_exit_code_and_python3_link(installation, tmp_path):
    script = tmp_path / "dir with spaces" / "my script.py"
    script.parent.mkdir()
    script.write_text("")
    result, chosen = launch(installation, str(script), "a b", "", "--flag", name="python3",
                            env={"DUALPY_PYTHON": "3.13", "FAKE_EXIT": "7"})
    assert chosen == "3.13" and result.returncode == 7
    assert result.stdout.splitlines()[1:] == [f"arg:{script}", "arg:a b", "arg:", "arg:--flag"]


def test_exec_leaves_no_extra_process_and_passes_signals(installation, tmp_path):
    killer = tmp_path / "python3.13"
    killer.write_text("#!/bin/sh\nkill -TERM $$\n")
    killer.chmod(0o755)
    prefix = tmp_path / "prefix"
    launcher.install(prefix, {"3.13": str(killer)}, Variant.GIL)
    result = subprocess.run([str(prefix / "bin" / "python")], capture_output=True, env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == -signal.SIGTERM


def test_debug_names_the_rule(installation):
    result, chosen = launch(installation, "-c", "pass", env={"DUALPY_PYTHON": "3.13t", "DUALPY_LAUNCHER_DEBUG": "1"})
    assert chosen == "3.13t"
    assert "rule 1, DUALPY_PYTHON=3.13t -> 3.13t" in result.stderr


def test_config_round_trip_and_discovery(tmp_path):
    text = launcher.render_config({"3.13": "/a/python3.13", "3.13t": "/b c/python3.13t"}, Variant.FREETHREADED)
    assert launcher.parse_config(text) == ({"3.13": "/a/python3.13", "3.13t": "/b c/python3.13t"},
                                           Variant.FREETHREADED)
    for tag, exe in (("cp313-cp313", "python3.13"), ("cp313-cp313t", "python3.13t"), ("cp39-cp39", "python3.9")):
        binary = tmp_path / tag / "bin" / exe
        binary.parent.mkdir(parents=True)
        binary.write_text("")
        binary.chmod(0o755)
    assert launcher.discover(tmp_path) == {"3.13": str(tmp_path / "cp313-cp313/bin/python3.13"),
                                           "3.13t": str(tmp_path / "cp313-cp313t/bin/python3.13t"),
                                           "3.9": str(tmp_path / "cp39-cp39/bin/python3.9")}


def test_install_refuses_a_default_with_no_interpreter(tmp_path):
    from dualpy.errors import UsageError

    with pytest.raises(UsageError, match="no freethreaded interpreter"):
        launcher.install(tmp_path, {"3.13": "/bin/true"}, Variant.FREETHREADED)
