"""Thread stress: the project's tests under pytest-run-parallel in each free-threaded interpreter of the image.

Importing with the GIL off proves little; data races show only when threads run at once. Each interpreter runs the
tests twice in a fresh venv, one at a time and then N threads x K iterations, so a test that fails only in
parallel is named as a race, a crash keeps the other results, and a GIL re-enabled mid-run is caught.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from dualpy import engine
from dualpy.errors import BuildFailed, UsageError
from dualpy.images import image_interpreters
from dualpy.probes import probe_report, probe_source
from dualpy.sdist import extract, list_members
from dualpy.verify.model import CheckResult, Status
from dualpy.verify.runtime import WHEELHOUSE_MOUNT

STRESS = "runtime.stress"
DEFAULT_ITERATIONS = 10  # per thread, when neither --iterations nor [tool.dualpy] stress-iterations says
TESTS_MOUNT = "/dualpy/tests"
TEST_DIR_NAMES = ("tests", "test", "testing")
MAX_LISTED = 8
_GIL_STOP = re.compile(r"GIL was dynamically re-enabled|has been enabled to load module")


@dataclass(frozen=True)
class StressSettings:
    """How hard to push: threads per test and iterations per thread, and where the tests are."""

    threads: int
    iterations: int
    tests: Path

    def __post_init__(self) -> None:
        if self.threads < 2:
            raise UsageError(f"--threads {self.threads}: a stress run needs at least 2 threads")
        if self.iterations < 1:
            raise UsageError(f"--iterations {self.iterations}: give 1 or more")


def default_threads() -> int:
    """The cores of this machine, at least 2 (two threads are the fewest that can race)."""
    return max(2, os.cpu_count() or 2)


def extract_sdist_tests(sdist: Path, destination: Path) -> Path:
    """Extract the sdist's test directory (tests/, test/ or testing/ at its top) into destination; return it."""
    members = list_members(sdist)
    roots = {PurePosixPath(m.name).parts[0] for m in members if PurePosixPath(m.name).parts}
    if len(roots) != 1:
        raise UsageError(f"{sdist.name} has {len(roots)} top directories, not the one an sdist has: pass --tests DIR")
    tops = {PurePosixPath(m.name).parts[1] for m in members if len(PurePosixPath(m.name).parts) > 2}
    found = next((name for name in TEST_DIR_NAMES if name in tops), None)
    if found is None:
        raise UsageError(f"{sdist.name} ships no tests/ directory: pass --tests DIR")
    chosen = [m for m in members if len(PurePosixPath(m.name).parts) > 2 and PurePosixPath(m.name).parts[1] == found]
    extract(sdist, destination, {m.name for m in chosen})
    return destination / roots.pop() / found


def _names(nodeids: list[str]) -> str:
    shown = ", ".join(sorted(nodeids)[:MAX_LISTED])
    return shown + (f" (+{len(nodeids) - MAX_LISTED} more)" if len(nodeids) > MAX_LISTED else "")


def _gil_reenabled(run: Mapping[str, Any]) -> bool:
    """True when the GIL was on after the run, or pytest-run-parallel stopped the run because a module enabled it."""
    return bool(run.get("gil_enabled_at_end")) or _GIL_STOP.search(str(run.get("output", ""))) is not None


