import json
import zipfile
from pathlib import Path

import pytest

from dualpy.cibw import RELEASES, choose_releases
from dualpy.cli import main
from dualpy.errors import UsageError
from dualpy.pipconfig import PipSettings, container_environment, parse_pip_config_list, settings_from
from dualpy.tags import ALL_VARIANTS, PythonMinor, Variant
from dualpy.wheels import (
    Project, cibuildwheel_environment, describe_wheel, load_project, plan_builds, write_manifest,
)

PROJECTS = Path(__file__).parent.parent / "projects"
M = PythonMinor


@pytest.mark.parametrize(
    ("minors", "expected"),
    [([M(3, 13)], {"3.4.1": ["3.13"]}), ([M(3, 15)], {"4.3.5": ["3.15"]}), ([M(3, 14)], {"4.3.5": ["3.14"]}),
     ([M(3, 13), M(3, 14)], {"3.4.1": ["3.13", "3.14"]}),
     ([M(3, 13), M(3, 15)], {"3.4.1": ["3.13"], "4.3.5": ["3.15"]})],
)
def test_cibuildwheel_release_that_can_build_each_t_python(minors, expected):
    chosen = {release.version: [str(m) for m in group] for release, group in choose_releases(minors).items()}
    assert chosen == expected


def test_unknown_freethreaded_python_is_refused():
    with pytest.raises(UsageError, match="3.12t"):
        choose_releases([M(3, 12)])


def test_plan_selects_exactly_the_two_identifiers_and_the_default_image():
    (plan,) = plan_builds(["3.13"], ALL_VARIANTS, None, False, arch="x86_64")
    assert plan.identifiers == ("cp313-manylinux_x86_64", "cp313t-manylinux_x86_64")
    assert plan.image == "dualpy/cpython:3.13.15"
    assert plan.release.version == "3.4.1"
    (only_t,) = plan_builds(["3.13.5"], (Variant.FREETHREADED,), "my/image:1", False, arch="aarch64")
    assert only_t.identifiers == ("cp313t-manylinux_aarch64",) and only_t.image == "my/image:1"


def test_plan_errors():
    with pytest.raises(UsageError, match="known versions"):
        plan_builds(["3.12"], ALL_VARIANTS, None, False)
    with pytest.raises(UsageError, match="exclude each other"):
        plan_builds(["3.13"], ALL_VARIANTS, "x", True)


def test_environment_merges_the_projects_lists_and_keeps_its_settings():
    (plan,) = plan_builds(["3.13"], ALL_VARIANTS, None, False, arch="x86_64")
    project = Project(Path("."), False, {"enable": ["pypy"], "environment-pass": ["TOKEN"],
                                         "test-command": "pytest", "build-frontend": "build[uv]"})
    env = cibuildwheel_environment(plan, project, {"PIP_CERT": "/host/ca.crt"})
    assert env["CIBW_BUILD"] == "cp313-manylinux_x86_64 cp313t-manylinux_x86_64"
    assert env["CIBW_ENABLE"] == "pypy cpython-freethreading"
    assert env["CIBW_ENVIRONMENT_PASS_LINUX"] == "TOKEN PIP_CERT"
    assert env["CIBW_MANYLINUX_X86_64_IMAGE"] == "dualpy/cpython:3.13.15"
    assert "CIBW_TEST_COMMAND" not in env and "CIBW_BUILD_FRONTEND" not in env
    assert cibuildwheel_environment(plan, project, {}, test_command="true")["CIBW_TEST_COMMAND"] == "true"


def test_pip_config_list_env_scope_wins():
    merged = parse_pip_config_list(
        "global.index-url='https://a.example/simple'\n:env:.index-url='https://b.example/simple'\n"
        "global.cert='/etc/ssl/certs/ca-certificates.crt'\nuser.extra-index-url='file:///srv/wheels'\n"
    )
    assert merged == {"index-url": "https://b.example/simple", "cert": "/etc/ssl/certs/ca-certificates.crt",
                      "extra-index-url": "file:///srv/wheels"}


