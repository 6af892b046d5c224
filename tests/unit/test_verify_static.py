"""Static checks on wheels broken on purpose: each names the exact failing check id, and the whole result is asserted.

Every wheel here is made in the test's temp directory (tests/unit/wheelcraft.py), hostile ones byte by byte.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.tags import Tag, cpython_tags

from dualpy.verify import archive as zip_archive
from dualpy.verify.abi import extension_modules, filed_pythons
from dualpy.verify.archive import Limits
from dualpy.verify.model import Status
from dualpy.verify.static import check_pairing, check_wheel, check_wheelhouse
from tests.unit.wheelcraft import (
    Entry,
    GiB,
    MiB,
    build_zip,
    entries_of,
    make_wheel,
    raw_wheel,
    record_line,
    wheel_members,
    zip_bomb,
)

__all__ = ["make_wheel", "record_line"]  # test_verify_report imports make_wheel from here

ROOT = Path(__file__).resolve().parents[2]


def failing(results) -> set[str]:
    return {r.check for r in results if r.status is Status.FAIL}


def verdicts(results) -> dict[str, str]:
    """Every check id of a wheel with its status: the whole result, so a PASS that turns WARN is caught too."""
    table = {r.check: r.status.value for r in results}
    assert len(table) == len(results), f"a check id appears twice: {[r.check for r in results]}"
    assert len({r.subject for r in results}) == 1 and isinstance(results[0].subject, str), "one wheel, one subject"
    assert all(isinstance(r.message, str) and r.interpreter == "" for r in results)
    return table


def message(results, check: str) -> str:
    return next(r.message for r in results if r.check == check)


ORDER = ["wheel.filename", "wheel.zip", "wheel.paths", "wheel.metadata", "wheel.tags", "wheel.record"]
GOOD = dict.fromkeys([*ORDER, "wheel.ext-suffix"], "pass")
ZIP_FAILS = {"wheel.filename": "pass", "wheel.zip": "fail"}


def expect(**changes: str) -> dict[str, str]:
    """GOOD with some checks changed: expect(record="fail", abi3_freethreaded="pass")."""
    table = dict(GOOD)
    for key, status in changes.items():
        check = f"wheel.{key.replace('abi3_', 'abi3-').replace('ext_', 'ext-')}"
        if status == "absent":
            table.pop(check)
        else:
            table[check] = status
    return table


T_WHEEL = "demo-1.0-cp313-cp313t-manylinux_2_17_x86_64.whl"
GIL_WHEEL = "demo-1.0-cp313-cp313-manylinux_2_17_x86_64.whl"
PURE = "demo-1.0-py3-none-any.whl"
T_EXT = {"demo.cpython-313t-x86_64-linux-gnu.so": b"\x7fELF"}
PURE_FILES = {"demo/__init__.py": b"x = 1\n"}


# The checks as they were: each failure names its check id.

def test_good_t_wheel_passes_everything(tmp_path):
    path = make_wheel(tmp_path, T_WHEEL, {"demo.cpython-313t-x86_64-linux-gnu.so": b"\x7fELF"})
    results, facts = check_wheel(path)
    assert failing(results) == set()
    assert facts.top_level == ("demo",)
    assert verdicts(results) == GOOD
    assert [r.check for r in results] == [*ORDER, "wheel.ext-suffix"]
    assert facts.path == path and facts.name == "demo" and facts.version == "1.0"
    assert facts.tags == frozenset({Tag("cp313", "cp313t", "manylinux_2_17_x86_64")})
    assert message(results, "wheel.record") == "4 files match"
    assert message(results, "wheel.ext-suffix") == "1 extension(s) match cp313t"
    assert message(results, "wheel.filename") == "cp313-cp313t-manylinux_2_17_x86_64"


def test_t_wheel_holding_a_gil_extension_fails_ext_suffix(tmp_path):
    path = make_wheel(tmp_path, T_WHEEL, {"demo.cpython-313-x86_64-linux-gnu.so": b"\x7fELF"})
    results, _ = check_wheel(path)
    assert failing(results) == {"wheel.ext-suffix"}
    assert "cp313 (GIL) extension" in next(r.message for r in results if r.check == "wheel.ext-suffix")
    assert verdicts(results) == expect(ext_suffix="fail")


def test_gil_wheel_holding_a_t_extension_fails_ext_suffix(tmp_path):
    path = make_wheel(tmp_path, GIL_WHEEL, {"demo.cpython-313t-x86_64-linux-gnu.so": b"\x7fELF"})
    assert failing(check_wheel(path)[0]) == {"wheel.ext-suffix"}
    assert message(check_wheel(path)[0], "wheel.ext-suffix") == (
        "demo.cpython-313t-x86_64-linux-gnu.so is a cp313t (free-threaded) extension in a wheel tagged cp313")


def test_t_wheel_holding_an_abi3_extension_fails(tmp_path):
    path = make_wheel(tmp_path, T_WHEEL, {"demo.abi3.so": b"\x7fELF"})
    results, _ = check_wheel(path)
    assert failing(results) == {"wheel.ext-suffix"}
    assert "abi3 cannot load on a free-threaded build" in " ".join(r.message for r in results)


def test_abi3_wheel_claiming_a_freethreaded_tag_fails(tmp_path):
    path = make_wheel(tmp_path, "demo-1.0-cp313t-abi3-manylinux_2_17_x86_64.whl", {"demo.abi3.so": b"\x7fELF"})
    assert failing(check_wheel(path)[0]) == {"wheel.abi3-freethreaded"}
    assert verdicts(check_wheel(path)[0]) == expect(abi3_freethreaded="fail")


def test_abi3_wheel_with_a_freethreaded_abi_beside_it_fails(tmp_path):
    path = make_wheel(tmp_path, "demo-1.0-cp313-abi3.cp313t-manylinux_2_17_x86_64.whl",
                      {"demo.abi3.so": b"", "demo.cpython-313t-x86_64-linux-gnu.so": b""})
    assert verdicts(check_wheel(path)[0]) == expect(abi3_freethreaded="fail")


def test_good_abi3_wheel_passes_with_abi3_check(tmp_path):
    path = make_wheel(tmp_path, "demo-1.0-cp313-abi3-manylinux_2_17_x86_64.whl", {"demo.abi3.so": b""})
    results = check_wheel(path)[0]
    assert verdicts(results) == expect(abi3_freethreaded="pass")
    assert message(results, "wheel.abi3-freethreaded") == "abi3 wheel, GIL tags only"


def test_wheel_file_tags_that_differ_from_the_filename_fail_tags(tmp_path):
    path = make_wheel(tmp_path, T_WHEEL, {"demo.cpython-313t-x86_64-linux-gnu.so": b"\x7fELF"},
                      wheel_tags=["cp313-cp313-manylinux_2_17_x86_64"])
    assert failing(check_wheel(path)[0]) == {"wheel.tags"}
    assert verdicts(check_wheel(path)[0]) == expect(tags="fail")
    assert message(check_wheel(path)[0], "wheel.tags") == (
        "WHEEL says cp313-cp313-manylinux_2_17_x86_64; the filename says cp313-cp313t-manylinux_2_17_x86_64")


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
    assert message(check_wheel(path)[0], "wheel.record") == "demo/sneaky.py is not in RECORD"


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
    assert verdicts(results) == ZIP_FAILS


def test_unparsable_filename_fails_filename(tmp_path):
    path = tmp_path / "not-a-wheel.whl"
    path.write_bytes(b"")
    assert failing(check_wheel(path)[0]) == {"wheel.filename"}
    assert verdicts(check_wheel(path)[0]) == {"wheel.filename": "fail"}


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
    assert pairing["abi 1.0 cp313"].message == (
        "abi-1.0-cp313-abi3-manylinux_2_17_x86_64.whl + abi-1.0-cp313-cp313t-manylinux_2_17_x86_64.whl")
    assert pairing["pure 1.0 any"].message == "pure-1.0-py3-none-any.whl is py3-none-any: it serves both builds"


def test_untagged_extension_fails_ext_suffix(tmp_path):
    path = make_wheel(tmp_path, T_WHEEL, {"demo.so": b"\x7fELF"})
    assert failing(check_wheel(path)[0]) == {"wheel.ext-suffix"}


def test_vendored_libraries_are_not_extension_modules(tmp_path):
    path = make_wheel(tmp_path, T_WHEEL, {"demo.cpython-313t-x86_64-linux-gnu.so": b"",
                                          "demo.libs/libfoo-1a2b3c.so": b""})
    assert failing(check_wheel(path)[0]) == set()


# Whole results, PASS and WARN included (issue 16), and the branches that could return nothing.

def test_pure_wheel_whole_result_and_facts(tmp_path):
    path = make_wheel(tmp_path, PURE, {"demo/__init__.py": b"", "tool.py": b""}, compression=zipfile.ZIP_DEFLATED)
    results, facts = check_wheel(path)
    assert verdicts(results) == GOOD
    assert message(results, "wheel.ext-suffix") == "pure-Python wheel, no extensions"
    assert message(results, "wheel.metadata") == "demo-1.0.dist-info: WHEEL and METADATA match the filename"
    assert facts.top_level == ("demo", "tool")


def test_top_level_txt_wins_over_the_file_list(tmp_path):
    path = make_wheel(tmp_path, PURE, {"demo/__init__.py": b"", "a/__init__.py": b"", "b.py": b"",
                                       "demo-1.0.dist-info/top_level.txt": b"b\na\na\n"})
    assert check_wheel(path)[1].top_level == ("a", "b")  # demo/ is held but not listed: not imported


def test_platform_wheel_without_extensions_warns(tmp_path):
    results = check_wheel(make_wheel(tmp_path, GIL_WHEEL, PURE_FILES))[0]
    assert verdicts(results) == expect(ext_suffix="warn")
    assert message(results, "wheel.ext-suffix") == "tagged cp313 but holds no extension module"


def test_two_dist_info_directories_fail_metadata_and_tags(tmp_path):
    path = make_wheel(tmp_path, PURE, PURE_FILES, extra_members={"other-2.0.dist-info/METADATA": b""})
    results, facts = check_wheel(path)
    assert facts is None
    assert verdicts(results) == {"wheel.filename": "pass", "wheel.zip": "pass", "wheel.paths": "pass",
                                 "wheel.metadata": "fail", "wheel.tags": "fail"}
    assert message(results, "wheel.metadata") == (
        "2 *.dist-info directories (demo-1.0.dist-info, other-2.0.dist-info); a wheel has exactly one")


def test_no_dist_info_directory_fails_metadata(tmp_path):
    path = raw_wheel(tmp_path, PURE, entries_of({"demo/__init__.py": b""}))
    results = check_wheel(path)[0]
    assert verdicts(results)["wheel.metadata"] == "fail" and "0 *.dist-info directories (none)" in message(
        results, "wheel.metadata")


def test_wheel_file_missing_fails_metadata_and_tags(tmp_path):
    path = make_wheel(tmp_path, PURE, PURE_FILES, drop=("/WHEEL",))
    results, facts = check_wheel(path)
    assert verdicts(results) == expect(metadata="fail", tags="fail", record="fail")
    assert message(results, "wheel.tags") == "demo-1.0.dist-info/WHEEL is missing"
    assert "RECORD lists demo-1.0.dist-info/WHEEL, which is not in the wheel" in message(results, "wheel.record")
    assert facts is not None


def test_wheelhouse_keeps_every_wheels_results(tmp_path):
    good = make_wheel(tmp_path, GIL_WHEEL, {"demo.cpython-313-x86_64-linux-gnu.so": b""})
    bad = make_wheel(tmp_path, T_WHEEL, {"demo.cpython-313-x86_64-linux-gnu.so": b""})
    results, facts = check_wheelhouse([bad, good])
    by_wheel = {name: verdicts([r for r in results if r.subject == name]) for name in (GIL_WHEEL, T_WHEEL)}
    assert by_wheel == {GIL_WHEEL: GOOD, T_WHEEL: expect(ext_suffix="fail")}
    assert [f.path for f in facts] == [good, bad]
    assert results[-1].check == "wheelhouse.pairing" and results[-1].status is Status.PASS


def test_wheelhouse_goes_on_past_every_hostile_wheel(tmp_path):
    paths = _hostile_corpus(tmp_path)
    good = make_wheel(tmp_path, "good-1.0-py3-none-any.whl", {"good/__init__.py": b""})
    results, facts = check_wheelhouse([*paths, good])
    subjects = {r.subject for r in results}
    assert {p.name for p in paths} <= subjects
    for path in paths:
        assert any(r.status is Status.FAIL for r in results if r.subject == path.name), path.name
    assert verdicts([r for r in results if r.subject == good.name]) == GOOD
    assert good in [f.path for f in facts]


def test_cli_reports_every_hostile_wheel_and_exits_1(tmp_path):
    from dualpy.cli import main

    wheelhouse = tmp_path / "wheelhouse"
    wheelhouse.mkdir()
    paths = _hostile_corpus(wheelhouse)
    report = tmp_path / "r.json"
    assert main(["verify", "wheels", str(wheelhouse), "--json-file", str(report)]) == 1
    document = json.loads(report.read_text())
    assert {p.name for p in paths} <= {r["subject"] for r in document["results"]}
    assert document["verdict"] == "fail"


# Tracebacks that must be verdicts (issue 13).

def _corrupt_deflate(directory: Path) -> Path:
    entries = entries_of(wheel_members(PURE, PURE_FILES))
    entries[0] = Entry(b"demo/__init__.py", b"x = 1\n", payload=b"\xff\xff\xff\xff")
    return raw_wheel(directory, "deflate-1.0-py3-none-any.whl", entries)


def _hostile_corpus(directory: Path) -> list[Path]:
    """One wheel per hostile class that must fail; each in its own file name."""
    paths = [_corrupt_deflate(directory)]
    for label, change in [("encrypted", {"flags": 0x801}), ("method", {"method": 99, "payload": b"x = 1\n"})]:
        entries = entries_of(wheel_members(f"{label}-1.0-py3-none-any.whl", {f"{label}/__init__.py": b"x = 1\n"}))
        entries[0] = Entry(entries[0].name, entries[0].data, **change)
        paths.append(raw_wheel(directory, f"{label}-1.0-py3-none-any.whl", entries))
    entries = entries_of(wheel_members("names-1.0-py3-none-any.whl", {}))
    entries.insert(0, Entry(b"names/\xff\xfe.py", b"", flags=0x800))
    paths.append(raw_wheel(directory, "names-1.0-py3-none-any.whl", entries))
    members = wheel_members("record-1.0-py3-none-any.whl", {})
    members["record-1.0.dist-info/RECORD"] = b"r\xe9\n"
    paths.append(raw_wheel(directory, "record-1.0-py3-none-any.whl", entries_of(members)))
    paths.append(make_wheel(directory, "tag-1.0-py3-none-any.whl", {}, wheel_text=b"Wheel-Version: 1.0\nTag: py3\n"))
    paths.append(make_wheel(directory, "csv-1.0-py3-none-any.whl", {}, record="x" * 200_000 + ",,\n"))
    paths.append(zip_bomb(directory, "bomb-1.0-py3-none-any.whl", 4 * GiB))
    os.mkfifo(directory / "fifo-1.0-py3-none-any.whl")
    paths.append(directory / "fifo-1.0-py3-none-any.whl")
    (directory / "dir-1.0-py3-none-any.whl").mkdir()
    paths.append(directory / "dir-1.0-py3-none-any.whl")
    return paths


@pytest.fixture
def no_hang():
    """Turn a hang (a FIFO opened for reading) into a failure after 20 s."""
    def timeout(*_args):
        raise AssertionError("verify hung")

    previous = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def test_corrupt_deflate_data_fails_zip(tmp_path):
    results, facts = check_wheel(_corrupt_deflate(tmp_path))
    assert verdicts(results) == ZIP_FAILS and facts is None
    assert message(results, "wheel.zip").startswith("demo/__init__.py is corrupt (deflated data: Error -3")


def test_bad_crc_fails_zip(tmp_path):
    path = make_wheel(tmp_path, PURE, {"demo/__init__.py": b"x = 1\n"})
    data = path.read_bytes()
    path.write_bytes(data.replace(b"x = 1\n", b"x = 2\n", 1))
    results = check_wheel(path)[0]
    assert verdicts(results) == ZIP_FAILS
    assert message(results, "wheel.zip") == "demo/__init__.py is corrupt (bad CRC)"


def test_encrypted_member_fails_zip(tmp_path):
    entries = entries_of(wheel_members(PURE, PURE_FILES))
    entries[0] = Entry(b"demo/__init__.py", b"x = 1\n", flags=0x801)
    results = check_wheel(raw_wheel(tmp_path, PURE, entries))[0]
    assert verdicts(results) == ZIP_FAILS and message(results, "wheel.zip") == "demo/__init__.py is encrypted"


def test_unknown_compression_method_fails_zip(tmp_path):
    entries = entries_of(wheel_members(PURE, PURE_FILES))
    entries[0] = Entry(b"demo/__init__.py", b"x = 1\n", method=93, payload=b"x = 1\n")
    results = check_wheel(raw_wheel(tmp_path, PURE, entries))[0]
    assert verdicts(results) == ZIP_FAILS
    assert message(results, "wheel.zip") == (
        "demo/__init__.py uses compression method 93, which installers cannot read")


@pytest.mark.parametrize("compression", [zipfile.ZIP_LZMA, zipfile.ZIP_BZIP2])
def test_lzma_and_bzip2_members_are_read_and_warned_about(tmp_path, compression):
    path = make_wheel(tmp_path, PURE, {"demo/__init__.py": b"x = 1\n" * 1000}, compression=compression)
    results = check_wheel(path)[0]
    assert verdicts(results) == expect(zip="warn")
    assert message(results, "wheel.zip").startswith("4 member(s) ")


@pytest.mark.parametrize(("compression", "garbage"), [(zipfile.ZIP_LZMA, b"\xff" * 12),
                                                      (zipfile.ZIP_LZMA, b"\x00\x00"),
                                                      (zipfile.ZIP_BZIP2, b"\x00" * 12)])
def test_bad_lzma_and_bzip2_data_fail_zip(tmp_path, compression, garbage):
    path = make_wheel(tmp_path, PURE, {"demo/__init__.py": bytes(range(256)) * 40}, compression=compression)
    data = bytearray(path.read_bytes())
    start = data.index(b"demo/__init__.py") + len(b"demo/__init__.py")
    data[start + 4:start + 4 + len(garbage)] = garbage  # past LZMA's version field: its properties, then data
    path.write_bytes(bytes(data))
    results = check_wheel(path)[0]
    assert verdicts(results) == ZIP_FAILS
    assert message(results, "wheel.zip").startswith("demo/__init__.py ")


def test_lzma_properties_that_are_not_five_bytes_fail_zip(tmp_path):
    entries = entries_of(wheel_members(PURE, PURE_FILES))
    entries[0] = Entry(b"demo/__init__.py", b"x = 1\n", method=14, payload=b"\x09\x14\x04\x00abcd")
    results = check_wheel(raw_wheel(tmp_path, PURE, entries))[0]
    assert message(results, "wheel.zip") == "demo/__init__.py is corrupt: the LZMA properties are malformed"


def test_name_flagged_utf8_that_is_not_fails_zip(tmp_path):
    entries = entries_of(wheel_members(PURE, PURE_FILES))
    entries.append(Entry(b"demo/\xff\xfe.py", b"", flags=0x800))
    results = check_wheel(raw_wheel(tmp_path, PURE, entries))[0]
    assert verdicts(results) == ZIP_FAILS
    assert message(results, "wheel.zip") == "a member name is flagged UTF-8 but is not valid UTF-8"


@pytest.mark.parametrize("member", ["RECORD", "WHEEL", "METADATA"])
def test_dist_info_files_that_are_not_utf8_fail_their_check(tmp_path, member):
    members = wheel_members(PURE, PURE_FILES)
    members[f"demo-1.0.dist-info/{member}"] += "é".encode("latin-1")
    if member != "RECORD":
        members["demo-1.0.dist-info/RECORD"] = ("\n".join(
            record_line(n, d) for n, d in members.items() if not n.endswith("RECORD"))
            + "\ndemo-1.0.dist-info/RECORD,,\n").encode()
    results = check_wheel(raw_wheel(tmp_path, PURE, entries_of(members)))[0]
    expected = {"RECORD": expect(record="fail"), "WHEEL": expect(metadata="fail", tags="fail"),
                "METADATA": expect(metadata="fail")}[member]
    assert verdicts(results) == expected
    failed = {"RECORD": "wheel.record", "WHEEL": "wheel.metadata", "METADATA": "wheel.metadata"}[member]
    assert f"demo-1.0.dist-info/{member} is not UTF-8 (byte 0xe9 at offset" in message(results, failed)


@pytest.mark.parametrize("line", ["Tag: py3", "Tag: py3-none", "Tag: py3--any", "Tag: a-b-c-d"])
def test_tag_line_without_three_parts_fails_tags(tmp_path, line):
    text = f"Wheel-Version: 1.0\nRoot-Is-Purelib: true\n{line}\n".encode()
    results = check_wheel(make_wheel(tmp_path, PURE, PURE_FILES, wheel_text=text))[0]
    assert verdicts(results) == expect(tags="fail")
    assert message(results, "wheel.tags").endswith("is not interpreter-abi-platform")


def test_wheel_without_tag_lines_fails_tags(tmp_path):
    text = b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\n"
    results = check_wheel(make_wheel(tmp_path, PURE, PURE_FILES, wheel_text=text))[0]
    assert outcome(results)["wheel.tags"] == ("fail", "WHEEL has no Tag: line")


def test_a_200kb_csv_field_fails_record(tmp_path):
    results = check_wheel(make_wheel(tmp_path, PURE, PURE_FILES, record="x" * 200_000 + ",,\n"))[0]
    assert verdicts(results) == expect(record="fail")
    assert "RECORD is not valid CSV at line 1: field larger than field limit" in message(results, "wheel.record")


def test_record_rows_with_other_than_three_fields_fail_record(tmp_path):
    members = wheel_members(PURE, PURE_FILES)
    record = members["demo-1.0.dist-info/RECORD"].decode() + "\nextra,row\n"
    results = check_wheel(make_wheel(tmp_path, PURE, PURE_FILES, record=record))[0]
    assert message(results, "wheel.record") == "RECORD line 6 has 2 fields, not path,hash,size"


# Bad wheels that passed (issue 13).

def test_duplicate_member_names_fail_zip(tmp_path):
    entries = entries_of(wheel_members(PURE, PURE_FILES))
    entries.insert(0, Entry(b"demo/__init__.py", b"import os; os.system('evil')\n"))
    results = check_wheel(raw_wheel(tmp_path, PURE, entries))[0]
    assert verdicts(results) == ZIP_FAILS
    assert message(results, "wheel.zip") == "demo/__init__.py appears twice (readers disagree on which copy counts)"


def test_entries_sharing_one_local_header_fail_zip(tmp_path):
    entries = entries_of(wheel_members(PURE, {"demo/big.bin": bytes(MiB)}))
    entries += [Entry(b"demo/big.bin", bytes(MiB), shares_header_of=0) for _ in range(3)]
    results = check_wheel(raw_wheel(tmp_path, PURE, entries))[0]
    assert verdicts(results) == ZIP_FAILS
    assert "appears twice" in message(results, "wheel.zip") and "(+" in message(results, "wheel.zip")


def test_entries_overlapping_under_other_names_fail_zip(tmp_path):
    entries = entries_of(wheel_members(PURE, PURE_FILES))
    entries.append(Entry(b"demo/__init__.py", b"x = 1\n", shares_header_of=0))
    entries[-1].name = b"demo/alias.py"
    results = check_wheel(raw_wheel(tmp_path, PURE, entries))[0]
    assert verdicts(results) == ZIP_FAILS
    assert "demo/alias.py: the local header names" in message(results, "wheel.zip")


def test_symlink_member_fails_paths(tmp_path):
    entries = entries_of(wheel_members(PURE, {**PURE_FILES, "demo/link": b"/etc/passwd"}))
    entries[1].mode = 0o120777
    results = check_wheel(raw_wheel(tmp_path, PURE, entries))[0]
    assert verdicts(results) == expect(paths="fail")
    assert message(results, "wheel.paths") == (
        "unsafe member paths: demo/link is a symlink (installers write its target path as the file's content)")


def test_device_member_fails_paths(tmp_path):
    entries = entries_of(wheel_members(PURE, {**PURE_FILES, "demo/dev": b""}))
    entries[1].mode = 0o020644
    results = check_wheel(raw_wheel(tmp_path, PURE, entries))[0]
    assert message(results, "wheel.paths") == "unsafe member paths: demo/dev is a special file (mode 0o20000)"


def test_directory_entries_are_fine(tmp_path):
    entries = entries_of(wheel_members(PURE, PURE_FILES))
    entries.insert(0, Entry(b"demo/", b"", mode=0o040755))
    assert verdicts(check_wheel(raw_wheel(tmp_path, PURE, entries))[0]) == GOOD


@pytest.mark.parametrize(("member", "why"), [
    ("demo\\..\\..\\evil.py", "climbs out of the install root"),
    ("..\\evil.py", "climbs out of the install root"),
    ("\\evil.py", "is absolute"),
    ("C:/evil.py", "is absolute"),
    ("demo\\evil.py", "uses \\ as a separator (Windows installers split on it)"),
    ("demo/evil\x00.py", "holds a NUL byte (readers cut the name there)"),
])
def test_unsafe_names_fail_paths(tmp_path, member, why):
    path = raw_wheel(tmp_path, PURE, entries_of(wheel_members(PURE, {**PURE_FILES, member: b"evil"})))
    results = check_wheel(path)[0]
    assert verdicts(results)["wheel.paths"] == "fail"
    assert why in message(results, "wheel.paths")


def test_cp437_encoded_names_fail_paths(tmp_path):
    name = "demo/é.py"
    members = wheel_members(PURE, {**PURE_FILES, name: b""})
    entries = entries_of(members)
    entries[1] = Entry(name.encode("cp437"), b"", flags=0)
    results = check_wheel(raw_wheel(tmp_path, PURE, entries))[0]
    assert verdicts(results) == expect(paths="fail")
    assert "has a non-ASCII name not flagged UTF-8" in message(results, "wheel.paths")


def test_utf8_flagged_names_pass(tmp_path):
    path = make_wheel(tmp_path, PURE, {**PURE_FILES, "demo/é.py": b""})
    assert verdicts(check_wheel(path)[0]) == GOOD


def test_local_entry_left_out_of_the_central_directory_fails_zip(tmp_path):
    entries = entries_of(wheel_members(PURE, PURE_FILES))
    entries.insert(1, Entry(b"demo/hidden.py", b"import os\n", listed=False))
    results = check_wheel(raw_wheel(tmp_path, PURE, entries))[0]
    assert verdicts(results) == ZIP_FAILS
    assert message(results, "wheel.zip") == (
        "56 bytes after demo/__init__.py are not in the central directory (a hidden entry?)")


def test_bytes_before_the_first_member_fail_zip(tmp_path):
    entries = entries_of(wheel_members(PURE, PURE_FILES))
    path = raw_wheel(tmp_path, PURE, entries, prefix=b"#!/bin/sh\n")
    results = check_wheel(path)[0]
    assert verdicts(results) == ZIP_FAILS
    assert message(results, "wheel.zip") == "10 bytes before the first member are not in the central directory"
    path.write_bytes(b"#!/bin/sh\n" + build_zip(entries))
    assert message(check_wheel(path)[0], "wheel.zip") == (
        "the central directory is not where the end record says: bytes were added before, inside or after the archive")
    path.write_bytes(build_zip(entries) + b"trailing")
    assert message(check_wheel(path)[0], "wheel.zip") == (
        "not a zip archive: no end-of-central-directory record (truncated?)")


def test_data_descriptors_are_accepted(tmp_path):
    path = tmp_path / PURE
    with path.open("wb") as raw, zipfile.ZipFile(_Unseekable(raw), "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in wheel_members(PURE, PURE_FILES).items():
            archive.writestr(name, data)
    assert verdicts(check_wheel(path)[0]) == GOOD


class _Unseekable:
    """A write-only stream zipfile cannot seek back in, so it writes data descriptors (flag bit 3)."""

    def __init__(self, raw):
        self.raw = raw
        self.position = 0

    def write(self, data):
        self.position += len(data)
        return self.raw.write(data)

    def tell(self):
        return self.position

    def flush(self):
        self.raw.flush()


def test_record_with_wrong_sizes_fails_record(tmp_path):
    members = wheel_members(PURE, PURE_FILES)
    record = members["demo-1.0.dist-info/RECORD"].decode().replace(",6\n", ",99\n", 1)
    results = check_wheel(make_wheel(tmp_path, PURE, PURE_FILES, record=record))[0]
    assert verdicts(results) == expect(record="fail")
    assert message(results, "wheel.record") == "demo/__init__.py: RECORD says 99 bytes, the wheel holds 6"


def test_record_without_sizes_fails_record(tmp_path):
    members = wheel_members(PURE, PURE_FILES)
    record = members["demo-1.0.dist-info/RECORD"].decode().replace(",6\n", ",\n", 1)
    results = check_wheel(make_wheel(tmp_path, PURE, PURE_FILES, record=record))[0]
    assert message(results, "wheel.record") == "demo/__init__.py has no size in RECORD"


def test_record_hashing_itself_fails_record(tmp_path):
    members = wheel_members(PURE, PURE_FILES)
    record = members["demo-1.0.dist-info/RECORD"].decode().replace("RECORD,,", "RECORD,sha256=abc,10")
    results = check_wheel(make_wheel(tmp_path, PURE, PURE_FILES, record=record))[0]
    assert verdicts(results) == expect(record="fail")
    assert message(results, "wheel.record") == "RECORD lists a hash or size for itself (it cannot hash itself)"


def test_record_not_listing_itself_fails_record(tmp_path):
    members = wheel_members(PURE, PURE_FILES)
    record = members["demo-1.0.dist-info/RECORD"].decode().replace("demo-1.0.dist-info/RECORD,,\n", "")
    results = check_wheel(make_wheel(tmp_path, PURE, PURE_FILES, record=record))[0]
    assert message(results, "wheel.record") == "demo-1.0.dist-info/RECORD is not in RECORD; RECORD does not list itself"


def test_record_missing_fails_record(tmp_path):
    results = check_wheel(make_wheel(tmp_path, PURE, PURE_FILES, drop=("/RECORD",)))[0]
    assert verdicts(results) == expect(record="fail")
    assert message(results, "wheel.record") == "demo-1.0.dist-info/RECORD is missing"


@pytest.mark.parametrize("algorithm", ["md5", "sha1", "sha224"])
def test_weak_record_hashes_are_named_weak(tmp_path, algorithm):
    results = check_wheel(make_wheel(tmp_path, PURE, PURE_FILES, algorithm=algorithm))[0]
    assert verdicts(results) == expect(record="fail")
    assert f"demo/__init__.py: weak hash {algorithm} in RECORD (sha256 or stronger is required)" in message(
        results, "wheel.record")
    assert "differs" not in message(results, "wheel.record")


@pytest.mark.parametrize("algorithm", ["sha256", "sha384", "sha512", "sha3_256", "blake2b"])
def test_strong_record_hashes_pass(tmp_path, algorithm):
    path = make_wheel(tmp_path, PURE, PURE_FILES, algorithm=algorithm, compression=zipfile.ZIP_DEFLATED)
    assert verdicts(check_wheel(path)[0]) == GOOD


@pytest.mark.parametrize("algorithm", ["sha384", "sha512"])
def test_strong_record_hash_that_differs_fails(tmp_path, algorithm):
    members = wheel_members(PURE, PURE_FILES, algorithm=algorithm)
    good = record_line("demo/__init__.py", b"x = 1\n", algorithm)
    bad = record_line("demo/__init__.py", b"x = 2\n", algorithm)
    record = members["demo-1.0.dist-info/RECORD"].decode().replace(good, bad)
    results = check_wheel(make_wheel(tmp_path, PURE, PURE_FILES, record=record))[0]
    assert message(results, "wheel.record") == f"demo/__init__.py: {algorithm} differs from RECORD"


@pytest.mark.parametrize(("field", "why"), [("nohash", "RECORD hash 'nohash' is not algorithm=digest"),
                                            ("sha256=", "RECORD hash 'sha256=' is not algorithm=digest"),
                                            ("whirlpool=abc", "unknown hash algorithm 'whirlpool' in RECORD")])
def test_malformed_record_hashes_fail_record(tmp_path, field, why):
    members = wheel_members(PURE, PURE_FILES)
    record = members["demo-1.0.dist-info/RECORD"].decode().replace(
        record_line("demo/__init__.py", b"x = 1\n"), f"demo/__init__.py,{field},6")
    results = check_wheel(make_wheel(tmp_path, PURE, PURE_FILES, record=record))[0]
    assert message(results, "wheel.record") == f"demo/__init__.py: {why}"


def test_record_listing_a_row_twice_fails_record(tmp_path):
    members = wheel_members(PURE, PURE_FILES)
    line = record_line("demo/__init__.py", b"x = 1\n")
    record = members["demo-1.0.dist-info/RECORD"].decode() + line + "\n"
    results = check_wheel(make_wheel(tmp_path, PURE, PURE_FILES, record=record))[0]
    assert message(results, "wheel.record") == "RECORD lists demo/__init__.py twice"


def test_tampered_dist_info_file_fails_record(tmp_path):
    """RECORD hashes *.dist-info files too (the `and`→`or` survivor skipped every one)."""
    members = wheel_members(PURE, PURE_FILES)
    entries = entries_of(members)
    entries[1] = Entry(b"demo-1.0.dist-info/METADATA", members["demo-1.0.dist-info/METADATA"] + b"Requires-Dist: x\n")
    results = check_wheel(raw_wheel(tmp_path, PURE, entries))[0]
    assert message(results, "wheel.record") == (
        "demo-1.0.dist-info/METADATA: sha256 differs from RECORD; "
        "demo-1.0.dist-info/METADATA: RECORD says 46 bytes, the wheel holds 63")


def test_record_signatures_are_exempt_only_inside_dist_info(tmp_path):
    signed = make_wheel(tmp_path, PURE, PURE_FILES, extra_members={"demo-1.0.dist-info/RECORD.jws": b"{}",
                                                                     "demo-1.0.dist-info/RECORD.p7s": b""})
    assert verdicts(check_wheel(signed)[0]) == GOOD
    outside = make_wheel(tmp_path, PURE, PURE_FILES, extra_members={"demo/RECORD.jws": b"{}", "demo/x.p7s": b""})
    assert message(check_wheel(outside)[0], "wheel.record") == (
        "demo/RECORD.jws is not in RECORD; demo/x.p7s is not in RECORD")


def test_record_listing_its_signature_fails_record(tmp_path):
    members = wheel_members(PURE, PURE_FILES)
    record = members["demo-1.0.dist-info/RECORD"].decode() + "demo-1.0.dist-info/RECORD.jws,,\n"
    path = make_wheel(tmp_path, PURE, PURE_FILES, record=record,
                      extra_members={"demo-1.0.dist-info/RECORD.jws": b"{}"})
    assert message(check_wheel(path)[0], "wheel.record") == (
        "demo-1.0.dist-info/RECORD.jws is a signature of RECORD and cannot be listed in it")


@pytest.mark.parametrize("dist_info", ["other-1.0.dist-info", "demo-2.0.dist-info", "demo.dist-info"])
def test_dist_info_name_or_version_differing_from_the_filename_fails_metadata(tmp_path, dist_info):
    path = make_wheel(tmp_path, PURE, PURE_FILES, dist_info=dist_info)
    results = check_wheel(path)[0]
    assert verdicts(results) == expect(metadata="fail")
    assert message(results, "wheel.metadata") == f"{dist_info} does not match the filename's demo 1.0"


def test_dist_info_name_is_compared_normalised(tmp_path):
    path = make_wheel(tmp_path, "my_pkg-1.0-py3-none-any.whl", {"my_pkg/__init__.py": b""},
                      dist_info="My.Pkg-1.0.0.dist-info", metadata=b"Metadata-Version: 2.1\nName: my-pkg\n"
                                                                      b"Version: 1.0\n")
    assert verdicts(check_wheel(path)[0]) == GOOD


def test_stray_data_directory_fails_metadata(tmp_path):
    path = make_wheel(tmp_path, PURE, {**PURE_FILES, "evil-1.0.data/scripts/x": b"",
                                       "demo-1.0.data/scripts/y": b""})
    results = check_wheel(path)[0]
    assert message(results, "wheel.metadata") == (
        "evil-1.0.data is not demo-1.0.data (installers would unpack it as a package)")


@pytest.mark.parametrize(("version", "status", "why"), [
    ("2.0", "fail", "Wheel-Version 2.0: installers refuse a wheel format other than 1.x"),
    ("0.9", "fail", "Wheel-Version 0.9: installers refuse a wheel format other than 1.x"),
    ("1.1", "warn", "Wheel-Version 1.1 is newer than 1.0, which installers warn about"),
    ("one", "fail", "WHEEL's Wheel-Version 'one' is not MAJOR.MINOR"),
    ("", "fail", "WHEEL's Wheel-Version '' is not MAJOR.MINOR"),
])
def test_wheel_version_other_than_1_0(tmp_path, version, status, why):
    results = check_wheel(make_wheel(tmp_path, PURE, PURE_FILES, wheel_version=version))[0]
    assert verdicts(results) == expect(metadata=status)
    assert message(results, "wheel.metadata") == why


@pytest.mark.parametrize(("filename", "files", "purelib", "status", "why"), [
    (GIL_WHEEL, {"demo.cpython-313-x86_64-linux-gnu.so": b""}, "true", "fail",
     "Root-Is-Purelib: true, but the wheel holds native code (it belongs in platlib)"),
    (PURE, PURE_FILES, "false", "warn", "Root-Is-Purelib: false in a pure-Python wheel"),
    (PURE, PURE_FILES, "maybe", "fail", "WHEEL's Root-Is-Purelib 'maybe' is neither true nor false"),
    (PURE, PURE_FILES, "True", "pass", "demo-1.0.dist-info: WHEEL and METADATA match the filename"),
    (GIL_WHEEL, {"demo.cpython-313-x86_64-linux-gnu.so": b""}, "false", "pass",
     "demo-1.0.dist-info: WHEEL and METADATA match the filename"),
])
def test_root_is_purelib_must_fit_the_contents(tmp_path, filename, files, purelib, status, why):
    results = check_wheel(make_wheel(tmp_path, filename, files, purelib=purelib))[0]
    assert verdicts(results)["wheel.metadata"] == status
    assert message(results, "wheel.metadata") == why


@pytest.mark.parametrize(("metadata", "why"), [
    (b"Metadata-Version: 2.1\nName: other\nVersion: 1.0\n", "METADATA says Name: other, the filename says demo"),
    (b"Metadata-Version: 2.1\nName: demo\nVersion: 1.1\n", "METADATA says Version: 1.1, the filename says 1.0"),
    (b"Metadata-Version: 2.1\nName: demo\nVersion: not a version\n",
     "METADATA says Version: not a version, the filename says 1.0"),
    (b"Name: demo\nVersion: 1.0\n", "METADATA has no Metadata-Version: field"),
    (b"Metadata-Version: 2.1\nVersion: 1.0\n", "METADATA has no Name: field"),
    (b"Metadata-Version: 2.1\n\nName: other\n", "METADATA has no Name: field; METADATA has no Version: field"),
])
def test_metadata_must_name_the_wheel(tmp_path, metadata, why):
    results = check_wheel(make_wheel(tmp_path, PURE, PURE_FILES, metadata=metadata))[0]
    assert verdicts(results) == expect(metadata="fail")
    assert message(results, "wheel.metadata") == why


def test_metadata_headers_may_fold_and_differ_in_case(tmp_path):
    metadata = b"metadata-version: 2.1\nNAME: demo\nVersion:\n  1.0\n\nName: ignored body\n"
    assert verdicts(check_wheel(make_wheel(tmp_path, PURE, PURE_FILES, metadata=metadata))[0]) == GOOD


def test_missing_metadata_fails_metadata(tmp_path):
    results = check_wheel(make_wheel(tmp_path, PURE, PURE_FILES, drop=("/METADATA",)))[0]
    assert verdicts(results) == expect(metadata="fail", record="fail")
    assert message(results, "wheel.metadata") == "demo-1.0.dist-info/METADATA is missing"


@pytest.mark.parametrize("filename", ["demo-1.0-cp312-cp313t-manylinux_2_17_x86_64.whl",
                                      "demo-1.0-py3-cp313t-manylinux_2_17_x86_64.whl"])
def test_abi_of_another_interpreter_fails_tags(tmp_path, filename):
    results = check_wheel(make_wheel(tmp_path, filename, T_EXT))[0]
    assert verdicts(results) == expect(tags="fail")
    interpreter = filename.split("-")[2]
    assert message(results, "wheel.tags") == (
        f"{interpreter}-cp313t-manylinux_2_17_x86_64: ABI cp313t belongs to interpreter cp313, not {interpreter}")


def test_stable_abi_needs_a_cpython_interpreter(tmp_path):
    results = check_wheel(make_wheel(tmp_path, "demo-1.0-py3-abi3-manylinux_2_17_x86_64.whl", {"demo.abi3.so": b""}))[0]
    assert verdicts(results) == expect(tags="fail", abi3_freethreaded="pass")
    assert message(results, "wheel.tags") == (
        "py3-abi3-manylinux_2_17_x86_64: the stable ABI abi3 needs a CPython interpreter tag (cp3X)")


def test_compressed_tag_set_holding_only_a_gil_extension_fails_ext_suffix(tmp_path):
    path = make_wheel(tmp_path, "demo-1.0-cp313-cp313.cp313t-manylinux_2_17_x86_64.whl",
                      {"demo/_core.cpython-313-x86_64-linux-gnu.so": b""})
    results = check_wheel(path)[0]
    assert verdicts(results) == expect(ext_suffix="fail")
    assert message(results, "wheel.ext-suffix") == (
        "demo/_core: no file a cp313t build can load (the wheel is tagged cp313t; it holds "
        "_core.cpython-313-x86_64-linux-gnu.so)")


def test_compressed_tag_set_holding_both_extensions_passes(tmp_path):
    path = make_wheel(tmp_path, "demo-1.0-cp313-cp313.cp313t-manylinux_2_17_x86_64.whl",
                      {"demo/_core.cpython-313-x86_64-linux-gnu.so": b"",
                       "demo/_core.cpython-313t-x86_64-linux-gnu.so": b""})
    assert verdicts(check_wheel(path)[0]) == GOOD


@pytest.mark.parametrize("native", ["demo.libs/libfoo-1a2b.so", "demo.libs/libfoo.so.1", "demo/helper.dylib"])
def test_pure_wheel_carrying_native_code_fails_ext_suffix(tmp_path, native):
    results = check_wheel(make_wheel(tmp_path, PURE, {**PURE_FILES, native: b"\x7fELF"}))[0]
    assert verdicts(results) == expect(ext_suffix="fail", metadata="fail")
    assert message(results, "wheel.ext-suffix") == f"a platform-independent (any) wheel holds native code: {native}"


# abi3t (PEP 803): one wheel for both 3.15 builds.

ABI3T_BOTH = "demo-1.0-cp315-abi3.abi3t-manylinux_2_17_x86_64.whl"
ABI3T_ONLY = "demo-1.0-cp315-abi3t-manylinux_2_17_x86_64.whl"


def test_abi3_abi3t_wheel_with_an_abi3t_extension_passes(tmp_path):
    results, facts = check_wheel(make_wheel(tmp_path, ABI3T_BOTH, {"demo/_core.abi3t.so": b""}))
    assert verdicts(results) == expect(abi3_freethreaded="pass")
    assert message(results, "wheel.abi3-freethreaded") == "abi3.abi3t wheel: one wheel serves both builds (PEP 803)"
    assert facts.tags == {Tag("cp315", "abi3", "manylinux_2_17_x86_64"), Tag("cp315", "abi3t", "manylinux_2_17_x86_64")}


def test_abi3t_wheel_with_an_abi3t_extension_passes(tmp_path):
    results = check_wheel(make_wheel(tmp_path, ABI3T_ONLY, {"demo/_core.abi3t.so": b""}))[0]
    assert verdicts(results) == expect(abi3_freethreaded="pass")
    assert message(results, "wheel.abi3-freethreaded") == "abi3t wheel: the free-threaded builds (PEP 803)"


@pytest.mark.parametrize("filename", [ABI3T_ONLY, ABI3T_BOTH])
def test_abi3_extension_in_an_abi3t_wheel_fails(tmp_path, filename):
    results = check_wheel(make_wheel(tmp_path, filename, {"demo/_core.abi3.so": b""}))[0]
    assert verdicts(results) == expect(abi3_freethreaded="pass", ext_suffix="fail")
    expected = {ABI3T_ONLY: "demo/_core.abi3.so is an abi3 extension in a wheel tagged abi3t: abi3 cannot load on a "
                            "free-threaded build",
                ABI3T_BOTH: "demo/_core: no file a abi3t build can load (the wheel is tagged abi3t; it holds "
                            "_core.abi3.so)"}[filename]
    assert message(results, "wheel.ext-suffix") == expected


MESON_ABI3T = "dualpy_abi3t-1.0.0-cp315-abi3.abi3t-manylinux_2_36_x86_64.whl"


@pytest.mark.parametrize("extension", ["demo/_core.abi3t-x86_64-linux-gnu.so", "demo/_core.abi3t.so"])
def test_the_multiarch_abi3t_suffix_meson_writes_on_315_passes(tmp_path, extension):
    results = check_wheel(make_wheel(tmp_path, MESON_ABI3T, {extension: b""}))[0]
    assert verdicts(results) == expect(abi3_freethreaded="pass")
    assert message(results, "wheel.ext-suffix") == "1 extension(s) match abi3, abi3t"


def test_a_multiarch_abi3_suffix_passes_from_315_and_fails_before(tmp_path):
    on_315 = check_wheel(make_wheel(tmp_path, "a-1.0-cp315-abi3-manylinux_2_36_x86_64.whl",
                                    {"a/_core.abi3-x86_64-linux-gnu.so": b""}))[0]
    assert verdicts(on_315) == expect(abi3_freethreaded="pass")
    on_313 = check_wheel(make_wheel(tmp_path, "b-1.0-cp313-abi3-manylinux_2_36_x86_64.whl",
                                    {"b/_core.abi3-x86_64-linux-gnu.so": b""}))[0]
    assert verdicts(on_313) == expect(abi3_freethreaded="pass", ext_suffix="fail")
    assert message(on_313, "wheel.ext-suffix") == (
        "b/_core.abi3-x86_64-linux-gnu.so is an abi3 extension in a wheel tagged abi3: the multiarch stable-ABI "
        "suffix loads from CPython 3.15 only (gh-122931)")


def test_abi3t_before_3_15_fails(tmp_path):
    results = check_wheel(make_wheel(tmp_path, "demo-1.0-cp313-abi3t-manylinux_2_17_x86_64.whl",
                                     {"demo/_core.abi3t.so": b""}))[0]
    assert verdicts(results) == expect(abi3_freethreaded="fail")
    assert message(results, "wheel.abi3-freethreaded").startswith("an abi3t wheel tagged cp313: abi3t exists from")


@pytest.mark.parametrize(("filename", "status"), [
    ("demo-1.0-cp313-cp313-manylinux_2_17_x86_64.whl", "fail"),
    ("demo-1.0-cp315-cp315-manylinux_2_17_x86_64.whl", "pass"),
    ("demo-1.0-cp315-cp315t-manylinux_2_17_x86_64.whl", "pass"),
    ("demo-1.0-cp313-abi3-manylinux_2_17_x86_64.whl", "fail"),
    ("demo-1.0-cp315-abi3-manylinux_2_17_x86_64.whl", "pass"),
    ("demo-1.0-py3-none-manylinux_2_17_x86_64.whl", "fail"),
])
def test_abi3t_extension_loads_from_3_15_only(tmp_path, filename, status):
    results = check_wheel(make_wheel(tmp_path, filename, {"demo/_core.abi3t.so": b""}))[0]
    assert verdicts(results)["wheel.ext-suffix"] == status


def test_abi3t_agrees_with_packaging_on_who_installs_what():
    """Our reading of abi3t matches packaging's tag lists (packaging >= 26.1 knows abi3t)."""
    platform = "manylinux_2_17_x86_64"
    gil = set(cpython_tags((3, 15), ["cp315"], [platform]))
    freethreaded = set(cpython_tags((3, 15), ["cp315t"], [platform]))
    assert Tag("cp315", "abi3t", platform) in freethreaded and Tag("cp315", "abi3t", platform) not in gil
    assert Tag("cp315", "abi3", platform) in gil and Tag("cp315", "abi3", platform) not in freethreaded


