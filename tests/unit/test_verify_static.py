"""Static checks on wheels broken on purpose: each names the exact failing check id."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

import pytest

from dualpy.verify.model import Status
from dualpy.verify.static import check_pairing, check_wheel, check_wheelhouse


def record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def make_wheel(directory: Path, filename: str, files: dict[str, bytes], *, wheel_tags=None, record=None,
               extra_members: dict[str, bytes] | None = None) -> Path:
    """A wheel whose WHEEL tags and RECORD are right unless told otherwise."""
    name, version = filename.split("-")[:2]
    dist_info = f"{name}-{version}.dist-info"
    tags = wheel_tags or ["-".join(filename[:-4].split("-")[-3:])]
    expanded = []
    for tag in tags:
        interpreter, abi, platforms = tag.split("-")
        expanded += [f"{interpreter}-{abi}-{p}" for p in platforms.split(".")]
    contents = dict(files)
    contents[f"{dist_info}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
    contents[f"{dist_info}/WHEEL"] = ("Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: false\n"
                                      + "".join(f"Tag: {t}\n" for t in expanded)).encode()
    lines = [record_line(n, d) for n, d in contents.items()] + [f"{dist_info}/RECORD,,"]
    contents[f"{dist_info}/RECORD"] = (record if record is not None else "\n".join(lines) + "\n").encode()
    contents.update(extra_members or {})
    path = directory / filename
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in contents.items():
            archive.writestr(member, data)
    return path


def failing(results) -> set[str]:
    return {r.check for r in results if r.status is Status.FAIL}


T_WHEEL = "demo-1.0-cp313-cp313t-manylinux_2_17_x86_64.whl"
GIL_WHEEL = "demo-1.0-cp313-cp313-manylinux_2_17_x86_64.whl"


def test_good_t_wheel_passes_everything(tmp_path):
    path = make_wheel(tmp_path, T_WHEEL, {"demo.cpython-313t-x86_64-linux-gnu.so": b"\x7fELF"})
    results, facts = check_wheel(path)
    assert failing(results) == set()
    assert facts.top_level == ("demo",)


def test_t_wheel_holding_a_gil_extension_fails_ext_suffix(tmp_path):
    path = make_wheel(tmp_path, T_WHEEL, {"demo.cpython-313-x86_64-linux-gnu.so": b"\x7fELF"})
    results, _ = check_wheel(path)
    assert failing(results) == {"wheel.ext-suffix"}
    assert "cp313 (GIL) extension" in next(r.message for r in results if r.check == "wheel.ext-suffix")


def test_gil_wheel_holding_a_t_extension_fails_ext_suffix(tmp_path):
    path = make_wheel(tmp_path, GIL_WHEEL, {"demo.cpython-313t-x86_64-linux-gnu.so": b"\x7fELF"})
    assert failing(check_wheel(path)[0]) == {"wheel.ext-suffix"}


def test_t_wheel_holding_an_abi3_extension_fails(tmp_path):
    path = make_wheel(tmp_path, T_WHEEL, {"demo.abi3.so": b"\x7fELF"})
    results, _ = check_wheel(path)
    assert failing(results) == {"wheel.ext-suffix"}
    assert "abi3 cannot load on a free-threaded build" in " ".join(r.message for r in results)


def test_abi3_wheel_claiming_a_freethreaded_tag_fails(tmp_path):
    path = make_wheel(tmp_path, "demo-1.0-cp313t-abi3-manylinux_2_17_x86_64.whl", {"demo.abi3.so": b"\x7fELF"})
    assert failing(check_wheel(path)[0]) == {"wheel.abi3-freethreaded"}


def test_wheel_file_tags_that_differ_from_the_filename_fail_tags(tmp_path):
    path = make_wheel(tmp_path, T_WHEEL, {"demo.cpython-313t-x86_64-linux-gnu.so": b"\x7fELF"},
                      wheel_tags=["cp313-cp313-manylinux_2_17_x86_64"])
    assert failing(check_wheel(path)[0]) == {"wheel.tags"}


def test_record_hash_mismatch_fails_record(tmp_path):
    path = make_wheel(tmp_path, "demo-1.0-py3-none-any.whl", {"demo/__init__.py": b"x = 1\n"},
                      record="demo/__init__.py,sha256=AAAA,6\ndemo-1.0.dist-info/METADATA,,\n"
                             "demo-1.0.dist-info/WHEEL,,\ndemo-1.0.dist-info/RECORD,,\n")
    results, _ = check_wheel(path)
    assert failing(results) == {"wheel.record"}
    assert "sha256 differs" in next(r.message for r in results if r.check == "wheel.record")


def test_file_missing_from_record_fails_record(tmp_path):
    path = make_wheel(tmp_path, "demo-1.0-py3-none-any.whl", {"demo/__init__.py": b""},
                      extra_members={"demo/sneaky.py": b"import os\n"})
    assert failing(check_wheel(path)[0]) == {"wheel.record"}


@pytest.mark.parametrize("member", ["../evil.py", "demo/../../evil.py", "/etc/evil"])
def test_members_that_climb_out_or_are_absolute_fail_paths(tmp_path, member):
    path = make_wheel(tmp_path, "demo-1.0-py3-none-any.whl", {"demo/__init__.py": b"", member: b"evil"})
    assert "wheel.paths" in failing(check_wheel(path)[0])


def test_truncated_zip_fails_zip(tmp_path):
    good = make_wheel(tmp_path, "demo-1.0-py3-none-any.whl", {"demo/__init__.py": b"x" * 5000})
    data = good.read_bytes()
    good.write_bytes(data[: len(data) // 2])
    results, facts = check_wheel(good)
    assert failing(results) == {"wheel.zip"} and facts is None


def test_unparsable_filename_fails_filename(tmp_path):
    path = tmp_path / "not-a-wheel.whl"
    path.write_bytes(b"")
    assert failing(check_wheel(path)[0]) == {"wheel.filename"}


def test_pairing_reports_missing_twins_and_covers_pure_wheels(tmp_path):
    paths = [
        make_wheel(tmp_path, GIL_WHEEL, {"demo.cpython-313-x86_64-linux-gnu.so": b""}),
        make_wheel(tmp_path, "lonely-1.0-cp313-cp313t-manylinux_2_17_x86_64.whl",
                   {"lonely.cpython-313t-x86_64-linux-gnu.so": b""}),
        make_wheel(tmp_path, "pure-1.0-py3-none-any.whl", {"pure/__init__.py": b""}),
        make_wheel(tmp_path, "abi-1.0-cp313-abi3-manylinux_2_17_x86_64.whl", {"abi.abi3.so": b""}),
        make_wheel(tmp_path, "abi-1.0-cp313-cp313t-manylinux_2_17_x86_64.whl",
                   {"abi.cpython-313t-x86_64-linux-gnu.so": b""}),
    ]
    results, facts = check_wheelhouse(paths)
    pairing = {r.subject: r for r in results if r.check == "wheelhouse.pairing"}
    demo = pairing["demo 1.0 cp313"]
    assert demo.status is Status.WARN and "no free-threaded (t) twin" in demo.message
    assert pairing["lonely 1.0 cp313"].status is Status.WARN and "no GIL twin" in pairing["lonely 1.0 cp313"].message
    assert pairing["pure 1.0 any"].status is Status.PASS and "serves both builds" in pairing["pure 1.0 any"].message
    assert pairing["abi 1.0 cp313"].status is Status.PASS
    assert len(check_pairing(facts)) == 4


def test_untagged_extension_fails_ext_suffix(tmp_path):
    path = make_wheel(tmp_path, T_WHEEL, {"demo.so": b"\x7fELF"})
    assert failing(check_wheel(path)[0]) == {"wheel.ext-suffix"}


def test_vendored_libraries_are_not_extension_modules(tmp_path):
    path = make_wheel(tmp_path, T_WHEEL, {"demo.cpython-313t-x86_64-linux-gnu.so": b"",
                                          "demo.libs/libfoo-1a2b3c.so": b""})
    assert failing(check_wheel(path)[0]) == set()
