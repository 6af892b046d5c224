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
from pathlib import Path
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


def run_pytest(python: str, tests: str, threads: int, iterations: int, work: Path) -> dict[str, Any]:
    out = work / f"result-{threads}.json"
    current = work / f"{out.name}.current"  # the plugin's name for it: DUALPY_STRESS_OUT + ".current"
    env = dict(os.environ, DUALPY_STRESS_OUT=str(out), PYTHONPATH=str(work / "plugin"),
               PYTEST_ADDOPTS="", PYTHONDONTWRITEBYTECODE="1")
    command = [python, "-m", "pytest", "-p", "dualpy_stress_plugin", "-p", "no:cacheprovider",
               "--import-mode=importlib", f"--parallel-threads={threads}", f"--iterations={iterations}",
               "-q", "-rN", "--rootdir", tests, tests]
    completed = subprocess.run(command, capture_output=True, text=True, env=env, cwd=work, timeout=3600)
    result: dict[str, Any] = {"returncode": completed.returncode, "signal": None,
                              "output": tail(completed.stdout + completed.stderr)}
    if completed.returncode < 0:
        result["signal"] = signal.Signals(-completed.returncode).name
    if out.exists():
        with out.open() as stream:
            result.update(json.load(stream))
    else:
        result.update({"outcomes": {}, "failures": {}, "thread_unsafe": {}, "gil_enabled_at_end": None})
    if current.exists():
        result["last_started"] = current.read_text()
    return result


def main() -> None:
    request = json.loads(sys.argv[1])
    supported = set(sys_tags())
    wheels = [w for w in request["wheels"] if set(parse_wheel_filename(w)[3]) & supported]
    report: dict[str, Any] = {"interpreter": sys.executable, "wheels": wheels}
    if not wheels:
        print(json.dumps(report))
        return
    work = Path(tempfile.mkdtemp(prefix="dualpy-stress-"))
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    python = str(venv / "bin" / "python")
    install = subprocess.run(
        [python, "-m", "pip", "install", "--disable-pip-version-check", "-q", "pytest", "pytest-run-parallel",
         *[str(Path(request["wheelhouse"]) / w) for w in wheels]],
        capture_output=True, text=True)
    if install.returncode != 0:
        report["install_error"] = tail(install.stdout + install.stderr, 5)
        print(json.dumps(report))
        return
    (work / "plugin").mkdir(parents=True)
    (work / "plugin" / "dualpy_stress_plugin.py").write_text(PLUGIN)
    tests = str(work / "tests")
    shutil.copytree(request["tests"], tests)
    report["serial"] = run_pytest(python, tests, 1, 1, work)
    report["parallel"] = run_pytest(python, tests, request["threads"], request["iterations"], work)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