def test_pairing_understands_abi3t(tmp_path):
    paths = [
        make_wheel(tmp_path, ABI3T_BOTH, {"demo/_core.abi3t.so": b""}),
        make_wheel(tmp_path, "split-1.0-cp315-abi3-manylinux_2_17_x86_64.whl", {"split/_core.abi3.so": b""}),
        make_wheel(tmp_path, "split-1.0-cp315-abi3t-manylinux_2_17_x86_64.whl", {"split/_core.abi3t.so": b""}),
        make_wheel(tmp_path, "later-1.0-cp315-abi3t-manylinux_2_17_x86_64.whl", {"later/_core.abi3t.so": b""}),
        make_wheel(tmp_path, "later-1.0-cp316-cp316-manylinux_2_17_x86_64.whl",
                   {"later/_core.cpython-316-x86_64-linux-gnu.so": b""}),
        make_wheel(tmp_path, "early-1.0-cp314-abi3-manylinux_2_17_x86_64.whl", {"early/_core.abi3.so": b""}),
        make_wheel(tmp_path, "early-1.0-cp315-cp315t-manylinux_2_17_x86_64.whl",
                   {"early/_core.cpython-315t-x86_64-linux-gnu.so": b""}),
        make_wheel(tmp_path, "alone-1.0-cp315-abi3t-manylinux_2_17_x86_64.whl", {"alone/_core.abi3t.so": b""}),
    ]
    results = check_wheelhouse(paths)[0]
    assert all(r.status is Status.PASS for r in results if r.check != "wheelhouse.pairing")
    pairing = {r.subject: (r.status.value, r.message) for r in results if r.check == "wheelhouse.pairing"}
    assert pairing == {
        "demo 1.0 cp315": ("pass", f"{ABI3T_BOTH} is abi3.abi3t: it serves both builds"),
        "split 1.0 cp315": ("pass", "split-1.0-cp315-abi3-manylinux_2_17_x86_64.whl + "
                                    "split-1.0-cp315-abi3t-manylinux_2_17_x86_64.whl"),
        "later 1.0 cp316": ("pass", "later-1.0-cp316-cp316-manylinux_2_17_x86_64.whl + "
                                    "later-1.0-cp315-abi3t-manylinux_2_17_x86_64.whl (stable ABI)"),
        "early 1.0 cp315": ("pass", "early-1.0-cp315-cp315t-manylinux_2_17_x86_64.whl + "
                                    "early-1.0-cp314-abi3-manylinux_2_17_x86_64.whl (stable ABI)"),
        "alone 1.0 cp315": ("warn", "alone-1.0-cp315-abi3t-manylinux_2_17_x86_64.whl has no GIL twin"),
    }


