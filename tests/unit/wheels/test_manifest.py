"""What each wheel serves, judged from its tags, and the manifest that lists them (atomic, merging)."""

from __future__ import annotations

import json

import pytest

from dualpy.tags import PythonMinor
from dualpy.wheels import describe_wheel, write_manifest
from dualpy.wheels.manifest import wheel_python
from tests.unit.wheels.support import make_wheel

M = PythonMinor


@pytest.mark.parametrize(
    ("filename", "variant", "note"),
    [("a-1.0-cp313-cp313t-manylinux_2_17_x86_64.whl", "freethreaded", ""),
     ("a-1.0-cp313-cp313-manylinux_2_17_x86_64.whl", "gil", ""),
     ("a-1.0-cp313-abi3-manylinux_2_17_x86_64.whl", "gil", "cpython#111506"),
     ("a-1.0-py3-none-any.whl", "both", "serves the GIL and the free-threaded build")],
)
def test_describe_wheel_says_which_build_it_serves_and_why(tmp_path, filename, variant, note):
    record = describe_wheel(make_wheel(tmp_path, filename), M(3, 13), "cibuildwheel 3.4.1", "img", "sha256:1", "3.4.1")
    assert record.variant == variant and note in record.note
    assert len(record.sha256) == 64 and record.python == "3.13" and record.cibuildwheel == "3.4.1"


@pytest.mark.parametrize(
    ("filename", "variant", "note"),
    [  # PEP 803: abi3.abi3t is what installers of both builds accept; one wheel serves both 3.15 builds
        ("a-1.0-cp315-abi3.abi3t-manylinux_2_28_x86_64.whl", "both",
         "one wheel serves the GIL and the free-threaded build of 3.15"),
        # packaging >= 26.1 offers abi3t to free-threaded interpreters only
        ("a-1.0-cp315-abi3t-manylinux_2_28_x86_64.whl", "freethreaded", "tag it abi3.abi3t to serve both"),
        ("a-1.0-cp315-abi3-manylinux_2_28_x86_64.whl", "gil", "loads only abi3t extensions (PEP 803)"),
        ("a-1.0-cp315-cp315t-manylinux_2_28_x86_64.whl", "freethreaded", ""),
    ],
)
def test_abi3t_wheels_of_315_say_which_builds_they_serve(tmp_path, filename, variant, note):
    record = describe_wheel(make_wheel(tmp_path, filename), M(3, 15), "cibuildwheel 4.3.5", "img", None, "4.3.5")
    assert record.variant == variant and note in record.note and record.python == "3.15"


def test_the_python_of_a_wheel_comes_from_its_interpreter_tag():
    assert wheel_python("a-1.0-cp315-abi3.abi3t-manylinux_2_28_x86_64.whl", M(3, 13)) == M(3, 15)
    assert wheel_python("a-1.0-cp314-cp314t-manylinux_2_28_x86_64.whl", M(3, 13)) == M(3, 14)
    assert wheel_python("a-1.0-py3-none-any.whl", M(3, 13)) == M(3, 13)
    # A stable-ABI tag is the oldest Python it loads in; the build's newer Python is the one it was built for.
    assert wheel_python("psutil-7.2.2-cp36-abi3-manylinux_2_28_x86_64.whl", M(3, 14)) == M(3, 14)
    assert wheel_python("a-1.0-cp315-abi3t-manylinux_2_28_x86_64.whl", M(3, 16)) == M(3, 16)
    assert wheel_python("a-1.0-cp312-cp312-manylinux_2_28_x86_64.whl", M(3, 14)) == M(3, 12)


def test_manifest_is_atomic_and_keeps_entries_whose_files_remain(tmp_path):
    keep = make_wheel(tmp_path, "b-1.0-py3-none-any.whl")
    write_manifest(tmp_path, [describe_wheel(keep, M(3, 13), "build", None, None)])
    make_wheel(tmp_path, "gone-1.0-py3-none-any.whl")
    write_manifest(tmp_path, [describe_wheel(tmp_path / "gone-1.0-py3-none-any.whl", M(3, 13), "build", None, None)])
    (tmp_path / "gone-1.0-py3-none-any.whl").unlink()
    new = describe_wheel(make_wheel(tmp_path, "a-1.0-py3-none-any.whl"), M(3, 13), "build", None, None)
    manifest = json.loads(write_manifest(tmp_path, [new]).read_text())
    assert [w["filename"] for w in manifest["wheels"]] == ["b-1.0-py3-none-any.whl", "a-1.0-py3-none-any.whl"]
    assert set(manifest["wheels"][0]) >= {"project", "version", "python", "variant", "tags", "sha256",
                                          "cibuildwheel", "image", "image_id", "image_digest"}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
