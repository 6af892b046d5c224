"""The CIBW_* settings each cibuildwheel process gets, merged over the project's own (pure)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from cibuildwheel.environment import parse_environment

from dualpy.tags import Variant
from dualpy.wheels import Project, bash_word, cibuildwheel_environment, describe_config, process_environment
from dualpy.wheels.options import config_file_text, enable_groups, unknown_enable_groups
from tests.unit.wheels.support import PIP_ENV, one_plan


def test_selection_image_and_freethreading_group():
    env = cibuildwheel_environment(one_plan(), Project(Path(), False, {}), {}, host_env={}, run_token="t1")
    assert env["CIBW_BUILD"] == "cp313-manylinux_x86_64 cp313t-manylinux_x86_64"
    assert env["CIBW_ARCHS_LINUX"] == "x86_64"
    assert env["CIBW_MANYLINUX_X86_64_IMAGE"] == "dualpy/cpython:3.13.15"
    assert env["CIBW_ENABLE"] == "cpython-freethreading"
    assert env["CIBW_CONTAINER_ENGINE_LINUX"] == "docker; create_args: --label=io.dualpy.wheels-run=t1"
    assert "CIBW_SKIP" not in env and "CIBW_TEST_COMMAND" not in env and "CIBW_ENVIRONMENT_LINUX" not in env
    gil_only = cibuildwheel_environment(one_plan(variants=(Variant.GIL,)), Project(Path(), False, {}), {},
                                        host_env={})
    assert "CIBW_ENABLE" not in gil_only


def test_cibuildwheel_4s_host_audit_is_off_unless_the_project_or_host_sets_one():
    plain = Project(Path(), False, {})
    assert cibuildwheel_environment(one_plan("3.14"), plain, {}, host_env={})["CIBW_AUDIT_COMMAND"] == ""
    assert "CIBW_AUDIT_COMMAND" not in cibuildwheel_environment(one_plan("3.13"), plain, {}, host_env={})  # 3.4.1
    own = Project(Path(), False, {"audit-command": "abi3audit --strict {abi3_wheel}"})
    assert "CIBW_AUDIT_COMMAND" not in cibuildwheel_environment(one_plan("3.14"), own, {}, host_env={})
    host = {"CIBW_AUDIT_COMMAND": "true {wheel}"}
    assert "CIBW_AUDIT_COMMAND" not in cibuildwheel_environment(one_plan("3.14"), plain, {}, host_env=host)


def test_project_settings_are_kept_and_ours_come_after_its_environment():
    table = {"environment": {"CFLAGS": "-O1", "OPT": "$HOME/x"}, "test-command": "pytest",
             "build-frontend": "build[uv]", "before-build": "echo hi"}
    env = cibuildwheel_environment(one_plan(), Project(Path(), False, table), PIP_ENV, host_env={})
    assert env["CIBW_ENVIRONMENT_LINUX"].startswith('CFLAGS="-O1" OPT="$HOME/x" PIP_CERT=')
    parsed = parse_environment(env["CIBW_ENVIRONMENT_LINUX"]).as_dictionary({"HOME": "/root"})
    assert parsed["OPT"] == "/root/x" and parsed["CFLAGS"] == "-O1"
    assert parsed["PIP_EXTRA_INDEX_URL"] == PIP_ENV["PIP_EXTRA_INDEX_URL"]
    # options dualpy does not need are left for cibuildwheel to read from pyproject.toml
    assert not {"CIBW_TEST_COMMAND", "CIBW_BUILD_FRONTEND", "CIBW_BEFORE_BUILD"} & set(env)
    override = cibuildwheel_environment(one_plan(), Project(Path(), False, table), {}, test_command="true",
                                        host_env={})
    assert override["CIBW_TEST_COMMAND"] == "true"


def test_a_host_cibw_environment_is_the_base_instead_of_the_project_one():
    project = Project(Path(), False, {"environment": "A=1"})
    env = cibuildwheel_environment(one_plan(), project, {"PIP_CERT": "/host/ca"},
                                   host_env={"CIBW_ENVIRONMENT": "B=2"})
    assert env["CIBW_ENVIRONMENT_LINUX"] == "B=2 PIP_CERT=/host/ca"


def test_overrides_with_their_own_environment_get_the_settings_by_environment_pass():
    table = {"environment-pass": ["TOKEN"], "overrides": [{"select": "cp313t-*", "environment": {"X": "1"}}]}
    env = cibuildwheel_environment(one_plan(), Project(Path(), False, table), PIP_ENV, host_env={})
    assert "CIBW_ENVIRONMENT_LINUX" not in env
    assert env["CIBW_ENVIRONMENT_PASS_LINUX"] == "TOKEN PIP_CERT PIP_EXTRA_INDEX_URL"
    assert process_environment(env, PIP_ENV)["PIP_CERT"] == PIP_ENV["PIP_CERT"]


def test_pip_settings_stay_out_of_the_host_process_when_they_travel_in_cibw_environment(monkeypatch):
    monkeypatch.delenv("PIP_CERT", raising=False)
    env = cibuildwheel_environment(one_plan(), Project(Path(), False, {}), PIP_ENV, host_env={})
    assert "PIP_CERT" not in process_environment(env, PIP_ENV)


def test_the_projects_container_engine_keeps_its_arguments_and_gains_the_run_label():
    table = {"container-engine": {"name": "docker", "create-args": ["--network=host", "--cpus=2"]}}
    env = cibuildwheel_environment(one_plan(), Project(Path(), False, table), {}, host_env={}, run_token="r")
    assert env["CIBW_CONTAINER_ENGINE_LINUX"] == (
        "name:docker; create-args:--network=host --cpus=2; create-args: --label=io.dualpy.wheels-run=r")
    from cibuildwheel.oci_container import OCIContainerEngineConfig

    config = OCIContainerEngineConfig.from_config_string(env["CIBW_CONTAINER_ENGINE_LINUX"])
    assert config.create_args == ("--network=host", "--cpus=2", "--label=io.dualpy.wheels-run=r")


@pytest.mark.parametrize("value", ["plain", "file:///host/a b", "$HOME x", 'a"b', "it's $x `y`",
                                   "https://u:p@h/s?a=1&b=2;c", "back\\slash"])
def test_values_survive_cibuildwheels_environment_parser(value):
    parsed = parse_environment(f"X={bash_word(value)}").as_dictionary({"HOME": "/root", "x": "?"})
    assert parsed["X"] == value


def test_describe_config_without_selection_is_pure():
    config = describe_config(Project(Path("/p"), False, {}), [one_plan()], {}, None)
    assert config["runs"][0]["selected_by_cibuildwheel"] is None


XXHASH_SECTION = {  # xxhash 4.1.0's [tool.cibuildwheel], abridged
    "enable": ["pypy", "pypy-eol", "graalpy", "pyodide-prerelease", "pyodide-eol"],
    "build-frontend": "build[uv]",
    "overrides": [{"select": "*-musllinux_{ppc64le,riscv64,s390x}", "build-frontend": "build"}],
    "linux": {"before-all": 'echo "a\\\\b" $HOME\n', "archs": ["auto"], "enable": "cpython-freethreading pypy"},
    "environment": {"ZSTD_WARNINGS_AS_ERRORS": "1", "NOTE": "naïve 😀 \x7f"},
    "build-verbosity": 1,
    "test-skip": True,
}
CIBW_341_GROUPS = {"cpython-freethreading", "cpython-prerelease", "graalpy", "pypy", "pypy-eol", "pyodide-prerelease"}
CIBW_435_GROUPS = {"cpython-prerelease", "graalpy", "pypy", "pypy-eol", "pyodide-eol", "pyodide-prerelease"}


def test_enable_groups_a_release_rejects_are_named():
    assert enable_groups(XXHASH_SECTION) == ["pypy", "pypy-eol", "graalpy", "pyodide-prerelease", "pyodide-eol",
                                             "cpython-freethreading"]
    assert unknown_enable_groups(XXHASH_SECTION, CIBW_341_GROUPS) == ["pyodide-eol"]
    assert unknown_enable_groups(XXHASH_SECTION, CIBW_435_GROUPS) == ["cpython-freethreading"]
    assert unknown_enable_groups({"enable": "pypy graalpy"}, CIBW_341_GROUPS) == []


@pytest.mark.parametrize("known", [CIBW_341_GROUPS, CIBW_435_GROUPS])
def test_the_options_file_is_the_projects_section_minus_the_unknown_groups(known):
    text = config_file_text(XXHASH_SECTION, known)
    assert text is not None
    written = tomllib.loads(text)["tool"]["cibuildwheel"]
    assert written["enable"] == [g for g in XXHASH_SECTION["enable"] if g in known]
    assert written["linux"]["enable"] == [g for g in ("cpython-freethreading", "pypy") if g in known]
    rest = {k: v for k, v in written.items() if k not in ("enable", "linux")}
    assert rest == {k: v for k, v in XXHASH_SECTION.items() if k not in ("enable", "linux")}
    assert {k: v for k, v in written["linux"].items() if k != "enable"} == {
        "before-all": 'echo "a\\\\b" $HOME\n', "archs": ["auto"]}


def test_no_options_file_when_every_group_is_known():
    assert config_file_text({"enable": ["pypy"], "skip": "pp*"}, CIBW_341_GROUPS) is None
    assert config_file_text({}, CIBW_341_GROUPS) is None
