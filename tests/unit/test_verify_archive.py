"""The bounded zip reader: end records, layout, streams; each shape made byte by byte in the test's temp directory."""

from __future__ import annotations

import bz2
import lzma
import os
import socket
import stat
import struct
import zipfile
import zlib

import pytest

from dualpy.verify import archive as zip_archive
from dualpy.verify.archive import ArchiveError, Findings, Limits, Member
from dualpy.verify.static import check_wheel
from tests.unit.test_verify_static import GOOD, PURE, PURE_FILES, message, verdicts
from tests.unit.wheelcraft import Entry, MiB, build_zip, entries_of, make_wheel, raw_wheel, wheel_members


def entries(**extra: bytes) -> list[Entry]:
    return entries_of(wheel_members(PURE, {**PURE_FILES, **extra}))


def zip_message(tmp_path, items: list[Entry], **options) -> str:
    return message(check_wheel(raw_wheel(tmp_path, PURE, items, **options))[0], "wheel.zip")


def test_findings_keep_five_and_count_the_rest():
    findings = Findings()
    assert not findings and str(findings) == ""
    for index in range(8):
        findings.add(str(index))
    assert findings and str(findings) == "0; 1; 2; 3; 4 (+3 more)"


@pytest.mark.parametrize(("mode", "kind"), [(stat.S_IFDIR, "directory"), (stat.S_IFIFO, "FIFO"),
                                            (stat.S_IFCHR, "character device"), (stat.S_IFBLK, "block device"),
                                            (stat.S_IFSOCK, "socket"), (0, "special file")])
def test_file_kinds_are_named(mode, kind):
    assert zip_archive._file_kind(mode | 0o600) == kind


def test_devices_and_sockets_are_not_opened(tmp_path):
    with pytest.raises(ArchiveError, match="^it is a character device, not a regular file$"):
        zip_archive.open_regular("/dev/null")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp_path / PURE))
    try:
        assert message(check_wheel(tmp_path / PURE)[0], "wheel.zip") == "cannot open it: No such device or address"
    finally:
        server.close()


@pytest.mark.parametrize("zip64_end", ["all", "entries", "offset"])
def test_zip64_end_records_are_read(tmp_path, zip64_end):
    assert verdicts(check_wheel(raw_wheel(tmp_path, PURE, entries(), zip64_end=zip64_end))[0]) == GOOD


@pytest.mark.parametrize(("zip64_end", "why"), [("no-locator", "a Zip64 end record is announced but missing"),
                                                ("bad-record", "the Zip64 end record is corrupt")])
def test_broken_zip64_end_records_fail_zip(tmp_path, zip64_end, why):
    assert zip_message(tmp_path, entries(), zip64_end=zip64_end) == why


def test_zip64_locator_pointing_past_itself_fails_zip(tmp_path):
    data = bytearray(build_zip(entries(), zip64_end="all"))
    locator = data.rindex(b"PK\x06\x07")
    data[locator + 8:locator + 16] = struct.pack("<Q", locator - 55)  # the 56-byte record would overlap the locator
    (tmp_path / PURE).write_bytes(bytes(data))
    assert message(check_wheel(tmp_path / PURE)[0], "wheel.zip") == "a Zip64 end record is announced but missing"


def test_tiny_file_announcing_zip64_fails_zip(tmp_path):
    (tmp_path / PURE).write_bytes(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0, 0, 0))
    assert message(check_wheel(tmp_path / PURE)[0], "wheel.zip") == "a Zip64 end record is announced but missing"


@pytest.mark.parametrize("field", [4, 6])
def test_multi_disk_archives_fail_zip(tmp_path, field):
    data = bytearray(build_zip(entries()))
    data[len(data) - 22 + field] = 1  # this disk's number, or the directory's disk
    (tmp_path / PURE).write_bytes(bytes(data))
    assert message(check_wheel(tmp_path / PURE)[0], "wheel.zip") == "a multi-disk (split) zip archive"


def test_archive_comments_are_allowed(tmp_path):
    assert verdicts(check_wheel(raw_wheel(tmp_path, PURE, entries(), comment=b"made by hand"))[0]) == GOOD


