"""`dualpy wheels build`: planning, settings merging, progress, output discipline, CLI errors (no engine)."""

from __future__ import annotations

import io
import json
import signal
import sys
import tarfile
import textwrap
import threading
import time
import zipfile
from pathlib import Path

import pytest
from cibuildwheel.environment import parse_environment

from dualpy import wheels
from dualpy.cli import main
from dualpy.errors import BuildFailed, ConfigurationError, EngineUnavailable, UsageError
from dualpy.pipconfig import PipSettings
from dualpy.tags import ALL_VARIANTS, PythonMinor, Variant
from dualpy.wheels import (
    CibuildwheelOutput, Project, bash_word, cibuildwheel_environment, describe_config, describe_wheel,
    load_project, plan_builds, process_environment, write_manifest,
)

PROJECTS = Path(__file__).parent.parent / "projects"
M = PythonMinor
PIP_ENV = {"PIP_CERT": "/host/etc/ssl/certs/ca-certificates.crt",
           "PIP_EXTRA_INDEX_URL": "file:///host/opt/pypi/simple file:///host/opt/more/simple"}


def _plan(python="3.13", variants=ALL_VARIANTS, image=None):
    (plan,) = plan_builds([python], variants, image, False, arch="x86_64")
    return plan


# --- which runs, identifiers and images ---

def test_plan_selects_exactly_the_two_identifiers_of_this_arch_and_the_default_image():
    plan = _plan()
    assert plan.identifiers == ("cp313-manylinux_x86_64", "cp313t-manylinux_x86_64")
    assert plan.image == "dualpy/cpython:3.13.15" and plan.release.version == "3.4.1"
    (only_t,) = plan_builds(["3.13.5"], (Variant.FREETHREADED,), "my/image:1", False, arch="aarch64")
    assert only_t.identifiers == ("cp313t-manylinux_aarch64",) and only_t.image == "my/image:1"


def test_manylinux_leaves_the_image_to_cibuildwheel():
    (plan,) = plan_builds(["3.13"], ALL_VARIANTS, None, True, arch="x86_64")
    assert plan.image is None
    assert not any(k.startswith("CIBW_MANYLINUX") for k in cibuildwheel_environment(plan, Project(Path("."), False, {}),
                                                                                    {}, host_env={}))


def test_pythons_that_one_release_builds_share_one_run_per_image():
    plans = plan_builds(["3.13", "3.14"], ALL_VARIANTS, "img:1", False, arch="x86_64")
    assert [(p.release.version, p.identifiers) for p in plans] == [
        ("3.4.1", ("cp313-manylinux_x86_64", "cp313t-manylinux_x86_64",
                   "cp314-manylinux_x86_64", "cp314t-manylinux_x86_64"))]
    split = plan_builds(["3.13", "3.15"], (Variant.FREETHREADED,), "img:1", False, arch="x86_64")
    assert [(p.release.version, p.identifiers) for p in split] == [
        ("3.4.1", ("cp313t-manylinux_x86_64",)), ("4.3.5", ("cp315t-manylinux_x86_64",))]


def test_plan_errors_are_usage_errors():
    with pytest.raises(UsageError, match="known versions"):
        plan_builds(["3.12"], ALL_VARIANTS, None, False)
    with pytest.raises(UsageError, match="exclude each other"):
        plan_builds(["3.13"], ALL_VARIANTS, "x", True)
    with pytest.raises(UsageError, match="not a CPython version"):
        plan_builds(["latest"], ALL_VARIANTS, "x", False)


# --- the settings cibuildwheel gets ---

