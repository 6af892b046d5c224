"""`dualpy verify` on the test projects' wheelhouse in the real image, and on the image's launcher."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import xmlschema

from dualpy.verify.report import SCHEMA_PATH
from tests.conftest import make_wheel, run_dualpy

pytestmark = pytest.mark.docker
JUNIT_XSD = Path(__file__).parent.parent / "data" / "junit.xsd"


@pytest.fixture(scope="module")
def verdict(test_wheelhouse, dual_image, tmp_path_factory):
    wheelhouse, _ = test_wheelhouse
    out = tmp_path_factory.mktemp("reports")
    result = run_dualpy("verify", "wheels", str(wheelhouse), "--image", dual_image, "--json-file", str(out / "v.json"),
                        "--junit", str(out / "v.xml"), "--markdown", str(out / "v.md"), check=False)
    return result, json.loads((out / "v.json").read_text()), out


def statuses(report, prefix, check, interpreter=None):
    return {r["status"] for r in report["results"] if r["subject"].startswith(prefix) and r["check"] == check
            and (interpreter is None or r["interpreter"] == interpreter)}


def test_exactly_the_non_declaring_extension_fails_on_the_t_interpreter(verdict):
    result, report, _ = verdict
    assert result.returncode == 1
    failures = [(r["subject"], r["check"], r["interpreter"]) for r in report["results"] if r["status"] == "fail"]
    platforms = "manylinux1_x86_64.manylinux_2_28_x86_64.manylinux_2_5_x86_64"  # the default floor, and older
    assert failures == [(f"dualpy_gil_only-1.0.0-cp313-cp313t-{platforms}.whl", "runtime.gil", "cp313-cp313t")]
    (message,) = [r["message"] for r in report["results"] if r["status"] == "fail"]
    assert "dualpy_gil_only" in message


def test_declaring_extension_keeps_the_gil_off(verdict):
    _, report, _ = verdict
    assert statuses(report, "dualpy_ft_ok-1.0.0-cp313-cp313t", "runtime.gil", "cp313-cp313t") == {"pass"}
    assert statuses(report, "dualpy_ft_ok", "runtime.import") == {"pass"}


def test_pure_wheel_passes_on_both_interpreters(verdict):
    _, report, _ = verdict
    assert statuses(report, "dualpy_pure", "runtime.import", "cp313-cp313") == {"pass"}
    assert statuses(report, "dualpy_pure", "runtime.import", "cp313-cp313t") == {"pass"}
    assert statuses(report, "dualpy-pure", "wheelhouse.pairing") == {"pass"}


def test_abi3_wheel_goes_to_the_gil_interpreter_and_its_t_twin_to_the_t_one(verdict):
    _, report, _ = verdict
    installs = {(r["subject"].split("-")[3], r["interpreter"]) for r in report["results"]
                if r["subject"].startswith("dualpy_abi3") and r["check"] == "runtime.install"}
    assert installs == {("abi3", "cp313-cp313"), ("cp313t", "cp313-cp313t")}


def test_reports_validate(verdict):
    _, report, out = verdict
    jsonschema.validate(report, json.loads(SCHEMA_PATH.read_text()))
    xmlschema.XMLSchema(str(JUNIT_XSD)).validate(str(out / "v.xml"))
    assert "runtime.gil" in (out / "v.md").read_text()


def test_allow_gil_turns_the_failure_into_a_warning(test_wheelhouse, dual_image):
    wheelhouse, _ = test_wheelhouse
    result = run_dualpy("verify", "wheels", str(wheelhouse), "--image", dual_image, "--allow-gil", "--json")
    report = json.loads(result.stdout)
    assert report["verdict"] == "pass"
    warnings = [r for r in report["results"] if r["status"] == "warn"]
    assert [r["subject"].split("-")[0] for r in warnings if r["check"] == "runtime.gil"] == ["dualpy_gil_only"]
    # the other warnings are advice on metadata and readiness, never a hidden runtime problem
    assert {r["check"] for r in warnings} <= {"runtime.gil", "wheel.free-threading-classifier",
                                               "wheelhouse.free-threading"}


def test_test_command_runs_under_each_interpreter(test_wheelhouse, dual_image, tmp_path):
    wheelhouse, _ = test_wheelhouse
    only = tmp_path / "only"
    only.mkdir()
    for wheel in wheelhouse.glob("dualpy_ft_ok-*.whl"):
        (only / wheel.name).write_bytes(wheel.read_bytes())
    result = run_dualpy("verify", "wheels", str(only), "--image", dual_image, "--json",
                        "--test-command", "python -c 'import dualpy_ft_ok, sys; sys.exit(dualpy_ft_ok.add(2, 2) - 4)'")
    report = json.loads(result.stdout)
    assert statuses(report, "dualpy_ft_ok", "runtime.test-command") == {"pass"}
    assert len([r for r in report["results"] if r["check"] == "runtime.test-command"]) == 2


def test_verify_image_passes_on_the_dual_image(dual_image):
    result = run_dualpy("verify", "image", dual_image, "--json")
    report = json.loads(result.stdout)
    assert report["verdict"] == "pass"
    launcher_cases = [r for r in report["results"] if r["check"] == "image.launcher"]
    assert len(launcher_cases) == 13 and all(r["status"] == "pass" for r in launcher_cases)
    assert {r["interpreter"] for r in report["results"] if r["check"] == "image.interpreter"} == {
        "cp313-cp313", "cp313-cp313t"}


def test_absent_image_is_bad_input(test_wheelhouse):
    wheelhouse, _ = test_wheelhouse
    result = run_dualpy("verify", "wheels", str(wheelhouse), "--image", "dualpy/cpython:0.0-absent", check=False)
    assert result.returncode == 2 and "dualpy images build" in result.stderr


def test_with_deps_reaches_the_hosts_index_through_its_ca(dual_image, tmp_path):
    # The dependency comes from wherever this host's pip gets packages (an index through a TLS-intercepting
    # proxy, a local mirror): verify maps the host's pip settings into the container as wheels build does.
    make_wheel(tmp_path, "dualpy_needs_dep", "1.0", requires=["iniconfig"])
    result = run_dualpy("verify", "wheels", str(tmp_path), "--image", dual_image, "--with-deps", "--json")
    report = json.loads(result.stdout)
    assert statuses(report, "dualpy_needs_dep", "runtime.install") == {"pass"}, report
    assert {r["interpreter"] for r in report["results"] if r["check"] == "runtime.install"} == {
        "cp313-cp313", "cp313-cp313t"}
