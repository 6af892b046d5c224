"""`images build --target runtime`: both interpreters, the launcher and pip, no compiler; inspect and launcher work.

The builder stages are the full image's (same Dockerfile text up to the assemble stage), so once
`dualpy/cpython:3.13.15` exists this build takes them from the layer cache. The launcher's own integration tests
run here a second time, on the runtime image (this module's `dual_image` fixture names it).
"""

from __future__ import annotations

import json
import os

import pytest

from dualpy import engine
from tests.conftest import DUAL_IMAGE_PYTHON, run_dualpy
from tests.integration.test_launcher import (  # noqa: F401  (collected again here, on the runtime image)
    test_absent_version_is_an_error_listing_installed,
    test_each_rule_picks_the_matching_build,
    test_exit_codes_stdin_arguments_and_signals_pass_through,
    test_first_x_gil_wins_as_in_cpython,
    test_hostile_version_files_are_refused_in_one_line,
    test_inspect_lists_the_launcher_and_its_default,
    test_python3_link_and_debug_line,
    test_python_gil_0_on_a_gil_build_is_one_clear_error,
)

pytestmark = pytest.mark.docker

RUNTIME_TAG = os.environ.get("DUALPY_TEST_RUNTIME_IMAGE", f"dualpy/cpython:{DUAL_IMAGE_PYTHON}-runtime")


@pytest.fixture(scope="module")
def runtime_image() -> str:
    report = json.loads(run_dualpy("images", "build", "--python", DUAL_IMAGE_PYTHON, "--target", "runtime",
                                   "--tag", RUNTIME_TAG, "--json").stdout)
    assert report["tag"] == RUNTIME_TAG
    return RUNTIME_TAG


@pytest.fixture(scope="module")
def dual_image(runtime_image: str) -> str:
    """The launcher tests imported above take `dual_image`: here it is the runtime image."""
    return runtime_image


def sh(image: str, script: str) -> engine.RunResult:
    return engine.run(image, ["/bin/sh", "-c", script], entrypoint=[])


def test_inspect_sees_both_builds_and_the_runtime_label(runtime_image: str) -> None:
    facts = json.loads(run_dualpy("images", "inspect", runtime_image, "--json").stdout)
    builds = {row["Py_GIL_DISABLED"]: row for row in facts["interpreters"]}
    assert set(builds) == {0, 1}
    assert builds[1]["gil_enabled"] is False
    assert facts["labels"]["io.dualpy.target"] == "runtime"


def test_no_compiler_no_headers_no_build_tools(runtime_image: str) -> None:
    result = sh(runtime_image, "for t in cc gcc make ld auditwheel patchelf; do command -v $t; done; "
                               "ls -d /opt/python/*/include /opt/_internal /usr/include/openssl 2>/dev/null; true")
    assert result.stdout.strip() == ""


def test_stdlib_extensions_load_in_both_builds(runtime_image: str) -> None:
    imports = "import ssl, sqlite3, ctypes, decimal, lzma, bz2, zlib, readline, dbm.gnu, uuid, json; print('ok')"
    for python in ("python3.13", "python3.13t"):
        result = sh(runtime_image, f'{python} -c "{imports}"')
        assert result.exit_code == 0 and result.stdout.strip() == "ok", result.stderr


def test_a_venv_installs_a_wheel_with_pip(runtime_image: str) -> None:
    script = ("python3.13t -m venv /tmp/v && "
              "/tmp/v/bin/python -m pip install --no-index --force-reinstall --disable-pip-version-check "
              "/opt/python/cp313-cp313t/lib/python3.13t/ensurepip/_bundled/pip-*.whl >/dev/null && "
              "/tmp/v/bin/python -c 'import pip, sys; print(sys._is_gil_enabled())'")
    result = sh(runtime_image, script)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "False"
