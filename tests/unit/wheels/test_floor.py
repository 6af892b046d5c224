"""The glibc floor: parsing, the shipped pins, the wrapper scripts, the settings, the one-line failures (pure)."""

from __future__ import annotations

import subprocess
import tomllib
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from cibuildwheel.environment import parse_environment

from dualpy.errors import ChecksumMismatch, ConfigurationError, UsageError
from dualpy.paths import data_dir
from dualpy.wheels import Project, cibuildwheel_environment, process_environment
from dualpy.wheels.compiler import _unpack, ensure_wrappers, volume_arguments, wrappers_dir, zig_dir
from dualpy.wheels.floor import (
    DEFAULT_FLOOR,
    FLOOR_FILE,
    Excess,
    Floor,
    compiler_environment,
    excess_message,
    floor_data,
    floor_excesses,
    log_failure,
    parse_floor,
    parse_floor_data,
    repair_command,
    ways_out,
    wrapper_scripts,
)
from dualpy.wheels.options import container_settings
from tests.unit.wheels.support import PIP_ENV, one_plan

FLOOR_2_28 = Floor((2, 28))
NATIVE = Floor(None)


@pytest.mark.parametrize(("text", "glibc"), [
    ("2_28", (2, 28)), (" manylinux_2_17 ", (2, 17)), ("manylinux2014", (2, 17)), ("2_41", (2, 41)),
    ("native", None)])
def test_floors_parse_to_a_glibc_or_native(text, glibc):
    assert parse_floor(text).glibc == glibc


@pytest.mark.parametrize(("text", "message"), [
    ("2.28", "--manylinux '2.28': give a glibc floor like 2_28 (one of 2_17, 2_24"),
    ("3_1", "give a glibc floor like 2_28"),
    ("2_29", "--manylinux 2_29: auditwheel repairs to 2_17, 2_24, 2_26, 2_27, 2_28, 2_31,"),
    ("manylinux2010", "--manylinux manylinux2010: auditwheel repairs to 2_17"),
    ("manylinux_2_5", "pick one of them, or native"),
    ("Native", "or native")])
def test_a_bad_floor_is_one_usage_line(text, message):
    with pytest.raises(UsageError, match=None) as caught:
        parse_floor(text)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_floor_names_its_policy_and_zig_target():
    assert str(FLOOR_2_28) == DEFAULT_FLOOR == "2_28" and str(NATIVE) == "native"
    assert FLOOR_2_28.policy("aarch64") == "manylinux_2_28_aarch64"
    assert FLOOR_2_28.zig_target("x86_64") == "x86_64-linux-gnu.2.28"
    assert Floor((2, 17)).level == "2.17" and NATIVE.level == ""
    assert NATIVE.native and not FLOOR_2_28.native


def test_the_shipped_pins_cover_both_arches_and_cibuildwheels_default():
    data = floor_data()
    assert data.zig_version == "0.17.1"
    assert set(data.wheels) == {"x86_64", "aarch64"}
    assert all(f"ziglang-{data.zig_version}-" in w.filename and f"_{arch}." in w.filename
               for arch, w in data.wheels.items())
    assert (2, 28) in data.floors and (2, 17) in data.floors
    assert data.floors[(2, 28)].glibcxx == (3, 4, 24) and data.floors[(2, 17)].cxxabi == (1, 3, 7)


def _document() -> dict:
    return tomllib.loads((data_dir("recipes") / FLOOR_FILE).read_text())


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.pop("zig"), "needs [zig] with version"),
    (lambda d: d["zig"]["wheels"].update(riscv64=d["zig"]["wheels"]["x86_64"]), "[zig.wheels.riscv64]: dualpy builds"),
    (lambda d: d["zig"]["wheels"]["x86_64"].update(sha256="ABC"), "sha256 must be 64 lower-case hex digits"),
    (lambda d: d["zig"]["wheels"]["x86_64"].update(filename="../x.whl"), "filename must be a wheel's file name"),
    (lambda d: d["zig"]["wheels"]["x86_64"].pop("sha256"), "must be a table of filename and sha256"),
    (lambda d: d.pop("floors"), "needs a [floors] table"),
    (lambda d: d["floors"].update({"2.28": {"glibcxx": "3.4", "cxxabi": "1.3"}}), "[floors] 2.28: write"),
    (lambda d: d["floors"]["2_28"].update(glibcxx="new"), "[floors] 2_28 glibcxx: must be a version")])
