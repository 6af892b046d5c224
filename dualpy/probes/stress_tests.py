"""Run a project's tests one at a time, then under pytest-run-parallel, in a fresh venv; print one JSON document.

Run inside an image: python stress_tests.py REQUEST_JSON
REQUEST: {"wheelhouse": DIR, "wheels": [FILE, ...], "tests": DIR, "threads": N, "iterations": K}
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from typing import Any

from packaging.tags import sys_tags
from packaging.utils import parse_wheel_filename

# Loaded into pytest with -p: records outcomes, the thread-unsafe list, the test in progress and the GIL state.
PLUGIN = r'''
import json, os, sys

_out = os.environ["DUALPY_STRESS_OUT"]
_state = {"outcomes": {}, "failures": {}, "thread_unsafe": {}, "gil_enabled_at_end": None}


def _write():
    with open(_out + ".tmp", "w") as stream:
        json.dump(_state, stream)
    os.replace(_out + ".tmp", _out)


def pytest_runtest_logstart(nodeid, location):
    with open(_out + ".current", "w") as stream:
        stream.write(nodeid)


def pytest_runtest_logreport(report):
    if report.when == "call" or report.outcome == "failed":
        previous = _state["outcomes"].get(report.nodeid)
        if previous != "failed":
            _state["outcomes"][report.nodeid] = report.outcome
        if report.outcome == "failed":
            text = str(report.longreprtext or "").strip().splitlines()
            _state["failures"][report.nodeid] = "\n".join(text[-3:])[:600]


def pytest_sessionfinish(session, exitstatus):
    plugin = session.config.pluginmanager.get_plugin("_run-parallel")
    if plugin is not None:
        _state["thread_unsafe"] = dict(getattr(plugin, "thread_unsafe", {}))
    _state["gil_enabled_at_end"] = getattr(sys, "_is_gil_enabled", lambda: True)()
    _write()
'''


def tail(text: str, lines: int = 8) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def run_pytest(python: str, tests: str, threads: int, iterations: int, work: str) -> dict[str, Any]:
    out = os.path.join(work, f"result-{threads}.json")
    env = dict(os.environ, DUALPY_STRESS_OUT=out, PYTHONPATH=os.path.join(work, "plugin"),
               PYTEST_ADDOPTS="", PYTHONDONTWRITEBYTECODE="1")
    command = [python, "-m", "pytest", "-p", "dualpy_stress_plugin", "-p", "no:cacheprovider",
               "--import-mode=importlib", f"--parallel-threads={threads}", f"--iterations={iterations}",
               "-q", "-rN", "--rootdir", tests, tests]
    completed = subprocess.run(command, capture_output=True, text=True, env=env, cwd=work, timeout=3600)
    result: dict[str, Any] = {"returncode": completed.returncode, "signal": None,
                              "output": tail(completed.stdout + completed.stderr)}
    if completed.returncode < 0:
        result["signal"] = signal.Signals(-completed.returncode).name
    if os.path.exists(out):
        with open(out) as stream:
            result.update(json.load(stream))
    else:
        result.update({"outcomes": {}, "failures": {}, "thread_unsafe": {}, "gil_enabled_at_end": None})
    if os.path.exists(out + ".current"):
        with open(out + ".current") as stream:
            result["last_started"] = stream.read()
    return result


def main() -> None:
    request = json.loads(sys.argv[1])
    supported = set(sys_tags())
    wheels = [w for w in request["wheels"] if set(parse_wheel_filename(w)[3]) & supported]
    report: dict[str, Any] = {"interpreter": sys.executable, "wheels": wheels}
    if not wheels:
        print(json.dumps(report))
        return
    work = tempfile.mkdtemp(prefix="dualpy-stress-")
    venv = os.path.join(work, "venv")
    subprocess.run([sys.executable, "-m", "venv", venv], check=True, capture_output=True)
    python = os.path.join(venv, "bin", "python")
    install = subprocess.run(
        [python, "-m", "pip", "install", "--disable-pip-version-check", "-q", "pytest", "pytest-run-parallel",
         *[os.path.join(request["wheelhouse"], w) for w in wheels]],
        capture_output=True, text=True)
    if install.returncode != 0:
        report["install_error"] = tail(install.stdout + install.stderr, 5)
        print(json.dumps(report))
        return
    os.makedirs(os.path.join(work, "plugin"))
    with open(os.path.join(work, "plugin", "dualpy_stress_plugin.py"), "w") as stream:
        stream.write(PLUGIN)
    tests = os.path.join(work, "tests")
    shutil.copytree(request["tests"], tests)
    report["serial"] = run_pytest(python, tests, 1, 1, work)
    report["parallel"] = run_pytest(python, tests, request["threads"], request["iterations"], work)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
