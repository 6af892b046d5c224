"""A failed build's cause in one line, read from its log (pure)."""

from __future__ import annotations

from dualpy.wheels.diagnose import missing_header, unreachable_download

VIRTUALENV = "https://github.com/pypa/get-virtualenv/releases/download/21.14.13/virtualenv.pyz"

# psutil 7.2.2 on a machine that reaches only the package index (cibuildwheel 4.3.5's own words).
AUDIT_LOG = [
    "Repairing wheel...",
    "    + auditwheel repair -w /tmp/repaired psutil-7.2.2-cp36-abi3-linux_x86_64.whl",
    "::group::Auditing wheel...",
    "",
    f"+ Download {VIRTUALENV} to /root/.cache/cibuildwheel/virtualenv-21.14.13.pyz",
    "urllib.error.URLError: <urlopen error [Errno -3] Temporary failure in name resolution>",
    "cibuildwheel: error: an unexpected error occurred",
]


def test_an_unreachable_download_names_the_step_and_the_url():
    assert unreachable_download(AUDIT_LOG) == (
        f"cibuildwheel's step 'Auditing wheel...' needs {VIRTUALENV}, which this machine cannot reach")
    pip = ["Installing build dependencies...",
           "WARNING: Retrying after connection broken: Max retries exceeded with url: /simple/setuptools/ "
           "(Caused by NewConnectionError) https://pypi.example/simple/setuptools/"]
    assert unreachable_download(pip) == ("cibuildwheel's step 'Installing build dependencies...' needs "
                                         "https://pypi.example/simple/setuptools/, which this machine cannot reach")
    no_step = ["curl: (6) Could not resolve host: example.org while fetching http://example.org/x.tar.gz"]
    assert unreachable_download(no_step) == ("a build step needs http://example.org/x.tar.gz, which this machine "
                                             "cannot reach")


def test_no_network_error_or_no_url_is_no_diagnosis():
    assert unreachable_download(["error: command 'gcc' failed", "see https://example.org/help"]) is None
    assert unreachable_download(["urlopen error [Errno 111] Connection refused"]) is None
    assert unreachable_download([]) is None
    # the URL comes from at or before the error, never after it
    assert unreachable_download(["urlopen error", "+ Download https://late.example/x to y"]) is None


def test_the_last_missing_header_is_named():
    log = ["ext/_yaml.c:1234:10: fatal error: yaml.h: No such file or directory",
           "Error compiling module, falling back to pure Python",
           "src/a.c:1:10: fatal error: ffi/ffi.h: No such file or directory",
           "ERROR: This does not look like a platform wheel"]
    assert missing_header(log) == "ffi/ffi.h"
    assert missing_header(log[:2]) == "yaml.h"
    assert missing_header(["gcc: error: x.c: No such file or directory"]) is None


def test_clang_and_zigs_missing_header_is_named_too():
    """The glibc floor's compiler (zig cc) words it as clang does: cffi 2.1.1 without libffi-dev."""
    log = ["[cp314] src/c/_cffi_backend.c:15:10: fatal error: 'ffi.h' file not found",
           "[cp314]    15 | #include <ffi.h>", "[cp314] 1 error generated."]
    assert missing_header(log) == "ffi.h"
    assert missing_header(["x.c:1:10: fatal error: 'sys/epoll.h' file not found"]) == "sys/epoll.h"
    assert missing_header(["'notes.txt' file not found"]) is None


def test_a_c_extension_that_did_not_compile_is_named_with_its_first_error():
    """pyrsistent 0.20.0 on 3.14: _PyList_Extend is gone, its optional extension falls back to pure Python."""
    from dualpy.wheels.diagnose import compile_error  # noqa: PLC0415

    log = ["[cp314] building 'pvectorc' extension",
           "[cp314] pvectorcmodule.c:1316:22: error: call to undeclared function '_PyList_Extend'; ISO C99 and later "
           "do not support implicit function declarations [-Wimplicit-function-declaration]",
           "[cp314] pvectorcmodule.c:1316:13: error: incompatible integer to pointer conversion",
           "[cp314] WARNING: Could not build the pvectorc extension module.",
           "[cp314] INFO:auditwheel.main_repair:This does not look like a platform wheel, no ELF executable"]
    assert compile_error(log) == (
        "pvectorcmodule.c:1316: call to undeclared function '_PyList_Extend'; ISO C99 and later do not support "
        "implicit function declarations [-Wimplicit-function-declaration]; the build fell back to pure Python, and "
        "auditwheel refuses a pure wheel as a platform wheel")
    assert compile_error(log[:3]).endswith("[-Wimplicit-function-declaration]")
    assert compile_error(["src/x.cpp:7:1: fatal error: too many errors emitted"]) == (
        "src/x.cpp:7: too many errors emitted")
    assert compile_error(["gcc: error: unrecognized command-line option", "error: command failed"]) is None