def test_broken_floor_data_is_one_configuration_line(change, message):
    document = _document()
    change(document)
    with pytest.raises(ConfigurationError) as caught:
        parse_floor_data(document, "floor.toml")
    assert str(caught.value).startswith("floor.toml: ") and message in str(caught.value)


def test_wrappers_target_the_floor_and_add_the_image_paths_after_zigs_libc():
    scripts = wrapper_scripts(Floor((2, 17)), "aarch64", "0.17.1")
    assert set(scripts) == {"cc", "c++", "ar", "ranlib", "repair"}
    cc = scripts["cc"]
    assert cc.startswith("#!/bin/sh\n") and "zig 0.17.1 for aarch64-linux-gnu.2.17" in cc
    assert cc.count("exec /dualpy/zig/ziglang/zig cc -target aarch64-linux-gnu.2.17 -fno-sanitize=undefined "
                    "-idirafter /usr/local/include -idirafter /usr/include/aarch64-linux-gnu "
                    "-idirafter /usr/include \"$@\"") == 2
    assert cc.rstrip().endswith('"$@" -L/usr/local/lib -L/usr/lib/aarch64-linux-gnu')
    assert "exec /dualpy/zig/ziglang/zig c++ -target aarch64-linux-gnu.2.17" in scripts["c++"]
    assert scripts["ar"].endswith('exec /dualpy/zig/ziglang/zig ar "$@"\n')
    assert scripts["ranlib"].endswith('exec /dualpy/zig/ziglang/zig ranlib "$@"\n')
    repair = scripts["repair"]
    assert 'auditwheel repair --plat manylinux_2_17_aarch64 -w "$2" "$1" && exit 0' in repair
    assert "dualpy-floor-report: " in repair and "/dualpy/floor/manylinux_audit.py --external" in repair
    assert repair.rstrip().endswith("exit $status")


def _run_wrapper(tmp_path: Path, *args: str) -> list[str]:
    """Run the cc wrapper with zig replaced by a script that prints its arguments, one a line."""
    script = wrapper_scripts(FLOOR_2_28, "x86_64", "0.17.1")["cc"].replace("/dualpy/zig/ziglang/zig",
                                                                           str(tmp_path / "zig"))
    (tmp_path / "zig").write_text('#!/bin/sh\nfor a; do echo "$a"; done\n')
    (tmp_path / "zig").chmod(0o755)
    (tmp_path / "cc").write_text(script)
    (tmp_path / "cc").chmod(0o755)
    return subprocess.run([str(tmp_path / "cc"), *args], capture_output=True, text=True, check=True).stdout.split("\n")


def test_the_cc_wrapper_passes_library_paths_only_when_linking(tmp_path):
    linking = _run_wrapper(tmp_path, "-shared", "a.o", "-o", "a b.so", "-lzstd")
    assert linking[:3] == ["cc", "-target", "x86_64-linux-gnu.2.28"]
    # the project's arguments whole (a space stays inside its argument), the image's library paths after them
    assert linking[-7:-1] == ["a.o", "-o", "a b.so", "-lzstd", "-L/usr/local/lib", "-L/usr/lib/x86_64-linux-gnu"]
    compiling = _run_wrapper(tmp_path, "-c", "a.c", "-o", "a.o")
    assert compiling[-5:-1] == ["-c", "a.c", "-o", "a.o"] and not any(a.startswith("-L") for a in compiling)
    assert "-L/usr/local/lib" not in _run_wrapper(tmp_path, "--version")