def test_a_comment_holding_an_end_signature_fails_zip(tmp_path):
    """Python's zipfile takes the signature in the comment for the end record: readers would disagree."""
    comment = b"PK\x05\x06" + bytes(26)
    assert zip_message(tmp_path, entries(), comment=comment) == (
        "the end record announces 4 members, the central directory holds 0")


def test_member_data_holding_an_end_signature_is_not_taken_for_the_end(tmp_path):
    items = entries()
    items.insert(0, Entry(b"demo/data.bin", b"PK\x05\x06" + bytes(40), method=zipfile.ZIP_STORED))
    results = check_wheel(raw_wheel(tmp_path, PURE, items))[0]
    assert verdicts(results)["wheel.zip"] == "pass"
    assert message(results, "wheel.record") == "demo/data.bin is not in RECORD"


def test_empty_archive_is_read(tmp_path):
    (tmp_path / PURE).write_bytes(build_zip([]))
    results = check_wheel(tmp_path / PURE)[0]
    assert verdicts(results) == {"wheel.filename": "pass", "wheel.zip": "pass", "wheel.paths": "pass",
                                 "wheel.metadata": "fail", "wheel.tags": "fail"}


def test_an_end_record_miscounting_members_fails_zip(tmp_path):
    assert zip_message(tmp_path, entries(), announced=5) == (
        "the end record announces 5 members, the central directory holds 4")


def test_a_garbled_central_directory_fails_zip(tmp_path):
    data = bytearray(build_zip(entries()))
    data[data.index(b"PK\x01\x02")] = ord("X")
    (tmp_path / PURE).write_bytes(bytes(data))
    assert message(check_wheel(tmp_path / PURE)[0], "wheel.zip") == (
        "not a readable zip archive: Bad magic number for central directory")


def test_central_order_may_differ_from_file_order(tmp_path):
    assert verdicts(check_wheel(raw_wheel(tmp_path, PURE, entries(), central_order=[3, 1, 0, 2]))[0]) == GOOD


def test_local_headers_that_are_not_there_fail_zip(tmp_path):
    items = entries()
    items[0].header_offset = 40  # inside the first member's data
    items[1].header_offset = 10 ** 6  # past the end
    items[2].header_offset = 1  # inside the first local header
    assert zip_message(tmp_path, items) == (
        "demo-1.0.dist-info/WHEEL: no local header where the central directory points; "
        "demo/__init__.py: no local header where the central directory points; "
        "demo-1.0.dist-info/METADATA: its local header lies outside the archive's data; "
        "282 bytes before the first member are not in the central directory")


def test_every_local_header_problem_is_named(tmp_path):
    items = entries()
    items[0].header_offset = 10 ** 6
    items[1].header_offset = 10 ** 6 + 1
    message_ = zip_message(tmp_path, items)
    assert "demo/__init__.py: its local header lies outside" in message_
    assert "demo-1.0.dist-info/METADATA: its local header lies outside" in message_
    items = entries()
    items += [Entry(b"demo/a.py", b"x = 1\n", shares_header_of=0), Entry(b"demo/b.py", b"", shares_header_of=1)]
    assert zip_message(tmp_path, items) == (
        "demo/a.py: the local header names b'demo/__in' or another method: readers would disagree on the "
        "member; demo/b.py: the local header names b'demo-1.0.' or another method: readers would "
        "disagree on the member")


def test_local_header_right_at_the_end_of_the_data_is_outside(tmp_path):
    items = entries()
    data = build_zip(items)
    directory = data.index(b"PK\x01\x02")
    items[3].header_offset = directory - 30 - len(items[3].name) + 1
    assert "demo-1.0.dist-info/RECORD: its local header lies outside the archive's data" in zip_message(tmp_path,
                                                                                                           items)