def test_selection_image_and_freethreading_group():
    env = cibuildwheel_environment(_plan(), Project(Path("."), False, {}), {}, host_env={}, run_token="t1")
    assert env["CIBW_BUILD"] == "cp313-manylinux_x86_64 cp313t-manylinux_x86_64"
    assert env["CIBW_ARCHS_LINUX"] == "x86_64"
    assert env["CIBW_MANYLINUX_X86_64_IMAGE"] == "dualpy/cpython:3.13.15"
    assert env["CIBW_ENABLE"] == "cpython-freethreading"
    assert env["CIBW_CONTAINER_ENGINE_LINUX"] == "docker; create_args: --label=io.dualpy.wheels-run=t1"
    assert "CIBW_SKIP" not in env and "CIBW_TEST_COMMAND" not in env and "CIBW_ENVIRONMENT_LINUX" not in env
    gil_only = cibuildwheel_environment(_plan(variants=(Variant.GIL,)), Project(Path("."), False, {}), {},
                                        host_env={})
    assert "CIBW_ENABLE" not in gil_only


def test_project_settings_are_kept_and_ours_come_after_its_environment():
    table = {"environment": {"CFLAGS": "-O1", "OPT": "$HOME/x"}, "test-command": "pytest",
             "build-frontend": "build[uv]", "before-build": "echo hi"}
    env = cibuildwheel_environment(_plan(), Project(Path("."), False, table), PIP_ENV, host_env={})
    assert env["CIBW_ENVIRONMENT_LINUX"].startswith('CFLAGS="-O1" OPT="$HOME/x" PIP_CERT=')
    parsed = parse_environment(env["CIBW_ENVIRONMENT_LINUX"]).as_dictionary({"HOME": "/root"})
    assert parsed["OPT"] == "/root/x" and parsed["CFLAGS"] == "-O1"
    assert parsed["PIP_EXTRA_INDEX_URL"] == PIP_ENV["PIP_EXTRA_INDEX_URL"]
    # options dualpy does not need are left for cibuildwheel to read from pyproject.toml
    assert not {"CIBW_TEST_COMMAND", "CIBW_BUILD_FRONTEND", "CIBW_BEFORE_BUILD"} & set(env)
    override = cibuildwheel_environment(_plan(), Project(Path("."), False, table), {}, test_command="true",
                                        host_env={})
    assert override["CIBW_TEST_COMMAND"] == "true"


def test_a_host_cibw_environment_is_the_base_instead_of_the_project_one():
    project = Project(Path("."), False, {"environment": "A=1"})
    env = cibuildwheel_environment(_plan(), project, {"PIP_CERT": "/host/ca"},
                                   host_env={"CIBW_ENVIRONMENT": "B=2"})
    assert env["CIBW_ENVIRONMENT_LINUX"] == "B=2 PIP_CERT=/host/ca"


def test_overrides_with_their_own_environment_get_the_settings_by_environment_pass():
    table = {"environment-pass": ["TOKEN"], "overrides": [{"select": "cp313t-*", "environment": {"X": "1"}}]}
    env = cibuildwheel_environment(_plan(), Project(Path("."), False, table), PIP_ENV, host_env={})
    assert "CIBW_ENVIRONMENT_LINUX" not in env
    assert env["CIBW_ENVIRONMENT_PASS_LINUX"] == "TOKEN PIP_CERT PIP_EXTRA_INDEX_URL"
    assert process_environment(env, PIP_ENV)["PIP_CERT"] == PIP_ENV["PIP_CERT"]


def test_pip_settings_stay_out_of_the_host_process_when_they_travel_in_cibw_environment(monkeypatch):
    monkeypatch.delenv("PIP_CERT", raising=False)
    env = cibuildwheel_environment(_plan(), Project(Path("."), False, {}), PIP_ENV, host_env={})
    assert "PIP_CERT" not in process_environment(env, PIP_ENV)


def test_the_projects_container_engine_keeps_its_arguments_and_gains_the_run_label():
    table = {"container-engine": {"name": "docker", "create-args": ["--network=host", "--cpus=2"]}}
    env = cibuildwheel_environment(_plan(), Project(Path("."), False, table), {}, host_env={}, run_token="r")
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


# --- the project ---

