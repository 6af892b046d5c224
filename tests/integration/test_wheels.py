"""`dualpy wheels build` with the real dual image and real cibuildwheel, on the five test projects."""

from __future__ import annotations

import json
import zipfile

import pytest

from tests.conftest import PROJECTS_DIR, run_dualpy

pytestmark = pytest.mark.docker


def wheel_names(results, project):
    return sorted(w["filename"] for w in results[project]["wheels"])


def extension_members(path):
    with zipfile.ZipFile(path) as archive:
        return [n for n in archive.namelist() if n.endswith(".so")]


@pytest.mark.parametrize("project,module", [("ext-freethreading", "dualpy_ft_ok"), ("ext-gil-only", "dualpy_gil_only"),
                                            ("uv-frontend", "dualpy_uv_built")])
def test_extension_projects_get_a_gil_and_a_t_wheel(test_wheelhouse, project, module):
    wheelhouse, results = test_wheelhouse
    gil, t = wheel_names(results, project)
    assert "-cp313-cp313-manylinux" in gil and "-cp313-cp313t-manylinux" in t
    assert extension_members(wheelhouse / t) == [f"{module}.cpython-313t-x86_64-linux-gnu.so"]
    assert extension_members(wheelhouse / gil) == [f"{module}.cpython-313-x86_64-linux-gnu.so"]
    states = results[project]["identifiers"]
    assert states["cp313-manylinux_x86_64"]["state"] == states["cp313t-manylinux_x86_64"]["state"] == "built"
    assert results[project]["cibuildwheel_versions"] == ["3.4.1"]


def test_pure_project_gets_one_universal_wheel(test_wheelhouse):
    _, results = test_wheelhouse
    (wheel,) = results["pure-python"]["wheels"]
    assert wheel["filename"] == "dualpy_pure-1.0.0-py3-none-any.whl"
    assert wheel["variant"] == "both" and "serves the GIL and the free-threaded build" in wheel["note"]


def test_abi3_project_gets_abi3_for_gil_and_a_cp313t_wheel(test_wheelhouse):
    wheelhouse, results = test_wheelhouse
    abi3, t = wheel_names(results, "ext-abi3")
    assert "-cp313-abi3-manylinux" in abi3 and "-cp313-cp313t-manylinux" in t
    assert extension_members(wheelhouse / abi3) == ["dualpy_abi3.abi3.so"]
    assert extension_members(wheelhouse / t) == ["dualpy_abi3.cpython-313t-x86_64-linux-gnu.so"]
    notes = {w["filename"]: w for w in results["ext-abi3"]["wheels"]}
    assert notes[abi3]["variant"] == "gil" and "cpython#111506" in notes[abi3]["note"]


def test_uv_frontend_project_ran_its_test_command(test_wheelhouse):
    _, results = test_wheelhouse
    log = open(results["uv-frontend"]["log"]).read()
    assert log.count("uv test ok") >= 2
    assert "--installer=uv" in log or "uv pip" in log or "build[uv]" in log


def test_manifest_lists_every_wheel_with_its_provenance(test_wheelhouse):
    wheelhouse, results = test_wheelhouse
    manifest = json.loads((wheelhouse / "dualpy-manifest.json").read_text())
    files = sorted(p.name for p in wheelhouse.glob("*.whl"))
    assert sorted(w["filename"] for w in manifest["wheels"]) == files
    assert len(files) == 9
    for wheel in manifest["wheels"]:
        assert wheel["image"] == "dualpy/cpython:3.13.15" and wheel["image_id"].startswith("sha256:")
        assert wheel["python"] == "3.13" and len(wheel["sha256"]) == 64
        assert wheel["built_by"] in ("cibuildwheel 3.4.1", "build (pure Python)")


def test_failed_build_leaves_the_wheelhouse_untouched(dual_image, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "pyproject.toml").write_text((PROJECTS_DIR / "ext-freethreading" / "pyproject.toml").read_text())
    (broken / "setup.py").write_text((PROJECTS_DIR / "ext-freethreading" / "setup.py").read_text())
    (broken / "src").mkdir()
    (broken / "src" / "dualpy_ft_ok.c").write_text("#error this extension does not compile\n")
    wheelhouse = tmp_path / "wheelhouse"
    wheelhouse.mkdir()
    (wheelhouse / "keep.txt").write_text("keep")
    result = run_dualpy("wheels", "build", str(broken), "--python", "3.13", "--image", dual_image,
                        "--output-dir", str(wheelhouse), check=False)
    assert result.returncode == 1
    assert "cp313-manylinux_x86_64: failed" in result.stderr and "full log:" in result.stderr
    assert sorted(p.name for p in wheelhouse.iterdir()) == ["keep.txt"]


def test_missing_image_names_the_command_that_builds_it(tmp_path):
    result = run_dualpy("wheels", "build", str(PROJECTS_DIR / "ext-freethreading"), "--python", "3.13",
                        "--image", "dualpy/cpython:0.0-absent", "--output-dir", str(tmp_path / "w"), check=False)
    assert result.returncode == 2 and "dualpy images build" in result.stderr
    assert not (tmp_path / "w").exists()
