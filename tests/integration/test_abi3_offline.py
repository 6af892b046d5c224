"""An abi3 project builds for 3.14 with cibuildwheel 4.x and no network beyond the package index (about a minute).

cibuildwheel 4.x's own abi3 audit downloads virtualenv.pyz from GitHub; dualpy switches it off and runs abi3audit
from its cached venv instead. The cp313-abi3 wheel built for 3.14 is filed under 3.14 in the manifest, pairing and
readiness (no phantom 3.13 group beside the cp314t wheel).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import PROJECTS_DIR, run_dualpy

pytestmark = pytest.mark.docker


def test_an_abi3_project_builds_offline_and_is_filed_under_the_python_it_was_built_for(multi_image, tmp_path):
    wheelhouse = tmp_path / "wheelhouse"
    built = run_dualpy("wheels", "build", str(PROJECTS_DIR / "ext-abi3"), "--python", "3.14", "--image", multi_image,
                       "--output-dir", str(wheelhouse), "--json")
    document = json.loads(built.stdout)
    assert document["cibuildwheel_versions"] == ["4.3.5"]
    log = Path(document["log"]).read_text()
    assert "virtualenv.pyz" not in log  # cibuildwheel's own audit never ran
    assert re.search(r"# dualpy: abi3audit \(in cibuildwheel 4\.x's place\): dualpy_abi3-1\.0\.0-cp313-abi3-\S+\.whl: "
                     r"abi3audit: only limited-API symbols", log), log[-2000:]
    manifest = json.loads((wheelhouse / "dualpy-manifest.json").read_text())
    pythons = {w["filename"].split("-")[3]: w["python"] for w in manifest["wheels"]}
    assert pythons == {"abi3": "3.14", "cp314t": "3.14"}

    verified = run_dualpy("verify", "wheels", str(wheelhouse), "--json")
    results = json.loads(verified.stdout)["results"]
    subjects = {(r["check"], r["subject"]): r["status"] for r in results
                if r["check"] in ("wheelhouse.pairing", "wheelhouse.free-threading")}
    assert subjects == {("wheelhouse.pairing", "dualpy-abi3 1.0.0 cp314"): "pass",
                        ("wheelhouse.free-threading", "dualpy-abi3 1.0.0 3.14"): "pass"}
