"""Thread stress: the verdict of a run (pure) and taking tests from an sdist."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any

import pytest

from dualpy.errors import UsageError
from dualpy.verify.model import Status
from dualpy.verify.stress import StressSettings, default_threads, extract_sdist_tests, judge


def run(outcomes: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {"returncode": 0, "signal": None, "output": "", "outcomes": outcomes, "failures": {},
            "thread_unsafe": {}, "gil_enabled_at_end": False, **extra}


def report(serial: dict[str, Any], parallel: dict[str, Any]) -> dict[str, Any]:
    return {"wheels": ["x-cp314t.whl"], "install_tag": "cp314-cp314t", "serial": serial, "parallel": parallel}


OK = {"t.py::a": "passed", "t.py::b": "passed"}


def statuses(results: list) -> list[tuple[str, Status]]:
    return [(r.check, r.status) for r in results]


def test_all_pass() -> None:
    results = judge(report(run(OK), run(OK)), 4, 10)
    assert statuses(results) == [("runtime.stress", Status.PASS)]
    assert results[0].message == "2 test(s) passed one at a time and under 4 threads x 10 iterations"
    assert results[0].interpreter == "cp314-cp314t" and results[0].subject == "x-cp314t.whl"


def test_a_test_failing_only_in_parallel_is_named_as_a_race() -> None:
    parallel = run({"t.py::a": "failed", "t.py::b": "passed"}, failures={"t.py::a": "t.py:3: AssertionError"})
    results = judge(report(run(OK), parallel), 2, 5)
    assert statuses(results) == [("runtime.stress", Status.FAIL)]
    assert "fail only under 2 threads x 5 iterations, a data race: t.py::a" in results[0].message
    assert "AssertionError" in results[0].message


def test_failing_one_at_a_time_is_not_called_a_race() -> None:
    failed = {"t.py::a": "failed", "t.py::b": "passed"}
    results = judge(report(run(failed), run(failed)), 2, 5)
    assert statuses(results) == [("runtime.stress", Status.FAIL)]
    assert "fail even one at a time: t.py::a" in results[0].message


def test_a_crash_keeps_the_other_results() -> None:
    parallel = run({"t.py::a": "passed"}, returncode=-11, signal="SIGSEGV", last_started="t.py::b")
    results = judge(report(run(OK), parallel), 2, 5)
    assert statuses(results) == [("runtime.stress", Status.FAIL)]
    assert "crashed (SIGSEGV) under 2 threads x 5 iterations while running t.py::b" in results[0].message


def test_gil_reenabled() -> None:
    stopped = run({}, returncode=1, output="GIL was dynamically re-enabled during test execution of 't.py::a'")
    results = judge(report(run(OK), stopped), 2, 5)
    assert ("runtime.stress", Status.FAIL) in statuses(results)
    assert any("the GIL was re-enabled during the tests (in parallel)" in r.message for r in results)
    at_end = judge(report(run(OK, gil_enabled_at_end=True), run(OK)), 2, 5)
    assert statuses(at_end) == [("runtime.stress", Status.FAIL)] and "(one at a time)" in at_end[0].message


def test_thread_unsafe_tests_are_reported_not_hidden() -> None:
    parallel = run(OK, thread_unsafe={"t.py::b": "uses the thread_unsafe marker"})
    results = judge(report(run(OK), parallel), 2, 5)
    assert statuses(results) == [("runtime.stress", Status.WARN), ("runtime.stress", Status.PASS)]
    assert "t.py::b: uses the thread_unsafe marker" in results[0].message


def test_nothing_ran_and_install_errors() -> None:
    empty = judge(report(run({}), run({}, returncode=5, output="no tests ran")), 2, 5)
    assert statuses(empty) == [("runtime.stress", Status.FAIL)] and "no test ran (exit 5)" in empty[0].message
    broken = judge({"wheels": ["x.whl"], "install_error": "no matching distribution"}, 2, 5)
    assert statuses(broken) == [("runtime.stress", Status.FAIL)] and "did not install" in broken[0].message


def test_settings_bounds() -> None:
    assert StressSettings(2, 1, Path()).threads == 2
    with pytest.raises(UsageError, match="at least 2 threads"):
        StressSettings(1, 1, Path())
    with pytest.raises(UsageError, match="--iterations 0"):
        StressSettings(2, 0, Path())
    assert default_threads() >= 2


def _sdist(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            entry = tarfile.TarInfo(name)
            entry.size = len(data)
            archive.addfile(entry, io.BytesIO(data))
    return path


def test_extract_sdist_tests(tmp_path: Path) -> None:
    sdist = _sdist(tmp_path / "p-1.tar.gz", {"p-1/pyproject.toml": b"", "p-1/tests/test_a.py": b"def test(): pass",
                                              "p-1/src/p.py": b""})
    found = extract_sdist_tests(sdist, tmp_path / "out")
    assert found == tmp_path / "out" / "p-1" / "tests"
    assert (found / "test_a.py").read_text() == "def test(): pass"
    assert not (tmp_path / "out" / "p-1" / "src").exists()
    bare = _sdist(tmp_path / "q-1.tar.gz", {"q-1/pyproject.toml": b""})
    with pytest.raises(UsageError, match="no tests/ directory"):
        extract_sdist_tests(bare, tmp_path / "out2")
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tar")
    with pytest.raises(UsageError, match="not a readable sdist"):
        extract_sdist_tests(junk, tmp_path / "out3")
