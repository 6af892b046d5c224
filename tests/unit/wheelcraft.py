"""Wheels made in a temp directory for verify's tests: good ones, and hostile ones crafted byte by byte.

`make_wheel` writes a wheel through zipfile whose WHEEL, METADATA and RECORD are right unless told otherwise;
`build_zip` lays out a zip archive entry by entry, so a test can write what zipfile refuses to (a method it does
not know, an encrypted flag, a name flagged UTF-8 that is not, a local entry the central directory leaves out,
entries sharing one local header, sizes past 4 GiB) without a corpus of binary files in the repository.
"""

from __future__ import annotations

import base64
import hashlib
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

MiB = 1 << 20
GiB = 1 << 30


def record_line(name: str, data: bytes, algorithm: str = "sha256") -> str:
    digest = base64.urlsafe_b64encode(hashlib.new(algorithm, data).digest()).rstrip(b"=").decode()
    return f"{name},{algorithm}={digest},{len(data)}"


def wheel_members(filename: str, files: dict[str, bytes], *, wheel_tags: list[str] | None = None,
                  record: str | None = None, algorithm: str = "sha256", purelib: str | None = None,
                  wheel_version: str = "1.0", metadata: bytes | None = None, wheel_text: bytes | None = None,
                  dist_info: str | None = None) -> dict[str, bytes]:
    """The members of a wheel: files, then METADATA, WHEEL and RECORD (each right unless given)."""
    name, version = filename.split("-")[:2]
    dist_info = dist_info or f"{name}-{version}.dist-info"
    tags = wheel_tags or ["-".join(filename[:-4].split("-")[-3:])]
    expanded = []
    for tag in tags:
        interpreter, abi, platforms = tag.split("-")
        expanded += [f"{i}-{a}-{p}" for i in interpreter.split(".") for a in abi.split(".")
                     for p in platforms.split(".")]
    if purelib is None:
        purelib = "true" if all(t.endswith("-none-any") for t in expanded) else "false"
    contents = dict(files)
    contents[f"{dist_info}/METADATA"] = (metadata if metadata is not None else
                                         f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode())
    contents[f"{dist_info}/WHEEL"] = wheel_text if wheel_text is not None else (
        f"Wheel-Version: {wheel_version}\nGenerator: test\nRoot-Is-Purelib: {purelib}\n"
        + "".join(f"Tag: {t}\n" for t in expanded)).encode()
    lines = [record_line(n, d, algorithm) for n, d in contents.items()] + [f"{dist_info}/RECORD,,"]
    contents[f"{dist_info}/RECORD"] = (record if record is not None else "\n".join(lines) + "\n").encode()
    return contents


def make_wheel(directory: Path, filename: str, files: dict[str, bytes], *, wheel_tags: list[str] | None = None,
               record: str | None = None, extra_members: dict[str, bytes] | None = None,
               compression: int = zipfile.ZIP_STORED, drop: tuple[str, ...] = (), **options: object) -> Path:
    """A wheel whose WHEEL tags, METADATA and RECORD are right unless told otherwise."""
    contents = wheel_members(filename, files, wheel_tags=wheel_tags, record=record, **options)  # type: ignore[arg-type]
    contents.update(extra_members or {})
    path = directory / filename
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for member, data in contents.items():
            if not (drop and member.endswith(drop)):
                archive.writestr(member, data)
    return path


@dataclass
class Entry:
    """One member as build_zip lays it out; every field a hostile archive might lie in can be set."""

    name: bytes
    data: bytes = b""
    method: int = zipfile.ZIP_DEFLATED
    payload: bytes | None = None  # the stored bytes; by default `data` compressed by `method`
    flags: int = 0x800
    crc: int | None = None
    size: int | None = None  # the declared uncompressed size; by default len(data)
    mode: int = 0o100644
    listed: bool = True  # in the central directory
    shares_header_of: int | None = None  # central entry pointing at an earlier entry's local header
    header_offset: int | None = None  # where the central entry says the local header is
    create_system: int = 3  # 3: Unix (mode bits count), 0: MS-DOS
    descriptor: bytes | None = None  # a data descriptor after the data (sets flag bit 3)


def _compress(entry: Entry) -> bytes:
    if entry.payload is not None:
        return entry.payload
    if entry.method == zipfile.ZIP_DEFLATED:
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        return compressor.compress(entry.data) + compressor.flush()
    return entry.data