def _sdist(tmp_path: Path, files: dict[str, str]) -> Path:
    path = tmp_path / "demo-1.0.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"demo-1.0/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_projects_must_exist_and_be_projects(tmp_path):
    with pytest.raises(UsageError, match="no such project"):
        load_project(tmp_path / "missing")
    with pytest.raises(UsageError, match="no pyproject.toml or setup.py"):
        load_project(tmp_path)
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(UsageError, match="sdist"):
        load_project(tmp_path / "notes.txt")
    (tmp_path / "broken.tar.gz").write_text("not gzip")
    with pytest.raises(UsageError, match="not an sdist"):
        load_project(tmp_path / "broken.tar.gz")


def test_the_linux_table_applies_over_the_projects_table():
    uv = load_project(PROJECTS / "uv-frontend")
    assert uv.cibuildwheel_table["build-frontend"] == "build[uv]" and not uv.is_sdist


def test_an_sdist_is_a_project_and_its_table_is_read(tmp_path):
    sdist = _sdist(tmp_path, {"pyproject.toml": textwrap.dedent("""\
        [tool.cibuildwheel]
        test-command = "a"
        [tool.cibuildwheel.linux]
        test-command = "b"
        [tool.cibuildwheel.macos]
        test-command = "c"
        """)})
    project = load_project(sdist)
    assert project.is_sdist and project.cibuildwheel_table == {"test-command": "b"}


# --- wheels, progress, manifest ---

def _wheel(directory: Path, name: str) -> Path:
    path = directory / name
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x.txt", "x")
    return path


@pytest.mark.parametrize(
    ("filename", "variant", "note"),
    [("a-1.0-cp313-cp313t-manylinux_2_17_x86_64.whl", "freethreaded", ""),
     ("a-1.0-cp313-cp313-manylinux_2_17_x86_64.whl", "gil", ""),
     ("a-1.0-cp313-abi3-manylinux_2_17_x86_64.whl", "gil", "cpython#111506"),
     ("a-1.0-py3-none-any.whl", "both", "serves the GIL and the free-threaded build")],
)
def test_describe_wheel_says_which_build_it_serves_and_why(tmp_path, filename, variant, note):
    record = describe_wheel(_wheel(tmp_path, filename), M(3, 13), "cibuildwheel 3.4.1", "img", "sha256:1", "3.4.1")
    assert record.variant == variant and note in record.note
    assert len(record.sha256) == 64 and record.python == "3.13" and record.cibuildwheel == "3.4.1"


def test_progress_follows_cibuildwheels_headers_in_colour_or_plain(capsys):
    log = io.StringIO()
    progress = CibuildwheelOutput(log, ("cp313-manylinux_x86_64", "cp313t-manylinux_x86_64"))
    for line in ["\x1b[1m\x1b[34mBuilding cp313-manylinux_x86_64 wheel\x1b[0m\n",
                 "\x1b[32m✓ \x1b[0mcp313-manylinux_x86_64 finished in 12 seconds\n",
                 "Building cp313t-manylinux_x86_64 wheel\n", "compiler output\n"]:
        progress.feed(line)
    progress.finish("failed")
    states = {k: v["state"] for k, v in progress.states.items()}
    assert states == {"cp313-manylinux_x86_64": "built", "cp313t-manylinux_x86_64": "failed"}
    assert "Building cp313-manylinux_x86_64 wheel\n" not in log.getvalue()  # the log keeps the raw output
    err = capsys.readouterr().err
    assert "cp313-manylinux_x86_64: built in" in err and "cp313t-manylinux_x86_64: failed after" in err
    plain = CibuildwheelOutput(io.StringIO(), ("cp313t-manylinux_x86_64", "cp314t-manylinux_x86_64"))
    plain.feed("Building cp313t-manylinux_x86_64 wheel\n")
    plain.feed("done cp313t-manylinux_x86_64 finished in 3 seconds\n")
    plain.finish("failed", never_started="skipped by the project's configuration")
    assert plain.states["cp313t-manylinux_x86_64"]["state"] == "built"
    assert plain.states["cp314t-manylinux_x86_64"]["state"] == "skipped by the project's configuration"