@pytest.mark.parametrize(("descriptor", "ok"), [
    (b"PK\x07\x08" + bytes(12), True), (bytes(12), True), (b"PK\x07\x08" + bytes(20), True), (bytes(20), True),
    (b"PK\x07\x08" + bytes(13), False), (bytes(13), False), (bytes(16), False), (b"PK\x07\x08" + bytes(8), False),
])
def test_data_descriptors_of_every_valid_length(tmp_path, descriptor, ok):
    items = entries()
    items[0].descriptor = descriptor
    results = check_wheel(raw_wheel(tmp_path, PURE, items))[0]
    if ok:
        assert verdicts(results) == GOOD
    else:
        assert message(results, "wheel.zip") == (
            f"{len(descriptor)} bytes after demo/__init__.py are not in the central directory (a hidden entry?)")


def test_a_gap_without_the_descriptor_flag_is_hidden_data(tmp_path):
    items = entries()
    items[0].payload = None
    data = bytearray(build_zip(items))
    (tmp_path / PURE).write_bytes(bytes(data))
    items[0].descriptor = bytes(12)
    items[0].flags = 0x800
    layout = build_zip(items).replace(b"PK\x03\x04\x14\x00\x08\x08", b"PK\x03\x04\x14\x00\x00\x08", 1)
    layout = layout.replace(b"PK\x01\x02\x1e\x03\x14\x00\x08\x08", b"PK\x01\x02\x1e\x03\x14\x00\x00\x08", 1)
    (tmp_path / PURE).write_bytes(layout)
    assert message(check_wheel(tmp_path / PURE)[0], "wheel.zip") == (
        "12 bytes after demo/__init__.py are not in the central directory (a hidden entry?)")


