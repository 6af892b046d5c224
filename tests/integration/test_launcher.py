"""The launcher in the real dual image, and installed on this host over interpreters copied out of it."""

from __future__ import annotations

import io
import json
import os
import shlex
import subprocess
import tarfile
from pathlib import Path

import pytest

from dualpy import engine
from tests.conftest import run_dualpy

pytestmark = pytest.mark.docker

FIFO = "<fifo>"  # a FIFO named .python-version: skipped, never waited on
PROBE = "import sys, sysconfig; print(sysconfig.get_config_var('Py_GIL_DISABLED'), sys._is_gil_enabled())"

# (environment, arguments before -c, files in the working dir, expected Py_GIL_DISABLED)
RULE_CASES = [
    pytest.param({}, [], {}, 0, id="rule5-default-gil"),
    pytest.param({"DUALPY_PYTHON": "3.13t"}, [], {}, 1, id="rule1-3.13t"),
    pytest.param({"DUALPY_PYTHON": "3.13+freethreaded"}, [], {}, 1, id="rule1-plus-freethreaded"),
    pytest.param({"DUALPY_PYTHON": "3.13+gil"}, [], {}, 0, id="rule1-plus-gil"),
    pytest.param({"DUALPY_PYTHON": "t"}, [], {}, 1, id="rule1-t"),
    pytest.param({"DUALPY_PYTHON": "gil", "PYTHON_GIL": "1"}, [], {}, 0, id="rule1-gil"),
    pytest.param({"DUALPY_PYTHON": "3.13t"}, ["-X", "gil=1"], {}, 1, id="rule1-t-with-gil-on"),
    pytest.param({}, ["-X", "gil=0"], {}, 1, id="rule2-x-gil-0"),
    pytest.param({"PYTHON_GIL": "1"}, ["-X", "gil=0"], {}, 1, id="rule2-beats-rule3"),
    pytest.param({"PYTHON_GIL": "0"}, [], {}, 1, id="rule3-python-gil-0"),
    pytest.param({"PYTHON_GIL": "1"}, [], {".python-version": "3.13t\n"}, 0, id="rule3-beats-rule4"),
    pytest.param({}, [], {".python-version": "# team pin\n3.13t\n"}, 1, id="rule4-python-version"),
    # issue 13: CPython's own option rules, uv's forms, hostile files
    pytest.param({"PYTHON_GIL": "0"}, ["-E"], {}, 0, id="E-ignores-python-gil"),
    pytest.param({"PYTHON_GIL": "0"}, ["-I"], {}, 0, id="I-ignores-python-gil"),
    pytest.param({"PYTHON_GIL": "0"}, [], {".python-version": "3.13\n"}, 1, id="rule3-t-build-of-the-pinned-minor"),
    pytest.param({}, ["-X", "gil=0"], {".python-version": "3.13\n"}, 1, id="rule2-t-build-of-the-pinned-minor"),
    pytest.param({}, [], {".python-version": "cp313t\n"}, 1, id="rule4-uv-cp313t"),
    pytest.param({}, [], {".python-version": "3.13T\n"}, 1, id="rule4-uv-upper-case"),
    pytest.param({}, [], {".python-version": "pypy3.10\n3.13t\n"}, 1, id="rule4-skips-pypy"),
    pytest.param({}, [], {".python-version": "/opt/python/cp313-cp313t/bin/python3.13t\n"}, 1,
                 id="rule4-uv-pin-resolved-path"),
    pytest.param({}, [], {".python-version": "3.13t\n", "sub/.python-version": FIFO}, 1, id="rule4-fifo-skipped"),
]


def run_in_image(image: str, script: str, env: dict[str, str] | None = None) -> engine.RunResult:
    return engine.run(image, ["/bin/bash", "-c", script], environment=env or {})


@pytest.mark.parametrize(("env", "args", "files", "expected"), RULE_CASES)
def test_each_rule_picks_the_matching_build(dual_image: str, env: dict[str, str], args: list[str],
                                            files: dict[str, str], expected: int) -> None:
    setup = "".join(f"mkfifo /work/{name}; " if value is FIFO else f"printf %s {shlex.quote(value)} > /work/{name}; "
                    for name, value in files.items())
    argv = " ".join(args)
    script = f"mkdir -p /work/sub && {setup} cd /work/sub && python {argv} -c \"{PROBE}\""
    result = run_in_image(dual_image, script, env)
    assert result.exit_code == 0, result.stderr
    disabled, gil_enabled = result.stdout.split()
    assert int(disabled) == expected
    if expected == 1 and "gil=1" not in argv:
        assert gil_enabled == "False"


def test_first_x_gil_wins_as_in_cpython(dual_image: str) -> None:
    # CPython keeps the first -X gil: the launcher picks the t-build, which then runs with the GIL off
    result = run_in_image(dual_image, f"cd /tmp && python -X gil=0 -X gil=1 -c \"{PROBE}\"")
    assert result.exit_code == 0 and result.stdout.split() == ["1", "False"], result.stderr