def test_manifest_is_atomic_and_keeps_entries_whose_files_remain(tmp_path):
    keep = _wheel(tmp_path, "b-1.0-py3-none-any.whl")
    write_manifest(tmp_path, [describe_wheel(keep, M(3, 13), "build", None, None)])
    _wheel(tmp_path, "gone-1.0-py3-none-any.whl")
    write_manifest(tmp_path, [describe_wheel(tmp_path / "gone-1.0-py3-none-any.whl", M(3, 13), "build", None, None)])
    (tmp_path / "gone-1.0-py3-none-any.whl").unlink()
    new = describe_wheel(_wheel(tmp_path, "a-1.0-py3-none-any.whl"), M(3, 13), "build", None, None)
    manifest = json.loads(write_manifest(tmp_path, [new]).read_text())
    assert [w["filename"] for w in manifest["wheels"]] == ["b-1.0-py3-none-any.whl", "a-1.0-py3-none-any.whl"]
    assert set(manifest["wheels"][0]) >= {"project", "version", "python", "variant", "tags", "sha256",
                                          "cibuildwheel", "image", "image_id", "image_digest"}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


# --- build_wheels with cibuildwheel replaced: what reaches the output dir ---

@pytest.fixture
def fake_build(tmp_path, monkeypatch):
    """build_wheels with the engine, the venv and cibuildwheel replaced; `outcome` steers the fake processes."""
    monkeypatch.setenv("DUALPY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(wheels, "_check_images", lambda plans: None)
    monkeypatch.setattr(wheels, "venv_python", lambda release: Path(sys.executable))
    monkeypatch.setattr(wheels.engine, "image_facts", lambda tag: type("F", (), {"id": "sha256:ab",
                                                                               "repo_digests": ()})())
    state = {"outcome": 0, "processes": []}

    def run(python, project, processes, run_token):
        state["processes"].append([p.plan.identifiers for p in processes])
        for process in processes:
            for identifier in process.progress.states:
                process.progress.feed(f"Building {identifier} wheel\n")
                abi = identifier.split("-")[0]
                _wheel(process.output, f"demo-1.0-cp313-{abi}-manylinux_2_17_x86_64.whl")
                if state["outcome"] == "interrupt":
                    raise KeyboardInterrupt
                if state["outcome"] == 0:
                    process.progress.feed(f"✓ {identifier} finished in 1 second\n")
            outcome = state["outcome"]
            process.code = outcome(process) if callable(outcome) else outcome

    monkeypatch.setattr(wheels, "_run_cibuildwheel", run)
    return state


def _build(tmp_path, **kwargs):
    return wheels.build_wheels(PROJECTS / "ext-freethreading", ["3.13"], image="img:1",
                               output_dir=tmp_path / "out" / "wheelhouse", pip_settings=PipSettings(), **kwargs)


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


@pytest.mark.parametrize(("outcome", "error"), [(1, BuildFailed), (2, ConfigurationError), (3, ConfigurationError),
                                                ("interrupt", KeyboardInterrupt)])
def test_a_failed_or_interrupted_build_leaves_the_output_dir_untouched(tmp_path, fake_build, outcome, error):
    fake_build["outcome"] = outcome
    with pytest.raises(error):
        _build(tmp_path)
    assert list((tmp_path / "out").iterdir()) == []


def test_one_process_per_variant_side_by_side_or_one_for_all(tmp_path, fake_build):
    _build(tmp_path, jobs=2)
    _build(tmp_path, jobs=1)
    assert fake_build["processes"] == [
        [("cp313-manylinux_x86_64",), ("cp313t-manylinux_x86_64",)],
        [("cp313-manylinux_x86_64", "cp313t-manylinux_x86_64")]]


def test_split_keeps_each_variants_pythons_together():
    (plan,) = plan_builds(["3.13", "3.14"], ALL_VARIANTS, "img:1", False, arch="x86_64")
    assert [p.identifiers for p in wheels.split_plan(plan, 2)] == [
        ("cp313-manylinux_x86_64", "cp314-manylinux_x86_64"), ("cp313t-manylinux_x86_64", "cp314t-manylinux_x86_64")]
    assert wheels.split_plan(plan, 1) == [plan]
    (t_only,) = plan_builds(["3.13"], (Variant.FREETHREADED,), "img:1", False, arch="x86_64")
    assert wheels.split_plan(t_only, 2) == [t_only]


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


def test_a_failure_prints_the_log_tail_and_its_path(tmp_path, fake_build, capsys):
    fake_build["outcome"] = 1
    with pytest.raises(BuildFailed, match=r"exit 1.*full log: .*wheels-ext-freethreading-.*\.log"):
        _build(tmp_path, jobs=1)
    assert "Building cp313t-manylinux_x86_64 wheel" in capsys.readouterr().err


def test_a_pure_python_project_gets_its_wheel_from_build(tmp_path, fake_build, monkeypatch):
    fake_build["outcome"] = wheels.PURE_PYTHON_EXIT

    def pure(project, output, log):
        return _wheel(output, "demo-1.0-py3-none-any.whl")

    monkeypatch.setattr(wheels, "_build_pure_wheel", pure)
    result = wheels.build_wheels(PROJECTS / "pure-python", ["3.13", "3.15"], image="img:1",
                                 output_dir=tmp_path / "w", pip_settings=PipSettings())
    (wheel,) = result.wheels
    assert wheel.variant == "both" and wheel.built_by == "build (pure Python)"
    assert len(fake_build["processes"]) == 1  # pure for 3.13 is pure for 3.15: cibuildwheel ran once
    assert {v["state"] for v in result.identifiers.values()} == {"served by the py3-none-any wheel"}


def test_the_pure_wheel_is_built_from_a_copy_of_the_tree(tmp_path):
    project = tmp_path / "pure"
    (project / "src" / "pure_demo").mkdir(parents=True)
    (project / "src" / "pure_demo" / "__init__.py").write_text("")
    (project / "build").mkdir()
    (project / "build" / "junk").write_text("")
    copied = wheels._ignore_artifacts(str(project), ["src", "build", "x.egg-info", ".wheelhouse.dualpy-1", "a.py"])
    assert copied == {"build", "x.egg-info", ".wheelhouse.dualpy-1"}


# --- a real process in cibuildwheel's place: streaming and interrupt ---

FAKE_CIBUILDWHEEL = """\
import os, signal, sys, time, pathlib
def stop(*_):
    pathlib.Path(sys.argv[sys.argv.index("--output-dir") + 1], "container-removed").write_text("yes")
    sys.exit(130)
signal.signal(signal.SIGINT, stop)
print(f"Building {os.environ['CIBW_BUILD']} wheel", flush=True)
time.sleep(30)
"""


def _fake_cibuildwheel(tmp_path: Path, script: str) -> dict[str, str]:
    package = tmp_path / "fake" / "cibuildwheel"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "__main__.py").write_text(script)
    return {"PYTHONPATH": str(tmp_path / "fake"), "PATH": "/usr/bin:/bin"}