def judge(report: Mapping[str, Any], threads: int, iterations: int) -> list[CheckResult]:
    """The verdict of one interpreter's stress run (pure): races, crashes, GIL re-enabled, thread-unsafe tests."""
    subject = ", ".join(report.get("wheels", [])) or "wheelhouse"
    interpreter = str(report.get("install_tag", ""))
    if "install_error" in report:
        return [CheckResult(subject, STRESS, Status.FAIL,
                            f"pytest and the wheels did not install: {report['install_error']}", interpreter)]
    serial, parallel = report["serial"], report["parallel"]
    how = f"{threads} threads x {iterations} iterations"
    results = []
    for name, run in (("one at a time", serial), (f"under {how}", parallel)):
        if run.get("signal"):
            results.append(CheckResult(subject, STRESS, Status.FAIL,
                                       f"the interpreter crashed ({run['signal']}) {name} while running "
                                       f"{run.get('last_started') or 'an unknown test'}", interpreter))
    serial_failed = {t for t, outcome in serial.get("outcomes", {}).items() if outcome == "failed"}
    parallel_failed = {t for t, outcome in parallel.get("outcomes", {}).items() if outcome == "failed"}
    only_parallel = sorted(parallel_failed - serial_failed)
    if only_parallel:
        first = parallel.get("failures", {}).get(only_parallel[0], "").splitlines()
        detail = f" ({first[-1][:200]})" if first else ""
        results.append(CheckResult(subject, STRESS, Status.FAIL,
                                   f"fail only {'under ' + how}, a data race: {_names(only_parallel)}{detail}",
                                   interpreter))
    if serial_failed:
        results.append(CheckResult(subject, STRESS, Status.FAIL,
                                   f"fail even one at a time: {_names(sorted(serial_failed))}", interpreter))
    gil_runs = [name for name, run in (("one at a time", serial), ("in parallel", parallel)) if _gil_reenabled(run)]
    if gil_runs:
        results.append(CheckResult(subject, STRESS, Status.FAIL,
                                   f"the GIL was re-enabled during the tests ({', '.join(gil_runs)})", interpreter))
    unsafe = parallel.get("thread_unsafe") or {}
    if unsafe:
        listed = "; ".join(f"{test}: {reason}" for test, reason in sorted(unsafe.items())[:MAX_LISTED])
        results.append(CheckResult(subject, STRESS, Status.WARN,
                                   f"{len(unsafe)} test(s) ran on one thread only (thread-unsafe): {listed}",
                                   interpreter))
    if not parallel.get("outcomes") and not results:
        results.append(CheckResult(subject, STRESS, Status.FAIL,
                                   f"no test ran (exit {parallel.get('returncode')}): {parallel.get('output', '')}",
                                   interpreter))
    if not any(r.status is Status.FAIL for r in results):
        passed = sum(1 for outcome in parallel["outcomes"].values() if outcome == "passed")
        results.append(CheckResult(subject, STRESS, Status.PASS,
                                   f"{passed} test(s) passed one at a time and under {how}", interpreter))
    return results


def stress_wheels(image: str, wheelhouse: Path, wheels: list[str], settings: StressSettings,
                  network: tuple[dict[str, dict[str, str]], dict[str, str]]) -> list[CheckResult]:
    """Run the stress tests in every free-threaded interpreter of the image that a wheel fits."""
    if not settings.tests.is_dir():
        raise UsageError(f"--tests {settings.tests}: no such directory")
    volumes, env = network
    volumes = {**volumes,
               os.path.realpath(wheelhouse): {"bind": WHEELHOUSE_MOUNT, "mode": "ro"},
               os.path.realpath(settings.tests): {"bind": TESTS_MOUNT, "mode": "ro"}}
    request = json.dumps({"wheelhouse": WHEELHOUSE_MOUNT, "wheels": wheels, "tests": TESTS_MOUNT,
                          "threads": settings.threads, "iterations": settings.iterations})
    results: list[CheckResult] = []
    for install_tag in [t for t in image_interpreters(image) if t.endswith("t")]:
        python = f"/opt/python/{install_tag}/bin/python"
        run = engine.run(image, [python, "-c", probe_source("stress_tests"), request], volumes=volumes,
                         environment=env, entrypoint=[])
        report = probe_report(run, f"the stress probe under {python} in {image}", BuildFailed)
        if not report.get("wheels"):
            continue
        report["install_tag"] = install_tag
        results += judge(report, settings.threads, settings.iterations)
    if not results:
        results.append(CheckResult("wheelhouse", STRESS, Status.WARN,
                                   f"no wheel fits a free-threaded interpreter of {image}: nothing was stressed"))
    return results
