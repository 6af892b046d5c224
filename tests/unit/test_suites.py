"""images/suites.toml: validated on load; --suite honoured (glibc, package names) or refused in one line."""

from pathlib import Path

import pytest

from dualpy.errors import ConfigurationError, UsageError
from dualpy.images.suites import find_suite, load_suites, manylinux_platforms, parse_suites

GOOD = {"version": "12", "glibc": "2.36", "build-packages": ["gcc"], "runtime-packages": ["libssl3"]}


def test_shipped_suites_and_their_glibc():
    suites = load_suites()
    assert suites.default == "bookworm"
    assert {name: s.glibc for name, s in suites.known.items()} == {
        "bullseye": "2.31", "bookworm": "2.36", "trixie": "2.41"}


@pytest.mark.parametrize(("suite", "first", "absent"), [
    ("bullseye", "manylinux_2_31_x86_64", "manylinux_2_32_x86_64"),
    ("trixie", "manylinux_2_41_x86_64", "manylinux_2_42_x86_64"),
])
def test_platform_tags_follow_the_suite_glibc(suite, first, absent):
    platforms = find_suite(suite).manylinux_platforms("x86_64")
    assert platforms[0] == first and absent not in platforms
    assert platforms[-3:] == ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"]


def test_legacy_aliases_only_up_to_the_glibc():
    assert "manylinux2014_x86_64" not in manylinux_platforms("x86_64", 16)
    assert manylinux_platforms("aarch64", 17)[0] == "manylinux_2_17_aarch64"


def test_unknown_suite_is_refused_in_one_line():
    with pytest.raises(UsageError) as info:
        find_suite("buster")
    message = str(info.value)
    assert "buster" in message and "bookworm" in message and "\n" not in message


def test_default_suite_when_none_is_named():
    assert find_suite(None).name == "bookworm"


@pytest.mark.parametrize(("document", "needle"), [
    ({"default": "x", "suites": {"x": {**GOOD, "glibc": "2.x"}}}, "glibc"),
    ({"default": "x", "suites": {"x": {**GOOD, "runtime-packages": ["Bad Name"]}}}, "not a Debian package"),
    ({"default": "x", "suites": {"x": {**GOOD, "build-packages": []}}}, "non-empty"),
    ({"default": "x", "suites": {"x": {**GOOD, "build-packages": ["gcc", "gcc"]}}}, "twice"),
    ({"default": "x", "suites": {"x": {**GOOD, "extra": 1}}}, "unknown key 'extra'"),
    ({"default": "x", "suites": {"x": {k: v for k, v in GOOD.items() if k != "glibc"}}}, "needs glibc"),
    ({"default": "y", "suites": {"x": GOOD}}, "default must name"),
    ({"default": "x", "suites": {}}, "at least one"),
    ({"default": "x", "suites": {"x": GOOD}, "other": 1}, "unknown key(s) other"),
    ({"default": "x", "suites": {"x": {**GOOD, "clang-packages": ["llvm-19"]}}}, "versioned clang package"),
    ({"default": "x", "suites": {"x": {**GOOD, "clang-packages": ["Clang 19"]}}}, "not a Debian package"),
])
def test_bad_data_names_the_file_and_the_problem(document, needle):
    with pytest.raises(ConfigurationError) as info:
        parse_suites(document, Path("suites.toml"))
    assert str(info.value).startswith("suites.toml: ") and needle in str(info.value)


def test_invalid_toml_is_a_configuration_error(tmp_path):
    path = tmp_path / "suites.toml"
    path.write_text("default = \n")
    with pytest.raises(ConfigurationError):
        load_suites(path)


def test_clang_is_known_where_the_suite_carries_it():
    assert find_suite("bookworm").clang_version == "19"
    assert find_suite("trixie").clang_packages == ("clang-19", "llvm-19", "lld-19", "libclang-rt-19-dev")
    assert find_suite("bullseye").clang_version is None
    parsed = parse_suites({"default": "x", "suites": {"x": {**GOOD, "clang-packages": ["lld-20", "clang-20"]}}},
                          Path("suites.toml"))
    assert parsed.find("x").clang_version == "20"