def test_an_abi3_wheel_pairs_with_the_t_wheel_of_the_python_it_was_built_for(tmp_path):
    paths = [make_wheel(tmp_path, "psutil-7.2.2-cp36-abi3-manylinux_2_28_x86_64.whl", {"psutil/_c.abi3.so": b""}),
             make_wheel(tmp_path, "psutil-7.2.2-cp314-cp314t-manylinux_2_28_x86_64.whl",
                        {"psutil/_c.cpython-314t-x86_64-linux-gnu.so": b""})]
    results, facts = check_wheelhouse(paths)
    pairing = {r.subject: (r.status.value, r.message) for r in results if r.check == "wheelhouse.pairing"}
    assert pairing == {"psutil 7.2.2 cp314": ("pass", "psutil-7.2.2-cp314-cp314t-manylinux_2_28_x86_64.whl + "
                                                      "psutil-7.2.2-cp36-abi3-manylinux_2_28_x86_64.whl (stable ABI)")}
    assert filed_pythons(facts) == {"psutil-7.2.2-cp36-abi3-manylinux_2_28_x86_64.whl": ("cp314",),
                                    "psutil-7.2.2-cp314-cp314t-manylinux_2_28_x86_64.whl": ("cp314",)}
    # Its own Python counts when the project builds for it too; alone, its tag is all there is.
    (tmp_path / "own").mkdir()
    own = [make_wheel(tmp_path / "own", "p-1.0-cp313-abi3-manylinux_2_28_x86_64.whl", {"p/_c.abi3.so": b""}),
           make_wheel(tmp_path / "own", "p-1.0-cp313-cp313t-manylinux_2_28_x86_64.whl",
                      {"p/_c.cpython-313t-x86_64-linux-gnu.so": b""}),
           make_wheel(tmp_path / "own", "p-1.0-cp314-cp314t-manylinux_2_28_x86_64.whl",
                      {"p/_c.cpython-314t-x86_64-linux-gnu.so": b""}),
           make_wheel(tmp_path / "own", "q-1.0-cp36-abi3-manylinux_2_28_x86_64.whl", {"q/_c.abi3.so": b""}),
           make_wheel(tmp_path / "own", "r-1.0-py3-none-any.whl", {"r/__init__.py": b""})]
    filed = filed_pythons(check_wheelhouse(own)[1])
    assert filed == {"p-1.0-cp313-abi3-manylinux_2_28_x86_64.whl": ("cp313", "cp314"),
                     "p-1.0-cp313-cp313t-manylinux_2_28_x86_64.whl": ("cp313",),
                     "p-1.0-cp314-cp314t-manylinux_2_28_x86_64.whl": ("cp314",),
                     "q-1.0-cp36-abi3-manylinux_2_28_x86_64.whl": ("cp36",),
                     "r-1.0-py3-none-any.whl": ("any",)}