def test_container_sees_the_host_ca_and_indexes_through_host_mount():
    settings = settings_from({"index-url": "https://idx.example/simple", "extra-index-url": "file:///srv/w file:///gone",
                              "cert": "/etc/ssl/certs/ca-certificates.crt"}, {})
    env = container_environment(settings, exists=lambda p: p in ("/srv/w", "/etc/ssl/certs/ca-certificates.crt"))
    assert env["PIP_INDEX_URL"] == env["UV_DEFAULT_INDEX"] == "https://idx.example/simple"
    assert env["PIP_EXTRA_INDEX_URL"] == "file:///host/srv/w"
    assert "UV_INDEX" not in env
    assert env["PIP_CERT"] == env["SSL_CERT_FILE"] == "/host/etc/ssl/certs/ca-certificates.crt"
    assert container_environment(PipSettings(), exists=lambda p: False) == {}


def _wheel(tmp_path, name):
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x.txt", "x")
    return path


@pytest.mark.parametrize(
    ("filename", "variant", "note"),
    [("a-1.0-cp313-cp313t-manylinux_2_17_x86_64.whl", "freethreaded", ""),
     ("a-1.0-cp313-cp313-manylinux_2_17_x86_64.whl", "gil", ""),
     ("a-1.0-cp313-abi3-manylinux_2_17_x86_64.whl", "gil", "cpython#111506"),
     ("a-1.0-py3-none-any.whl", "both", "py3-none-any")],
)
def test_describe_wheel_says_which_build_it_serves(tmp_path, filename, variant, note):
    record = describe_wheel(_wheel(tmp_path, filename), M(3, 13), "cibuildwheel 3.4.1", "img", "sha256:1")
    assert record.variant == variant and note in record.note
    assert len(record.sha256) == 64 and record.python == "3.13"


def test_manifest_is_atomic_and_keeps_entries_whose_files_remain(tmp_path):
    keep = _wheel(tmp_path, "b-1.0-py3-none-any.whl")
    write_manifest(tmp_path, [describe_wheel(keep, M(3, 13), "build", None, None)])
    new = describe_wheel(_wheel(tmp_path, "a-1.0-py3-none-any.whl"), M(3, 13), "build", None, None)
    manifest = json.loads(write_manifest(tmp_path, [new]).read_text())
    assert [w["filename"] for w in manifest["wheels"]] == ["b-1.0-py3-none-any.whl", "a-1.0-py3-none-any.whl"]
    assert not list(tmp_path.glob(".*tmp"))


def test_projects_must_exist_and_be_projects(tmp_path):
    with pytest.raises(UsageError, match="no such project"):
        load_project(tmp_path / "missing")
    with pytest.raises(UsageError, match="no pyproject.toml or setup.py"):
        load_project(tmp_path)
    uv = load_project(PROJECTS / "uv-frontend")
    assert uv.cibuildwheel_table["build-frontend"] == "build[uv]"


@pytest.mark.parametrize(
    ("args", "message"),
    [(["wheels", "build", "/nonexistent", "--python", "3.13"], "no such project"),
     (["wheels", "build", str(PROJECTS / "ext-freethreading"), "--python", "3.11"], "no recipe"),
     (["wheels", "build", str(PROJECTS / "ext-freethreading"), "--python", "3.13", "--variants", "gil,turbo"],
      "unknown variant")],
)
def test_bad_input_is_one_line_exit_2_and_no_wheelhouse(tmp_path, capsys, args, message):
    out = tmp_path / "wheelhouse"
    assert main([*args, "--output-dir", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_print_config_shows_merged_settings_without_building(capsys, monkeypatch):
    monkeypatch.setattr("dualpy.commands.wheels.host_pip_settings", lambda: PipSettings(cert=None))
    code = main(["wheels", "build", str(PROJECTS / "uv-frontend"), "--python", "3.13", "--print-config"])
    assert code == 0
    config = json.loads(capsys.readouterr().out)
    (run,) = config["runs"]
    assert run["cibuildwheel"] == "3.4.1"
    assert config["project_cibuildwheel"]["build-frontend"] == "build[uv]"
    assert run["cibuildwheel_environment"]["CIBW_ENABLE"] == "cpython-freethreading"


def test_releases_know_their_limits():
    by_version = {r.version: r for r in RELEASES}
    assert M(3, 13) not in by_version["4.3.5"].freethreaded_minors
    assert M(3, 15) not in by_version["3.4.1"].freethreaded_minors
