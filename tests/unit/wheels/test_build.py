"""build_wheels and print_config with cibuildwheel replaced: what reaches the output dir; the CLI's errors."""

from __future__ import annotations

import io
import json
import sys
import tomllib
from pathlib import Path

import pytest

from dualpy import console
from dualpy.cli import main
from dualpy.errors import BuildFailed, ConfigurationError, EngineUnavailable
from dualpy.options import releases_of
from dualpy.pipconfig import PipSettings
from dualpy.wheels import WheelsRequest, build, build_wheels
from dualpy.wheels.floor import parse_floor
from dualpy.wheels.runner import (
    NOTHING_SELECTED_EXIT,
    PURE_PYTHON_EXIT,
    CibuildwheelOutput,
    CibuildwheelProcess,
    config_file_arguments,
    known_enable_groups,
)
from tests.unit.wheels.support import PROJECTS, make_wheel, one_plan


@pytest.fixture
def fake_build(tmp_path, monkeypatch):
    """build_wheels with the engine, the venv and cibuildwheel replaced; `outcome` steers the fake processes."""
    monkeypatch.setenv("DUALPY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(build, "_check_images", lambda plans: None)
    monkeypatch.setattr(build, "venv_python", lambda release: Path(sys.executable))
    monkeypatch.setattr(build.engine, "image_facts", lambda tag: type("F", (), {"id": "sha256:ab",
                                                                              "repo_digests": ()})())
    state = {"outcome": 0, "processes": [], "releases": [], "skip": set(), "prepared": []}
    monkeypatch.setattr(build, "prepare_floor", lambda floor, arch: state["prepared"].append((str(floor), arch)))

    def run(python, project, processes, run_token):
        state["processes"].append([p.plan.identifiers for p in processes])
        state["releases"].append([p.plan.release.version for p in processes])
        for process in processes:
            for identifier in process.progress.states:
                if identifier in state["skip"]:
                    continue  # the project's own selection leaves it out: cibuildwheel never starts it
                process.progress.feed(f"Building {identifier} wheel\n")
                abi = identifier.split("-")[0]
                make_wheel(process.output, f"demo-1.0-{abi.rstrip('t')}-{abi}-manylinux_2_17_x86_64.whl")
                if state["outcome"] == "interrupt":
                    raise KeyboardInterrupt
                if state["outcome"] == 0:
                    process.progress.feed(f"✓ {identifier} finished in 1 second\n")
            for line in state.get("lines", ()):
                process.progress.feed(line + "\n")
            outcome = state["outcome"]
            process.code = outcome(process) if callable(outcome) else outcome

    monkeypatch.setattr(build, "run_cibuildwheel", run)
    return state


def _build(tmp_path, pythons=("3.13",), **kwargs):
    return build_wheels(WheelsRequest(PROJECTS / "ext-freethreading", releases_of(pythons), image="img:1",
                                      output_dir=tmp_path / "out" / "wheelhouse", pip_settings=PipSettings(),
                                      **kwargs))


def test_wheels_and_manifest_land_together_on_success(tmp_path, fake_build):
    result = _build(tmp_path)
    out = tmp_path / "out" / "wheelhouse"
    assert sorted(p.name for p in out.iterdir()) == [
        "demo-1.0-cp313-cp313-manylinux_2_17_x86_64.whl", "demo-1.0-cp313-cp313t-manylinux_2_17_x86_64.whl",
        "dualpy-manifest.json"]
    assert [w.variant for w in result.wheels] == ["gil", "freethreaded"]
    assert {v["state"] for v in result.identifiers.values()} == {"built"}
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["wheelhouse"]  # no staging left beside it
    assert Path(result.log_path).parent == tmp_path / "cache" / "logs"
    # the default floor: the compiler made ready once, and each wheel records its floor and compiler
    assert fake_build["prepared"] == [("2_28", "x86_64")]
    assert {(w.manylinux, w.compiler, w.compiler_version) for w in result.wheels} == {("2_28", "zig", "0.17.1")}
    manifest = json.loads((out / "dualpy-manifest.json").read_text())
    assert {w["manylinux"] for w in manifest["wheels"]} == {"2_28"}


def test_a_floor_the_build_cannot_meet_is_one_line_naming_the_culprit(tmp_path, fake_build, capsys):
    report = {"wheel": "demo-1.0-cp313-cp313-linux_x86_64.whl", "symbols": {},
              "external": {"libzstd.so.1": {"path": "/usr/lib/x86_64-linux-gnu/libzstd.so.1",
                                            "symbols": {"libc.so.6": {"GLIBC_2.34": ["pthread_create"]}}}}}

    def outcome(process):
        process.progress.feed("dualpy-floor-report: " + json.dumps(report) + "\n")
        return 1

    fake_build["outcome"] = outcome
    with pytest.raises(BuildFailed) as caught:
        _build(tmp_path)
    message = str(caught.value)
    assert message.startswith("demo-1.0-cp313-cp313-linux_x86_64.whl cannot be manylinux_2_28_x86_64: libzstd.so.1 "
                              "(from the image; pthread_create@GLIBC_2.34) needs glibc 2.34; ways out: ")
    assert "--manylinux 2_34, or --manylinux native" in message and "full log: " in message
    assert "dualpy-floor-report" not in capsys.readouterr().err  # the line, not the log's tail


def test_a_native_build_records_the_images_gcc(tmp_path, fake_build, monkeypatch):
    ran = []
    monkeypatch.setattr(build.engine, "run", lambda image, command, **kw: ran.append((image, command)) or
                        type("R", (), {"exit_code": 0, "stdout": "12.2.0\n", "stderr": ""})())
    result = _build(tmp_path, floor=parse_floor("native"))
    assert ran == [("img:1", ["gcc", "-dumpfullversion"])]
    assert {(w.manylinux, w.compiler, w.compiler_version) for w in result.wheels} == {
        ("native", "gcc (the image's)", "12.2.0")}
    assert fake_build["prepared"] == [("native", "x86_64")]


@pytest.mark.parametrize(("outcome", "error"), [(1, BuildFailed), (2, ConfigurationError), (3, ConfigurationError),
                                                ("interrupt", KeyboardInterrupt)])
def test_a_failed_or_interrupted_build_leaves_the_output_dir_untouched(tmp_path, fake_build, outcome, error):
    fake_build["outcome"] = outcome
    with pytest.raises(error):
        _build(tmp_path)
    assert list((tmp_path / "out").iterdir()) == []


def test_a_variant_the_project_skips_is_reported_and_the_other_still_lands(tmp_path, fake_build, capsys):
    # ruamel.yaml.clib sets skip = "cp3??t-*": its t process selects nothing (exit 3) while the GIL one builds.
    fake_build["skip"] = {"cp313t-manylinux_x86_64"}
    fake_build["outcome"] = lambda process: (NOTHING_SELECTED_EXIT if process.plan.identifiers == (
        "cp313t-manylinux_x86_64",) else 0)
    result = _build(tmp_path, jobs=2)
    assert [w.filename for w in result.wheels] == ["demo-1.0-cp313-cp313-manylinux_2_17_x86_64.whl"]
    assert result.identifiers["cp313t-manylinux_x86_64"]["state"] == "skipped by the project's configuration"
    assert "cp313t-manylinux_x86_64: skipped by the project's configuration" in capsys.readouterr().err


def test_a_skipping_process_does_not_count_as_failed():
    process = CibuildwheelProcess(one_plan(), Path(), {}, CibuildwheelOutput(io.StringIO(), ()))
    process.code = NOTHING_SELECTED_EXIT
    assert process.selected_nothing and not process.failed


def test_one_process_per_variant_side_by_side_or_one_for_all(tmp_path, fake_build):
    _build(tmp_path, jobs=2)
    _build(tmp_path, jobs=1)
    assert fake_build["processes"] == [
        [("cp313-manylinux_x86_64",), ("cp313t-manylinux_x86_64",)],
        [("cp313-manylinux_x86_64", "cp313t-manylinux_x86_64")]]


def test_the_failing_process_is_reported_not_the_one_it_stopped(tmp_path, fake_build, capsys):
    def outcome(process):
        if "cp313t-manylinux_x86_64" in process.plan.identifiers:
            return 1
        process.stopped = True
        return 130

    fake_build["outcome"] = outcome
    with pytest.raises(BuildFailed, match="exit 1\\) building cp313t-manylinux_x86_64;"):
        _build(tmp_path, jobs=2)
    err = capsys.readouterr().err
    assert "cp313-manylinux_x86_64: stopped (another process failed)" in err
    assert "cp313t-manylinux_x86_64: failed after" in err
    assert list((tmp_path / "out").iterdir()) == []


def test_when_one_variant_fails_the_others_wheels_land_and_the_manifest_says_which_failed(tmp_path, fake_build):
    fake_build["outcome"] = lambda process: 1 if "cp313t-manylinux_x86_64" in process.plan.identifiers else 0
    with pytest.raises(BuildFailed, match="exit 1\\) building cp313t-manylinux_x86_64;") as raised:
        _build(tmp_path, jobs=2)
    assert raised.value.return_code == 3
    wheelhouse = tmp_path / "out" / "wheelhouse"
    assert sorted(p.name for p in wheelhouse.iterdir()) == ["demo-1.0-cp313-cp313-manylinux_2_17_x86_64.whl",
                                                            "dualpy-manifest.json"]
    manifest = json.loads((wheelhouse / "dualpy-manifest.json").read_text())
    assert [w["filename"] for w in manifest["wheels"]] == ["demo-1.0-cp313-cp313-manylinux_2_17_x86_64.whl"]
    assert {k: v["state"] for k, v in manifest["identifiers"].items()} == {
        "cp313-manylinux_x86_64": "built", "cp313t-manylinux_x86_64": "failed"}


def test_a_failure_prints_the_log_tail_and_its_path(tmp_path, fake_build, capsys):
    fake_build["outcome"] = 1
    with pytest.raises(BuildFailed, match=r"exit 1.*full log: .*wheels-ext-freethreading-.*\.log"):
        _build(tmp_path, jobs=1)
    assert "Building cp313t-manylinux_x86_64 wheel" in capsys.readouterr().err


def test_a_failure_names_the_unreachable_download_or_the_missing_header(tmp_path, fake_build):
    fake_build["outcome"] = 1
    fake_build["lines"] = ["ext/_yaml.c:1:10: fatal error: yaml.h: No such file or directory",
                           *["filler"] * 40, "ERROR: This does not look like a platform wheel"]
    with pytest.raises(BuildFailed, match=r"cp313t-manylinux_x86_64: the C header yaml\.h is not in the build "
                                          r"image; name the Debian package .* --system-packages .*; full log: "):
        _build(tmp_path, jobs=1)
    (tmp_path / "out").rmdir()
    fake_build["lines"] = ["Auditing wheel...", "+ Download https://github.com/x/virtualenv.pyz to /c/v.pyz",
                           "<urlopen error [Errno -3] Temporary failure in name resolution>"]
    with pytest.raises(BuildFailed, match=r"cp313t-manylinux_x86_64: cibuildwheel's step 'Auditing wheel\.\.\.' "
                                          r"needs https://github\.com/x/virtualenv\.pyz, which this machine cannot "
                                          r"reach; full log: "):
        _build(tmp_path, jobs=1)


def test_a_pure_python_project_gets_its_wheel_from_build(tmp_path, fake_build, monkeypatch):
    fake_build["outcome"] = PURE_PYTHON_EXIT

    def pure(project, output, log):
        return make_wheel(output, "demo-1.0-py3-none-any.whl")

    monkeypatch.setattr(build, "build_pure_wheel", pure)
    result = build_wheels(WheelsRequest(PROJECTS / "pure-python", releases_of(("3.13", "3.15")), image="img:1",
                                        output_dir=tmp_path / "w", pip_settings=PipSettings()))
    (wheel,) = result.wheels
    assert wheel.variant == "both" and wheel.built_by == "build (pure Python)"
    assert len(fake_build["processes"]) == 1  # pure for 3.13 is pure for 3.15: cibuildwheel ran once
    assert {v["state"] for v in result.identifiers.values()} == {"served by the py3-none-any wheel"}


# --- issue 11: six wheels, two cibuildwheel releases, one image, one manifest ---

def test_313_314_315_build_six_wheels_by_two_releases_into_one_manifest(tmp_path, fake_build):
    result = _build(tmp_path, pythons=["3.13,3.14", "3.15"], jobs=2)
    assert fake_build["releases"] == [["3.4.1", "3.4.1"], ["4.3.5", "4.3.5"]]  # each release's variants side by side
    assert fake_build["processes"][1] == [("cp314-manylinux_x86_64", "cp315-manylinux_x86_64"),
                                          ("cp314t-manylinux_x86_64", "cp315t-manylinux_x86_64")]
    manifest = json.loads((tmp_path / "out" / "wheelhouse" / "dualpy-manifest.json").read_text())
    served = {(w["python"], w["variant"], w["cibuildwheel"]) for w in manifest["wheels"]}
    assert served == {("3.13", "gil", "3.4.1"), ("3.13", "freethreaded", "3.4.1"),
                      ("3.14", "gil", "4.3.5"), ("3.14", "freethreaded", "4.3.5"),
                      ("3.15", "gil", "4.3.5"), ("3.15", "freethreaded", "4.3.5")}
    assert {w["image"] for w in manifest["wheels"]} == {"img:1"} and len(result.wheels) == 6
    assert result.cibuildwheel_versions == ["3.4.1", "4.3.5"]


def test_a_request_refuses_zero_jobs():
    with pytest.raises(Exception, match="--jobs 0"):
        WheelsRequest(Path(), releases_of(["3.13"]), jobs=0)


# --- the CLI ---

@pytest.mark.parametrize(
    ("args", "message"),
    [(["/nonexistent"], "no such project"),
     ([str(PROJECTS)], "no pyproject.toml or setup.py"),
     ([str(PROJECTS / "ext-freethreading"), "--python", "3.11"], "no recipe"),
     ([str(PROJECTS / "ext-freethreading"), "--variants", "gil,turbo"], "unknown variant"),
     ([str(PROJECTS / "ext-freethreading"), "--image", "a:1", "--manylinux-image"], "exclude each other"),
         ([str(PROJECTS / "ext-freethreading"), "--manylinux", "2_29"], "auditwheel repairs to 2_17")],
)
def test_bad_input_is_one_line_exit_2_and_no_wheelhouse(tmp_path, capsys, args, message):
    out = tmp_path / "wheelhouse"
    argv = ["wheels", "build", *args, "--output-dir", str(out)]
    if "--python" not in args:
        argv += ["--python", "3.13"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_engine_down_and_missing_image_are_one_line_each(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("dualpy.wheels.build.host_pip_settings", PipSettings)

    def down():
        raise EngineUnavailable("no Docker engine answers (refused): start one")

    monkeypatch.setattr("dualpy.engine._client.client", down)
    argv = ["wheels", "build", str(PROJECTS / "ext-freethreading"), "--python", "3.13",
            "--output-dir", str(tmp_path / "w")]
    assert main(argv) == 2
    assert capsys.readouterr().err.strip().splitlines() == ["error: no Docker engine answers (refused): start one"]
    monkeypatch.setattr("dualpy.engine._client.client", object)
    monkeypatch.setattr("dualpy.engine.image_exists", lambda tag: False)
    assert main(argv) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "dualpy/cpython:3.13.15" in line and "dualpy images build --python 3.13.15" in line
    assert not (tmp_path / "w").exists()


def test_a_missing_multi_python_image_names_the_command_that_builds_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("dualpy.engine._client.client", object)
    monkeypatch.setattr("dualpy.engine.image_exists", lambda tag: False)
    argv = ["wheels", "build", str(PROJECTS / "ext-freethreading"), "--python", "3.13,3.14,3.15",
            "--image", "dualpy/cpython:multi", "--output-dir", str(tmp_path / "w")]
    assert main(argv) == 2
    *warnings, line = capsys.readouterr().err.strip().splitlines()
    assert all(w.startswith("warning: Python 3.15 has no final release") for w in warnings)
    versions = ",".join(r.version for r in releases_of(["3.13,3.14,3.15"]))
    assert f"dualpy images build --python {versions} --tag dualpy/cpython:multi" in line
    argv[argv.index("dualpy/cpython:multi")] = "dualpy/cpython:3.13.5"
    argv[argv.index("3.13,3.14,3.15")] = "3.13"
    assert main(argv) == 2  # an --image that is a release's default tag is built from that release
    assert "dualpy images build --python 3.13.5 --tag dualpy/cpython:3.13.5" in capsys.readouterr().err


def test_print_config_shows_the_merged_settings_without_building(capsys, monkeypatch):
    monkeypatch.setattr("dualpy.wheels.build.host_pip_settings", lambda: PipSettings(index_url="https://i.example/s"))
    monkeypatch.setattr("dualpy.wheels.build.venv_python", lambda release: Path(sys.executable))
    monkeypatch.setattr("dualpy.wheels.build.selected_identifiers",
                        lambda python, project, env, config_file=None: env["CIBW_BUILD"].split())
    argv = ["wheels", "build", str(PROJECTS / "uv-frontend"), "--python", "3.13", "--print-config"]
    assert main([*argv, "--jobs", "2"]) == 0
    config = json.loads(capsys.readouterr().out)
    gil, t = config["runs"]
    assert gil["cibuildwheel"] == t["cibuildwheel"] == "3.4.1" and gil["image"] == "dualpy/cpython:3.13.15"
    assert gil["side_by_side_group"] == t["side_by_side_group"] == 0
    assert gil["selected_by_cibuildwheel"] == ["cp313-manylinux_x86_64"]
    assert t["selected_by_cibuildwheel"] == ["cp313t-manylinux_x86_64"]
    assert "CIBW_ENABLE" not in gil["cibuildwheel_environment"]
    assert t["cibuildwheel_environment"]["CIBW_ENABLE"] == "cpython-freethreading"
    assert config["project_cibuildwheel"]["build-frontend"] == "build[uv]"
    assert t["cibuildwheel_environment"]["CIBW_ENVIRONMENT_LINUX"] == (
        'DUALPY_PROJECT_ENV="kept" PIP_INDEX_URL=https://i.example/s UV_DEFAULT_INDEX=https://i.example/s '
        "CC=/dualpy/floor/bin/cc CXX=/dualpy/floor/bin/c++ AR=/dualpy/floor/bin/ar RANLIB=/dualpy/floor/bin/ranlib "
        "LDSHARED='/dualpy/floor/bin/cc -shared' LDCXXSHARED='/dualpy/floor/bin/c++ -shared' "
        "ZIG_GLOBAL_CACHE_DIR=/dualpy/zig-cache ZIG_LOCAL_CACHE_DIR=/dualpy/zig-cache "
        "AUDITWHEEL_PLAT=manylinux_2_28_x86_64")
    assert t["network_settings_via"] == "CIBW_ENVIRONMENT_LINUX" and t["manylinux"] == "2_28"
    assert main([*argv, "--jobs", "1", "--manylinux", "native"]) == 0
    (both,) = json.loads(capsys.readouterr().out)["runs"]
    assert both["selected_by_cibuildwheel"] == ["cp313-manylinux_x86_64", "cp313t-manylinux_x86_64"]
    assert both["manylinux"] == "native" and "CC" not in both["container_environment"]


def test_print_config_of_three_minors_shows_both_releases(capsys, monkeypatch):
    monkeypatch.setattr("dualpy.wheels.build.host_pip_settings", PipSettings)
    monkeypatch.setattr("dualpy.wheels.build.venv_python", lambda release: Path(sys.executable))
    monkeypatch.setattr("dualpy.wheels.build.selected_identifiers",
                        lambda python, project, env, config_file=None: env["CIBW_BUILD"].split())
    argv = ["wheels", "build", str(PROJECTS / "ext-freethreading"), "--python", "3.13,3.14,3.15",
            "--image", "multi:1", "--print-config", "--jobs", "1"]
    assert main(argv) == 0
    old, new = json.loads(capsys.readouterr().out)["runs"]
    assert (old["cibuildwheel"], old["side_by_side_group"], new["cibuildwheel"], new["side_by_side_group"]) == (
        "3.4.1", 0, "4.3.5", 1)
    assert old["cibuildwheel_environment"]["CIBW_ENABLE"] == "cpython-freethreading"
    assert "CIBW_ENABLE" not in new["cibuildwheel_environment"]
    assert new["selected_by_cibuildwheel"] == ["cp314-manylinux_x86_64", "cp314t-manylinux_x86_64",
                                               "cp315-manylinux_x86_64", "cp315t-manylinux_x86_64"]


def test_a_project_naming_an_enable_group_the_release_lacks_gets_an_options_file(tmp_path, fake_build, monkeypatch):
    project = tmp_path / "xxhash"
    project.mkdir()
    (project / "setup.py").write_text("")
    (project / "pyproject.toml").write_text('[tool.cibuildwheel]\nenable = ["pypy", "pyodide-eol"]\n'
                                            'build-frontend = "build[uv]"\n')
    monkeypatch.setattr(build, "known_enable_groups", lambda python: frozenset({"pypy", "cpython-freethreading"}))
    seen = []
    monkeypatch.setattr(build, "run_cibuildwheel", lambda python, path, processes, token: seen.extend(
        (p.config_file, p.config_file.read_text()) for p in processes))
    with pytest.raises(BuildFailed, match="built no wheel"):
        build_wheels(WheelsRequest(project, releases_of(["3.13"]), image="img:1", output_dir=tmp_path / "out",
                                   pip_settings=PipSettings(), jobs=1))
    ((path, text),) = seen
    assert path.name == "cibuildwheel-3.4.1.toml"
    assert tomllib.loads(text)["tool"]["cibuildwheel"] == {"enable": ["pypy"], "build-frontend": "build[uv]"}


def test_known_enable_groups_are_asked_of_the_venvs_cibuildwheel(tmp_path):
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho cpython-prerelease pypy\n")
    fake.chmod(0o755)
    broken = tmp_path / "broken-python"
    broken.write_text("#!/bin/sh\nexit 1\n")
    broken.chmod(0o755)
    assert known_enable_groups(fake) == {"cpython-prerelease", "pypy"}
    assert known_enable_groups(broken) is None  # then the project's own file is used as it is
    assert config_file_arguments(None) == [] and config_file_arguments(fake) == ["--config-file", str(fake)]


def test_a_build_error_with_json_is_one_error_document_and_exit_3(tmp_path, fake_build, capsys, monkeypatch):
    monkeypatch.setattr(console._settings, "quiet", False)  # --json silences progress: not for later tests
    fake_build["outcome"] = 1
    out = tmp_path / "out" / "wheelhouse"
    assert main(["wheels", "build", str(PROJECTS / "ext-freethreading"), "--python", "3.13", "--image", "img:1",
                 "--output-dir", str(out), "--json"]) == 3
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert (document["verdict"], document["stage"], document["exit_code"], document["wheels"]) == (
        "error", "wheels", 3, [])
    assert document["error"].startswith("cibuildwheel ") and "failed (exit 1)" in document["error"]
    assert document["output_dir"] == str(out) and not out.exists()
    assert main(["wheels", "build", "/nonexistent", "--python", "3.13", "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["exit_code"] == 2