def test_pairing_does_not_take_a_later_stable_wheel_as_cover(tmp_path):
    paths = [make_wheel(tmp_path, "x-1.0-cp315-cp315-manylinux_2_17_x86_64.whl",
                        {"x/_c.cpython-315-x86_64-linux-gnu.so": b""}),
             make_wheel(tmp_path, "x-1.0-cp316-abi3t-manylinux_2_17_x86_64.whl", {"x/_c.abi3t.so": b""})]
    pairing = {r.subject: r.status.value for r in check_wheelhouse(paths)[0] if r.check == "wheelhouse.pairing"}
    assert pairing == {"x 1.0 cp315": "warn", "x 1.0 cp316": "warn"}


# Time and memory: bounded work, streamed members, only regular files.

def test_zip_bomb_over_the_bound_fails_without_inflating(tmp_path):
    path = zip_bomb(tmp_path, PURE, 4 * GiB)
    assert path.stat().st_size < 5 * MiB
    results = check_wheel(path)[0]
    assert verdicts(results) == ZIP_FAILS
    assert message(results, "wheel.zip").startswith("its members unpack to 4294967")
    assert message(results, "wheel.zip").endswith("bytes, over the bound of 4294967296")


def test_member_inflating_past_its_declared_size_fails_zip(tmp_path):
    results = check_wheel(zip_bomb(tmp_path, PURE, 64 * MiB, declared=MiB))[0]
    assert verdicts(results) == ZIP_FAILS
    assert message(results, "wheel.zip") == "demo/zeros.bin unpacks past the 1048576 bytes the directory declares"


