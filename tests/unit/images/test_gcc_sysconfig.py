"""images/scripts/gcc-sysconfig.py: a clang-built interpreter's sysconfig names gcc for extension builds."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "images" / "scripts" / "gcc-sysconfig.py"


@pytest.fixture(scope="module")
def script():
    loader = importlib.util.spec_from_file_location("gcc_sysconfig", SCRIPT)
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("value", "expected"), [
    ("clang-19", "gcc"),
    ("clang++-19", "g++"),
    ("clang-19 -pthread -shared", "gcc -pthread -shared"),
    ("/usr/bin/llvm-ar-19", "ar"),
    ("clang-19 -E", "gcc -E"),
    ("$(CC) -shared -fuse-ld=lld $(PY_LDFLAGS)", "$(CC) -shared $(PY_LDFLAGS)"),
    ("gcc -pthread", "gcc -pthread"),
    ("-I/opt/clang-19-headers", "-I/opt/clang-19-headers"),
])
def test_clang_tools_become_gcc_ones(script, value, expected):
    assert script.gcc_value(value) == expected


def test_only_the_tool_variables_change_and_the_old_compiler_is_kept(script):
    variables = {"CC": "clang-19", "CXX": "clang++-19", "LDSHARED": "clang-19 -shared", "AR": "/usr/bin/llvm-ar-19",
                 "CONFIG_ARGS": "'CC=clang-19' '--with-lto'", "SIZEOF_INT": 4}
    changed = script.retarget(variables)
    assert (changed["CC"], changed["CXX"], changed["LDSHARED"], changed["AR"]) == ("gcc", "g++", "gcc -shared", "ar")
    assert changed["CONFIG_ARGS"] == variables["CONFIG_ARGS"] and changed["SIZEOF_INT"] == 4
    assert changed["DUALPY_INTERPRETER_CC"] == "clang-19"


def test_files_are_rewritten_in_place(script, tmp_path):
    data = tmp_path / "_sysconfigdata__linux_x86_64-linux-gnu.py"
    data.write_text("build_time_vars = {'CC': 'clang-19', 'LDSHARED': 'clang-19 -shared', 'OPT': '-O3'}\n")
    script.rewrite_sysconfigdata(data)
    namespace = {}
    exec(data.read_text(), namespace)  # noqa: S102
    assert namespace["build_time_vars"] == {"CC": "gcc", "LDSHARED": "gcc -shared", "OPT": "-O3",
                                            "DUALPY_INTERPRETER_CC": "clang-19"}
    makefile = tmp_path / "Makefile"
    makefile.write_text("CC=\t\tclang-19\nCXX=\t\tclang++-19\nCONFIG_ARGS=\t'CC=clang-19'\nOPT=\t\t-O3\n")
    script.rewrite_makefile(makefile)
    assert makefile.read_text() == "CC=\t\tgcc\nCXX=\t\tg++\nCONFIG_ARGS=\t'CC=clang-19'\nOPT=\t\t-O3\n"


def test_it_refuses_an_interpreter_from_another_prefix(tmp_path):
    result = subprocess.run([sys.executable, "-I", "-B", str(SCRIPT), str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 1 and "run it with the interpreter under" in result.stderr
