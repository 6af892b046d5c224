"""verify's import results without an engine: every module named, a missing dependency told apart from the wheel's
own failure, the GIL culprit named per module; notes shown but never counted; no detail cut without an ellipsis."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from packaging.utils import parse_wheel_filename

from dualpy.probes import verify_wheels
from dualpy.verify.model import CheckResult, Report, Status, WheelFacts
from dualpy.verify.report import SCHEMA_PATH, shorten, to_json, to_junit, to_markdown
from dualpy.verify.runtime import missing_dependency, wheel_results

WHEEL = "zope.interface-8.7-cp314-cp314t-manylinux_2_17_x86_64.whl"
EXT = "zope.interface._zope_interface_coptimizations"


def facts(extensions: tuple[tuple[str, str], ...] = ((EXT, "_c.cpython-314t-x86_64-linux-gnu.so"),),
          top_level: tuple[str, ...] = ("zope",), name: str = "zope-interface") -> WheelFacts:
    _name, version, _build, tags = parse_wheel_filename(WHEEL)
    return WheelFacts(Path(WHEEL), name, str(version), frozenset(tags), top_level, (), extensions)


def probe(modules: dict[str, dict[str, Any]], install: bool = True,
          dependencies: dict[str, Any] | None = None) -> dict[str, Any]:
    wheel: dict[str, Any] = {"file": WHEEL, "matched": True, "install": {"ok": install, "output": "pip said no"}}
    if install:
        wheel["import"] = modules
    if dependencies is not None:
        wheel["dependencies"] = dependencies
    return wheel


OK = {"ok": True, "gil_enabled": False, "gil_reenabled_by": []}


def by_check(results: list[CheckResult]) -> dict[str, tuple[Status, str]]:
    return {r.check: (r.status, r.message) for r in results}


def test_every_module_and_extension_is_named_and_the_gil_read_after_each() -> None:
    results = wheel_results(probe({"zope": OK, EXT: OK}), facts(), "cp314-cp314t", True, allow_gil=False,
                            with_deps=True)
    checks = by_check(results)
    assert [r.interpreter for r in results] == ["cp314-cp314t"] * 3
    assert checks["runtime.install"] == (Status.PASS, "")
    assert checks["runtime.import"] == (Status.PASS, f"imported 2 module(s), each in a fresh interpreter: zope, "
                                                      f"{EXT} (extension)")
    assert checks["runtime.gil"] == (Status.PASS, "the GIL stays off after importing each of 2 module(s)")
    gil_build = by_check(wheel_results(probe({"zope": OK}), facts(), "cp314-cp314", False, allow_gil=False,
                                       with_deps=True))
    assert "runtime.gil" not in gil_build


def test_a_submodule_that_reenables_the_gil_fails_named_and_warns_with_allow_gil() -> None:
    reenabled = {"ok": True, "gil_enabled": True, "gil_reenabled_by": ["demo._slow"]}
    bare = {"ok": True, "gil_enabled": True, "gil_reenabled_by": []}
    modules = {"zope": OK, "demo._slow": reenabled, "demo._other": bare}
    failing = by_check(wheel_results(probe(modules), facts(), "cp314-cp314t", True, allow_gil=False, with_deps=True))
    assert failing["runtime.gil"] == (Status.FAIL, "the GIL was re-enabled by importing demo._slow, demo._other (it "
                                                   "does not declare Py_mod_gil = Py_MOD_GIL_NOT_USED)")
    allowed = by_check(wheel_results(probe(modules), facts(), "cp314-cp314t", True, allow_gil=True, with_deps=True))
    assert allowed["runtime.gil"][0] is Status.WARN
    twice = {"ok": True, "gil_enabled": True, "gil_reenabled_by": ["demo._slow"]}
    once = by_check(wheel_results(probe({"a": reenabled, "b": twice}), facts(), "t", True, allow_gil=False,
                                  with_deps=True))
    assert once["runtime.gil"][1].startswith("the GIL was re-enabled by importing demo._slow (")


def test_an_extension_that_cannot_be_imported_fails_its_wheel_named() -> None:
    broken = {"ok": False, "error": "ImportError: undefined symbol: PyFoo", "gil_enabled": False}
    died = {"ok": False, "crashed": True, "returncode": -11, "error": "the interpreter died (exit -11): "}
    checks = by_check(wheel_results(probe({"zope": OK, EXT: broken, "zope.x": died}), facts(), "cp314-cp314t", True,
                                    allow_gil=False, with_deps=True))
    assert checks["runtime.import"] == (Status.FAIL, f"{EXT}: ImportError: undefined symbol: PyFoo; "
                                                     "zope.x: the interpreter died (exit -11): ")
    own_missing = {"ok": False, "error": "ModuleNotFoundError: No module named 'zope.gone'", "missing": "zope.gone"}
    own = by_check(wheel_results(probe({"zope": own_missing}), facts(), "t", False, allow_gil=False, with_deps=False))
    assert own["runtime.import"][0] is Status.FAIL


def test_a_missing_dependency_is_named_and_not_blamed_on_the_wheel() -> None:
    missing = {"ok": False, "error": "ModuleNotFoundError: No module named 'typing_extensions'",
               "missing": "typing_extensions", "gil_enabled": False}
    modules = {"zope": missing, EXT: missing}
    offline = by_check(wheel_results(probe(modules), facts(), "cp314-cp314", False, allow_gil=False,
                                     with_deps=False))
    assert offline["runtime.import"] == (Status.WARN, "needs typing_extensions (imported by zope), a dependency "
                                                      "--no-deps did not install; not this wheel's code")
    assert offline["runtime.install"] == (Status.PASS, "")
    unreachable = by_check(wheel_results(probe(modules, dependencies={"ok": False, "output": "no index"}), facts(),
                                         "cp314-cp314", False, allow_gil=False, with_deps=True))
    assert unreachable["runtime.install"] == (Status.WARN, "its dependencies did not install: no index")
    assert unreachable["runtime.import"] == (Status.WARN, "needs typing_extensions (imported by zope), a dependency "
                                                          "pip could not install: no index")
    undeclared = by_check(wheel_results(probe(modules, dependencies={"ok": True, "output": ""}), facts(),
                                        "cp314-cp314", False, allow_gil=False, with_deps=True))
    assert undeclared["runtime.import"] == (
        Status.WARN, "needs typing_extensions (imported by zope), which its METADATA does not declare (pip installed "
        "the declared dependencies): declare it in [project] dependencies, unless the module is only ever imported "
        "by a package that depends on this one")


def test_a_module_that_needs_an_optional_extra_passes_and_is_named() -> None:
    """zstandard 0.25.0: zstandard._cffi needs cffi's _cffi_backend, which only its [cffi] extra installs."""
    missing = {"ok": False, "error": "ModuleNotFoundError: No module named '_cffi_backend'",
               "missing": "_cffi_backend", "gil_enabled": False}
    modules = {"zope": OK, EXT: OK, "zope._cffi": missing}
    optional = WheelFacts(Path(WHEEL), "zope-interface", "8.7", frozenset(), ("zope",), (),
                          ((EXT, "_c.cpython-314t-x86_64-linux-gnu.so"),), (("cffi", "cffi"),))
    results = by_check(wheel_results(probe(modules, dependencies={"ok": True, "output": ""}), optional,
                                     "cp314-cp314t", True, allow_gil=False, with_deps=True))
    assert results["runtime.import"] == (
        Status.PASS, f"imported 2 module(s), each in a fresh interpreter: zope, {EXT} (extension); not imported: "
        "zope._cffi (needs _cffi_backend, from cffi of the optional extra [cffi]: not installed)")
    other = WheelFacts(Path(WHEEL), "zope-interface", "8.7", frozenset(), ("zope",), (), (), (("numpy", "fast"),))
    results = by_check(wheel_results(probe(modules, dependencies={"ok": True, "output": ""}), other,
                                     "cp314-cp314t", True, allow_gil=False, with_deps=True))
    assert results["runtime.import"][0] is Status.WARN  # cffi is no optional requirement of this one


