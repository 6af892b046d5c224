"""cibuildwheel processes side by side: their output streamed to the log, one progress line per identifier."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import signal
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from dualpy import console, engine
from dualpy.errors import ConfigurationError
from dualpy.signals import terminate_as_interrupt
from dualpy.wheels.diagnose import ANSI_ESCAPE
from dualpy.wheels.floor import REPORT_MARKER
from dualpy.wheels.options import RUN_LABEL
from dualpy.wheels.plan import BuildPlan
from dualpy.wheels.project import Project

LOG_TAIL_LINES = 30
# cibuildwheel exit codes (cibuildwheel/errors.py)
CONFIGURATION_ERROR_EXIT = 2
NOTHING_SELECTED_EXIT = 3
PURE_PYTHON_EXIT = 5
STOP_TIMEOUT_SECONDS = 20  # how long cibuildwheel gets to remove its container after SIGINT
_BUILDING_RE = re.compile(r"^Building (\S+) wheel$")
_FINISHED_RE = re.compile(r"^(?:✓|done) (\S+) finished in ")  # "done" when stdout cannot take unicode


class CibuildwheelOutput:
    """Streams cibuildwheel's output to the log and prints one line per identifier as its state changes."""

    def __init__(
        self, log: IO[str], identifiers: tuple[str, ...], prefix: str = "", lock: threading.Lock | None = None
    ) -> None:
        self.log = log
        self.prefix = prefix  # marks each log line when several processes share the log
        self.lock = lock or threading.Lock()
        self.tail: deque[str] = deque(maxlen=LOG_TAIL_LINES)
        self.states: dict[str, dict[str, Any]] = {i: {"state": "pending", "seconds": None} for i in identifiers}
        self.current: str | None = None
        self.started_at = time.monotonic()
        self.floor_reports: list[str] = []  # what a floor build's repair script found above the floor

    def feed(self, line: str) -> None:
        """Log one line of output; report an identifier starting or finishing."""
        with self.lock:
            self.log.write(self.prefix + line)
        text = ANSI_ESCAPE.sub("", line).rstrip()
        self.tail.append(text)
        text = text.strip()
        if text.startswith(REPORT_MARKER):
            self.floor_reports.append(text.removeprefix(REPORT_MARKER))
        elif match := _BUILDING_RE.match(text):
            self.current = match[1]
            self.started_at = time.monotonic()
            self.states[self.current] = {"state": "building", "seconds": None}
            console.info(f"  {self.current}: building")
        elif (match := _FINISHED_RE.match(text)) and match[1] in self.states:
            seconds = round(time.monotonic() - self.started_at, 1)
            self.states[match[1]] = {"state": "built", "seconds": seconds}
            console.info(f"  {match[1]}: built in {seconds:.1f}s")
            self.current = None

    def finish(self, state: str, never_started: str = "not built") -> None:
        """Settle what the run left open: the identifier in progress, and those it never started."""
        if self.current:
            seconds = round(time.monotonic() - self.started_at, 1)
            self.states[self.current] = {"state": state, "seconds": seconds}
            console.info(f"  {self.current}: {state} after {seconds:.1f}s")
            self.current = None
        for identifier, entry in self.states.items():
            if entry["state"] == "pending":
                entry["state"] = never_started
                console.info(f"  {identifier}: {never_started}")


