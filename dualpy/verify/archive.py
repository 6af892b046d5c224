"""Untrusted zip archives read with bounded work: structure checked first, members streamed, never read whole.

Python's zipfile trusts what an archive says: it inflates a member whole on `read`, follows any number of
central-directory entries into the same local data (the overlapping-entries zip bomb), never notices bytes that no
entry covers (a hidden member), and raises half a dozen exception types on bad data. Here zipfile only parses the
central directory, and only after the end record has shown it is of a bounded size; the local entries are then
checked to tile the file exactly, and each member is inflated in 1 MiB pieces, its size and CRC checked as it goes.
"""

from __future__ import annotations

import bz2
import lzma
import os
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace

CHUNK = 1 << 20

STORED, DEFLATED, BZIP2, LZMA = 0, 8, 12, 14
METHODS = {STORED: "stored", DEFLATED: "deflated", BZIP2: "bzip2", LZMA: "LZMA"}
UNUSUAL_METHODS = frozenset({BZIP2, LZMA})  # readable, but not what wheel builders write

_ENCRYPTED = 0x1
_LZMA_EOS = 0x2
_DESCRIPTOR = 0x8
_UTF8 = 0x800
_UNIX = 3

_LOCAL = struct.Struct("<4s5H3L2H")  # signature, version, flags, method, time, date, crc, sizes, name and extra length
_END = struct.Struct("<4s4H2LH")  # signature, disks, entries here and in all, directory size and offset, comment
_END64_LOCATOR = struct.Struct("<4sLQL")
_END64 = struct.Struct("<4sQ2H2L4Q")
_LOCAL_SIGNATURE = b"PK\x03\x04"
_DESCRIPTOR_SIGNATURE = b"PK\x07\x08"


@dataclass(frozen=True)
class Limits:
    """The most work one wheel may cost; a wheel over any bound fails instead of being read."""

    members: int = 100_000
    inflated_bytes: int = 4 << 30  # the sum of the members' sizes, as the central directory declares them
    central_directory_bytes: int = 64 << 20
    text_bytes: int = 64 << 20  # RECORD, WHEEL, METADATA and top_level.txt are decoded whole


class ArchiveError(Exception):
    """An archive that cannot be read as it claims to be; the message is one line saying why."""


class Findings:
    """Problems of one kind of check: the first few kept word for word, the rest only counted."""

    def __init__(self, keep: int = 5) -> None:
        self.keep = keep
        self.items: list[str] = []
        self.more = 0

    def add(self, text: str) -> None:
        if len(self.items) < self.keep:
            self.items.append(text)
        else:
            self.more += 1

    def __bool__(self) -> bool:
        return bool(self.items)

    def __str__(self) -> str:
        return "; ".join(self.items) + (f" (+{self.more} more)" if self.more else "")


@dataclass(frozen=True)
class Member:
    """One entry of the central directory, with where its data starts in the file."""

    name: str
    utf8: bool  # the name is flagged UTF-8 (bit 11); without it readers disagree (cp437 or UTF-8)
    method: int
    flags: int
    crc: int
    compressed_size: int
    size: int
    offset: int  # of the local header
    mode: int  # st_mode when a Unix tool made the entry, else 0
    data_offset: int = 0

    @property
    def is_dir(self) -> bool:
        return self.name.endswith("/")


@dataclass
class Archive:
    """An archive whose central directory was read: its members, and what is wrong with its structure."""

    fd: int
    members: list[Member]
    problems: Findings
    unusual: Findings  # readable but out of the ordinary (bzip2 or LZMA members)


