"""The cibuildwheel runner: progress lines from its output, and a real process in its place (interrupt, failure)."""

from __future__ import annotations

import io
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from dualpy.wheels import runner, split_plan
from dualpy.wheels.runner import CibuildwheelOutput, CibuildwheelProcess, run_cibuildwheel
from tests.unit.wheels.support import PROJECTS, one_plan


def test_progress_follows_cibuildwheels_headers_in_colour_or_plain(capsys):
    log = io.StringIO()
    progress = CibuildwheelOutput(log, ("cp313-manylinux_x86_64", "cp313t-manylinux_x86_64"))
    for line in ["\x1b[1m\x1b[34mBuilding cp313-manylinux_x86_64 wheel\x1b[0m\n",
                 "\x1b[32m✓ \x1b[0mcp313-manylinux_x86_64 finished in 12 seconds\n",
                 "Building cp313t-manylinux_x86_64 wheel\n", "compiler output\n"]:
        progress.feed(line)
    progress.finish("failed")
    states = {k: v["state"] for k, v in progress.states.items()}
    assert states == {"cp313-manylinux_x86_64": "built", "cp313t-manylinux_x86_64": "failed"}
    assert "Building cp313-manylinux_x86_64 wheel\n" not in log.getvalue()  # the log keeps the raw output
    err = capsys.readouterr().err
    assert "cp313-manylinux_x86_64: built in" in err and "cp313t-manylinux_x86_64: failed after" in err
    plain = CibuildwheelOutput(io.StringIO(), ("cp313t-manylinux_x86_64", "cp314t-manylinux_x86_64"))
    plain.feed("Building cp313t-manylinux_x86_64 wheel\n")
    plain.feed("done cp313t-manylinux_x86_64 finished in 3 seconds\n")
    plain.finish("failed", never_started="skipped by the project's configuration")
    assert plain.states["cp313t-manylinux_x86_64"]["state"] == "built"
    assert plain.states["cp314t-manylinux_x86_64"]["state"] == "skipped by the project's configuration"


FAKE_CIBUILDWHEEL = """\
import os, signal, sys, time, pathlib
def stop(*_):
    pathlib.Path(sys.argv[sys.argv.index("--output-dir") + 1], "container-removed").write_text("yes")
    sys.exit(130)
signal.signal(signal.SIGINT, stop)
print(f"Building {os.environ['CIBW_BUILD']} wheel", flush=True)
time.sleep(30)
"""


def _fake_cibuildwheel(tmp_path: Path, script: str) -> dict[str, str]:
    package = tmp_path / "fake" / "cibuildwheel"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "__main__.py").write_text(script)
    return {"PYTHONPATH": str(tmp_path / "fake"), "PATH": "/usr/bin:/bin"}


def _processes(tmp_path, env):
    """A GIL and a t process, each with its own output dir, like build_wheels makes them."""
    processes = []
    log = io.StringIO()
    for number, part in enumerate(split_plan(one_plan(), 2)):
        output = tmp_path / f"out-{number}"
        output.mkdir()
        processes.append(CibuildwheelProcess(part, output, {**env, "CIBW_BUILD": part.identifiers[0]},
                                             CibuildwheelOutput(log, part.identifiers)))
    return processes, log


def test_an_interrupt_stops_every_cibuildwheel_so_each_removes_its_container(tmp_path, monkeypatch):
    env = _fake_cibuildwheel(tmp_path, FAKE_CIBUILDWHEEL)
    removed = []
    monkeypatch.setattr(runner.engine, "remove_containers", lambda label: removed.append(label) or ())
    processes, log = _processes(tmp_path, env)
    sigterm_handler = signal.getsignal(signal.SIGTERM)

    def interrupt_when_both_build():
        while log.getvalue().count("Building") < 2:
            time.sleep(0.05)
        signal.raise_signal(signal.SIGINT)

    threading.Thread(target=interrupt_when_both_build, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        run_cibuildwheel(Path(sys.executable), PROJECTS / "ext-freethreading", processes, "r1")
    for process in processes:  # each got SIGINT, not SIGKILL, so cibuildwheel could clean up
        assert (process.output / "container-removed").read_text() == "yes"
        assert process.progress.states[process.plan.identifiers[0]]["state"] == "interrupted"
    assert removed == ["io.dualpy.wheels-run=r1"]
    assert signal.getsignal(signal.SIGTERM) is sigterm_handler  # dualpy's SIGTERM handling was temporary


def test_a_failure_leaves_the_other_process_to_finish(tmp_path):
    script = FAKE_CIBUILDWHEEL.replace(
        'time.sleep(30)',
        'import os\nout = sys.argv[sys.argv.index("--output-dir") + 1]\n'
        'if os.environ["FAIL"] in out:\n'
        '    print("error: compiler exploded", flush=True); sys.exit(1)\n'
        'time.sleep(1)\npathlib.Path(out, "built.whl").write_text("wheel")')
    env = {**_fake_cibuildwheel(tmp_path, script), "FAIL": "out-1"}
    processes, _log = _processes(tmp_path, env)
    run_cibuildwheel(Path(sys.executable), PROJECTS / "ext-freethreading", processes, "r2")
    gil, t = processes
    assert t.code == 1 and t.failed and "error: compiler exploded" in t.progress.tail
    assert gil.code == 0 and not gil.stopped and not gil.failed
    assert (gil.output / "built.whl").read_text() == "wheel"