def test_cibuildwheels_own_error_line_names_the_failed_command():
    """psutil 7.2.2 on 3.15: its own test-command failed; cibuildwheel's last error line says which command."""
    from dualpy.wheels.diagnose import cibuildwheel_error  # noqa: PLC0415

    log = ["[cp315] ERROR: /project/pyproject.toml: config option 'verbosity_subtests' expects one of int",
           "[cp315] cibuildwheel: error: Command ['sh', '-c', 'make -C /project ci-test-cibuildwheel'] failed with "
           "code 2. ", "[cp315t] done"]
    assert cibuildwheel_error(log) == ("Command ['sh', '-c', 'make -C /project ci-test-cibuildwheel'] failed with "
                                       "code 2.")
    assert cibuildwheel_error(["no error here"]) is None
    assert cibuildwheel_error(["cibuildwheel: error: " + "x" * 400]) == "x" * 300 + "…"


# Two cibuildwheel processes share one log, each line marked with its process (psutil 7.2.2 on 3.15, shortened).
SHARED_LOG = [
    "[cp315] ::group::Building wheel...",
    "[cp315t] ::group::Building wheel...",
    "[cp315t] src/_psutil.c:12:10: fatal error: nothing.h: No such file or directory",
    "[cp315] ::group::Testing wheel...",
    "[cp315]     + sh -c 'make -C /project ci-test-cibuildwheel'",
    "[cp315] \x1b[31mERROR: /project/pyproject.toml: config option 'verbosity_subtests' expects one of int\x1b[0m",
    "[cp315] make: *** [Makefile:150: ci-test-cibuildwheel] Error 4",
    "[cp315] cibuildwheel: error: Command ['sh', '-c', 'make -C /project ci-test-cibuildwheel'] failed with code 2.",
]


def test_a_failed_test_command_is_named_by_its_own_last_error_line():
    from dualpy.wheels.diagnose import failed_test  # noqa: PLC0415

    assert failed_test(SHARED_LOG, "[cp315] ") == (
        "ERROR: /project/pyproject.toml: config option 'verbosity_subtests' expects one of int")
    pytest_summary = ["Testing wheel...", "E       assert 2 == 3", "FAILED tests/test_a.py::test_b - assert 2 == 3",
                      "==== 1 failed in 0.2s ====", "cibuildwheel: error: Command ['pytest'] failed with code 1."]
    assert failed_test(pytest_summary) == "FAILED tests/test_a.py::test_b - assert 2 == 3"
    traceback = ["Testing wheel...", "Traceback (most recent call last):", '  File "<string>", line 1',
                 "ModuleNotFoundError: No module named 'psutil._psutil_linux'",
                 "cibuildwheel: error: Command ['python', '-c', 'import psutil'] failed with code 1."]
    assert failed_test(traceback) == "ModuleNotFoundError: No module named 'psutil._psutil_linux'"


def test_another_steps_failure_or_a_silent_test_is_not_blamed_on_the_tests():
    from dualpy.wheels.diagnose import failed_test  # noqa: PLC0415

    assert failed_test(SHARED_LOG, "[cp315t] ") is None  # its process has no cibuildwheel error
    build_failed = ["Testing wheel...", "ERROR: an earlier identifier's output", "Building wheel...",
                    "error: command 'gcc' failed", "cibuildwheel: error: Command ['pip', 'wheel'] failed with code 1."]
    assert failed_test(build_failed) is None  # the failed step is the build, not the test
    silent = ["Testing wheel...", "+ sh -c 'exit 3'", "cibuildwheel: error: Command ['sh'] failed with code 3."]
    assert failed_test(silent) is None
    assert failed_test(["Testing wheel...", "ERROR: " + "x" * 400, "cibuildwheel: error: failed"]) == (
        "ERROR: " + "x" * 293 + "…")
