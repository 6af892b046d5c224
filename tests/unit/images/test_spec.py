"""What an image holds: one or several releases, the default interpreter, tags and labels (pure)."""

import pytest

from dualpy import images
from dualpy.errors import UsageError
from dualpy.images.suites import find_suite
from dualpy.sources.recipes import find_release
from dualpy.tags import ALL_VARIANTS, Variant


def pythons(*versions):
    return tuple(images.PythonRelease(*find_release(v)) for v in versions)


def spec(*versions, variants=ALL_VARIANTS, profile="fast"):
    return images.ImageSpec(pythons(*versions), variants, profile, "b", find_suite("bookworm"))


def test_default_tag_names_exact_versions_oldest_first():
    assert images.default_tag("3.14.6") == "dualpy/cpython:3.14.6"
    releases = [p.release for p in pythons("3.14.6", "3.13.15")]
    assert images.default_tag_for(releases) == "dualpy/cpython:3.13.15-3.14.6"
    assert images.default_tag_for(releases[:1]) == "dualpy/cpython:3.14.6"


def test_default_tag_orders_pre_releases_by_version():
    releases = [p.release for p in pythons("3.15", "3.13.15")]
    assert images.default_tag_for(releases) == f"dualpy/cpython:3.13.15-{releases[0].version}"


def test_one_release_per_minor():
    with pytest.raises(UsageError, match="two releases of Python 3.13"):
        spec("3.13.15", "3.13.5")


def test_targets_are_ordered_by_minor_then_variant():
    image = spec("3.14.6", "3.13.15")
    assert [t.request for t in image.targets] == ["3.13", "3.13t", "3.14", "3.14t"]
    assert image.versions == ("3.13.15", "3.14.6")


def test_the_default_is_the_newest_final_release_not_a_pre_release():
    image = spec("3.13.15", "3.14.6", "3.15")
    assert image.default_python.version == "3.14.6"
    assert image.labels()["io.dualpy.cpython.version"] == "3.14.6"
    only_pre = spec("3.15")
    assert only_pre.default_python.version == only_pre.versions[0]


def test_free_threaded_only_image_defaults_to_the_t_build():
    image = spec("3.14.6", variants=(Variant.FREETHREADED,))
    assert image.default_target.request == "3.14t"


def test_every_release_is_labelled_with_its_version_and_checksum():
    labels = spec("3.13.15", "3.14.6").labels()
    assert labels["io.dualpy.cpython.releases"] == "3.13.15,3.14.6"
    assert labels["io.dualpy.cpython.3.13.sha256"].startswith("1e66a794")
    assert labels["io.dualpy.cpython.3.14.version"] == "3.14.6"
    assert "--disable-gil" in labels["io.dualpy.configure.3.14t"]
    assert labels["io.dualpy.glibc"] == "2.36" and labels["io.dualpy.suite"] == "bookworm"


def test_unknown_profile_fails_before_any_work():
    with pytest.raises(UsageError, match="unknown profile"):
        spec("3.14.6", profile="turbo")


def test_release_builds_default_to_clang_where_the_suite_has_it():
    from dualpy.images.build import default_compiler  # noqa: PLC0415
    from dualpy.images.suites import find_suite  # noqa: PLC0415

    assert default_compiler("release", find_suite("bookworm")) == "clang"
    assert default_compiler("release", find_suite("trixie")) == "clang"
    assert default_compiler("release", find_suite("bullseye")) == "gcc"  # no clang 19 there
    assert default_compiler("fast", find_suite("bookworm")) == "gcc"