def open_regular(path: os.PathLike[str] | str) -> int:
    """A read-only descriptor of path, or ArchiveError when it is not a regular file (a FIFO never blocks)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise ArchiveError(f"cannot open it: {exc.strerror or exc}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise ArchiveError(f"it is a {_file_kind(mode)}, not a regular file")
    return fd


def _file_kind(mode: int) -> str:
    kinds = {stat.S_ISDIR: "directory", stat.S_ISFIFO: "FIFO", stat.S_ISCHR: "character device",
             stat.S_ISBLK: "block device", stat.S_ISSOCK: "socket"}
    return next((kind for test, kind in kinds.items() if test(mode)), "special file")


def _end_record(fd: int, size: int) -> tuple[int, int, int, int]:
    """(entries, directory offset, directory size, where the directory must end) from the end record(s)."""
    tail_size = min(size, _END.size + 0xFFFF)
    tail = os.pread(fd, tail_size, size - tail_size)
    position = len(tail)
    while True:
        position = tail.rfind(b"PK\x05\x06", 0, position)
        if position < 0:
            raise ArchiveError("not a zip archive: no end-of-central-directory record (truncated?)")
        if position + _END.size <= len(tail):
            fields = _END.unpack_from(tail, position)
            if position + _END.size + fields[7] == len(tail):
                break
    _sig, disk, directory_disk, _here, entries, directory_size, directory_offset, _comment = fields
    end_at = size - tail_size + position
    if disk or directory_disk:
        raise ArchiveError("a multi-disk (split) zip archive")
    if entries == 0xFFFF or 0xFFFFFFFF in (directory_size, directory_offset):
        locator_at = end_at - _END64_LOCATOR.size
        locator = os.pread(fd, _END64_LOCATOR.size, max(locator_at, 0))
        signature, _disk, record_at, _disks = _END64_LOCATOR.unpack(locator.ljust(_END64_LOCATOR.size, b"\0"))
        if signature != b"PK\x06\x07" or record_at + _END64.size > locator_at:
            raise ArchiveError("a Zip64 end record is announced but missing")
        fields64 = _END64.unpack(os.pread(fd, _END64.size, record_at))
        if fields64[0] != b"PK\x06\x06":
            raise ArchiveError("the Zip64 end record is corrupt")
        entries, directory_size, directory_offset = fields64[7], fields64[8], fields64[9]
        end_at = record_at
    return entries, directory_offset, directory_size, end_at


def open_archive(fd: int, limits: Limits) -> Archive:
    """Read and check the structure of the zip archive behind fd; ArchiveError when it cannot be listed at all."""
    size = os.fstat(fd).st_size
    entries, directory_offset, directory_size, directory_end = _end_record(fd, size)
    if entries > limits.members:
        raise ArchiveError(f"{entries} members, over the bound of {limits.members}")
    if directory_size > limits.central_directory_bytes:
        raise ArchiveError(f"a central directory of {directory_size} bytes, over the bound of "
                           f"{limits.central_directory_bytes}")
    if directory_offset + directory_size != directory_end:
        raise ArchiveError("the central directory is not where the end record says: bytes were added before, "
                           "inside or after the archive")
    try:
        with open(fd, "rb", closefd=False) as stream, zipfile.ZipFile(stream) as listing:
            infos = listing.infolist()
    except UnicodeDecodeError:
        raise ArchiveError("a member name is flagged UTF-8 but is not valid UTF-8") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, struct.error, OSError, EOFError,
            NotImplementedError) as exc:
        raise ArchiveError(f"not a readable zip archive: {exc}") from None
    if len(infos) != entries:
        raise ArchiveError(f"the end record announces {entries} members, the central directory holds {len(infos)}")
    problems, unusual = Findings(), Findings()
    members = _members(infos, problems, unusual, limits)
    members = _locate(fd, members, directory_offset, problems)
    return Archive(fd, members, problems, unusual)


def _members(infos: list[zipfile.ZipInfo], problems: Findings, unusual: Findings, limits: Limits) -> list[Member]:
    seen: set[str] = set()
    methods: dict[str, int] = {}
    declared = 0
    members = []
    for info in infos:
        name = info.orig_filename
        if name in seen:
            problems.add(f"{name} appears twice (readers disagree on which copy counts)")
        seen.add(name)
        if info.flag_bits & _ENCRYPTED:
            problems.add(f"{name} is encrypted")
        if info.compress_type not in METHODS:
            problems.add(f"{name} uses compression method {info.compress_type}, which installers cannot read")
        elif info.compress_type in UNUSUAL_METHODS:
            methods[METHODS[info.compress_type]] = methods.get(METHODS[info.compress_type], 0) + 1
        declared += info.file_size
        mode = info.external_attr >> 16 if info.create_system == _UNIX else 0
        members.append(Member(name, bool(info.flag_bits & _UTF8), info.compress_type, info.flag_bits, info.CRC,
                              info.compress_size, info.file_size, info.header_offset, mode))
    for method, count in sorted(methods.items()):
        unusual.add(f"{count} member(s) {method}-compressed: Python's zipfile reads them, but wheel tools write "
                    "stored or deflated members and not every installer reads others")
    if declared > limits.inflated_bytes:
        problems.add(f"its members unpack to {declared} bytes, over the bound of {limits.inflated_bytes}")
    return members


def _raw_name(member: Member) -> bytes:
    return member.name.encode("utf-8" if member.utf8 else "cp437")


def _locate(fd: int, members: list[Member], directory_offset: int, problems: Findings) -> list[Member]:
    """The members with their data offsets, once their local entries are shown to tile the file exactly.

    Entries that overlap (several names for one piece of data: the overlapping zip bomb) or bytes no entry covers
    (a local entry left out of the central directory: a member that some readers see and others do not) are
    problems, as is a local header whose name or method differs from its directory entry.
    """
    located = []
    by_offset = sorted(range(len(members)), key=lambda index: members[index].offset)
    ends: list[tuple[int, Member, int]] = []
    for index in by_offset:
        member = members[index]
        raw_name = _raw_name(member)
        if member.offset + _LOCAL.size + len(raw_name) > directory_offset:
            problems.add(f"{member.name}: its local header lies outside the archive's data")
            continue
        header = os.pread(fd, _LOCAL.size + len(raw_name), member.offset)
        fields = _LOCAL.unpack_from(header)
        if fields[0] != _LOCAL_SIGNATURE:
            problems.add(f"{member.name}: no local header where the central directory points")
            continue
        local_name = header[_LOCAL.size:]
        if local_name != raw_name or fields[3] != member.method:
            problems.add(f"{member.name}: the local header names {local_name!r} or another method: "
                         "readers would disagree on the member")
            continue
        data_offset = member.offset + _LOCAL.size + fields[9] + fields[10]
        ends.append((member.offset, member, data_offset + member.compressed_size))
        located.append(replace(member, data_offset=data_offset))
    boundaries = [offset for offset, _member, _end in ends] + [directory_offset]
    if boundaries[0] != 0:
        problems.add(f"{boundaries[0]} bytes before the first member are not in the central directory")
    for index, (_offset, member, end) in enumerate(ends):
        following = boundaries[index + 1]
        if following < end:
            problems.add(f"{member.name} overlaps the next entry (overlapping entries: a zip bomb shape)")
        elif following > end and not _descriptor_fits(fd, member, end, following):
            problems.add(f"{following - end} bytes after {member.name} are not in the central directory "
                         "(a hidden entry?)")
    return located


def _descriptor_fits(fd: int, member: Member, end: int, following: int) -> bool:
    """Whether the gap after a member's data is exactly its data descriptor (flag bit 3)."""
    if not member.flags & _DESCRIPTOR:
        return False
    signed = os.pread(fd, 4, end) == _DESCRIPTOR_SIGNATURE
    return following - end in ((16, 24) if signed else (12, 20))