def test_which_missing_module_is_a_dependency() -> None:
    wheel = facts(extensions=(("fast._c", "_c.abi3.so"),), top_level=("zope",))
    assert missing_dependency({"ok": False, "missing": "numpy.core"}, wheel) == "numpy.core"
    assert missing_dependency({"ok": False, "missing": "zope.other"}, wheel) is None
    assert missing_dependency({"ok": False, "missing": "fast"}, wheel) is None
    assert missing_dependency({"ok": False, "error": "ImportError"}, wheel) is None
    assert missing_dependency({"ok": True, "missing": "numpy"}, wheel) is None


def test_a_failed_install_stops_there_and_a_stub_wheel_has_nothing_to_import() -> None:
    assert by_check(wheel_results(probe({}, install=False), facts(), "t", True, allow_gil=False, with_deps=True)) == {
        "runtime.install": (Status.FAIL, "pip said no")}
    stubs = by_check(wheel_results(probe({}), facts((), (), "ujson-stubs"), "t", True, allow_gil=False,
                                   with_deps=True))
    assert stubs == {"runtime.install": (Status.PASS, ""),
                     "runtime.import": (Status.SKIP, "nothing to import (a stub-only distribution)")}
    empty = by_check(wheel_results(probe({}), facts((), ()), "t", True, allow_gil=False, with_deps=True))
    assert empty["runtime.import"] == (Status.SKIP, "nothing to import (no importable module)")