@dataclass
class CibuildwheelProcess:
    """One cibuildwheel process: the identifiers it builds, where its wheels go, how far it got."""

    plan: BuildPlan
    output: Path
    env: dict[str, str]
    progress: CibuildwheelOutput
    config_file: Path | None = None  # replaces the project's pyproject.toml as cibuildwheel's options file
    popen: subprocess.Popen[str] | None = None
    reader: threading.Thread | None = None
    code: int | None = None
    stopped: bool = False  # stopped by dualpy because another process failed

    @property
    def failed(self) -> bool:
        """True when it ended with an error of its own (not pure-Python, not skipped, not stopped by dualpy)."""
        return self.code not in (0, PURE_PYTHON_EXIT, NOTHING_SELECTED_EXIT, None) and not self.stopped

    @property
    def selected_nothing(self) -> bool:
        """True when the project's own selection (skip, build, requires-python) left it nothing to build.

        Not a failure on its own: ruamel.yaml.clib skips cp3??t-*, so its t process selects nothing while the
        GIL process builds; only a run where every process selects nothing is an error (build._settle).
        """
        return self.code == NOTHING_SELECTED_EXIT

    def start(self, python: Path, project: Path) -> None:
        """Start cibuildwheel in its own session (Ctrl-C reaches dualpy alone, which stops it in order)."""
        self.popen = subprocess.Popen(
            [str(python), "-m", "cibuildwheel", "--platform", "linux", "--output-dir", str(self.output),
             *config_file_arguments(self.config_file), str(project)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace", env=self.env,
            start_new_session=True, cwd=project if project.is_dir() else project.parent,
        )
        self.reader = threading.Thread(target=self._pump, args=(self.popen,), daemon=True)
        self.reader.start()

    def _pump(self, popen: subprocess.Popen[str]) -> None:
        assert popen.stdout is not None  # started with stdout=PIPE
        for line in popen.stdout:
            self.progress.feed(line)


def _stop(process: subprocess.Popen[str]) -> None:
    """Let cibuildwheel remove its container (it does on SIGINT); kill its process group if it lingers."""
    try:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        pass
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _wait_all(processes: list[CibuildwheelProcess]) -> None:
    """Wait for every process to end; a failure leaves the others running, so their wheels can be kept."""
    while running := [p for p in processes if p.code is None]:
        first = running[0]
        if first.reader is not None:
            first.reader.join(timeout=0.1)  # interruptible, unlike a bare wait
        for process in running:
            if process.popen is None or (process.reader is not None and process.reader.is_alive()):
                continue
            process.code = process.popen.wait()


def run_cibuildwheel(python: Path, project: Path, processes: list[CibuildwheelProcess], run_token: str) -> None:
    """Run cibuildwheel processes side by side to their ends, streaming their output.

    A failure leaves the others to finish; an interrupt (Ctrl-C, SIGTERM) stops all of them and their containers.
    """
    try:
        with terminate_as_interrupt():
            for process in processes:
                process.start(python, project)
            _wait_all(processes)
    except BaseException:
        for process in processes:
            if process.popen and process.code is None:
                process.progress.finish("interrupted")
                _stop(process.popen)
        label = f"{RUN_LABEL}={run_token}"
        if leftovers := engine.remove_containers(label):  # those cibuildwheel could not remove itself
            names = ", ".join(container.name for container in leftovers)
            console.warn(f"build containers still there after the interrupt: {names}; remove them with "
                         f"`docker rm --force $(docker ps --all --quiet --filter label={label})`")
        raise


def config_file_arguments(config_file: Path | None) -> list[str]:
    """cibuildwheel's --config-file option when dualpy wrote one, else nothing (the project's pyproject.toml)."""
    return ["--config-file", str(config_file)] if config_file else []


@functools.cache
def known_enable_groups(python: Path) -> frozenset[str] | None:
    """The enable groups the cibuildwheel of this venv accepts, asked of it; None when it cannot tell."""
    result = subprocess.run(
        [str(python), "-c", "from cibuildwheel.selector import EnableGroup; print(*(g.value for g in EnableGroup))"],
        capture_output=True, text=True,
    )
    return frozenset(result.stdout.split()) if result.returncode == 0 and result.stdout.strip() else None


def selected_identifiers(python: Path, project: Project, env: dict[str, str],
                         config_file: Path | None = None) -> list[str]:
    """What cibuildwheel itself would build with these settings (`--print-build-identifiers`, no engine)."""
    result = subprocess.run(
        [str(python), "-m", "cibuildwheel", "--platform", "linux", "--print-build-identifiers",
         *config_file_arguments(config_file), str(project.path)],
        capture_output=True, text=True, env=env, cwd=project.path if project.path.is_dir() else project.path.parent,
    )
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["?"])[-1]
        raise ConfigurationError(f"cibuildwheel rejected the settings ({ANSI_ESCAPE.sub('', last)})")
    return result.stdout.split()