@pytest.mark.parametrize("size", [1, MiB + MiB // 2])
def test_stored_members_of_any_size_are_read(tmp_path, size):
    path = make_wheel(tmp_path, PURE, {**PURE_FILES, "demo/data.bin": os.urandom(size)})
    assert verdicts(check_wheel(path)[0]) == GOOD


@pytest.mark.parametrize("compression", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA, zipfile.ZIP_DEFLATED])
def test_members_unpacking_to_several_pieces_are_read(tmp_path, compression):
    path = make_wheel(tmp_path, PURE, {**PURE_FILES, "demo/zeros.bin": bytes(3 * MiB + 7)}, compression=compression)
    assert verdicts(check_wheel(path)[0])["wheel.zip"] in ("pass", "warn")
    assert verdicts(check_wheel(path)[0])["wheel.record"] == "pass"


def test_unusual_methods_message(tmp_path):
    path = make_wheel(tmp_path, PURE, PURE_FILES, compression=zipfile.ZIP_BZIP2)
    assert message(check_wheel(path)[0], "wheel.zip") == (
        "4 member(s) bzip2-compressed: Python's zipfile reads them, but wheel tools write stored or deflated members "
        "and not every installer reads others")


def test_truncated_bzip2_stream_fails_zip(tmp_path):
    items = entries()
    data = bytes(range(256)) * 64
    items[0] = Entry(b"demo/__init__.py", data, method=zipfile.ZIP_BZIP2, payload=bz2.compress(data)[:-8])
    assert zip_message(tmp_path, items) == "demo/__init__.py is corrupt: the compressed stream ends early"


def _lzma_payload(data: bytes, *, lc: int = 3, lp: int = 0, pb: int = 2, dict_size: int = 8 * MiB) -> bytes:
    options = {"id": lzma.FILTER_LZMA1, "lc": lc, "lp": lp, "pb": pb, "dict_size": dict_size}
    compressed = lzma.compress(data, format=lzma.FORMAT_RAW, filters=[options])
    packed = (pb * 5 + lp) * 9 + lc
    return b"\x09\x14\x05\x00" + bytes([packed]) + dict_size.to_bytes(4, "little") + compressed


@pytest.mark.parametrize(("lc", "lp", "pb"), [(3, 0, 1), (3, 0, 4), (0, 4, 0), (4, 0, 0)])
def test_lzma_properties_are_decoded(tmp_path, lc, lp, pb):
    data = os.urandom(4096) * 4
    items = entries()
    items[0] = Entry(b"demo/__init__.py", b"x = 1\n", method=zipfile.ZIP_LZMA, flags=0x802,
                     payload=_lzma_payload(b"x = 1\n", lc=lc, lp=lp, pb=pb))
    items.append(Entry(b"demo/data.bin", data, method=zipfile.ZIP_LZMA, flags=0x802,
                       payload=_lzma_payload(data, lc=lc, lp=lp, pb=pb)))
    results = check_wheel(raw_wheel(tmp_path, PURE, items))[0]
    assert verdicts(results)["wheel.zip"] == "warn"


def test_lzma_dictionary_size_is_read_little_endian(tmp_path):
    block = os.urandom(200 * 1024)
    items = entries()
    items.append(Entry(b"demo/data.bin", block * 2, method=zipfile.ZIP_LZMA, flags=0x802,
                       payload=_lzma_payload(block * 2, dict_size=0x00800000)))
    assert verdicts(check_wheel(raw_wheel(tmp_path, PURE, items))[0])["wheel.zip"] == "warn"


@pytest.mark.parametrize("payload", [b"\x09\x14\x05", b"\x09\x14\x04\x00" + bytes(6),
                                     b"\x09\x14\x05\x00\xe1" + bytes(8)])
def test_malformed_lzma_headers_fail_zip(tmp_path, payload):
    items = entries()
    items[0] = Entry(b"demo/__init__.py", b"x = 1\n", method=zipfile.ZIP_LZMA, payload=payload)
    assert zip_message(tmp_path, items) == "demo/__init__.py is corrupt: the LZMA properties are malformed"


@pytest.mark.parametrize(("payload", "flags", "zip_status"), [(b"", 0x800, "fail"),
                                                              (b"\x09\x14\x05\x00\x5d\x00\x00\x80\x00", 0x800, "warn")])
def test_lzma_members_of_header_length(tmp_path, payload, flags, zip_status):
    items = entries()
    items.append(Entry(b"demo/empty.bin", b"", method=zipfile.ZIP_LZMA, flags=flags, payload=payload))
    results = check_wheel(raw_wheel(tmp_path, PURE, items))[0]
    assert verdicts(results)["wheel.zip"] == zip_status
    if zip_status == "fail":
        assert message(results, "wheel.zip") == "demo/empty.bin is corrupt: the LZMA properties are malformed"


def test_largest_valid_lzma_properties_byte_is_not_malformed(tmp_path):
    items = entries()
    items[0] = Entry(b"demo/__init__.py", b"x = 1\n", method=zipfile.ZIP_LZMA, payload=b"\x09\x14\x05\x00\xe0"
                     + bytes(12))
    assert "the LZMA properties are malformed" not in zip_message(tmp_path, items)


def test_lzma_stream_cut_before_its_end_marker(tmp_path):
    data = os.urandom(2048)
    items = entries()
    items.append(Entry(b"demo/data.bin", data, method=zipfile.ZIP_LZMA, flags=0x802,
                       payload=_lzma_payload(data)[:-6]))
    assert zip_message(tmp_path, items) == "demo/data.bin is corrupt: the compressed stream ends early"
    items[-1].flags = 0x800  # no end marker promised: complete output and a right CRC are enough
    assert verdicts(check_wheel(raw_wheel(tmp_path, PURE, items))[0])["wheel.zip"] == "warn"


def test_stream_refuses_a_method_it_cannot_read(tmp_path):
    path = make_wheel(tmp_path, PURE, PURE_FILES)
    fd = zip_archive.open_regular(path)
    try:
        opened = zip_archive.open_archive(fd, Limits())
        member = Member("x", True, 99, 0, 0, 0, 0, 0, 0, opened.members[0].data_offset)
        with pytest.raises(ArchiveError, match=r"^x is corrupt: compression method 99 cannot be read$"):
            list(zip_archive.stream(opened, member))
    finally:
        os.close(fd)


def test_crc_is_checked_across_pieces(tmp_path):
    data = os.urandom(MiB) + os.urandom(MiB // 2)
    items = entries()
    items.append(Entry(b"demo/data.bin", data, method=zipfile.ZIP_STORED, crc=zlib.crc32(data[MiB:])))
    assert zip_message(tmp_path, items) == "demo/data.bin is corrupt (bad CRC)"
