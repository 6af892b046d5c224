"""`images build --compiler clang`: clang 19 builds the interpreter; extension builds in the image still use gcc."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.conftest import run_dualpy

pytestmark = pytest.mark.docker

CLANG_IMAGE = "dualpy-test/cpython:3.14.7-gil-clang"

# What setuptools does with sysconfig, in one file: compile and link a C extension with the image's CC and
# LDSHARED, then import it. Exit 0 and one JSON line only if that worked.
EXTENSION_BUILD = r"""
set -eu
mkdir -p /tmp/ext && cd /tmp/ext
cat > spam.c <<'C'
#include <Python.h>
static PyObject *twice(PyObject *self, PyObject *arg) { return PyNumber_Multiply(arg, PyLong_FromLong(2)); }
static PyMethodDef methods[] = {{"twice", twice, METH_O, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "spam", NULL, -1, methods};
PyMODINIT_FUNC PyInit_spam(void) { return PyModule_Create(&module); }
C
python=/opt/python/cp314-cp314/bin/python
var() { "$python" -c "import sysconfig; print(sysconfig.get_config_var('$1') or '')"; }
suffix=$(var EXT_SUFFIX)
$(var CC) $(var CFLAGS) $(var CCSHARED) -I"$("$python" -c 'import sysconfig; print(sysconfig.get_path("include"))')" \
    -c spam.c -o spam.o
$(var LDSHARED) spam.o -o "spam$suffix"
"$python" -c '
import json, platform, sysconfig, spam, shutil
print(json.dumps({"twice": spam.twice(21), "compiler": platform.python_compiler(),
                  "CC": sysconfig.get_config_var("CC"), "LDSHARED": sysconfig.get_config_var("LDSHARED"),
                  "CXX": sysconfig.get_config_var("CXX"), "AR": sysconfig.get_config_var("AR"),
                  "built_with": sysconfig.get_config_var("DUALPY_INTERPRETER_CC"),
                  "clang_on_path": shutil.which("clang-19")}))'
grep -E '^(CC|CXX|AR)=' /opt/python/cp314-cp314/lib/python3.14/config-3.14-x86_64-linux-gnu/Makefile
"""


@pytest.fixture(scope="module")
def clang_image() -> dict:
    """A clang fast build of 3.14's GIL interpreter (about 3 min cold; the layer cache after that)."""
    return json.loads(run_dualpy("images", "build", "--python", "3.14", "--variants", "gil", "--compiler", "clang",
                                 "--tag", CLANG_IMAGE, "--json").stdout)


def test_the_build_report_and_labels_name_clang(clang_image):
    assert clang_image["compiler"] == "clang-19"
    inspected = json.loads(run_dualpy("images", "inspect", CLANG_IMAGE, "--json").stdout)
    labels = inspected["labels"]
    assert labels["io.dualpy.compiler"] == "clang-19"
    assert "CC=clang-19" in labels["io.dualpy.configure.gil"]
    assert "--with-tail-call-interp" in labels["io.dualpy.configure.gil"]
    (interpreter,) = inspected["interpreters"]
    assert interpreter["compiler"].startswith("Clang 19.")
    assert interpreter["CC"] == "gcc"


def test_extensions_compile_with_gcc_from_the_clang_built_interpreter(clang_image):
    result = subprocess.run(["docker", "run", "--rm", "--entrypoint", "/bin/bash", CLANG_IMAGE, "-c", EXTENSION_BUILD],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    facts_line, *makefile = result.stdout.strip().splitlines()
    facts = json.loads(facts_line)
    assert facts["twice"] == 42
    assert facts["compiler"].startswith("Clang 19.")
    assert (facts["CC"], facts["CXX"], facts["AR"]) == ("gcc", "g++", "ar")
    assert facts["LDSHARED"].split()[0] == "gcc" and "lld" not in facts["LDSHARED"]
    assert facts["built_with"] == "clang-19" and facts["clang_on_path"] is None
    assert [line.split("=")[0] for line in makefile] == ["CC", "CXX", "AR"]
    assert "clang" not in " ".join(makefile)
