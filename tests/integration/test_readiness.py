"""`dualpy readiness` on real packages from the index, in the real multi-Python image's 3.14t (docker tier).

The outcomes were established by hand first (docs/guide/readiness.md shows that run):
- six 1.17.0: a pure-Python wheel; imports with the GIL off -> ready.
- markupsafe 3.0.3: a cp314t wheel on the index, declares Py_mod_gil -> ready.
- crcmod 1.7: only an sdist; builds, and its C extension crcmod._crcfunext declares nothing, so importing it
  re-enables the GIL -> not ready, that module named.
- idna==0.0.1: no such release -> unresolved, the rest still judged.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_dualpy

pytestmark = pytest.mark.docker

REQUIREMENTS = "six==1.17.0\nmarkupsafe==3.0.3\ncrcmod==1.7\nidna==0.0.1  # no such release\n"


def test_readiness_of_real_packages(multi_image: str, tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(REQUIREMENTS)
    markdown = tmp_path / "summary" / "readiness.md"
    result = run_dualpy("readiness", str(requirements), "--python", "3.14", "--image", multi_image, "--json",
                        "--markdown", str(markdown), check=False, timeout=900)
    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    assert document["image"] == multi_image and document["python"].startswith("3.14")
    assert document["verdict"] == "not-ready"
    rows = {row["name"].lower(): row for row in document["packages"]}
    assert set(rows) == {"six", "markupsafe", "crcmod", "idna"}

    six = rows["six"]
    assert (six["version"], six["source"], six["ready"]) == ("1.17.0", "pure-wheel", True), six
    assert six["gil_reenabled_by"] is None

    markupsafe = rows["markupsafe"]
    assert (markupsafe["source"], markupsafe["ready"]) == ("cp314t-wheel", True), markupsafe

    crcmod = rows["crcmod"]
    assert (crcmod["source"], crcmod["ready"]) == ("sdist", False), crcmod
    assert crcmod["build_seconds"] > 0
    assert crcmod["gil_reenabled_by"] == "crcmod._crcfunext"
    assert "re-enables the GIL" in crcmod["reason"]

    idna = rows["idna"]
    assert (idna["source"], idna["ready"]) == ("unresolved", None)
    assert idna["reason"].startswith("could not resolve: ERROR: Could not find a version")

    text = markdown.read_text()
    assert text.startswith("### ❌ Free-threading readiness: not-ready")
    assert "| crcmod | 1.7 | sdist | ❌ no | crcmod.\\_crcfunext re-enables the GIL" in text