def test_member_inflating_short_of_its_declared_size_fails_zip(tmp_path):
    results = check_wheel(zip_bomb(tmp_path, PURE, MiB, declared=2 * MiB))[0]
    assert message(results, "wheel.zip") == "demo/zeros.bin unpacks to 1048576 bytes, the directory declares 2097152"


def test_deflate_stream_cut_short_fails_zip(tmp_path):
    entries = entries_of(wheel_members(PURE, PURE_FILES))
    compressed = zip_archive.zlib.compressobj(6, zip_archive.zlib.DEFLATED, -15)
    entries[0] = Entry(b"demo/__init__.py", b"x = 1\n", payload=compressed.compress(b"x = 1\n") + compressed.flush(
        zip_archive.zlib.Z_SYNC_FLUSH))
    results = check_wheel(raw_wheel(tmp_path, PURE, entries))[0]
    assert message(results, "wheel.zip") == "demo/__init__.py is corrupt: the deflate stream ends early"


@pytest.mark.parametrize(("limits", "why"), [
    (Limits(members=3), "4 members, over the bound of 3"),
    (Limits(central_directory_bytes=100), "a central directory of 2"),
    (Limits(inflated_bytes=10), "its members unpack to"),
    (Limits(text_bytes=10), "demo-1.0.dist-info/WHEEL is 75 bytes, over the bound of 10"),
])
def test_every_bound_is_enforced(tmp_path, limits, why):
    results = check_wheel(make_wheel(tmp_path, PURE, PURE_FILES), limits)[0]
    assert verdicts(results) == ZIP_FAILS
    assert why in message(results, "wheel.zip")


