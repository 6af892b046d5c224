"""RECORD: parsed with bounded work, every member hashed as it streams, each row held to the wheel spec."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from dualpy.verify import archive as zip_archive
from dualpy.verify.archive import Archive, Findings, Member
from dualpy.verify.model import CheckResult, fail, passed

RECORD = "wheel.record"

# RECORD hashes: the wheel spec asks for sha256 or stronger; md5 and sha1 are refused by `wheel` and pip.
_HASHES: dict[str, Callable[[], _Digest]] = {
    "sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512,
    "sha3_256": hashlib.sha3_256, "sha3_384": hashlib.sha3_384, "sha3_512": hashlib.sha3_512,
    "blake2b": hashlib.blake2b, "blake2s": hashlib.blake2s,
}

_WEAK_HASHES = frozenset({"md5", "sha1", "sha224", "sha3_224"})

_RECORD_SLACK = 16  # RECORD lines beyond one per member (a trailing blank line, a stray one): more is an attack

class _Digest(Protocol):
    def update(self, data: bytes, /) -> None: ...

    def digest(self) -> bytes: ...

@dataclass(frozen=True)
class _Row:
    hash: str
    size: str

def _parse_record(text: str, member_count: int) -> tuple[dict[str, _Row], Findings]:
    """RECORD's rows by path, and what is malformed in them; ValueError when RECORD as a whole cannot be used.

    Linear in RECORD's size, and bounded by the member count: a RECORD of millions of blank lines is refused by a
    line count before any parsing.
    """
    rows: dict[str, _Row] = {}
    problems = Findings()
    lines = text.count("\n") + 1
    if lines > member_count + _RECORD_SLACK:
        raise ValueError(f"RECORD has {lines} lines for {member_count} members")
    reader = csv.reader(io.StringIO(text))
    try:
        for row in reader:
            if not row:
                continue
            if len(row) != 3:
                problems.add(f"RECORD line {reader.line_num} has {len(row)} fields, not path,hash,size")
                continue
            if row[0] in rows:
                problems.add(f"RECORD lists {row[0]} twice")
            rows[row[0]] = _Row(row[1], row[2])
    except csv.Error as exc:
        raise ValueError(f"RECORD is not valid CSV at line {reader.line_num}: {exc}") from None
    return rows, problems

def record_hashers(rows: dict[str, _Row]) -> dict[str, Callable[[], _Digest]]:
    """For each RECORD path with an acceptable algorithm, how to hash it."""
    hashers: dict[str, Callable[[], _Digest]] = {}
    for path, row in rows.items():
        algorithm, separator, _ = row.hash.partition("=")
        if separator and algorithm in _HASHES:
            hashers[path] = _HASHES[algorithm]
    return hashers

def _digest(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).rstrip(b"=").decode()

def stream_members(archive: Archive, hashers: dict[str, Callable[[], _Digest]]) -> dict[str, str]:
    """Read every member once, in file order, checking its size and CRC; return the RECORD digests asked for."""
    digests = {}
    for member in sorted(archive.members, key=lambda m: m.data_offset):
        make = hashers.get(member.name)
        digest = make() if make else None
        for piece in zip_archive.stream(archive, member):
            if digest is not None:
                digest.update(piece)
        if digest is not None:
            digests[member.name] = _digest(digest.digest())
    return digests

def check_record(wheel: str, dist_info: str, files: list[Member], rows: dict[str, _Row], record_problems: Findings,
                  digests: dict[str, str]) -> CheckResult:
    """Every file is in RECORD with a strong hash and its size, both right; RECORD lists nothing else."""
    record_name = f"{dist_info}/RECORD"
    signatures = {f"{dist_info}/RECORD.jws", f"{dist_info}/RECORD.p7s"}
    problems = record_problems
    present = set()
    for member in files:
        name = member.name
        present.add(name)
        row = rows.get(name)
        if name in signatures:
            if row is not None:
                problems.add(f"{name} is a signature of RECORD and cannot be listed in it")
            continue
        if row is None:
            problems.add(f"{name} is not in RECORD")
            continue
        if name == record_name:
            if row.hash or row.size:
                problems.add("RECORD lists a hash or size for itself (it cannot hash itself)")
            continue
        _check_row(name, row, member.size, digests.get(name), problems)
    if record_name not in rows:
        problems.add("RECORD does not list itself")
    for name in rows:
        if name not in present:
            problems.add(f"RECORD lists {name}, which is not in the wheel")
    if problems:
        return fail(wheel, RECORD, str(problems))
    return passed(wheel, RECORD, f"{len(files)} files match")

def _check_row(name: str, row: _Row, size: int, digest: str | None, problems: Findings) -> None:
    algorithm, separator, expected = row.hash.partition("=")
    if not row.hash:
        problems.add(f"{name} has no hash in RECORD")
    elif not separator or not expected:
        problems.add(f"{name}: RECORD hash {row.hash!r} is not algorithm=digest")
    elif algorithm in _WEAK_HASHES:
        problems.add(f"{name}: weak hash {algorithm} in RECORD (sha256 or stronger is required)")
    elif algorithm not in _HASHES:
        problems.add(f"{name}: unknown hash algorithm {algorithm!r} in RECORD")
    elif digest != expected.rstrip("="):
        problems.add(f"{name}: {algorithm} differs from RECORD")
    if not row.size:
        problems.add(f"{name} has no size in RECORD")
    elif row.size != str(size):
        problems.add(f"{name}: RECORD says {row.size} bytes, the wheel holds {size}")

def parse_record_text(text: str | None, why: str, member_count: int) -> tuple[dict[str, _Row], Findings] | str:
    """RECORD's rows and row problems, or why RECORD as a whole cannot be used."""
    if text is None:
        return why
    try:
        return _parse_record(text, member_count)
    except ValueError as exc:
        return str(exc)
