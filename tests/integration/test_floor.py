"""The glibc floor on real builds: zig-built wheels whose filename, auditwheel and symbols agree; the one line when
a floor cannot be met. Python 3.14 from the shared multi image (cibuildwheel 4.3.5)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from packaging.utils import parse_wheel_filename

from dualpy.verify.audit import promised_glibc
from tests.conftest import PROJECTS_DIR, run_dualpy

pytestmark = pytest.mark.docker


def _build(project: str, image: str, output: Path, *args: str) -> dict[str, Any]:
    result = run_dualpy("wheels", "build", str(PROJECTS_DIR / project), "--python", "3.14", "--image", image,
                        "--output-dir", str(output), "--json", *args)
    return json.loads(result.stdout)


def _verify(wheelhouse: Path, *args: str) -> dict[str, Any]:
    result = run_dualpy("verify", "wheels", str(wheelhouse), "--json", *args, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    return json.loads(result.stdout)


def _checks(report: dict[str, Any], check: str) -> list[dict[str, Any]]:
    return [r for r in report["results"] if r["check"] == check]


def _floor_agrees(built: dict[str, Any], wheelhouse: Path, image: str, floor: str, test_command: str) -> None:
    """Filename, auditwheel (in the image), the symbol scan (in the image and on the host) and an import with the
    GIL off all agree that the wheels stay at or below the floor."""
    wheels = built["wheels"]
    assert sorted(w["variant"] for w in wheels) == ["freethreaded", "gil"]
    level = tuple(int(part) for part in floor.split("_"))
    for wheel in wheels:
        assert (wheel["manylinux"], wheel["compiler"], wheel["compiler_version"]) == (floor, "zig", "0.17.1")
        platforms = {t.platform for t in parse_wheel_filename(wheel["filename"])[3]}
        promised = promised_glibc(platforms)
        assert promised is not None and promised <= level, wheel["filename"]
    report = _verify(wheelhouse, "--image", image, "--manylinux", floor, "--test-command", test_command)
    manylinux = _checks(report, "wheel.manylinux")
    assert [r["status"] for r in manylinux] == ["pass", "pass"], manylinux
    assert {r["status"] for r in _checks(report, "runtime.import")} == {"pass"}
    assert {r["status"] for r in _checks(report, "runtime.test-command")} == {"pass"}
    gil = _checks(report, "runtime.gil")
    assert [r["interpreter"] for r in gil if r["status"] == "pass"] == ["cp314-cp314t"], gil
    on_host = _checks(_verify(wheelhouse, "--manylinux", floor), "wheel.manylinux")
    assert [r["status"] for r in on_host] == ["pass", "pass"], on_host


@pytest.mark.parametrize("floor", ["2_28", "2_17"])
def test_a_threaded_c_extension_meets_the_floor(multi_image: str, tmp_path: Path, floor: str) -> None:
    built = _build("ext-threads", multi_image, tmp_path, "--manylinux", floor)
    _floor_agrees(built, tmp_path, multi_image, floor,
                  "python -c 'import dualpy_threads as m; assert m.thread_square(7) == 49; "
                  "assert abs(m.libm_cos(0.0) - 1.0) < 1e-12'")


def test_a_cmake_project_meets_the_default_floor(multi_image: str, tmp_path: Path) -> None:
    """scikit-build-core drives CMake with the floor's CC: the same threaded extension, no flag, manylinux_2_28."""
    built = _build("ext-cmake", multi_image, tmp_path)
    _floor_agrees(built, tmp_path, multi_image, "2_28",
                  "python -c 'import dualpy_cmake as m; assert m.thread_square(7) == 49; "
                  "assert abs(m.libm_cos(0.0) - 1.0) < 1e-12'")


def test_a_cxx_extension_links_libcxx_statically_at_the_default_floor(multi_image: str, tmp_path: Path) -> None:
    built = _build("ext-cxx", multi_image, tmp_path)  # no flag: the default floor
    _floor_agrees(built, tmp_path, multi_image, "2_28",
                  "python -c 'import dualpy_cxx as m; assert m.shout(\"abc\") == \"ABC!\"\n"
                  "try:\n    m.shout(\"\")\nexcept ValueError as e:\n    assert \"nothing to shout\" in str(e)\n"
                  "else:\n    raise SystemExit(1)'")


