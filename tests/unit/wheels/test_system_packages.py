"""--system-packages: names checked, installed before the project's before-all, apt's downloads kept, one line when
apt has no such package (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dualpy.cli import main
from dualpy.errors import UsageError
from dualpy.wheels import Project, cibuildwheel_environment
from dualpy.wheels.system_packages import APT_ARCHIVES_MOUNT, before_all, parse_system_packages, unknown_package
from tests.unit.wheels.support import one_plan


def test_names_are_kept_in_order_once_each() -> None:
    assert parse_system_packages(["libyaml-dev", "libzstd-dev", "libyaml-dev", "g++"]) == (
        "libyaml-dev", "libzstd-dev", "g++")
    assert parse_system_packages([]) == ()


@pytest.mark.parametrize("name", ["LibYaml", "-dev", "a", "libyaml-dev;rm", "lib yaml", "$(id)", "", "x\x1b[31m"])
def test_a_malformed_name_is_one_line_naming_where_it_came_from(name: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_system_packages([name], "DUALPY_SYSTEM_PACKAGES")
    message = str(caught.value)
    assert message.startswith(f"DUALPY_SYSTEM_PACKAGES: {name!r} is not a Debian package name") and "\n" not in message


def test_before_all_installs_first_then_runs_the_projects_own() -> None:
    assert before_all(["libyaml-dev"], None) == "apt-get install -y --no-install-recommends libyaml-dev"
    assert before_all(["a1", "b2"], "make deps") == "apt-get install -y --no-install-recommends a1 b2 && make deps"


def test_unknown_package_is_found_in_apts_words_and_only_for_requested_names() -> None:
    lines = ["Reading package lists...", "E: Unable to locate package libyamll-dev"]
    assert unknown_package(lines, ["libyamll-dev"]) == "libyamll-dev"
    assert unknown_package(["E: Package 'libfoo-dev' has no installation candidate"], ["libfoo-dev"]) == "libfoo-dev"
    assert unknown_package(lines, ["libyaml-dev"]) is None  # not one of ours: the project's own before-all
    assert unknown_package(["all fine"], ["libyaml-dev"]) is None


def _plan(packages: tuple[str, ...]):
    from dataclasses import replace

    return replace(one_plan(), system_packages=packages)


def test_the_environment_installs_them_before_the_projects_before_all_and_keeps_apts_downloads() -> None:
    project = Project(Path(), False, {"before-all": ["echo one", "echo two"]})
    env = cibuildwheel_environment(_plan(("libyaml-dev",)), project, {}, host_env={})
    assert env["CIBW_BEFORE_ALL_LINUX"] == (
        "apt-get install -y --no-install-recommends libyaml-dev && echo one && echo two")
    assert f":{APT_ARCHIVES_MOUNT}" in env["CIBW_CONTAINER_ENGINE_LINUX"]
    host = cibuildwheel_environment(_plan(("libyaml-dev",)), project, {}, host_env={"CIBW_BEFORE_ALL": "host"})
    assert host["CIBW_BEFORE_ALL_LINUX"].endswith(" && host")
    none = cibuildwheel_environment(_plan(()), project, {}, host_env={})
    assert "CIBW_BEFORE_ALL_LINUX" not in none and APT_ARCHIVES_MOUNT not in none["CIBW_CONTAINER_ENGINE_LINUX"]


def test_each_cibuildwheel_process_keeps_apts_downloads_in_its_own_folder() -> None:
    """apt locks its archives folder: the GIL and t builds, side by side, must not share one (PyYAML failed so)."""
    from dualpy.wheels.compiler import apt_cache_arguments  # noqa: PLC0415

    gil = apt_cache_arguments(("libyaml-dev",), "cp314-manylinux_x86_64")
    freethreaded = apt_cache_arguments(("libyaml-dev",), "cp314t-manylinux_x86_64")
    assert gil != freethreaded
    assert gil[0].endswith(f"/apt-archives/cp314-manylinux_x86_64:{APT_ARCHIVES_MOUNT}")
    assert apt_cache_arguments(("x11-dev",), "a/b c")[0].endswith(f"/apt-archives/a_b_c:{APT_ARCHIVES_MOUNT}")
    assert apt_cache_arguments((), "cp314-manylinux_x86_64") == []
    plan = _plan(("libyaml-dev",))
    env = cibuildwheel_environment(plan, Project(Path(), False, {}), {}, host_env={})
    assert f"/apt-archives/{plan.identifiers[0]}:{APT_ARCHIVES_MOUNT}" in env["CIBW_CONTAINER_ENGINE_LINUX"]


def test_the_flag_is_checked_before_any_build(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\nversion = '1'\n")
    argv = ["wheels", "build", str(tmp_path), "--python", "3.14", "--system-packages", "libyaml-dev,Bad_Name"]
    assert main(argv) == 2
    assert "--system-packages: 'Bad_Name' is not a Debian package name" in capsys.readouterr().err


def test_print_config_shows_the_packages(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\nversion = '1'\n\n[tool.dualpy]\n"
                                             "system-packages = ['libyaml-dev']\n")
    argv = ["wheels", "build", str(tmp_path), "--python", "3.14", "--image", "img:1", "--print-config",
            "--system-packages", "libzstd-dev"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "apt-get install -y --no-install-recommends libzstd-dev" in out and "libyaml-dev" not in out
