"""verify imports every extension module a wheel holds, each in a fresh interpreter, and names each (real wheels).

Two projects built once for 3.13 in the dual image (about a minute each): a namespace package whose only C
extension sits in a subpackage, and a package of three extension modules of which one re-enables the GIL. Its
top-level import loads none of them, so only the per-extension import can find the culprit.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import PROJECTS_DIR, make_wheel, run_dualpy

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def extension_wheelhouse(dual_image, tmp_path_factory):
    wheelhouse = tmp_path_factory.mktemp("extensions")
    for name in ("ext-namespace", "ext-multi"):
        run_dualpy("wheels", "build", str(PROJECTS_DIR / name), "--python", "3.13", "--image", dual_image,
                   "--output-dir", str(wheelhouse))
    # A pure wheel whose import needs a dependency that --no-deps leaves out.
    make_wheel(wheelhouse, "dualpy_needs_dep", "1.0", requires=["iniconfig"], body=b"import iniconfig\n")
    return wheelhouse


@pytest.fixture(scope="module")
def offline_report(extension_wheelhouse, dual_image):
    result = run_dualpy("verify", "wheels", str(extension_wheelhouse), "--image", dual_image, "--no-deps",
                        "--json", check=False)
    return result, json.loads(result.stdout)


def _results(report, prefix, check):
    return {r["interpreter"]: (r["status"], r["message"]) for r in report["results"]
            if r["subject"].startswith(prefix) and r["check"] == check}


def test_the_extension_of_a_namespace_subpackage_is_imported_and_named(offline_report):
    _, report = offline_report
    imports = _results(report, "dualpy_namespace-", "runtime.import")
    assert set(imports) == {"cp313-cp313", "cp313-cp313t"}
    for status, message in imports.values():
        assert status == "pass" and "dualpy_ns.inner._speedups (extension)" in message, message
    assert _results(report, "dualpy_namespace-1.0.0-cp313-cp313t", "runtime.gil") == {
        "cp313-cp313t": ("pass", "the GIL stays off after importing each of 2 module(s)")}


def test_the_one_extension_that_reenables_the_gil_fails_its_wheel_named(offline_report):
    result, report = offline_report
    assert result.returncode == 1
    imports = _results(report, "dualpy_multi-1.0.0-cp313-cp313t", "runtime.import")
    status, message = imports["cp313-cp313t"]
    assert status == "pass"
    for module in ("dualpy_multi._one", "dualpy_multi._two", "dualpy_multi._legacy"):
        assert f"{module} (extension)" in message
    status, message = _results(report, "dualpy_multi-1.0.0-cp313-cp313t", "runtime.gil")["cp313-cp313t"]
    assert status == "fail" and "re-enabled by importing dualpy_multi._legacy (" in message
    assert "_one" not in message and "_two" not in message
    failures = {(r["subject"].split("-")[0], r["check"]) for r in report["results"] if r["status"] == "fail"}
    assert failures == {("dualpy_multi", "runtime.gil")}


def test_a_missing_dependency_is_named_not_blamed_on_the_wheel(offline_report):
    _, report = offline_report
    for status, message in _results(report, "dualpy_needs_dep", "runtime.import").values():
        assert status == "warn" and message.startswith("needs iniconfig (imported by dualpy_needs_dep)"), message
    # the missing classifier is a note: shown, never counted
    notes = [r for r in report["results"] if r["status"] == "note"]
    assert {r["check"] for r in notes} == {"wheel.free-threading-classifier"}
    assert report["summary"]["warn"] == len([r for r in report["results"] if r["status"] == "warn"])