def test_a_test_command_result_follows_the_imports() -> None:
    wheel = probe({"zope": OK})
    wheel["test_command"] = {"ok": False, "returncode": 3, "output": "boom"}
    checks = by_check(wheel_results(wheel, facts(), "t", True, allow_gil=False, with_deps=True))
    assert checks["runtime.test-command"] == (Status.FAIL, "exit 3: boom")


def test_the_probe_imports_top_level_then_each_loadable_extension(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verify_wheels.importlib.machinery, "EXTENSION_SUFFIXES",
                        [".cpython-314t-x86_64-linux-gnu.so", ".so"])
    wheel = {"modules": ["zope"], "extensions": [
        ["zope", "zope.cpython-314t-x86_64-linux-gnu.so"],
        ["zope.a", "a.cpython-314t-x86_64-linux-gnu.so"],
        ["zope.b", "b.cpython-314-x86_64-linux-gnu.so"],
        ["zope.a", "a.cpython-314t-aarch64-linux-gnu.so"]]}
    assert verify_wheels.import_plan(wheel) == ["zope", "zope.a"]
    assert verify_wheels.tail("a\nb\nc", 2) == "…\nb\nc" and verify_wheels.tail("a\nb", 2) == "a\nb"


def test_notes_are_shown_never_counted_never_failing_even_strict() -> None:
    note = CheckResult("demo 1.0", "wheel.free-threading-classifier", Status.NOTE, "add the classifier")
    report = Report("wheels", "/w", strict=True, results=[note, CheckResult("a.whl", "wheel.zip", Status.PASS)])
    assert not report.failed and report.verdict == "pass"
    assert report.counts() == {"pass": 1, "warn": 0, "fail": 0, "skip": 0}
    document = to_json(report)
    jsonschema.validate(document, json.loads(SCHEMA_PATH.read_text()))
    assert document["results"][0]["status"] == "note"
    assert "ℹ️ note" in to_markdown(report) and "note: add the classifier" in to_junit(report)


def test_long_details_are_cut_with_an_ellipsis_and_kept_whole_in_json() -> None:
    text = "x" * 150 + "END"
    assert shorten(text, 153) == text and shorten(text, 152) == "x" * 150 + "E…"
    assert len(shorten(text, 100)) == 100
    report = Report("wheels", "/w", results=[CheckResult("a.whl", "runtime.import", Status.FAIL, "y" * 300)])
    assert ("y" * 199 + "…") in to_markdown(report) and ("y" * 200) not in to_markdown(report)
    assert to_json(report)["results"][0]["message"] == "y" * 300
    junit = to_junit(report)
    assert 'message="' + "y" * 499 + '…"' in junit or 'message="' + "y" * 300 + '"' in junit


def test_the_import_child_names_a_missing_module_and_reads_the_gil_after_the_import(tmp_path):
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    from dualpy.probes import probe_source  # noqa: PLC0415

    (tmp_path / "needs_absent.py").write_text("import dualpy_absent_dependency\n")
    child = probe_source("import_child")

    def imported(module: str) -> dict[str, Any]:
        done = subprocess.run([sys.executable, "-c", child, module], capture_output=True, text=True, check=True,
                              cwd=tmp_path, env={"PYTHONPATH": str(tmp_path)})
        return json.loads(done.stdout)

    ok = imported("json")
    assert ok["ok"] is True and ok["gil_reenabled_by"] == []
    assert ok["gil_enabled"] is getattr(sys, "_is_gil_enabled", lambda: True)()
    missing = imported("needs_absent")
    assert missing["ok"] is False and missing["missing"] == "dualpy_absent_dependency"
    assert missing["error"] == "ModuleNotFoundError: No module named 'dualpy_absent_dependency'"