def test_a_system_library_above_the_floor_is_one_line_and_native_builds_it(multi_image: str, tmp_path: Path) -> None:
    output = tmp_path / "wheelhouse"
    failed = run_dualpy("wheels", "build", str(PROJECTS_DIR / "ext-syslib"), "--python", "3.14", "--image",
                        multi_image, "--variants", "gil", "--output-dir", str(output), check=False)
    assert failed.returncode == 3  # a build error
    lines = failed.stderr.strip().splitlines()
    assert "Traceback" not in failed.stderr
    assert "cannot be manylinux_2_28_x86_64: libzstd.so.1 (from the image; " in lines[-1], failed.stderr[-3000:]
    assert "needs glibc 2.3" in lines[-1] and "build the library from source in before-all" in lines[-1]
    assert "--manylinux native" in lines[-1]
    assert not output.exists()  # nothing half-written
    built = _build("ext-syslib", multi_image, output, "--variants", "gil", "--manylinux", "native")
    (wheel,) = built["wheels"]
    assert wheel["manylinux"] == "native" and wheel["compiler"] == "gcc (the image's)"
    platforms = {t.platform for t in parse_wheel_filename(wheel["filename"])[3]}
    assert (promised_glibc(platforms) or (0, 0)) >= (2, 34)  # honest: libzstd needs bookworm's glibc


OLDER_PYTHON = "3.14"  # one release only: the bullseye image costs a CPython build per variant (~6 min in CI)


@pytest.fixture(scope="module")
def older_image() -> str:
    """Python 3.14 on Debian bullseye (glibc 2.31), the oldest suite reachable; same recipes as the multi image."""
    from dualpy.images import default_tag  # noqa: PLC0415
    from dualpy.pipeline import older_image_tag  # noqa: PLC0415
    from dualpy.sources.recipes import find_release  # noqa: PLC0415

    tag = older_image_tag(default_tag(find_release(OLDER_PYTHON)[1].version), "bullseye")
    report = json.loads(run_dualpy("images", "build", "--python", OLDER_PYTHON, "--suite", "bullseye", "--tag", tag,
                                   "--json").stdout)
    assert report["suite"] == "bullseye"
    return tag


def test_floor_wheels_import_on_an_older_glibc_and_native_ones_do_not(multi_image: str, older_image: str,
                                                                       tmp_path: Path) -> None:
    floor = tmp_path / "floor"
    _build("ext-threads", multi_image, floor)  # the default floor
    report = _verify(floor, "--older-image", older_image)
    rows = _checks(report, "runtime.older-glibc")
    assert [r["status"] for r in rows] == ["pass", "pass"], rows
    assert all("glibc 2.31" in r["message"] for r in rows)
    assert any("cp314-cp314t" in r["message"] for r in rows)  # imported in the t build, the GIL off there
    native = tmp_path / "native"
    _build("ext-threads", multi_image, native, "--manylinux", "native", "--variants", "gil")
    result = run_dualpy("verify", "wheels", str(native), "--json", "--older-image", older_image, check=False)
    assert result.returncode == 1
    (row,) = _checks(json.loads(result.stdout), "runtime.older-glibc")
    assert row["status"] == "fail", row  # pip refuses a manylinux_2_34 wheel on glibc 2.31
    assert "tagged for glibc 2.3" in row["message"] and "newer than glibc 2.31" in row["message"]


def test_system_packages_are_named_checked_and_installed(multi_image: str, tmp_path: Path) -> None:
    """--system-packages installs a -dev package in the build container; a missing header names the fix, and a
    name apt cannot find is one line; both exit 3 (a build error) with nothing written."""
    argv = ["wheels", "build", str(PROJECTS_DIR / "ext-zstd"), "--python", "3.14", "--image", multi_image,
            "--variants", "gil", "--manylinux", "native", "--output-dir", str(tmp_path / "out")]
    missing = run_dualpy(*argv, check=False)
    assert missing.returncode == 3 and "Traceback" not in missing.stderr
    last = missing.stderr.strip().splitlines()[-1]
    assert "the C header zstd.h is not in the build image" in last and "--system-packages" in last, last
    unknown = run_dualpy(*argv, "--system-packages", "libzstd-devel", check=False)
    assert unknown.returncode == 3
    last = unknown.stderr.strip().splitlines()[-1]
    assert "the system package libzstd-devel is not in the build image's Debian archive" in last, last
    assert not (tmp_path / "out").exists()  # nothing half-written
    built = json.loads(run_dualpy(*argv, "--system-packages", "libzstd-dev", "--json").stdout)
    (wheel,) = built["wheels"]
    assert wheel["variant"] == "gil" and wheel["manylinux"] == "native"