def _raw_chunks(fd: int, offset: int, length: int) -> Iterator[bytes]:
    while length > 0:
        data = os.pread(fd, min(CHUNK, length), offset)
        if not data:  # the file shrank under us: the size check then fails the member
            return
        offset += len(data)
        length -= len(data)
        yield data


def _inflate(raw: Iterator[bytes]) -> Iterator[bytes]:
    decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
    for chunk in raw:
        data = chunk
        while not decompressor.eof:
            out = decompressor.decompress(data, CHUNK)
            if out:
                yield out
            data = decompressor.unconsumed_tail
            if not data and not out:
                break
        if decompressor.eof:
            return
    raise ArchiveError("the deflate stream ends early")


def _drain(decompressor: bz2.BZ2Decompressor | lzma.LZMADecompressor, raw: Iterator[bytes],
           must_end: bool) -> Iterator[bytes]:
    for chunk in raw:
        out = decompressor.decompress(chunk, CHUNK)
        if out:
            yield out
        while not decompressor.needs_input and not decompressor.eof:
            out = decompressor.decompress(b"", CHUNK)
            if not out:
                break
            yield out
        if decompressor.eof:
            return
    if must_end:
        raise ArchiveError("the compressed stream ends early")


def _lzma(raw: Iterator[bytes], flags: int) -> Iterator[bytes]:
    """LZMA as zip stores it: a 4-byte header, the LZMA1 properties, then a raw stream (APPNOTE 5.8.8)."""
    head = next(raw, b"")  # the first piece holds the 9-byte header unless the member is shorter
    if len(head) < 9 or head[2:4] != b"\x05\x00" or head[4] >= 9 * 5 * 5:
        raise ArchiveError("the LZMA properties are malformed")
    packed, dict_size = head[4], int.from_bytes(head[5:9], "little")
    lzma_filter = {"id": lzma.FILTER_LZMA1, "dict_size": dict_size, "lc": packed % 9, "lp": packed // 9 % 5,
                   "pb": packed // 45}
    decompressor = lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=[lzma_filter])

    def rest() -> Iterator[bytes]:
        yield head[9:]
        yield from raw

    return _drain(decompressor, rest(), bool(flags & _LZMA_EOS))