def test_forty_million_blank_record_lines_fail_record_quickly(tmp_path):
    members = wheel_members(PURE, PURE_FILES)
    record = members["demo-1.0.dist-info/RECORD"].decode() + "\n" * 40_000_000
    path = make_wheel(tmp_path, PURE, PURE_FILES, record=record, compression=zipfile.ZIP_DEFLATED)
    results = check_wheel(path)[0]
    assert verdicts(results) == expect(record="fail")
    assert message(results, "wheel.record") == "RECORD has 40000005 lines for 4 members"


def test_record_may_end_with_a_few_blank_lines(tmp_path):
    members = wheel_members(PURE, PURE_FILES)
    record = members["demo-1.0.dist-info/RECORD"].decode() + "\n" * 10
    assert verdicts(check_wheel(make_wheel(tmp_path, PURE, PURE_FILES, record=record))[0]) == GOOD


def test_twenty_thousand_files_pass(tmp_path):
    files = {f"demo/m{i}.py": f"x = {i}\n".encode() for i in range(20_000)}
    path = make_wheel(tmp_path, PURE, files, compression=zipfile.ZIP_DEFLATED)
    results = check_wheel(path)[0]
    assert verdicts(results) == GOOD
    assert message(results, "wheel.record") == "20003 files match"


def test_fifo_named_like_a_wheel_gets_a_verdict(tmp_path, no_hang):
    os.mkfifo(tmp_path / PURE)
    results, facts = check_wheel(tmp_path / PURE)
    assert verdicts(results) == ZIP_FAILS and facts is None
    assert message(results, "wheel.zip") == "it is a FIFO, not a regular file"
    os.mkfifo(tmp_path / "x.whl")
    assert verdicts(check_wheel(tmp_path / "x.whl")[0]) == {"wheel.filename": "fail"}


def test_directory_named_like_a_wheel_gets_a_verdict(tmp_path):
    (tmp_path / PURE).mkdir()
    assert message(check_wheel(tmp_path / PURE)[0], "wheel.zip") == "it is a directory, not a regular file"


def test_vanished_wheel_gets_a_verdict(tmp_path):
    results = check_wheel(tmp_path / PURE)[0]
    assert message(results, "wheel.zip") == "cannot open it: No such file or directory"