def build_zip(entries: list[Entry], *, prefix: bytes = b"", comment: bytes = b"", zip64_end: str = "",
              disk: int = 0, announced: int | None = None, central_order: list[int] | None = None) -> bytes:
    """A zip archive laid out entry by entry (Zip64 extras when a size passes 4 GiB).

    zip64_end: "all" writes Zip64 end records and marks every end-record field as in them, "entries" marks only
    the count, "no-locator" marks them without writing the records, "bad-record" writes a corrupt record.
    """
    body = bytearray(prefix)
    centrals: list[bytes] = []
    offsets: list[int] = []
    for entry in entries:
        payload = _compress(entry)
        crc = zlib.crc32(entry.data) if entry.crc is None else entry.crc
        size = len(entry.data) if entry.size is None else entry.size
        large = size >= 0xFFFFFFFF or len(payload) >= 0xFFFFFFFF
        extra = struct.pack("<HHQQ", 1, 16, size, len(payload)) if large else b""
        sizes = (0xFFFFFFFF, 0xFFFFFFFF) if large else (len(payload), size)
        flags = entry.flags | (0x8 if entry.descriptor is not None else 0)
        if entry.shares_header_of is None:
            offset = len(body)
            body += struct.pack("<4s5H3L2H", b"PK\x03\x04", 45 if large else 20, flags, entry.method, 0,
                                0x21, crc, *sizes, len(entry.name), len(extra))
            body += entry.name + extra + payload + (entry.descriptor or b"")
        else:
            offset = offsets[entry.shares_header_of]
        offsets.append(offset)
        if not entry.listed:
            continue
        centrals.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", entry.create_system << 8 | 0x1E,
                                    45 if large else 20, flags, entry.method, 0, 0x21, crc, *sizes, len(entry.name),
                                    len(extra), 0, 0, 0, entry.mode << 16,
                                    offset if entry.header_offset is None else entry.header_offset)
                        + entry.name + extra)
    if central_order is not None:
        centrals = [centrals[index] for index in central_order]
    central = b"".join(centrals)
    count = len(centrals) if announced is None else announced
    end = bytearray()
    if zip64_end in ("all", "entries", "offset", "bad-record"):
        record_at = len(body) + len(central)
        end += struct.pack("<4sQ2H2L4Q", b"PK\x06\x06" if zip64_end != "bad-record" else b"PK\x06\x00", 44, 45, 45,
                           0, 0, count, count, len(central), len(body))
        end += struct.pack("<4sLQL", b"PK\x06\x07", 0, record_at, 1)
    if zip64_end:
        marked = {"entries": (0xFFFF, len(central), len(body)),
                  "offset": (count, len(central), 0xFFFFFFFF)}.get(zip64_end, (0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF))
        end += struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, marked[0], marked[0], marked[1], marked[2],
                           len(comment))
    else:
        end += struct.pack("<4s4H2LH", b"PK\x05\x06", disk, disk, count, count, len(central), len(body),
                           len(comment))
    return bytes(body + central + end + comment)


def raw_wheel(directory: Path, filename: str, entries: list[Entry], **options: object) -> Path:
    """A wheel file holding exactly these entries."""
    path = directory / filename
    path.write_bytes(build_zip(entries, **options))  # type: ignore[arg-type]
    return path


def entries_of(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> list[Entry]:
    return [Entry(name.encode(), data, method) for name, data in members.items()]


def zeros_deflated(size: int) -> bytes:
    """A raw deflate stream of `size` zero bytes, made in milliseconds: one full-flushed 1 MiB block, repeated.

    After Z_FULL_FLUSH a block refers to nothing before it, so copies of it can follow each other.
    """
    assert size % MiB == 0
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(bytes(MiB)) + compressor.flush(zlib.Z_FULL_FLUSH)
    return block * (size // MiB) + b"\x03\x00"  # an empty final block ends the stream


def zip_bomb(directory: Path, filename: str, inflated: int, *, declared: int | None = None,
             crc: int = 0, record_digest: str = "") -> Path:
    """A wheel whose one big member inflates to `inflated` zero bytes (declaring `declared`) from ~1/1000 of that."""
    name, version = filename.split("-")[:2]
    dist_info = f"{name}-{version}.dist-info"
    small = wheel_members(filename, {}, record="")
    record = "\n".join([f"{name}/zeros.bin,{record_digest},{declared if declared is not None else inflated}"]
                       + [record_line(n, d) for n, d in small.items() if not n.endswith("RECORD")]
                       + [f"{dist_info}/RECORD,,"]) + "\n"
    small[f"{dist_info}/RECORD"] = record.encode()
    entries = [Entry(f"{name}/zeros.bin".encode(), b"", payload=zeros_deflated(inflated), crc=crc,
                     size=inflated if declared is None else declared)]
    entries += entries_of(small)
    return raw_wheel(directory, filename, entries)
