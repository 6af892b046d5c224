"""runtime.older-glibc: one row per wheel folded from its install, import and GIL results in the older image."""

from __future__ import annotations

from dualpy.pipeline import older_image_tag
from dualpy.verify.model import CheckResult, Status
from dualpy.verify.older import OLDER_GLIBC, older_glibc_rows

IMAGE = "dualpy/cpython:3.14.7-bullseye"


def test_each_wheel_gets_one_row_with_its_first_failure_or_where_it_ran():
    results = [
        CheckResult("ok.whl", "runtime.install", Status.PASS, "", "cp314-cp314t"),
        CheckResult("ok.whl", "runtime.import", Status.PASS, "imported ok", "cp314-cp314t"),
        CheckResult("ok.whl", "runtime.gil", Status.PASS, "", "cp314-cp314t"),
        CheckResult("new.whl", "runtime.install", Status.FAIL, "new.whl is not a supported wheel on this platform",
                    "cp314-cp314"),
        CheckResult("gil.whl", "runtime.install", Status.PASS, "", "cp314-cp314t"),
        CheckResult("gil.whl", "runtime.gil", Status.FAIL, "the GIL came back", "cp314-cp314t"),
        CheckResult("other.whl", "runtime.match", Status.WARN, "matches nothing"),
    ]
    rows = older_glibc_rows(["ok.whl", "new.whl", "gil.whl", "other.whl"], results, IMAGE, "glibc 2.31")
    assert [(r.subject, r.check, r.status) for r in rows] == [
        ("ok.whl", OLDER_GLIBC, Status.PASS), ("new.whl", OLDER_GLIBC, Status.FAIL),
        ("gil.whl", OLDER_GLIBC, Status.FAIL), ("other.whl", OLDER_GLIBC, Status.WARN)]
    assert rows[0].message == f"installs and imports on glibc 2.31 ({IMAGE}) under cp314-cp314t"
    assert rows[1].message == (f"on glibc 2.31 ({IMAGE}), runtime.install under cp314-cp314: new.whl is not a "
                               "supported wheel on this platform")
    assert rows[2].message.endswith("runtime.gil under cp314-cp314t: the GIL came back")
    assert rows[3].message == f"its tags match no interpreter of {IMAGE}: not tried on the older glibc"
    assert older_glibc_rows(["ok.whl"], results, IMAGE, "")[0].message == (
        f"installs and imports on {IMAGE} under cp314-cp314t")


def test_a_wheel_tagged_above_the_older_glibc_fails_there():
    new = "x-1-cp314-cp314-manylinux_2_34_x86_64.whl"
    old = "x-1-cp314-cp314-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    rows = older_glibc_rows([new, old, "not-a-wheel.whl"], [], IMAGE, "glibc 2.31")
    assert [r.status for r in rows] == [Status.FAIL, Status.WARN, Status.WARN]
    assert rows[0].message == (f"tagged for glibc 2.34, newer than glibc 2.31 ({IMAGE}): pip there refuses it; "
                               "build it at a lower floor (--manylinux 2_28)")
    assert older_glibc_rows([new], [], IMAGE, "")[0].status is Status.WARN  # the image's glibc unknown
    assert older_glibc_rows(["x-1-cp314-cp314-manylinux_2_31_x86_64.whl"], [], IMAGE, "glibc 2.31")[0].status \
        is Status.WARN


def test_the_older_image_is_named_after_the_build_image_and_its_suite():
    assert older_image_tag("dualpy/cpython:3.14.7", "bullseye") == "dualpy/cpython:3.14.7-bullseye"