def test_empty_and_short_files_get_a_verdict(tmp_path):
    for size in (0, 10, 100):
        (tmp_path / PURE).write_bytes(b"PK\x05\x06" * (size // 4))
        assert verdicts(check_wheel(tmp_path / PURE)[0]) == ZIP_FAILS


def _peak_memory(path: Path, limits: str = "Limits()") -> dict:
    """Check one wheel in a fresh interpreter; return its verdicts and its peak RSS in MiB."""
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from dualpy.verify.archive import Limits\n"
        "from dualpy.verify.static import check_wheel\n"
        f"results, _ = check_wheel(Path(sys.argv[1]), {limits})\n"
        # VmHWM belongs to this process's own memory map; ru_maxrss would carry over the parent's across exec.
        "peak = int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM:')).split()[1]) / 1024\n"
        "print(json.dumps({'verdicts': {r.check: r.status.value for r in results}, 'peak_mib': peak,\n"
        "                  'messages': [r.message for r in results]}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, env=env,
                          timeout=120, check=True)
    return json.loads(done.stdout)


def test_four_gib_bomb_is_judged_in_under_200_mb(tmp_path):
    outcome = _peak_memory(zip_bomb(tmp_path, PURE, 4 * GiB))
    assert outcome["verdicts"] == ZIP_FAILS
    assert outcome["peak_mib"] < 200


def test_bomb_lying_about_its_size_is_judged_in_under_200_mb(tmp_path):
    outcome = _peak_memory(zip_bomb(tmp_path, PURE, 4 * GiB, declared=256 * MiB))
    assert outcome["verdicts"] == ZIP_FAILS
    assert outcome["peak_mib"] < 200


def test_a_member_larger_than_the_memory_bound_is_streamed(tmp_path):
    """256 MiB that hash right: read whole, it alone would pass the 200 MB bound."""
    size = 256 * MiB
    crc, digest = 0, hashlib.sha256()
    block = bytes(MiB)
    for _ in range(size // MiB):
        crc = zip_archive.zlib.crc32(block, crc)
        digest.update(block)
    record_digest = "sha256=" + base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()
    outcome = _peak_memory(zip_bomb(tmp_path, PURE, size, crc=crc, record_digest=record_digest))
    assert outcome["verdicts"] == GOOD
    assert outcome["peak_mib"] < 200


# Sharper edges, one assertion per mutant family (mutation testing, issue 16).

def outcome(results) -> dict[str, tuple[str, str]]:
    verdicts(results)
    return {r.check: (r.status.value, r.message) for r in results}


def test_good_wheel_messages_are_exact(tmp_path):
    path = make_wheel(tmp_path, "demo-1.0-cp313-cp313.cp313t-manylinux_2_17_x86_64.whl",
                      {"demo/_c.cpython-313-x86_64-linux-gnu.so": b"", "demo/_c.cpython-313t-x86_64-linux-gnu.so": b""})
    assert outcome(check_wheel(path)[0]) == {
        "wheel.filename": ("pass", "cp313-cp313-manylinux_2_17_x86_64, cp313-cp313t-manylinux_2_17_x86_64"),
        "wheel.zip": ("pass", ""), "wheel.paths": ("pass", ""), "wheel.tags": ("pass", ""),
        "wheel.metadata": ("pass", "demo-1.0.dist-info: WHEEL and METADATA match the filename"),
        "wheel.record": ("pass", "5 files match"),
        "wheel.ext-suffix": ("pass", "2 extension(s) match cp313, cp313t"),
    }


def test_unparsable_filename_message(tmp_path):
    results = check_wheel(tmp_path / "demo-1.0.whl")[0]
    assert outcome(results) == {"wheel.filename": ("fail", "Invalid wheel filename (wrong number of parts): "
                                                           "'demo-1.0'")}


def test_an_unforeseen_error_is_a_verdict_too(tmp_path, monkeypatch):
    from dualpy.verify import static

    def boom(*_args):
        raise LookupError("boom")

    monkeypatch.setattr(static, "_check_open", boom)
    results, facts = check_wheel(make_wheel(tmp_path, PURE, PURE_FILES))
    assert outcome(results) == {"wheel.filename": ("pass", "py3-none-any"),
                                "wheel.zip": ("fail", "unreadable (LookupError: boom)")}
    assert facts is None


def test_headers_fold_continuations_and_stop_at_the_body():
    from dualpy.verify.static import _headers

    text = " stray continuation\nA: 1\n\tmore\nB: x: y\nb: second\nno colon\nX-Y: z\n\nC: body\n"
    assert dict(_headers(text)) == {"a": ["1 more"], "b": ["x: y", "second"], "x-y": ["z"]}


def test_abi3_freethreaded_failure_messages(tmp_path):
    path = make_wheel(tmp_path, "demo-1.0-cp313t-abi3-manylinux_2_17_x86_64.whl", {"demo.abi3.so": b""})
    assert message(check_wheel(path)[0], "wheel.abi3-freethreaded") == (
        "an abi3 wheel claims a free-threaded tag; the limited API does not exist for free-threaded builds "
        "(cpython#111506); use abi3t from 3.15 (PEP 803)")
    path = make_wheel(tmp_path, "demo-1.0-cp313.cp314-abi3t-manylinux_2_17_x86_64.whl", {"demo.abi3t.so": b""})
    assert message(check_wheel(path)[0], "wheel.abi3-freethreaded") == (
        "an abi3t wheel tagged cp313, cp314: abi3t exists from CPython 3.15 (PEP 803); earlier free-threaded builds "
        "cannot load .abi3t.so")
    path = make_wheel(tmp_path, "demo-1.0-py3-abi3t-manylinux_2_17_x86_64.whl", {"demo.abi3t.so": b""})
    results = check_wheel(path)[0]
    assert outcome(results)["wheel.abi3-freethreaded"] == (
        "fail", "an abi3t wheel tagged py3: abi3t exists from CPython 3.15 (PEP 803); earlier free-threaded builds "
                "cannot load .abi3t.so")
    assert message(results, "wheel.tags") == (
        "py3-abi3t-manylinux_2_17_x86_64: the stable ABI abi3t needs a CPython interpreter tag (cp3X)")


def test_lower_case_drive_letters_are_absolute(tmp_path):
    path = make_wheel(tmp_path, PURE, {**PURE_FILES, "c:/evil.py": b""})
    assert message(check_wheel(path)[0], "wheel.paths") == "unsafe member paths: c:/evil.py is absolute"


def test_cp437_name_message(tmp_path):
    entries = entries_of(wheel_members(PURE, PURE_FILES))
    entries.append(Entry("demo/é.py".encode("cp437"), b"", flags=0))
    assert message(check_wheel(raw_wheel(tmp_path, PURE, entries))[0], "wheel.paths") == (
        "unsafe member paths: demo/é.py has a non-ASCII name not flagged UTF-8 (read as cp437 by some tools, "
        "UTF-8 by others)")


def test_mode_bits_count_only_from_unix_tools(tmp_path):
    entries = entries_of(wheel_members(PURE, PURE_FILES))
    entries[0].mode = 0o120777
    entries[0].create_system = 0
    assert verdicts(check_wheel(raw_wheel(tmp_path, PURE, entries))[0]) == GOOD


def test_libraries_vendored_deeper_are_not_extension_modules(tmp_path):
    path = make_wheel(tmp_path, T_WHEEL, {**T_EXT, "demo/_vendor.libs/libx.so": b""})
    assert verdicts(check_wheel(path)[0]) == GOOD


def test_several_tags_are_listed_in_tag_messages(tmp_path):
    path = make_wheel(tmp_path, "demo-1.0-cp313-cp313.cp313t-manylinux_2_17_x86_64.whl", {},
                      wheel_tags=["cp313-cp313-manylinux_2_17_x86_64", "cp313-cp313-musllinux_1_2_x86_64"])
    assert message(check_wheel(path)[0], "wheel.tags") == (
        "WHEEL says cp313-cp313-manylinux_2_17_x86_64, cp313-cp313-musllinux_1_2_x86_64; the filename says "
        "cp313-cp313-manylinux_2_17_x86_64, cp313-cp313t-manylinux_2_17_x86_64")


def test_dashed_dist_info_names_split_at_the_last_dash(tmp_path):
    path = make_wheel(tmp_path, "my_pkg-1.0-py3-none-any.whl", {"my_pkg/__init__.py": b""},
                      dist_info="my-pkg-1.0.dist-info")
    assert verdicts(check_wheel(path)[0]) == GOOD


def test_two_stray_data_directories_are_both_named(tmp_path):
    path = make_wheel(tmp_path, PURE, {**PURE_FILES, "a-1.0.data/x": b"", "b-1.0.data/y": b""})
    assert message(check_wheel(path)[0], "wheel.metadata") == (
        "a-1.0.data, b-1.0.data is not demo-1.0.data (installers would unpack it as a package)")


@pytest.mark.parametrize(("text", "why"), [
    (b"Root-Is-Purelib: true\nTag: py3-none-any\n", "WHEEL's Wheel-Version '' is not MAJOR.MINOR"),
    (b"Wheel-Version: 1.x\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
     "WHEEL's Wheel-Version '1.x' is not MAJOR.MINOR"),
    (b"Wheel-Version: x.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
     "WHEEL's Wheel-Version 'x.0' is not MAJOR.MINOR"),
    (b"Wheel-Version: 1.0.1\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
     "WHEEL's Wheel-Version '1.0.1' is not MAJOR.MINOR"),
    (b"Wheel-Version: 1.0\nTag: py3-none-any\n", "WHEEL's Root-Is-Purelib '' is neither true nor false"),
])
def test_wheel_fields_that_are_missing_or_malformed(tmp_path, text, why):
    results = check_wheel(make_wheel(tmp_path, PURE, PURE_FILES, wheel_text=text))[0]
    assert outcome(results)["wheel.metadata"] == ("fail", why)


def test_platform_wheel_of_no_abi_may_say_platlib(tmp_path):
    path = make_wheel(tmp_path, "demo-1.0-py3-none-manylinux_2_17_x86_64.whl", PURE_FILES, purelib="false")
    assert verdicts(check_wheel(path)[0]) == GOOD


def test_record_line_bound_is_members_plus_sixteen(tmp_path):
    members = wheel_members(PURE, PURE_FILES)
    base = members["demo-1.0.dist-info/RECORD"].decode()  # 4 lines and a final newline: 5 lines for 4 members
    within = base + "\n" * 15  # 20 lines = 4 + 16
    assert verdicts(check_wheel(make_wheel(tmp_path, PURE, PURE_FILES, record=within))[0]) == GOOD
    over = base + "\n" * 16
    assert outcome(check_wheel(make_wheel(tmp_path, PURE, PURE_FILES, record=over))[0])["wheel.record"] == (
        "fail", "RECORD has 21 lines for 4 members")


def test_blank_record_lines_in_the_middle_are_skipped(tmp_path):
    members = wheel_members(PURE, PURE_FILES)
    record = members["demo-1.0.dist-info/RECORD"].decode().replace("\n", "\n\n", 1)
    assert verdicts(check_wheel(make_wheel(tmp_path, PURE, PURE_FILES, record=record))[0]) == GOOD


def test_padded_record_digests_are_accepted(tmp_path):
    members = wheel_members(PURE, PURE_FILES)
    line = record_line("demo/__init__.py", b"x = 1\n")
    name, digest, size = line.split(",")
    record = members["demo-1.0.dist-info/RECORD"].decode().replace(line, f"{name},{digest}=,{size}")
    assert verdicts(check_wheel(make_wheel(tmp_path, PURE, PURE_FILES, record=record))[0]) == GOOD


def test_record_hashing_itself_with_a_hash_only(tmp_path):
    members = wheel_members(PURE, PURE_FILES)
    record = members["demo-1.0.dist-info/RECORD"].decode().replace("RECORD,,", "RECORD,sha256=abc,")
    assert message(check_wheel(make_wheel(tmp_path, PURE, PURE_FILES, record=record))[0], "wheel.record") == (
        "RECORD lists a hash or size for itself (it cannot hash itself)")


def test_record_signature_before_other_members(tmp_path):
    members = {"demo-1.0.dist-info/RECORD.jws": b"{}", **wheel_members(PURE, PURE_FILES)}
    members["demo/late.py"] = b""
    results = check_wheel(raw_wheel(tmp_path, PURE, entries_of(members)))[0]
    assert message(results, "wheel.record") == "demo/late.py is not in RECORD"


@pytest.mark.parametrize(("filename", "files", "status"), [
    ("demo-1.0-cp315-none-manylinux_2_17_x86_64.whl", {"demo.abi3t.so": b""}, "fail"),
    ("demo-1.0-cp313-cp313-manylinux_2_17_x86_64.whl", {"demo.abi3.so": b""}, "pass"),
    ("demo-1.0-cp313-cp313.none-manylinux_2_17_x86_64.whl", {"demo.cpython-313-x86_64-linux-gnu.so": b""}, "pass"),
])
def test_which_abi_loads_which_file(tmp_path, filename, files, status):
    assert verdicts(check_wheel(make_wheel(tmp_path, filename, files))[0])["wheel.ext-suffix"] == status


def test_ext_suffix_messages_are_exact(tmp_path):
    path = make_wheel(tmp_path, GIL_WHEEL, {"a.so": b"", "b.abi3t.so": b"", "c.so": b""})
    assert message(check_wheel(path)[0], "wheel.ext-suffix") == (
        "a.so has no ABI suffix; the interpreter cannot tell which build it is for; b.abi3t.so is an abi3t extension "
        "(CPython 3.15 and later) in a wheel tagged cp313; c.so has no ABI suffix; the interpreter cannot tell which "
        "build it is for")
    path = make_wheel(tmp_path, T_WHEEL, {"x.abi3t.so": b""})
    assert message(check_wheel(path)[0], "wheel.ext-suffix") == (
        "x.abi3t.so is an abi3t extension (CPython 3.15 and later) in a wheel tagged cp313t")


def test_every_module_a_build_cannot_load_is_named(tmp_path):
    path = make_wheel(tmp_path, "demo-1.0-cp313-cp313.cp313t-manylinux_2_17_x86_64.whl",
                      {"a.cpython-313-x86_64-linux-gnu.so": b"", "a.cpython-313-aarch64-linux-gnu.so": b"",
                       "demo/sub/b.cpython-313-x86_64-linux-gnu.so": b"", "0.cpython-312-x86_64-linux-gnu.so": b""})
    assert message(check_wheel(path)[0], "wheel.ext-suffix") == (
        "0.cpython-312-x86_64-linux-gnu.so is a cp312 (GIL) extension in a wheel tagged cp313, cp313t; "
        "a: no file a cp313t build can load (the wheel is tagged cp313t; it holds a.cpython-313-x86_64-linux-gnu.so, "
        "a.cpython-313-aarch64-linux-gnu.so); "
        "demo/sub/b: no file a cp313t build can load (the wheel is tagged cp313t; it holds "
        "b.cpython-313-x86_64-linux-gnu.so)")


def test_pure_wheel_native_code_lists_three_and_counts_the_rest(tmp_path):
    files = {f"demo.libs/lib{i}.so": b"" for i in range(4)}
    path = make_wheel(tmp_path, "demo-1.0-py2.py3-none-any.whl", {**PURE_FILES, **files})
    assert message(check_wheel(path)[0], "wheel.ext-suffix") == (
        "a platform-independent (any) wheel holds native code: demo.libs/lib0.so, demo.libs/lib1.so, "
        "demo.libs/lib2.so (+1 more)")
    (tmp_path / "three").mkdir()
    three = make_wheel(tmp_path / "three", "demo-1.0-py2.py3-none-any.whl",
                       {**PURE_FILES, **{f"demo.libs/lib{i}.so": b"" for i in range(3)}})
    assert message(check_wheel(three)[0], "wheel.ext-suffix").endswith("demo.libs/lib2.so")


def test_every_extension_module_is_named_by_its_dotted_path(tmp_path):
    files = {"zope/interface/__init__.py": b"",
             "zope/interface/_zope_interface_coptimizations.cpython-314t-x86_64-linux-gnu.so": b"",
             "fast.cpython-314t-x86_64-linux-gnu.so": b"",
             "demo-1.0.data/platlib/plat/_p.cpython-314t-x86_64-linux-gnu.so": b"",
             "demo-1.0.data/purelib/pure/_q.abi3t.so": b"",
             "demo-1.0.data/data/share/_r.cpython-314t-x86_64-linux-gnu.so": b"",
             "demo.libs/libz-123.so.1": b"", "zope/interface/libplain.so": b"",
             "zope/bad-name/_s.cpython-314t-x86_64-linux-gnu.so": b""}
    members = wheel_members("demo-1.0-cp314-cp314t-manylinux_2_17_x86_64.whl", files)
    facts = check_wheel(raw_wheel(tmp_path, "demo-1.0-cp314-cp314t-manylinux_2_17_x86_64.whl",
                                  entries_of(members)))[1]
    assert facts.extensions == (
        ("fast", "fast.cpython-314t-x86_64-linux-gnu.so"),
        ("plat._p", "_p.cpython-314t-x86_64-linux-gnu.so"),
        ("pure._q", "_q.abi3t.so"),
        ("zope.interface._zope_interface_coptimizations",
         "_zope_interface_coptimizations.cpython-314t-x86_64-linux-gnu.so"))
    assert facts.top_level == ("fast", "zope")


def test_a_stub_package_is_not_imported(tmp_path):
    files = {"ujson-stubs/__init__.pyi": b"", "ujson-stubs/py.typed": b""}
    members = wheel_members("ujson_stubs-1.0-py3-none-any.whl", files)
    facts = check_wheel(raw_wheel(tmp_path, "ujson_stubs-1.0-py3-none-any.whl", entries_of(members)))[1]
    assert facts.top_level == () and facts.extensions == ()


def test_top_level_skips_dist_info_data_and_libs(tmp_path):
    files = {"demo-1.0.data/purelib/x.py": b"", "demo.libs/libx.so": b"", "zeta/__init__.py": b"", "mod.py": b"",
             "fast.cpython-313-x86_64-linux-gnu.so": b""}
    members = {"demo-1.0.dist-info/x": b"", **wheel_members(GIL_WHEEL, files)}
    facts = check_wheel(raw_wheel(tmp_path, GIL_WHEEL, entries_of(members)))[1]
    assert facts.top_level == ("fast", "mod", "zeta")


def test_pairing_keys_strip_a_t_from_the_interpreter(tmp_path):
    paths = [make_wheel(tmp_path, "x-1.0-cp313t-cp313t-manylinux_2_17_x86_64.whl",
                        {"x.cpython-313t-x86_64-linux-gnu.so": b""}),
             make_wheel(tmp_path, "x-1.0-cp313-cp313-manylinux_2_17_x86_64.whl",
                        {"x.cpython-313-x86_64-linux-gnu.so": b""})]
    pairing = [r for r in check_wheelhouse(paths)[0] if r.check == "wheelhouse.pairing"]
    assert [(r.subject, r.status.value) for r in pairing] == [("x 1.0 cp313", "pass")]


def test_an_abi3_abi3t_wheel_covers_later_pythons(tmp_path):
    paths = [make_wheel(tmp_path, ABI3T_BOTH, {"demo/_core.abi3t.so": b""}),
             make_wheel(tmp_path, "demo-1.0-cp316-cp316t-manylinux_2_17_x86_64.whl",
                        {"demo/_core.cpython-316t-x86_64-linux-gnu.so": b""})]
    pairing = {r.subject: r.message for r in check_wheelhouse(paths)[0] if r.check == "wheelhouse.pairing"}
    assert pairing["demo 1.0 cp316"] == f"demo-1.0-cp316-cp316t-manylinux_2_17_x86_64.whl + {ABI3T_BOTH} (stable ABI)"


def test_wheelhouse_passes_its_limits_on(tmp_path):
    results = check_wheelhouse([make_wheel(tmp_path, PURE, PURE_FILES)], Limits(members=1))[0]
    assert [(r.check, r.status.value) for r in results] == [("wheel.filename", "pass"), ("wheel.zip", "fail")]


def test_bounds_are_inclusive(tmp_path):
    path = make_wheel(tmp_path, PURE, PURE_FILES)
    members = wheel_members(PURE, PURE_FILES)
    total = sum(len(d) for d in members.values())
    largest = max(len(d) for d in members.values())
    listing = zipfile.ZipFile(path)
    directory = sum(46 + len(i.filename) + len(i.extra) for i in listing.infolist())
    exact = Limits(members=4, inflated_bytes=total, central_directory_bytes=directory, text_bytes=largest)
    assert verdicts(check_wheel(path, exact)[0]) == GOOD
    assert message(check_wheel(path, Limits(inflated_bytes=total - 1))[0], "wheel.zip") == (
        f"its members unpack to {total} bytes, over the bound of {total - 1}")
    assert message(check_wheel(path, Limits(central_directory_bytes=directory - 1))[0], "wheel.zip") == (
        f"a central directory of {directory} bytes, over the bound of {directory - 1}")
    assert message(check_wheel(path, Limits(text_bytes=largest - 1))[0], "wheel.zip") == (
        f"demo-1.0.dist-info/RECORD is {largest} bytes, over the bound of {largest - 1}")


def test_a_record_larger_than_one_piece_is_read_whole(tmp_path):
    files = {f"demo/{'x' * 200}{i}.py": b"" for i in range(6000)}
    path = make_wheel(tmp_path, PURE, files, compression=zipfile.ZIP_DEFLATED)
    assert zipfile.ZipFile(path).getinfo("demo-1.0.dist-info/RECORD").file_size > 1.2 * MiB
    assert verdicts(check_wheel(path)[0]) == GOOD


def test_bad_record_rows_do_not_hide_the_rows_after_them(tmp_path):
    members = wheel_members(PURE, PURE_FILES)
    record = "extra,row\n" + members["demo-1.0.dist-info/RECORD"].decode()
    assert message(check_wheel(make_wheel(tmp_path, PURE, PURE_FILES, record=record))[0], "wheel.record") == (
        "RECORD line 1 has 2 fields, not path,hash,size")


def test_digests_ending_in_any_letter_compare_right(tmp_path):
    """A digest is compared whole: stripping more than its '=' padding would cut a final letter off."""
    content = next(c for i in range(10_000)
                   if record_line("demo/x.py", c := f"x = {i}\n".encode(), "sha384").split(",")[1].endswith("X"))
    path = make_wheel(tmp_path, PURE, {**PURE_FILES, "demo/x.py": content}, algorithm="sha384")
    assert verdicts(check_wheel(path)[0]) == GOOD


def test_a_stale_top_level_txt_names_only_modules_the_wheel_holds(tmp_path):
    # xxhash 4.1.0 lists _xxhash, which now lives inside the xxhash package: importing it alone must not be tried.
    wheel = make_wheel(tmp_path, "xxh-1.0-cp313-cp313-manylinux_2_17_x86_64.whl",
                       {"xxh/__init__.py": b"", "xxh/_xxh.cpython-313-x86_64-linux-gnu.so": b"",
                        "xxh-1.0.dist-info/top_level.txt": b"_xxh\nxxh\n"})
    assert check_wheel(wheel)[1].top_level == ("xxh",)
    stale_only = make_wheel(tmp_path, "yyh-1.0-cp313-cp313-manylinux_2_17_x86_64.whl",
                            {"yyh/__init__.py": b"", "yyh-1.0.dist-info/top_level.txt": b"gone\n"})
    assert check_wheel(stale_only)[1].top_level == ("yyh",)


def test_extension_modules_in_any_order_and_under_platlib_at_the_top():
    so = "cpython-314t-x86_64-linux-gnu.so"
    names = [f"demo-1.0.data/data/_r.{so}", "demo/libplain.so", f"demo/_a.{so}", f"bad-name/_s.{so}",
             f"demo-1.0.data/platlib/top.{so}", f"demo-1.0.data/_x.{so}", f"demo/_b.{so}"]
    assert extension_modules(names) == (("demo._a", f"_a.{so}"), ("demo._b", f"_b.{so}"), ("top", f"top.{so}"))


def test_a_stable_wheel_is_filed_under_later_pythons_in_version_order(tmp_path):
    paths = [make_wheel(tmp_path, "p-1.0-cp39-abi3-manylinux_2_28_x86_64.whl", {"p/_c.abi3.so": b""}),
             make_wheel(tmp_path, "p-1.0-cp39-cp39-manylinux_2_28_x86_64.whl",
                        {"p/_c.cpython-39-x86_64-linux-gnu.so": b""}),
             make_wheel(tmp_path, "p-1.0-cp310-cp310t-manylinux_2_28_x86_64.whl",
                        {"p/_c.cpython-310t-x86_64-linux-gnu.so": b""})]
    filed = filed_pythons(check_wheelhouse(paths)[1])
    assert filed["p-1.0-cp39-abi3-manylinux_2_28_x86_64.whl"] == ("cp39", "cp310")


def test_optional_requirements_are_those_an_extra_asks_for():
    from dualpy.verify.static import optional_requirements  # noqa: PLC0415

    assert optional_requirements([
        'cffi>=1.17; extra == "cffi"',
        "typing-extensions>=4",
        "Zope.Deprecation ; extra=='docs' and python_version >= '3.9'",
        'numpy; python_version < "3.14"',
        "not a requirement !!",
        'cffi>=1.17; extra == "cffi"',
    ]) == (("cffi", "cffi"), ("zope-deprecation", "docs"))
    assert optional_requirements([]) == ()


def test_a_wheel_records_its_optional_requirements(tmp_path):
    metadata = (b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nRequires-Dist: attrs\n"
                b"Requires-Dist: cffi>=1.0; extra == 'cffi'\nProvides-Extra: cffi\n\n")
    path = make_wheel(tmp_path, "demo-1.0-py3-none-any.whl", {"demo/__init__.py": b""}, metadata=metadata)
    _results, facts = check_wheel(path)
    assert facts is not None and facts.optional == (("cffi", "cffi"),)
