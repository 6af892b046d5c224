"""Readiness verdicts from probe facts, the probe's module list from a RECORD, and the report's rendering (pure)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dualpy.errors import UsageError
from dualpy.probes.readiness_run import failed_tests, filename_of, modules_of, sdist_tests
from dualpy.readiness.judge import (
    NOT_READY,
    READY,
    UNRESOLVED,
    Row,
    classifier_of,
    first_error_line,
    judge,
    judge_package,
    source_of,
    stress_finding,
    verdict_of,
)
from dualpy.readiness.report import summary_line, table, to_markdown
from dualpy.readiness.run import ReadinessReport, interpreters_for
from dualpy.tags import PythonMinor

COMPILE_LOG = """  Building wheel for crcmod (setup.py): started
  error: subprocess-exited-with-error
      crcmod/_crcfunext.c:12:10: fatal error: Python.h: No such file or directory
      error: command '/usr/bin/gcc' failed with exit code 1
  ERROR: Failed building wheel for crcmod
"""


@pytest.mark.parametrize(("log", "line"), [
    (COMPILE_LOG, "crcmod/_crcfunext.c:12:10: fatal error: Python.h: No such file or directory"),
    ("Traceback (most recent call last):\n  File x\nModuleNotFoundError: No module named 'numpy'\nerror: x\n",
     "ModuleNotFoundError: No module named 'numpy'"),
    ("ERROR: Could not find a version that satisfies the requirement six==0.0.1 (from versions: 1.0)\n"
     "ERROR: No matching distribution found for six==0.0.1\n",
     "ERROR: Could not find a version that satisfies the requirement six==0.0.1 (from versions: 1.0)"),
    ("ERROR: Could not find a version that satisfies the requirement idna==0.0.1 (from versions: 0.2, 0.3, 0.4, "
     "0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 2.0, 2.1)\n",
     "ERROR: Could not find a version that satisfies the requirement idna==0.0.1 (from versions: …)"),
    ("error: subprocess-exited-with-error\nsomething odd\n", "something odd"),
    ("error: subprocess-exited-with-error\n", "error: subprocess-exited-with-error"),
    ("  \n", "no output"),
    ("a\nb\n", "b"),
    ("something odd\nERROR: Failed building wheel for x\n", "something odd"),
    ("ERROR: Failed building wheel for x\n", "ERROR: Failed building wheel for x"),
])
def test_first_error_line(log: str, line: str) -> None:
    assert first_error_line(log) == line


def test_first_error_line_is_bounded() -> None:
    line = first_error_line("error: " + "x" * 500)
    assert len(line) == 200 and line.endswith("…")
    exact = "error: " + "x" * 193
    assert first_error_line(exact) == exact


@pytest.mark.parametrize(("filename", "build", "source"), [
    ("markupsafe-3.0.3-cp314-cp314t-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", None, "cp314t-wheel"),
    ("x-1.0-cp315-abi3.abi3t-manylinux_2_39_x86_64.whl", None, "abi3t-wheel"),
    ("x-1.0-cp314-abi3.cp314t-manylinux_2_17_x86_64.whl", None, "cp314t-wheel"),
    ("x-1.0-cp314-cp314-manylinux_2_17_x86_64.whl", None, "cp314-wheel"),
    ("six-1.17.0-py2.py3-none-any.whl", None, "pure-wheel"),
    ("tool-1.0-py3-none-manylinux_2_17_x86_64.whl", None, "none-abi-wheel"),
    ("odd.whl", None, "wheel"),
    ("crcmod-1.7.tar.gz", {"wheel": "/w/crcmod-1.7-cp314-cp314t-linux_x86_64.whl"}, "sdist"),
    ("crcmod-1.7.tar.gz", {"wheel": None}, "sdist-failed"),
    ("crcmod-1.7.tar.gz", None, "sdist-failed"),
])
def test_source_of(filename: str, build: dict[str, Any] | None, source: str) -> None:
    assert source_of(filename, build) == source


def test_classifier_level() -> None:
    assert classifier_of(["License :: OSI", " Programming Language :: Python :: Free Threading :: 3 - Stable"]) \
        == "3 - Stable"
    assert classifier_of(["Programming Language :: Python :: Free Threading"]) == \
        "Programming Language :: Python :: Free Threading"
    assert classifier_of(["Programming Language :: Python :: 3"]) is None
    assert classifier_of(["Programming Language :: Python :: Free Threading :: 1 - Unstable"]) == "1 - Unstable"


def package(name: str = "demo", file: str = "demo-1.0-py3-none-any.whl", **facts: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"name": name, "version": "1.0", "file": file, "requested": True, "classifiers": [],
                            "build": None, "install": {"ok": True}, "modules": [name],
                            "imports": {name: {"ok": True, "gil_enabled": False, "gil_reenabled_by": []}}}
    return {**base, **facts}


def test_a_pure_wheel_that_imports_is_ready() -> None:
    row = judge_package(package(), {})
    assert (row.name, row.version) == ("demo", "1.0")
    assert (row.ready, row.source, row.reason) == (True, "pure-wheel",
                                                  "pure-Python wheel; 1 module(s) import with the GIL off")
    assert row.gil_reenabled_by is None and row.requested and row.build_seconds is None


def test_a_t_wheel_with_the_classifier() -> None:
    row = judge_package(package(file="demo-1.0-cp314-cp314t-manylinux_2_17_x86_64.whl",
                                classifiers=["Programming Language :: Python :: Free Threading :: 2 - Beta"]), {})
    assert (row.ready, row.source, row.classifier) == (True, "cp314t-wheel", "2 - Beta")
    assert row.reason == "cp314t wheel; 1 module(s) import with the GIL off"


def test_a_built_sdist_names_its_time() -> None:
    row = judge_package(package(file="demo-1.0.tar.gz", build={"wheel": "/w/demo.whl", "seconds": 12.4}), {})
    assert (row.ready, row.source, row.build_seconds) == (True, "sdist", 12.4)
    assert row.reason == "built from its sdist in 12 s; 1 module(s) import with the GIL off"


def test_nothing_to_import_is_still_ready() -> None:
    row = judge_package(package(modules=[], imports={}), {})
    assert row.ready is True and row.reason.endswith("no module of its own to import")


def test_a_failed_build_gives_the_first_error_line() -> None:
    row = judge_package(package(file="crcmod-1.7.tar.gz",
                                build={"wheel": None, "seconds": 3.0, "output": COMPILE_LOG, "returncode": 1},
                                install=None, imports={}), {})
    assert (row.ready, row.source) == (False, "sdist-failed")
    assert row.reason == "sdist failed to build: crcmod/_crcfunext.c:12:10: fatal error: Python.h: No such file " \
                         "or directory"


def test_a_build_timeout() -> None:
    row = judge_package(package(file="x-1.tar.gz", build={"wheel": None, "seconds": 900.0, "timeout": 900.0,
                                                          "output": "", "returncode": None}), {})
    assert row.reason == "sdist failed to build: timed out after 900 s"


def test_an_install_failure() -> None:
    assert judge_package(package(install={"ok": False, "output": "ERROR: x is not a supported wheel"}), {}).reason \
        == "did not install: ERROR: x is not a supported wheel"
    assert judge_package(package(install=None), {}).reason == "did not install: not installed"
    assert judge_package(package(install={"ok": False, "output": "E"}), {}).ready is False


def test_a_module_that_re_enables_the_gil() -> None:
    imports = {"crcmod": {"ok": True, "gil_enabled": True, "gil_reenabled_by": ["crcmod._crcfunext"]},
               "crcmod._crcfunext": {"ok": True, "gil_enabled": True, "gil_reenabled_by": ["crcmod._crcfunext"]}}
    row = judge_package(package("crcmod", imports=imports), {"crcmod._crcfunext": "crcmod"})
    assert (row.ready, row.gil_reenabled_by) == (False, "crcmod._crcfunext")
    assert row.reason == "crcmod._crcfunext re-enables the GIL on import: it does not declare free-threading " \
                         "support (Py_mod_gil)"


def test_the_gil_re_enabled_by_another_distribution_names_it() -> None:
    imports = {"app": {"ok": True, "gil_enabled": True, "gil_reenabled_by": ["_speedups"]}}
    row = judge_package(package("app", imports=imports), {"_speedups": "old-ext"})
    assert row.reason.startswith("_speedups (from old-ext) re-enables the GIL")
    dotted = {"app": {"ok": True, "gil_enabled": True, "gil_reenabled_by": ["legacy.core._c"]}}
    assert judge_package(package("app", imports=dotted), {"legacy": "legacy-dist", "legacy.core._c": "other"}
                         ).reason.startswith("legacy.core._c (from other) re-enables")
    assert judge_package(package("app", imports=dotted), {"legacy": "legacy-dist"}).reason.startswith(
        "legacy.core._c (from legacy-dist) re-enables")
    assert judge_package(package("app", imports=dotted), {"app": "app"}).reason.startswith(
        "legacy.core._c re-enables")


def test_a_gil_on_without_a_warning_blames_the_module() -> None:
    imports = {"m": {"ok": True, "gil_enabled": True, "gil_reenabled_by": []}}
    assert judge_package(package("m", imports=imports), {}).gil_reenabled_by == "m"


def test_import_errors_compare_with_the_gil_twin() -> None:
    failing = {"a": {"ok": False, "error": "ImportError: boom"}, "b": {"ok": True, "gil_enabled": False}}
    assert judge_package(package("a", imports=failing), {}).reason == "import a fails: ImportError: boom"
    assert judge_package(package("a", imports=failing, gil_imports={"a": {"ok": True}}), {}).reason == \
        "import a fails (imports with the GIL): ImportError: boom"
    everywhere = judge_package(package("a", imports=failing, gil_imports={"a": {"ok": False}}), {})
    assert (everywhere.ready, everywhere.reason) == (None, "import a fails with the GIL too: ImportError: boom")
    both = {"a": {"ok": False, "error": "E1"}, "b": {"ok": False, "error": "E2"}}
    mixed = judge_package(package("a", imports=both, gil_imports={"a": {"ok": False}, "b": {"ok": True}}), {})
    assert (mixed.ready, mixed.reason) == (False, "import b fails (imports with the GIL): E2")


def test_a_hung_import_comes_first() -> None:
    imports = {"a": {"ok": False, "error": "x"}, "b": {"ok": False, "timeout": 60.0}}
    row = judge_package(package("a", imports=imports), {})
    assert (row.ready, row.reason) == (False, "import b hung (no answer in 60 s)")


def test_judge_rows_unresolved_and_verdict() -> None:
    report = {"resolution": {"ok": False, "failures": [
        {"requirement": "six==0.0.1", "output": "ERROR: No matching distribution found for six==0.0.1"},
        {"requirement": "not a req ===", "timeout": 900.0, "output": ""}]},
        "packages": [package("zeta", requested=False), package("alpha")]}
    rows, verdict = judge(report)
    assert [(r.name, r.source, r.ready) for r in rows] == [
        ("alpha", "pure-wheel", True), ("not a req ===", "unresolved", None), ("six", "unresolved", None),
        ("zeta", "pure-wheel", True)]
    assert (rows[2].version, rows[2].requested) == ("==0.0.1", True)
    assert (rows[1].name, rows[1].version) == ("not a req ===", "")
    assert rows[2].reason == "could not resolve: ERROR: No matching distribution found for six==0.0.1"
    assert rows[1].reason == "could not resolve: timed out after 900 s"
    assert verdict == NOT_READY


def test_an_sdist_whose_metadata_fails_while_resolving_is_a_build_failure() -> None:
    log = ("Collecting old-ext==1.0\n  error: subprocess-exited-with-error\n  Traceback (most recent call last):\n"
           "  AttributeError: module 'pkgutil' has no attribute 'ImpImporter'\nerror: metadata-generation-failed\n")
    rows, verdict = judge({"resolution": {"ok": False, "failures": [{"requirement": "old-ext==1.0", "output": log}]},
                           "packages": [package()]})
    failed = rows[1]
    assert (failed.name, failed.version, failed.source, failed.ready) == ("old-ext", "==1.0", "sdist-failed", False)
    assert failed.reason == ("sdist failed to build (metadata): AttributeError: module 'pkgutil' has no attribute "
                             "'ImpImporter'")
    assert failed.requested is True
    assert verdict == NOT_READY


def test_nothing_resolved_is_unresolved() -> None:
    rows, verdict = judge({"resolution": {"ok": False, "output": "ERROR: boom"}, "packages": []})
    assert verdict == UNRESOLVED
    assert (rows[0].name, rows[0].version, rows[0].reason) == ("(the whole set)", "", "could not resolve: ERROR: boom")
    rows, verdict = judge({"resolution": {"ok": False, "failures": [{"requirement": "x", "output": "E"}]},
                           "packages": []})
    assert verdict == UNRESOLVED and len(rows) == 1
    assert judge({"resolution": {"ok": True, "seconds": 1.0}, "packages": []}) == ([], UNRESOLVED)  # all marked off


def test_verdicts() -> None:
    ready = Row("a", "1", "pure-wheel", True, "")
    assert verdict_of([ready]) == READY
    assert verdict_of([ready, Row("b", "1", "sdist", False, "")]) == NOT_READY
    assert verdict_of([ready, Row("c", "", "unresolved", None, "")]) == NOT_READY
    assert verdict_of([]) == UNRESOLVED


def test_modules_from_a_record() -> None:
    files = ["crcmod/__init__.py", "crcmod/_crcfunext.cpython-314t-x86_64-linux-gnu.so", "crcmod/crcmod.py",
             "crcmod-1.7.dist-info/RECORD", "crcmod/__pycache__/x.cpython-314.pyc", "../../bin/tool",
             "six.py", "_cffi_backend.cpython-314t-x86_64-linux-gnu.so", "tests/__init__.py", "odd-name/x.py",
             "pkg/sub/_fast.abi3.so", "pkg/bad-dir/_x.so", "demo.pth", "x.data/scripts/y"]
    assert modules_of(files, 64) == ["crcmod", "six", "_cffi_backend", "pkg", "crcmod._crcfunext",
                                     "pkg.sub._fast"]
    assert modules_of(files, 2) == ["crcmod", "six"]


def test_filename_of_a_url() -> None:
    assert filename_of("https://files.example/p/ab/six-1.17.0-py2.py3-none-any.whl#sha256=x") == \
        "six-1.17.0-py2.py3-none-any.whl"
    assert filename_of("file:///opt/wheels/a%2Bb-1.0.tar.gz") == "a+b-1.0.tar.gz"


def test_interpreters_of_the_image() -> None:
    tags = ["cp313-cp313", "cp314-cp314", "cp314-cp314t"]
    assert interpreters_for(tags, PythonMinor(3, 14), "img") == ("/opt/python/cp314-cp314t/bin/python",
                                                                 "/opt/python/cp314-cp314/bin/python")
    assert interpreters_for(["cp314-cp314t"], PythonMinor(3, 14), "img")[1] is None
    with pytest.raises(UsageError, match=r"img has no free-threaded 3.13 interpreter \(cp313-cp313t; it has "
                                         r"cp313-cp313, cp314-cp314, cp314-cp314t\)"):
        interpreters_for(tags, PythonMinor(3, 13), "img")


def report_of(rows: list[Row]) -> ReadinessReport:
    return ReadinessReport("3.14.2", "dualpy/cpython:3.14.2", "requirements.txt", tuple(rows),
                           verdict_of(rows), ("r.txt:1: --pre ignored",), 42.0)


def test_json_document_shape() -> None:
    document = report_of([Row("six", "1.17.0", "pure-wheel", True, "ok", classifier=None, requested=True)]).to_json()
    assert list(document)[:4] == ["python", "image", "input", "packages"]
    assert document["verdict"] == READY
    assert document["packages"] == [{"name": "six", "version": "1.17.0", "source": "pure-wheel", "ready": True,
                                     "reason": "ok", "gil_reenabled_by": None, "classifier": None,
                                     "requested": True, "build_seconds": None, "stress": None}]


def test_markdown_escapes_untrusted_text() -> None:
    rows = [Row("evil|pkg", "1", "sdist-failed", False, "error: `rm` <b>x</b> | @team #1"),
            Row("ok", "2", "pure-wheel", True, "fine"), Row("lost", "", "unresolved", None, "could not resolve")]
    text = to_markdown(report_of(rows))
    assert text.startswith("### ❌ Free-threading readiness: not-ready\n")
    assert "| evil\\|pkg | 1 | sdist-failed | ❌ no | error\\: \\`rm\\` \\<b\\>x\\</b\\> \\| \\@team \\#1 |" in text
    assert "| ok | 2 | pure-wheel | ✅ yes | fine |" in text and "❔ unknown" in text
    assert text.endswith("- r.txt\\:1\\: --pre ignored\n")


def test_terminal_table_and_summary(tmp_path: Path) -> None:
    from rich.console import Console

    rows = [Row("[red]x", "1", "pure-wheel", True, "fine\x1b[2J"), Row("b", "1", "sdist", False, "bad")]
    with (tmp_path / "out").open("w") as stream:
        Console(file=stream, width=200, color_system=None).print(table(report_of(rows)))
    shown = (tmp_path / "out").read_text()
    assert "[red]x" in shown and "\\x1b[2J" in shown and "\x1b" not in shown
    assert summary_line(report_of(rows)) == ("verdict: NOT-READY (1 ready, 1 not, 0 unknown of 2) on free-threaded "
                                             "Python 3.14.2 in dualpy/cpython:3.14.2, 42 s")


def test_stress_findings() -> None:
    assert stress_finding({"no_tests": True}) == (False, "its sdist ships no tests")
    assert stress_finding({"error": "no sdist to take tests from: x"}) == (
        False, "not stressed: no sdist to take tests from: x")
    assert stress_finding({"threads": 4, "parallel": {"returncode": None, "timeout": 600.0, "output": ""}}) == (
        False, "its tests timed out after 600 s under 4 threads")
    missing = "E   ModuleNotFoundError: No module named 'hypothesis'"
    unrun = {"threads": 4, "parallel": {"returncode": 4, "total": 0, "failed": [], "output": missing}}
    assert stress_finding(unrun) == (False, f"its tests did not run: {missing}")
    assert stress_finding({"threads": 4, "parallel": {"returncode": 2, "total": 1, "failed": ["t"], "output": missing}}
                          ) == (False, f"its tests did not run: {missing}")
    assert stress_finding({"threads": 4, "parallel": {"returncode": 0, "total": 10, "failed": [], "output": ""}}) == (
        False, "10 of its 10 tests pass under 4 threads")
    both = {"threads": 4, "parallel": {"returncode": 1, "total": 10, "failed": ["t.a", "t.b"]},
            "serial": {"failed": ["t.a", "t.b"]}}
    assert stress_finding(both) == (False, "8 of its 10 tests pass under 4 threads, 2 fail one at a time too")
    races = {"threads": 4, "parallel": {"returncode": 1, "total": 10, "failed": ["t.a", "t.b", "t.c", "t.d", "t.e"]},
             "serial": {"failed": ["t.e"]}}
    assert stress_finding(races) == (True, "4 test(s) fail only under 4 threads: t.a, t.b, t.c (+1 more)")
    three = {"threads": 4, "parallel": {"returncode": 1, "total": 10, "failed": ["t.a", "t.b", "t.c"]}}
    assert stress_finding(three) == (True, "3 test(s) fail only under 4 threads: t.a, t.b, t.c")


def test_stress_decides_and_annotates_the_row() -> None:
    races = {"threads": 2, "parallel": {"returncode": 1, "total": 3, "failed": ["t.a"]}, "serial": {"failed": []}}
    row = judge_package(package(stress=races), {})
    assert (row.ready, row.reason, row.stress) == (False, "1 test(s) fail only under 2 threads: t.a",
                                                   "1 test(s) fail only under 2 threads: t.a")
    calm = {"threads": 2, "parallel": {"returncode": 0, "total": 3, "failed": []}}
    row = judge_package(package(stress=calm), {})
    assert row.ready is True and row.reason.endswith("; 3 of its 3 tests pass under 2 threads")
    assert judge_package(package(), {}).stress is None


def test_junit_failures_and_sdist_tests(tmp_path: Path) -> None:
    import io
    import tarfile

    junit = tmp_path / "j.xml"
    junit.write_text('<testsuites><testsuite><testcase classname="t.m" name="a"/><testcase classname="t.m" '
                     'name="b"><failure/></testcase><testcase classname="t.m" name="c"><error/></testcase>'
                     '</testsuite></testsuites>')
    assert failed_tests(str(junit)) == (3, ["t.m.b", "t.m.c"])
    assert failed_tests(str(tmp_path / "missing.xml")) == (0, [])
    sdist = tmp_path / "demo-1.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as archive:
        for name in ("demo-1.0/src/demo.py", "demo-1.0/tests/test_demo.py", "demo-1.0/test/ignored.py"):
            info = tarfile.TarInfo(name)
            info.size = 4
            archive.addfile(info, io.BytesIO(b"x=1\n"))
        evil = tarfile.TarInfo("demo-1.0/tests/../../../escape.py")
        evil.size = 4
        archive.addfile(evil, io.BytesIO(b"x=1\n"))
    assert sdist_tests(str(sdist), str(tmp_path / "out")) is None  # the escaping member stops the extraction whole
    with tarfile.open(sdist, "w:gz") as archive:
        info = tarfile.TarInfo("demo-1.0/tests/test_demo.py")
        info.size = 4
        archive.addfile(info, io.BytesIO(b"x=1\n"))
    found = sdist_tests(str(sdist), str(tmp_path / "out2"))
    assert found == str(tmp_path / "out2" / "demo-1.0" / "tests")
    assert (tmp_path / "out2" / "demo-1.0" / "tests" / "test_demo.py").read_text() == "x=1\n"
    plain = tmp_path / "none.tar.gz"
    with tarfile.open(plain, "w:gz") as archive:
        info = tarfile.TarInfo("p-1/src/p.py")
        info.size = 0
        archive.addfile(info, io.BytesIO(b""))
    assert sdist_tests(str(plain), str(tmp_path / "out3")) is None


def test_thread_stress_settings_are_checked() -> None:
    from dualpy.readiness.run import ThreadStress

    assert ThreadStress(2).iterations == 2
    with pytest.raises(UsageError, match="--threads 1: a stress run needs at least 2 threads"):
        ThreadStress(1)
    with pytest.raises(UsageError, match="--iterations 0: give 1 or more"):
        ThreadStress(2, 0)


def test_judge_attributes_a_gil_module_to_the_distribution_that_ships_it() -> None:
    app = package("app", imports={"app": {"ok": True, "gil_enabled": True, "gil_reenabled_by": ["legacy._c.x"]}})
    legacy = package("legacy-dist", modules=["legacy"], requested=False,
                     imports={"legacy": {"ok": True, "gil_enabled": True, "gil_reenabled_by": ["legacy._c.x"]}})
    rows, _ = judge({"resolution": {"ok": True}, "packages": [app, legacy]})
    assert rows[0].reason.startswith("legacy._c.x (from legacy-dist) re-enables the GIL")
    assert rows[1].reason.startswith("legacy._c.x re-enables the GIL")


def test_an_sdist_never_built() -> None:
    row = judge_package(package(file="x-1.tar.gz", build=None, install=None), {})
    assert (row.source, row.reason) == ("sdist-failed", "sdist failed to build: it was not built")