def test_compiler_settings_for_a_floor_and_none_for_native():
    env = compiler_environment(FLOOR_2_28, "x86_64")
    assert env["CC"] == "/dualpy/floor/bin/cc" and env["CXX"] == "/dualpy/floor/bin/c++"
    assert env["LDSHARED"] == "/dualpy/floor/bin/cc -shared" and env["LDCXXSHARED"] == "/dualpy/floor/bin/c++ -shared"
    assert env["AR"] == "/dualpy/floor/bin/ar" and env["RANLIB"] == "/dualpy/floor/bin/ranlib"
    assert env["ZIG_GLOBAL_CACHE_DIR"] == env["ZIG_LOCAL_CACHE_DIR"] == "/dualpy/zig-cache"
    assert env["AUDITWHEEL_PLAT"] == "manylinux_2_28_x86_64"
    assert compiler_environment(NATIVE, "x86_64") == {}
    assert repair_command(FLOOR_2_28) == "/dualpy/floor/bin/repair {wheel} {dest_dir}"
    assert repair_command(NATIVE) is None


def test_a_floor_run_mounts_the_compiler_and_repairs_to_the_floor(monkeypatch, tmp_path):
    monkeypatch.setenv("DUALPY_CACHE_DIR", str(tmp_path))
    plan = replace(one_plan(), floor=FLOOR_2_28)
    env = cibuildwheel_environment(plan, Project(Path(), False, {"environment": {"A": "1"}}), PIP_ENV,
                                   host_env={}, run_token="t1")
    assert env["CIBW_CONTAINER_ENGINE_LINUX"] == (
        f"docker; create_args: --label=io.dualpy.wheels-run=t1 --volume={tmp_path}/zig/0.17.1-x86_64:/dualpy/zig:ro "
        f"--volume={tmp_path}/floor/0.17.1-x86_64-linux-gnu.2.28:/dualpy/floor:ro "
        f"--volume={tmp_path}/zig-cache:/dualpy/zig-cache")
    assert env["CIBW_REPAIR_WHEEL_COMMAND_LINUX"] == "/dualpy/floor/bin/repair {wheel} {dest_dir}"
    parsed = parse_environment(env["CIBW_ENVIRONMENT_LINUX"]).as_dictionary({})
    assert parsed["A"] == "1" and parsed["LDSHARED"] == "/dualpy/floor/bin/cc -shared"
    assert parsed["PIP_CERT"] == PIP_ENV["PIP_CERT"] and parsed["AUDITWHEEL_PLAT"] == "manylinux_2_28_x86_64"


def test_a_projects_own_repair_command_is_kept_and_gets_the_floor_by_auditwheel_plat(monkeypatch, tmp_path):
    monkeypatch.setenv("DUALPY_CACHE_DIR", str(tmp_path))
    plan = replace(one_plan(), floor=FLOOR_2_28)
    own = {"repair-wheel-command": "auditwheel repair -w {dest_dir} {wheel} && echo done"}
    assert "CIBW_REPAIR_WHEEL_COMMAND_LINUX" not in cibuildwheel_environment(
        plan, Project(Path(), False, own), {}, host_env={})
    overrides = {"overrides": [{"select": "cp313t-*", "repair-wheel-command": ""}]}
    assert "CIBW_REPAIR_WHEEL_COMMAND_LINUX" not in cibuildwheel_environment(
        plan, Project(Path(), False, overrides), {}, host_env={})
    host = cibuildwheel_environment(plan, Project(Path(), False, {}), {},
                                    host_env={"CIBW_REPAIR_WHEEL_COMMAND": "true"})
    assert "CIBW_REPAIR_WHEEL_COMMAND_LINUX" not in host


