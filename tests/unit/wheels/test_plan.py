"""Which cibuildwheel runs a request makes: identifiers, releases, images, side-by-side processes (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dualpy.errors import UsageError
from dualpy.images import default_tag, default_tag_for
from dualpy.options import releases_of
from dualpy.sources.recipes import find_release
from dualpy.tags import ALL_VARIANTS, Variant
from dualpy.wheels import Project, cibuildwheel_environment, plan_builds, split_plan
from dualpy.wheels.plan import image_build_python
from tests.unit.wheels.support import one_plan

X86 = "x86_64"


def test_plan_selects_exactly_the_two_identifiers_of_this_arch_and_the_default_image():
    plan = one_plan()
    assert plan.identifiers == ("cp313-manylinux_x86_64", "cp313t-manylinux_x86_64")
    assert plan.image == "dualpy/cpython:3.13.15" and plan.release.version == "3.4.1"
    (only_t,) = plan_builds(releases_of(["3.13.5"]), (Variant.FREETHREADED,), "my/image:1", False, arch="aarch64")
    assert only_t.identifiers == ("cp313t-manylinux_aarch64",) and only_t.image == "my/image:1"


def test_manylinux_leaves_the_image_to_cibuildwheel():
    (plan,) = plan_builds(releases_of(["3.13"]), ALL_VARIANTS, None, True, arch="x86_64")
    assert plan.image is None
    assert not any(k.startswith("CIBW_MANYLINUX") for k in cibuildwheel_environment(plan, Project(Path(), False, {}),
                                                                                    {}, host_env={}))


def test_pythons_that_one_release_builds_share_one_run_per_image():
    plans = plan_builds(releases_of(["3.13", "3.14"]), ALL_VARIANTS, "img:1", False, arch="x86_64")
    assert [(p.release.version, p.identifiers) for p in plans] == [
        ("3.4.1", ("cp313-manylinux_x86_64", "cp313t-manylinux_x86_64",
                   "cp314-manylinux_x86_64", "cp314t-manylinux_x86_64"))]
    split = plan_builds(releases_of(["3.13", "3.15"]), (Variant.FREETHREADED,), "img:1", False, arch="x86_64")
    assert [(p.release.version, p.identifiers) for p in split] == [
        ("3.4.1", ("cp313t-manylinux_x86_64",)), ("4.3.5", ("cp315t-manylinux_x86_64",))]


def test_plan_errors_are_usage_errors():
    with pytest.raises(UsageError, match="known versions"):
        plan_builds(releases_of(["3.12"]), ALL_VARIANTS, None, False)
    with pytest.raises(UsageError, match="exclude each other"):
        plan_builds(releases_of(["3.13"]), ALL_VARIANTS, "x", True)
    with pytest.raises(UsageError, match="^--python latest: no recipe"):
        plan_builds(releases_of(["latest"]), ALL_VARIANTS, "x", False)


def test_split_keeps_each_variants_pythons_together():
    (plan,) = plan_builds(releases_of(["3.13", "3.14"]), ALL_VARIANTS, "img:1", False, arch="x86_64")
    assert [p.identifiers for p in split_plan(plan, 2)] == [
        ("cp313-manylinux_x86_64", "cp314-manylinux_x86_64"), ("cp313t-manylinux_x86_64", "cp314t-manylinux_x86_64")]
    assert split_plan(plan, 1) == [plan]
    (t_only,) = plan_builds(releases_of(["3.13"]), (Variant.FREETHREADED,), "img:1", False, arch="x86_64")
    assert split_plan(t_only, 2) == [t_only]


# --- issue 11: 3.13, 3.14 and 3.15 in one command, one multi-Python image ---

def _env(plan):
    return cibuildwheel_environment(plan, Project(Path(), False, {}), {}, host_env={})


def test_three_minors_in_one_image_make_one_run_per_release():
    old, new = plan_builds(releases_of(["3.13", "3.14", "3.15"]), ALL_VARIANTS, "dualpy/cpython:multi", False, arch=X86)
    assert (old.release.version, old.identifiers) == ("3.4.1", (f"cp313-manylinux_{X86}", f"cp313t-manylinux_{X86}"))
    assert (new.release.version, new.identifiers) == ("4.3.5", (
        f"cp314-manylinux_{X86}", f"cp314t-manylinux_{X86}", f"cp315-manylinux_{X86}", f"cp315t-manylinux_{X86}"))
    assert old.image == new.image == "dualpy/cpython:multi"
    versions = ",".join(r.version for r in releases_of(["3.13", "3.14", "3.15"]))
    assert old.image_python == new.image_python == versions  # the `images build --python` that makes it
    # CIBW_BUILD names the exact identifiers; only the 3.4.1 run needs the freethreading enable group
    assert _env(old)["CIBW_BUILD"] == f"cp313-manylinux_{X86} cp313t-manylinux_{X86}"
    assert _env(old)["CIBW_ENABLE"] == "cpython-freethreading"
    assert _env(new)["CIBW_BUILD"] == " ".join(new.identifiers) and "CIBW_ENABLE" not in _env(new)
    assert _env(old)["CIBW_MANYLINUX_X86_64_IMAGE"] == _env(new)["CIBW_MANYLINUX_X86_64_IMAGE"]


def test_three_minors_side_by_side_by_variant_within_each_release():
    plans = plan_builds(releases_of(["3.13", "3.14", "3.15"]), ALL_VARIANTS, "multi:1", False, arch=X86)
    assert [[p.identifiers for p in split_plan(plan, 2)] for plan in plans] == [
        [(f"cp313-manylinux_{X86}",), (f"cp313t-manylinux_{X86}",)],
        [(f"cp314-manylinux_{X86}", f"cp315-manylinux_{X86}"), (f"cp314t-manylinux_{X86}", f"cp315t-manylinux_{X86}")]]


def test_three_minors_share_one_default_multi_python_image():
    plans = plan_builds(releases_of(["3.13", "3.14", "3.15"]), ALL_VARIANTS, None, False, arch=X86)
    assert [p.release.version for p in plans] == ["3.4.1", "4.3.5"]
    releases = [find_release(m)[1] for m in ("3.13", "3.14", "3.15")]
    assert {p.image for p in plans} == {default_tag_for(releases)}
    assert plans[0].image == "dualpy/cpython:" + "-".join(r.version for r in releases)
    assert [[str(m) for m in p.minors] for p in plans] == [["3.13"], ["3.14", "3.15"]]
    assert sorted(i for p in plans for i in p.identifiers) == sorted(
        f"cp3{m}{t}-manylinux_{X86}" for m in (13, 14, 15) for t in ("", "t"))
    # The image-absent hint builds exactly that image.
    assert all(p.image_python == ",".join(r.version for r in releases) for p in plans)
    assert image_build_python(plans[0]) == ",".join(r.version for r in releases)


def test_one_minor_keeps_its_release_image():
    (plan,) = plan_builds(releases_of(["3.14"]), ALL_VARIANTS, None, False, arch=X86)
    assert plan.image == default_tag(find_release("3.14")[1].version)
    assert image_build_python(plan) == find_release("3.14")[1].version


def test_a_single_314_or_315_request_uses_cibuildwheel_4():
    for python in ("3.14", "3.15"):
        plan = one_plan(python, image="img:1")
        assert plan.release.version == "4.3.5" and "CIBW_ENABLE" not in _env(plan)