def _unpacked(archive: Archive, member: Member) -> Iterator[bytes]:
    raw = _raw_chunks(archive.fd, member.data_offset, member.compressed_size)
    if member.method == STORED:
        yield from raw
    elif member.method == DEFLATED:
        yield from _inflate(raw)
    elif member.method == BZIP2:
        yield from _drain(bz2.BZ2Decompressor(), raw, True)
    elif member.method == LZMA:
        yield from _lzma(raw, member.flags)
    else:
        raise ArchiveError(f"compression method {member.method} cannot be read")


def stream(archive: Archive, member: Member) -> Iterator[bytes]:
    """A member's content in pieces of at most 1 MiB; ArchiveError once it proves corrupt or not its declared size."""
    produced = 0
    crc = 0
    try:
        for piece in _unpacked(archive, member):
            produced += len(piece)
            if produced > member.size:
                raise ArchiveError(f"{member.name} unpacks past the {member.size} bytes the directory declares")
            crc = zlib.crc32(piece, crc)
            yield piece
    except (zlib.error, lzma.LZMAError, OSError, EOFError, ValueError) as exc:
        raise ArchiveError(f"{member.name} is corrupt ({METHODS[member.method]} data: {exc})") from None
    except ArchiveError as exc:
        if str(exc).startswith(member.name):
            raise
        raise ArchiveError(f"{member.name} is corrupt: {exc}") from None
    if produced != member.size:
        raise ArchiveError(f"{member.name} unpacks to {produced} bytes, the directory declares {member.size}")
    if crc != member.crc:
        raise ArchiveError(f"{member.name} is corrupt (bad CRC)")


def read_small(archive: Archive, member: Member, limit: int) -> bytes:
    """A member's whole content, when it is at most limit bytes (RECORD, WHEEL, METADATA)."""
    if member.size > limit:
        raise ArchiveError(f"{member.name} is {member.size} bytes, over the bound of {limit}")
    return b"".join(stream(archive, member))
