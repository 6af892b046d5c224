"""Verify beyond import, on real wheels built by real cibuildwheel: thread stress, manylinux truth, abi3audit,
the free-threading classifier and the readiness verdict."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECTS_DIR, run_dualpy

pytestmark = pytest.mark.docker


def _build(project: str, image: str, output: Path, *args: str) -> Path:
    run_dualpy("wheels", "build", str(PROJECTS_DIR / project), "--python", "3.13", "--image", image,
               "--output-dir", str(output), "--json", *args)
    return output


def _verify(wheelhouse: Path, image: str, *args: str) -> tuple[int, dict[str, Any]]:
    result = run_dualpy("verify", "wheels", str(wheelhouse), "--image", image, "--json", *args, check=False)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def _results(report: dict[str, Any], check: str) -> list[dict[str, Any]]:
    return [r for r in report["results"] if r["check"] == check]


@pytest.fixture(scope="module")
def racy_wheelhouse(dual_image: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build("ext-racy", dual_image, tmp_path_factory.mktemp("racy"))


def test_the_racy_project_passes_one_at_a_time_and_fails_stress_naming_the_race(dual_image: str,
                                                                                  racy_wheelhouse: Path) -> None:
    # Without --stress its wheels pass: they install, import and keep the GIL off.
    code, plain = _verify(racy_wheelhouse, dual_image)
    assert code == 0, plain
    assert not _results(plain, "runtime.stress")
    code, stressed = _verify(racy_wheelhouse, dual_image, "--stress", "--threads", "2", "--iterations", "10",
                             "--tests", str(PROJECTS_DIR / "ext-racy" / "tests"))
    assert code == 1
    stress = _results(stressed, "runtime.stress")
    assert {r["interpreter"] for r in stress} == {"cp313-cp313t"}  # only free-threaded interpreters are stressed
    failed = [r for r in stress if r["status"] == "fail"]
    assert len(failed) == 1 and "a data race" in failed[0]["message"]
    assert "test_reverse_is_right" in failed[0]["message"]
    unsafe = [r for r in stress if r["status"] == "warn"]
    assert len(unsafe) == 1 and "test_limit" in unsafe[0]["message"]  # reported, not hidden
    readiness = _results(stressed, "wheelhouse.free-threading")
    assert [r["status"] for r in readiness] == ["warn"]
    assert "ready for free-threading: no" in readiness[0]["message"] and "runtime.stress" in readiness[0]["message"]
    # The project declares the classifier and ships a t wheel: they agree.
    assert [r["status"] for r in _results(stressed, "wheel.free-threading-classifier")] == ["pass"]


def test_stress_passes_a_thread_safe_project(dual_image: str, tmp_path: Path) -> None:
    wheelhouse = _build("ext-freethreading", dual_image, tmp_path / "wheels")
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_add.py").write_text("import dualpy_ft_ok\n\n\ndef test_add():\n"
                                       "    assert dualpy_ft_ok.add(2, 3) == 5\n")
    code, report = _verify(wheelhouse, dual_image, "--stress", "--threads", "2", "--iterations", "5",
                           "--tests", str(tests))
    assert code == 0, report
    stress = _results(report, "runtime.stress")
    assert [r["status"] for r in stress] == ["pass"]
    assert "1 test(s) passed one at a time and under 2 threads x 5 iterations" in stress[0]["message"]
    # A t wheel with no free-threading classifier: a note that names the classifier to add.
    classifier = _results(report, "wheel.free-threading-classifier")
    assert [r["status"] for r in classifier] == ["note"] and "Free Threading :: 2 - Beta" in classifier[0]["message"]
    assert _results(report, "wheelhouse.free-threading")[0]["message"].startswith("ready for free-threading: yes")


def _retag(wheel: Path, destination: Path, platform: str) -> Path:
    """A copy of a wheel whose filename, WHEEL and RECORD claim another platform tag (a consistent lie)."""
    name, version, python, abi, _old = wheel.name[:-4].split("-", 4)
    target = destination / f"{name}-{version}-{python}-{abi}-{platform}.whl"
    with zipfile.ZipFile(wheel) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        files = {}
        for info in source.infolist():
            if info.is_dir():
                continue
            data = source.read(info)
            if info.filename.endswith(".dist-info/WHEEL"):
                lines = [line for line in data.decode().splitlines() if line and not line.startswith("Tag:")]
                lines += [f"Tag: {python}-{abi}-{one}" for one in platform.split(".")]
                data = ("\n".join(lines) + "\n").encode()
            files[info.filename] = data
        record = next(n for n in files if n.endswith(".dist-info/RECORD"))
        rows = "".join(f"{n},sha256={base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b'=').decode()},"
                       f"{len(d)}\n" for n, d in files.items() if n != record)
        files[record] = (rows + f"{record},,\n").encode()
        for member, data in files.items():
            out.writestr(member, data)
    return target


def test_manylinux_tags_must_tell_the_truth(dual_image: str, tmp_path: Path) -> None:
    # native: the image's gcc links arc4random (glibc 2.36); the default floor (2_28) would refuse to build it
    built = _build("ext-glibc-new", dual_image, tmp_path / "built", "--manylinux", "native")
    gil_wheel = next(p for p in built.glob("*-cp313-cp313-*.whl"))
    assert "manylinux_2_36" in gil_wheel.name  # auditwheel repair tags it by what arc4random needs

    code, report = _verify(built, dual_image)
    assert code == 0, report
    assert {r["status"] for r in _results(report, "wheel.manylinux")} == {"pass"}

    code, report = _verify(built, dual_image, "--manylinux", "2_28")
    assert code == 1
    failed = [r for r in _results(report, "wheel.manylinux") if r["status"] == "fail"]
    assert len(failed) == 2
    assert all("arc4random needs GLIBC_2.36" in r["message"] and "manylinux_2_28" in r["message"] for r in failed)

    lying = tmp_path / "lying"
    lying.mkdir()
    _retag(gil_wheel, lying, "manylinux_2_17_x86_64.manylinux2014_x86_64")
    code, report = _verify(lying, dual_image)
    assert code == 1
    (result,) = _results(report, "wheel.manylinux")
    assert result["status"] == "fail" and "tagged for glibc 2.17 but arc4random needs GLIBC_2.36" in result["message"]
    # Its other static checks pass: only the platform promise is false.
    assert {r["status"] for r in report["results"] if r["check"] in ("wheel.record", "wheel.tags")} == {"pass"}


def test_abi3audit_judges_abi3_wheels_only(dual_image: str, test_wheelhouse: tuple[Path, dict[str, Any]],
                                           tmp_path: Path) -> None:
    wheelhouse, _results_by_project = test_wheelhouse
    chosen = tmp_path / "abi3"
    chosen.mkdir()
    for wheel in wheelhouse.glob("dualpy_abi3-*.whl"):
        shutil.copy(wheel, chosen)
    code, report = _verify(chosen, dual_image)
    audits = _results(report, "wheel.abi3audit")
    # One abi3 wheel (GIL) is audited; its cp313t twin is not fed to abi3audit, which cannot read t tags.
    assert [(r["status"], "abi3" in r["subject"]) for r in audits] == [("pass", True)], report
    assert code == 0
