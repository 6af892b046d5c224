"""One image holding several Pythons (manylinux layout): every interpreter, labels per release, launcher, dedupe.

The Pythons come from DUALPY_TEST_MULTI_PYTHON (default 3.13,3.14,3.15: the CI image that doubles as the 3.14 and
3.15 image); the tag from DUALPY_TEST_MULTI_IMAGE (default: the tag `images build` gives it).
"""

from __future__ import annotations

import json

import pytest

from dualpy import engine
from dualpy.images import resolve_pythons
from tests.conftest import MULTI_PYTHON, run_dualpy

pytestmark = pytest.mark.docker

@pytest.fixture(scope="module")
def releases():
    return resolve_pythons(MULTI_PYTHON)


@pytest.fixture(scope="module")
def inspected(multi_image):
    return json.loads(run_dualpy("images", "inspect", multi_image, "--json").stdout)


def test_every_release_has_both_interpreters(inspected, releases):
    rows = {r["path"].split("/")[3]: r for r in inspected["interpreters"]}
    expected = {f"cp{p.recipe.minor.nodot}-cp{p.recipe.minor.nodot}{t}" for p in releases for t in ("", "t")}
    assert set(rows) == expected
    for python in releases:
        nodot = python.recipe.minor.nodot
        gil, freethreaded = rows[f"cp{nodot}-cp{nodot}"], rows[f"cp{nodot}-cp{nodot}t"]
        assert gil["version"] == freethreaded["version"] == python.version
        assert (gil["Py_GIL_DISABLED"], gil["gil_enabled"]) == (0, True)
        assert (freethreaded["Py_GIL_DISABLED"], freethreaded["gil_enabled"]) == (1, False)
        assert f"cp{nodot}-cp{nodot}t-manylinux_2_36_x86_64" in freethreaded["tags"]


def test_labels_name_each_release_and_its_checksum(inspected, releases):
    labels = inspected["labels"]
    assert labels["io.dualpy.cpython.releases"] == ",".join(p.version for p in releases)
    for python in releases:
        assert labels[f"io.dualpy.cpython.{python.recipe.minor}.sha256"] == python.release.sha256
    finals = [p for p in releases if not p.is_prerelease]
    assert labels["io.dualpy.cpython.version"] == (finals or list(releases))[-1].version


def test_launcher_lists_all_and_defaults_to_the_newest_final_gil_build(multi_image, inspected, releases):
    default = [p for p in releases if not p.is_prerelease][-1].recipe.minor
    oldest = releases[0].recipe.minor
    assert set(inspected["launcher"]["interpreters"]) == {f"{p.recipe.minor}{t}" for p in releases for t in ("", "t")}
    script = f"""
set -e
probe='import sys, sysconfig; print("%d.%d" % sys.version_info[:2], sysconfig.get_config_var("Py_GIL_DISABLED"))'
cd /tmp
python -c "$probe"
python -X gil=0 -c "$probe"
DUALPY_PYTHON={oldest}t python -c "$probe"
mkdir -p pinned && cd pinned && echo {oldest} > .python-version && python -c "$probe"
"""
    result = engine.run(multi_image, ["/bin/bash", "-c", script])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.split("\n")[:4] == [f"{default} 0", f"{default} 1", f"{oldest} 1", f"{oldest} 0"]


def test_tools_wrappers_and_dedupe_cover_every_interpreter(multi_image, releases):
    lines = ["set -e"]
    for python in releases:
        minor, nodot = python.recipe.minor, python.recipe.minor.nodot
        lines += [f"python{minor} -c 'import build, packaging'", f"python{minor}t -c 'import build, packaging'",
                  f"test $(stat -c %i /opt/python/cp{nodot}-cp{nodot}/lib/python{minor}/os.py) = "
                  f"$(stat -c %i /opt/python/cp{nodot}-cp{nodot}t/lib/python{minor}t/os.py)"]
    lines += ["uv --version >/dev/null", "auditwheel --version >/dev/null", "cat /opt/python/.dualpy-dedupe.json"]
    result = engine.run(multi_image, ["/bin/bash", "-c", "\n".join(lines)])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["bytes_saved"] > 10_000_000 * len(releases)