def test_the_compiler_travels_by_environment_pass_beside_the_pip_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("DUALPY_CACHE_DIR", str(tmp_path))
    plan = replace(one_plan(), floor=FLOOR_2_28)
    table = {"overrides": [{"select": "cp313t-*", "environment": {"X": "1"}}]}
    env = cibuildwheel_environment(plan, Project(Path(), False, table), PIP_ENV, host_env={})
    assert env["CIBW_ENVIRONMENT_PASS_LINUX"].split()[-2:] == ["ZIG_LOCAL_CACHE_DIR", "AUDITWHEEL_PLAT"]
    assert "CC" in env["CIBW_ENVIRONMENT_PASS_LINUX"].split()
    assert process_environment(env, container_settings(plan, PIP_ENV))["CC"] == "/dualpy/floor/bin/cc"


def test_native_runs_keep_todays_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("DUALPY_CACHE_DIR", str(tmp_path))
    env = cibuildwheel_environment(one_plan(), Project(Path(), False, {}), {}, host_env={}, run_token="t1")
    assert env["CIBW_CONTAINER_ENGINE_LINUX"] == "docker; create_args: --label=io.dualpy.wheels-run=t1"
    assert "CIBW_REPAIR_WHEEL_COMMAND_LINUX" not in env and "CIBW_ENVIRONMENT_LINUX" not in env
    assert volume_arguments(NATIVE, "x86_64") == []


def test_a_cache_path_docker_cannot_mount_is_one_usage_line(monkeypatch, tmp_path):
    monkeypatch.setenv("DUALPY_CACHE_DIR", str(tmp_path / "a:b"))
    with pytest.raises(UsageError, match="set DUALPY_CACHE_DIR to a plain path"):
        volume_arguments(FLOOR_2_28, "x86_64")


def test_wrappers_are_written_once_executable_with_the_audit_probe(monkeypatch, tmp_path):
    monkeypatch.setenv("DUALPY_CACHE_DIR", str(tmp_path))
    written = ensure_wrappers(FLOOR_2_28, "x86_64")
    assert written == wrappers_dir(FLOOR_2_28, "x86_64") == tmp_path / "floor" / "0.17.1-x86_64-linux-gnu.2.28"
    assert sorted(p.name for p in (written / "bin").iterdir()) == ["ar", "c++", "cc", "ranlib", "repair"]
    assert all((written / "bin" / name).stat().st_mode & 0o777 == 0o755 for name in ("cc", "repair"))
    assert "def external(path" in (written / "manylinux_audit.py").read_text()
    (written / "bin" / "cc").write_text("stale")
    ensure_wrappers(FLOOR_2_28, "x86_64")
    assert (written / "bin" / "cc").read_text().startswith("#!/bin/sh")
    assert not [p for p in written.parent.iterdir() if p.name.startswith(".")]  # no temp dir left behind
    assert zig_dir("aarch64") == tmp_path / "zig" / "0.17.1-aarch64"


def test_unpacking_keeps_executable_bits_and_refuses_escaping_names(tmp_path):
    wheel = tmp_path / "w.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        info = zipfile.ZipInfo("ziglang/zig")
        info.external_attr = 0o755 << 16
        archive.writestr(info, "#!/bin/sh\n")
        archive.writestr("ziglang/lib/x.h", "int x;\n")
    _unpack(wheel, tmp_path / "out")
    assert (tmp_path / "out" / "ziglang" / "zig").stat().st_mode & 0o111
    assert not (tmp_path / "out" / "ziglang" / "lib" / "x.h").stat().st_mode & 0o111
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("../escape", "x")
    with pytest.raises(ChecksumMismatch, match="leaves the unpack directory"):
        _unpack(wheel, tmp_path / "out2")


LIMITS = floor_data().floors[(2, 28)]