def _processes(tmp_path, env):
    """A GIL and a t process, each with its own output dir, like build_wheels makes them."""
    processes = []
    log = io.StringIO()
    for number, part in enumerate(wheels.split_plan(_plan(), 2)):
        output = tmp_path / f"out-{number}"
        output.mkdir()
        processes.append(wheels.CibuildwheelProcess(part, output, {**env, "CIBW_BUILD": part.identifiers[0]},
                                                     CibuildwheelOutput(log, part.identifiers)))
    return processes, log


def test_an_interrupt_stops_every_cibuildwheel_so_each_removes_its_container(tmp_path, monkeypatch):
    env = _fake_cibuildwheel(tmp_path, FAKE_CIBUILDWHEEL)
    removed = []
    monkeypatch.setattr(wheels.engine, "iter_containers", lambda label: removed.append(label) or [])
    processes, log = _processes(tmp_path, env)
    sigterm_handler = signal.getsignal(signal.SIGTERM)

    def interrupt_when_both_build():
        while log.getvalue().count("Building") < 2:
            time.sleep(0.05)
        signal.raise_signal(signal.SIGINT)

    threading.Thread(target=interrupt_when_both_build, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        wheels._run_cibuildwheel(Path(sys.executable), PROJECTS / "ext-freethreading", processes, "r1")
    for process in processes:  # each got SIGINT, not SIGKILL, so cibuildwheel could clean up
        assert (process.output / "container-removed").read_text() == "yes"
        assert process.progress.states[process.plan.identifiers[0]]["state"] == "interrupted"
    assert removed == ["io.dualpy.wheels-run=r1"]
    assert signal.getsignal(signal.SIGTERM) is sigterm_handler  # dualpy's SIGTERM handling was temporary


def test_the_first_failure_stops_the_other_process(tmp_path):
    script = FAKE_CIBUILDWHEEL.replace(
        'time.sleep(30)',
        'import os\nif os.environ["FAIL"] in sys.argv[sys.argv.index("--output-dir") + 1]:\n'
        '    print("error: compiler exploded", flush=True); sys.exit(1)\ntime.sleep(30)')
    env = {**_fake_cibuildwheel(tmp_path, script), "FAIL": "out-1"}
    processes, _log = _processes(tmp_path, env)
    started = time.monotonic()
    wheels._run_cibuildwheel(Path(sys.executable), PROJECTS / "ext-freethreading", processes, "r2")
    assert time.monotonic() - started < 20
    gil, t = processes
    assert t.code == 1 and t.failed and "error: compiler exploded" in t.progress.tail
    assert gil.stopped and not gil.failed and (gil.output / "container-removed").read_text() == "yes"


# --- the CLI ---

@pytest.mark.parametrize(
    ("args", "message"),
    [(["/nonexistent"], "no such project"),
     ([str(PROJECTS)], "no pyproject.toml or setup.py"),
     ([str(PROJECTS / "ext-freethreading"), "--python", "3.11"], "no recipe"),
     ([str(PROJECTS / "ext-freethreading"), "--variants", "gil,turbo"], "unknown variant"),
     ([str(PROJECTS / "ext-freethreading"), "--image", "a:1", "--manylinux"], "exclude each other")],
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
    monkeypatch.setattr("dualpy.wheels.host_pip_settings", lambda: PipSettings())

    def down():
        raise EngineUnavailable("no Docker engine answers (refused): start one")

    monkeypatch.setattr("dualpy.engine.client", down)
    argv = ["wheels", "build", str(PROJECTS / "ext-freethreading"), "--python", "3.13",
            "--output-dir", str(tmp_path / "w")]
    assert main(argv) == 2
    assert capsys.readouterr().err.strip().splitlines() == ["error: no Docker engine answers (refused): start one"]
    monkeypatch.setattr("dualpy.engine.client", lambda: object())
    monkeypatch.setattr("dualpy.engine.image_exists", lambda tag: False)
    assert main(argv) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "dualpy/cpython:3.13.15" in line and "dualpy images build --python 3.13.15" in line
    assert not (tmp_path / "w").exists()


def test_print_config_shows_the_merged_settings_without_building(capsys, monkeypatch):
    monkeypatch.setattr("dualpy.wheels.host_pip_settings", lambda: PipSettings(index_url="https://i.example/s"))
    monkeypatch.setattr("dualpy.wheels.venv_python", lambda release: Path(sys.executable))
    monkeypatch.setattr("dualpy.wheels.selected_identifiers", lambda python, project, env: env["CIBW_BUILD"].split())
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
        'DUALPY_PROJECT_ENV="kept" PIP_INDEX_URL=https://i.example/s UV_DEFAULT_INDEX=https://i.example/s')
    assert t["network_settings_via"] == "CIBW_ENVIRONMENT_LINUX"
    assert main([*argv, "--jobs", "1"]) == 0
    (both,) = json.loads(capsys.readouterr().out)["runs"]
    assert both["selected_by_cibuildwheel"] == ["cp313-manylinux_x86_64", "cp313t-manylinux_x86_64"]


def test_describe_config_without_selection_is_pure():
    config = describe_config(Project(Path("/p"), False, {}), [_plan()], {}, None)
    assert config["runs"][0]["selected_by_cibuildwheel"] is None