def test_hostile_version_files_are_refused_in_one_line(dual_image: str) -> None:
    script = r"""
mkdir -p /tmp/big /tmp/esc && cd /tmp/big && head -c 5000 /dev/zero | tr '\0' '#' > .python-version
python -c pass; echo "exit=$?"
cd /tmp/esc && printf '\033[31m3.13\n' > .python-version && python -c pass; echo "exit=$?"
"""
    result = run_in_image(dual_image, script)
    assert result.stdout.split() == ["exit=2", "exit=2"], result.stderr
    assert "is over 4095 bytes" in result.stderr and "\\x1b[31m3.13" in result.stderr and "\x1b" not in result.stderr


def test_python_gil_0_on_a_gil_build_is_one_clear_error(dual_image: str) -> None:
    result = run_in_image(dual_image, "python -X gil=1 -c pass", {"PYTHON_GIL": "0"})
    assert result.exit_code == 2
    assert "PYTHON_GIL=0 cannot run on the GIL build chosen by rule 2" in result.stderr


def test_absent_version_is_an_error_listing_installed(dual_image: str) -> None:
    result = run_in_image(dual_image, "python -c pass", {"DUALPY_PYTHON": "3.12t"})
    assert result.exit_code == 2
    assert "installed: 3.13, 3.13t" in result.stderr


def test_exit_codes_stdin_arguments_and_signals_pass_through(dual_image: str) -> None:
    script = r"""
python -c 'import sys; sys.exit(7)'; echo "exit=$?"
echo 'print("from stdin")' | PYTHON_GIL=0 python -
mkdir -p '/tmp/a dir' && printf 'import sys\nprint(sys.argv[1:])\n' > '/tmp/a dir/my script.py'
python '/tmp/a dir/my script.py' 'one two' ''
python -c 'import os, signal; os.kill(os.getpid(), signal.SIGTERM)'; echo "signal-exit=$?"
printf '#!/usr/bin/env python\nimport sysconfig\nprint("shebang", sysconfig.get_config_var("Py_GIL_DISABLED"))\n' \
    > /tmp/tool
chmod +x /tmp/tool && PYTHON_GIL=0 /tmp/tool && /tmp/tool
"""
    result = run_in_image(dual_image, script)
    lines = result.stdout.splitlines()
    assert lines == ["exit=7", "from stdin", "['one two', '']", "signal-exit=143", "shebang 1", "shebang 0"], \
        result.stderr


def test_python3_link_and_debug_line(dual_image: str) -> None:
    result = run_in_image(dual_image, "DUALPY_LAUNCHER_DEBUG=1 python3 -X gil=0 -c pass")
    assert result.exit_code == 0
    assert "rule 2, -X gil=0 -> 3.13t /opt/python/cp313-cp313t/bin/python3.13t" in result.stderr


def test_inspect_lists_the_launcher_and_its_default(dual_image: str) -> None:
    facts = json.loads(run_dualpy("images", "inspect", dual_image, "--json").stdout)
    assert facts["launcher"]["default"] == "gil"
    assert facts["launcher"]["interpreters"] == {
        "3.13": "/opt/python/cp313-cp313/bin/python3.13",
        "3.13t": "/opt/python/cp313-cp313t/bin/python3.13t",
    }


@pytest.fixture(scope="module")
def host_interpreters(dual_image: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both builds copied out of the image onto this host."""
    root = tmp_path_factory.mktemp("host") / "opt-python"
    root.mkdir()
    container = engine.client().containers.create(dual_image, command=["true"])
    try:
        for tag in ("cp313-cp313", "cp313-cp313t"):
            stream, _ = container.get_archive(f"/opt/python/{tag}")
            with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as archive:
                archive.extractall(root, filter="tar")
    finally:
        container.remove(force=True)
    return root


def test_host_install_over_interpreters_copied_out_of_the_image(host_interpreters: Path, tmp_path: Path) -> None:
    prefix = tmp_path / "prefix"
    run_dualpy("launcher", "install", "--prefix", str(prefix), "--default", "freethreaded",
               "--python", f"3.13={host_interpreters}/cp313-cp313/bin/python3.13",
               "--python", f"3.13t={host_interpreters}/cp313-cp313t/bin/python3.13t")
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHON_GIL", "DUALPY_PYTHON")}

    def pick(*args: str, env: dict[str, str] | None = None, cwd: Path = tmp_path) -> int:
        result = subprocess.run([str(prefix / "bin" / "python"), *args, "-c", PROBE], capture_output=True,
                                text=True, env={**clean, **(env or {})}, cwd=cwd)
        assert result.returncode == 0, result.stderr
        return int(result.stdout.split()[0])

    assert pick() == 1, "the host default is freethreaded"
    assert pick(env={"DUALPY_PYTHON": "3.13"}) == 0
    assert pick("-X", "gil=1") == 0
    assert pick(env={"PYTHON_GIL": "1"}) == 0
    (tmp_path / ".python-version").write_text("3.13\n")
    assert pick() == 0
    discovered = tmp_path / "discovered"
    result = run_dualpy("launcher", "install", "--prefix", str(discovered), "--root", str(host_interpreters), "--json")
    assert set(json.loads(result.stdout)["interpreters"]) == {"3.13", "3.13t"}