def test_excesses_name_the_wheels_symbols_and_the_libraries_it_links():
    entry = {
        "wheel": "x.whl",
        "symbols": {"libc.so.6": {"GLIBC_2.2.5": ["malloc"], "GLIBC_2.34": ["pthread_create"]},
                    "libstdc++.so.6": {"GLIBCXX_3.4.30": ["_ZSt28__throw"], "GLIBCXX_3.4.21": ["ok"],
                                       "CXXABI_1.3.13": ["__cxa_x"]}},
        "external": {"libzstd.so.1": {"path": "/usr/lib/libzstd.so.1",
                                      "symbols": {"libc.so.6": {"GLIBC_2.33": ["fstat"], "GLIBC_2.14": ["memcpy"]}}},
                     "libgone.so.1": {"path": None, "symbols": {}}, "odd": "not a table"},
    }
    found = floor_excesses(entry, FLOOR_2_28, LIMITS)
    assert found[0] == Excess("GLIBC_2.33", "fstat", "libzstd.so.1")  # the library first: the usual way out
    assert set(found[1:]) == {Excess("GLIBC_2.34", "pthread_create"), Excess("GLIBCXX_3.4.30", "_ZSt28__throw"),
                              Excess("CXXABI_1.3.13", "__cxa_x")}
    assert floor_excesses(entry, Floor((2, 41)), floor_data().floors[(2, 41)]) == []
    assert floor_excesses(entry, NATIVE, None) == []
    assert Excess("GLIBCXX_3.4.30", "x") not in floor_excesses(entry, FLOOR_2_28, None)  # no limits: glibc only
    assert floor_excesses({}, FLOOR_2_28, LIMITS) == []


def test_the_excess_message_is_one_line_with_the_ways_out():
    library = Excess("GLIBC_2.34", "fstat", "libzstd.so.1")
    message = excess_message("x-1-cp314-cp314-linux_x86_64.whl", FLOOR_2_28, "x86_64",
                             [library, Excess("GLIBC_2.33", "stat")])
    assert message == (
        "x-1-cp314-cp314-linux_x86_64.whl cannot be manylinux_2_28_x86_64: libzstd.so.1 (from the image; "
        "fstat@GLIBC_2.34) needs glibc 2.34 (and 1 more); ways out: build the library from source in before-all "
        "(it then links at the floor), --manylinux 2_34, or --manylinux native (the image's glibc)")
    cxx = excess_message("y.whl", FLOOR_2_28, "x86_64", [Excess("GLIBCXX_3.4.30", "_Z1f")])
    assert cxx.startswith("y.whl cannot be manylinux_2_28_x86_64: _Z1f@GLIBCXX_3.4.30 needs a libstdc++ newer "
                          "than manylinux_2_28_x86_64 allows; ways out: ")
    assert "a higher --manylinux floor" in cxx
    assert Excess("CXXABI_1.3.13", "x").glibc is None and Excess("GLIBC_2.4", "x").glibc == "2.4"
    assert ways_out("2.31").endswith("--manylinux 2_31, or --manylinux native (the image's glibc)")


@pytest.mark.parametrize(("line", "expected"), [
    ("src/m.c:9:12: error: call to undeclared function 'arc4random'; ISO C99 and later do not support",
     "building cp314-manylinux_x86_64 for manylinux_2_28_x86_64: arc4random is not in glibc 2.28"),
    ("ld.lld: error: undefined symbol: getrandom_new", "getrandom_new is not in glibc 2.28"),
    ('error: unable to find dynamic system library "zstd" using strategy paths_first',
     "zig found no library 'zstd' in /usr/local/lib or /usr/lib/x86_64-linux-gnu; install it in before-all"),
    ("error: command 'gcc' failed", None)])
def test_log_failures_of_a_floor_build(line, expected):
    found = log_failure(["Building cp314-manylinux_x86_64 wheel", line], FLOOR_2_28, "x86_64",
                        "cp314-manylinux_x86_64")
    if expected is None:
        assert found is None
    else:
        assert found is not None and expected in found and "\n" not in found
    assert log_failure([line], NATIVE, "x86_64", "cp314-manylinux_x86_64") is None
