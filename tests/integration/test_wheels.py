"""`dualpy wheels build` with the real dual image and real cibuildwheel 3.4.1, on the five test projects
(and real cibuildwheel 4.3.5 choosing the 3.14/3.15 identifiers of a three-minor request).

The five projects are built once per session (`test_wheelhouse` in tests/conftest.py); one cibuildwheel run
per project builds both of its wheels.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from dualpy.sources.recipes import find_release
from tests.conftest import PROJECTS_DIR, run_dualpy

pytestmark = pytest.mark.docker

X86 = "x86_64"


def wheel_names(results, project):
    return sorted(w["filename"] for w in results[project]["wheels"])


def extension_members(path):
    with zipfile.ZipFile(path) as archive:
        return [n for n in archive.namelist() if n.endswith(".so")]


@pytest.mark.parametrize(("project", "module"), [("ext-freethreading", "dualpy_ft_ok"),
                                                 ("ext-gil-only", "dualpy_gil_only"),
                                                 ("uv-frontend", "dualpy_uv_built")])
def test_extension_projects_get_a_gil_and_a_t_wheel(test_wheelhouse, project, module):
    wheelhouse, results = test_wheelhouse
    gil, t = wheel_names(results, project)
    assert "-cp313-cp313-manylinux" in gil and "-cp313-cp313t-manylinux" in t
    assert extension_members(wheelhouse / t) == [f"{module}.cpython-313t-{X86}-linux-gnu.so"]
    assert extension_members(wheelhouse / gil) == [f"{module}.cpython-313-{X86}-linux-gnu.so"]
    states = results[project]["identifiers"]
    assert states[f"cp313-manylinux_{X86}"]["state"] == states[f"cp313t-manylinux_{X86}"]["state"] == "built"
    assert results[project]["cibuildwheel_versions"] == ["3.4.1"]


def test_pure_project_gets_one_universal_wheel_that_serves_both(test_wheelhouse):
    _, results = test_wheelhouse
    (wheel,) = results["pure-python"]["wheels"]
    assert wheel["filename"] == "dualpy_pure-1.0.0-py3-none-any.whl"
    assert wheel["variant"] == "both" and "serves the GIL and the free-threaded build" in wheel["note"]
    assert {s["state"] for s in results["pure-python"]["identifiers"].values()} == {
        "served by the py3-none-any wheel"}
    assert not (PROJECTS_DIR / "pure-python" / "build").exists()  # built from a copy, not in the tree


def test_abi3_project_gets_abi3_for_gil_and_a_cp313t_wheel_and_says_why(test_wheelhouse):
    wheelhouse, results = test_wheelhouse
    abi3, t = wheel_names(results, "ext-abi3")
    assert "-cp313-abi3-manylinux" in abi3 and "-cp313-cp313t-manylinux" in t
    assert extension_members(wheelhouse / abi3) == ["dualpy_abi3.abi3.so"]
    assert extension_members(wheelhouse / t) == [f"dualpy_abi3.cpython-313t-{X86}-linux-gnu.so"]
    records = {w["filename"]: w for w in results["ext-abi3"]["wheels"]}
    assert records[abi3]["variant"] == "gil" and "cpython#111506" in records[abi3]["note"]
    assert records[t]["variant"] == "freethreaded"


def test_uv_frontend_project_keeps_its_own_settings_and_reaches_the_index_through_the_host_ca(test_wheelhouse):
    _, results = test_wheelhouse
    log = Path(results["uv-frontend"]["log"]).read_text()
    assert "--installer=uv" in log
    assert log.count("before-build ran with DUALPY_PROJECT_ENV=kept") == 2  # its environment survived the merge
    assert log.count("uv test ok kept 3.13.15") == 2  # its test-command ran in both interpreters
    assert "SSL_CERT_FILE=/host/" in log.splitlines()[0]


def test_manifest_lists_every_wheel_with_its_provenance(test_wheelhouse, dual_image):
    wheelhouse, results = test_wheelhouse
    manifest = json.loads((wheelhouse / "dualpy-manifest.json").read_text())
    files = sorted(p.name for p in wheelhouse.glob("*.whl"))
    assert sorted(w["filename"] for w in manifest["wheels"]) == files
    assert len(files) == 9  # 2 x 4 extension projects + 1 universal
    image_id = subprocess.run(["docker", "image", "inspect", "--format", "{{.Id}}", dual_image],
                              capture_output=True, text=True, check=True).stdout.strip()
    for wheel in manifest["wheels"]:
        assert wheel["python"] == "3.13" and len(wheel["sha256"]) == 64 and wheel["cibuildwheel"] == "3.4.1"
        if wheel["variant"] != "both":
            assert wheel["image"] == dual_image and wheel["image_id"] == image_id
            assert wheel["built_by"] == "cibuildwheel 3.4.1"
    assert not [p for p in wheelhouse.iterdir() if p.name.startswith(".")]


def test_print_config_selection_comes_from_cibuildwheel_itself(dual_image):
    argv = ["wheels", "build", str(PROJECTS_DIR / "ext-abi3"), "--python", "3.13", "--image", dual_image,
            "--print-config"]
    (both,) = json.loads(run_dualpy(*argv, "--jobs", "1").stdout)["runs"]
    assert both["selected_by_cibuildwheel"] == [f"cp313-manylinux_{X86}", f"cp313t-manylinux_{X86}"]
    gil, t = json.loads(run_dualpy(*argv, "--jobs", "2").stdout)["runs"]
    assert (gil["selected_by_cibuildwheel"], t["selected_by_cibuildwheel"]) == (
        [f"cp313-manylinux_{X86}"], [f"cp313t-manylinux_{X86}"])


def test_an_sdist_is_built_like_a_tree(dual_image, tmp_path):
    subprocess.run([sys.executable, "-m", "build", "--sdist", "--outdir", str(tmp_path / "dist"),
                    str(PROJECTS_DIR / "ext-gil-only")], check=True, capture_output=True)
    (sdist,) = (tmp_path / "dist").glob("*.tar.gz")
    result = run_dualpy("wheels", "build", str(sdist), "--python", "3.13", "--image", dual_image,
                        "--variants", "freethreaded", "--output-dir", str(tmp_path / "w"), "--json")
    (wheel,) = json.loads(result.stdout)["wheels"]
    assert wheel["filename"].startswith("dualpy_gil_only-1.0.0-cp313-cp313t-manylinux")


def test_failed_build_leaves_the_wheelhouse_untouched(dual_image, tmp_path):
    broken = tmp_path / "broken"
    (broken / "src").mkdir(parents=True)
    for name in ("pyproject.toml", "setup.py"):
        (broken / name).write_text((PROJECTS_DIR / "ext-freethreading" / name).read_text())
    (broken / "src" / "dualpy_ft_ok.c").write_text("#error this extension does not compile\n")
    wheelhouse = tmp_path / "wheelhouse"
    wheelhouse.mkdir()
    (wheelhouse / "keep.txt").write_text("keep")
    result = run_dualpy("wheels", "build", str(broken), "--python", "3.13", "--image", dual_image,
                        "--output-dir", str(wheelhouse), check=False)
    assert result.returncode == 3  # a build error, not a failed verdict
    assert f"cp313-manylinux_{X86}: failed after" in result.stderr
    assert "this extension does not compile" in result.stderr  # the log's tail
    assert re.search(r"full log: \S+\.log", result.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken", "wheelhouse"]
    assert sorted(p.name for p in wheelhouse.iterdir()) == ["keep.txt"]


def test_a_failing_test_command_is_named_by_its_own_error_line(dual_image, tmp_path):
    """The wheels build, the project's tests fail: the one line quotes the tests' error, not the shell command."""
    failing = "python -c 'import dualpy_ft_ok; raise AssertionError(\"the tests found a bug\")'"
    result = run_dualpy("wheels", "build", str(PROJECTS_DIR / "ext-freethreading"), "--python", "3.13", "--image",
                        dual_image, "--variants", "gil", "--test-command", failing,
                        "--output-dir", str(tmp_path / "wheelhouse"), check=False)
    assert result.returncode == 3, result.stderr[-3000:]
    last = result.stderr.strip().splitlines()[-1]
    assert "the wheel built, but the project's test-command failed (AssertionError: the tests found a bug)" in last
    assert not (tmp_path / "wheelhouse").exists()


def test_ctrl_c_stops_cibuildwheel_and_its_container_and_writes_nothing(dual_image, tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "dualpy", "wheels", "build", str(PROJECTS_DIR / "ext-freethreading"), "--python",
         "3.13", "--image", dual_image, "--output-dir", str(tmp_path / "wheelhouse")],
        stderr=subprocess.PIPE, text=True,
    )
    seen = []
    for line in process.stderr:
        seen.append(line)
        if ": building" in line:
            time.sleep(1)  # the container is up and compiling
            process.send_signal(signal.SIGINT)
            break
    seen += process.stderr.readlines()
    assert process.wait(timeout=120) == 130, "".join(seen)
    token = re.search(r"wheels-(\S+)\.log", "".join(seen))[1]
    left = subprocess.run(["docker", "ps", "-aq", "--filter", f"label=io.dualpy.wheels-run={token}"],
                          capture_output=True, text=True, check=True).stdout.split()
    assert left == []
    assert list(tmp_path.iterdir()) == []


def test_missing_image_names_the_command_that_builds_it(tmp_path):
    result = run_dualpy("wheels", "build", str(PROJECTS_DIR / "ext-freethreading"), "--python", "3.13",
                        "--image", "dualpy/cpython:3.13.0-absent", "--output-dir", str(tmp_path / "w"), check=False)
    # the command names the release --python 3.13 resolved to: no recipe makes a 3.13.0, so the tag's would not run
    release = find_release("3.13")[1].version
    assert result.returncode == 2 and f"dualpy images build --python {release} --tag dualpy/cpython:3.13.0-absent" in (
        result.stderr)
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "w").exists()


def test_three_minors_plan_two_releases_and_each_selects_exactly_its_identifiers(dual_image):
    """Real cibuildwheel 3.4.1 and 4.3.5 pick exactly the named identifiers (4.3.5 knows cp315; no image needed)."""
    argv = ["wheels", "build", str(PROJECTS_DIR / "ext-freethreading"), "--python", "3.13,3.14,3.15",
            "--image", dual_image, "--print-config", "--jobs", "1"]
    old, new = json.loads(run_dualpy(*argv).stdout)["runs"]
    assert (old["cibuildwheel"], new["cibuildwheel"]) == ("3.4.1", "4.3.5")
    assert old["selected_by_cibuildwheel"] == [f"cp313-manylinux_{X86}", f"cp313t-manylinux_{X86}"]
    assert new["selected_by_cibuildwheel"] == [f"cp314-manylinux_{X86}", f"cp314t-manylinux_{X86}",
                                               f"cp315-manylinux_{X86}", f"cp315t-manylinux_{X86}"]
    assert old["cibuildwheel_environment"]["CIBW_ENABLE"] == "cpython-freethreading"
    assert "CIBW_ENABLE" not in new["cibuildwheel_environment"]
