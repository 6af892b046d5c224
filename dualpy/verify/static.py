"""Static wheel checks: the archive, its paths, its metadata, its tags, its RECORD, its extension suffixes, pairing.

Wheels are untrusted input (they come from any build, any pull request): every wheel gets a verdict per check and
never a traceback, the run goes on to the next wheel, and the work per wheel is bounded (archive.Limits).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import re
import stat
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from packaging.tags import Tag, parse_tag
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from dualpy.verify import archive as zip_archive
from dualpy.verify.archive import Archive, ArchiveError, Findings, Limits, Member
from dualpy.verify.model import CheckResult, Status

# Stable check ids: reports and release gates key on them.
ZIP = "wheel.zip"
FILENAME = "wheel.filename"
TAGS = "wheel.tags"
RECORD = "wheel.record"
PATHS = "wheel.paths"
METADATA = "wheel.metadata"
EXT_SUFFIX = "wheel.ext-suffix"
ABI3_FREETHREADED = "wheel.abi3-freethreaded"
PAIRING = "wheelhouse.pairing"

LIMITS = Limits()

_VERSIONED_EXT = re.compile(r"\.cpython-(\d+)(t?)-[^./]+\.so$")
_STABLE_EXT = re.compile(r"\.(abi3t?)\.so$")
_NATIVE = re.compile(r"\.(so(\.\d+)*|pyd|dylib|dll)$")
_CP_ABI = re.compile(r"cp(\d)(\d+)(t?)$")
_CP_INTERPRETER = re.compile(r"cp(\d)(\d+)$")
_FIRST_ABI3T_MINOR = 15  # PEP 803: abi3t and .abi3t.so exist from CPython 3.15

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
class WheelFacts:
    """What the static checks learnt about a wheel that the runtime checks need."""

    path: Path
    name: str
    version: str
    tags: frozenset[Tag]
    top_level: tuple[str, ...]
    classifiers: tuple[str, ...] = ()  # METADATA's trove classifiers (free-threading readiness reads them)


@dataclass(frozen=True)
class _Row:
    hash: str
    size: str


def _fail(wheel: str, check: str, message: str) -> CheckResult:
    return CheckResult(wheel, check, Status.FAIL, message)


def _pass(wheel: str, check: str, message: str = "") -> CheckResult:
    return CheckResult(wheel, check, Status.PASS, message)


def _warn(wheel: str, check: str, message: str) -> CheckResult:
    return CheckResult(wheel, check, Status.WARN, message)


def _verdict(wheel: str, check: str, problems: Findings, warnings: Findings, ok: str) -> CheckResult:
    if problems:
        return _fail(wheel, check, str(problems))
    if warnings:
        return _warn(wheel, check, str(warnings))
    return _pass(wheel, check, ok)


def _dist_info(names: list[str]) -> str | None:
    candidates = {n.split("/")[0] for n in names if "/" in n and n.split("/")[0].endswith(".dist-info")}
    return sorted(candidates)[0] if len(candidates) == 1 else None


def _decode(data: bytes, what: str) -> str:
    try:
        return data.decode()
    except UnicodeDecodeError as exc:
        raise ValueError(f"{what} is not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})") from None


def _headers(text: str) -> dict[str, list[str]]:
    """The RFC 822-style header fields of a WHEEL or METADATA file (keys lower-cased), up to the first blank line."""
    headers: dict[str, list[str]] = defaultdict(list)
    last = ""
    for line in io.StringIO(text):
        if not line.strip():
            break
        if line[0] in " \t" and last:
            headers[last][-1] += " " + line.strip()
            continue
        key, separator, value = line.partition(":")
        if separator:
            last = key.strip().lower()
            headers[last].append(value.strip())
    return headers


def _check_paths(wheel: str, members: list[Member]) -> CheckResult:
    """Names that land outside the install root, links and devices, and names whose bytes readers decode apart."""
    problems = Findings()
    for member in members:
        name = member.name
        parts = re.split(r"[/\\]", name)
        if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
            problems.add(f"{name} is absolute")
        elif ".." in parts:
            problems.add(f"{name} climbs out of the install root")
        elif "\\" in name:
            problems.add(f"{name} uses \\ as a separator (Windows installers split on it)")
        if "\x00" in name:
            problems.add(f"{name!r} holds a NUL byte (readers cut the name there)")
        kind = stat.S_IFMT(member.mode)
        if stat.S_ISLNK(member.mode):
            problems.add(f"{name} is a symlink (installers write its target path as the file's content)")
        elif kind and not (stat.S_ISREG(member.mode) or stat.S_ISDIR(member.mode)):
            problems.add(f"{name} is a special file (mode {oct(kind)})")
        if not member.utf8 and not name.isascii():
            problems.add(f"{name} has a non-ASCII name not flagged UTF-8 (read as cp437 by some tools, UTF-8 by "
                         "others)")
    if problems:
        return _fail(wheel, PATHS, f"unsafe member paths: {problems}")
    return _pass(wheel, PATHS)


def _is_native(name: str) -> bool:
    return bool(_NATIVE.search(name))


def _extensions(names: list[str]) -> list[str]:
    """Extension modules of a wheel (auditwheel's vendored libraries under *.libs/ are not modules)."""
    return [n for n in names if n.endswith(".so") and not any(part.endswith(".libs") for part in n.split("/")[:-1])]


def _minor(interpreter: str) -> int | None:
    """3.X's minor X of a CPython interpreter tag (cp315 -> 15), None for py3 and others."""
    match = _CP_INTERPRETER.match(interpreter)
    return int(match[2]) if match and match[1] == "3" else None


def _check_tags(wheel: str, filename_tags: frozenset[Tag], wheel_file: str | None,
                errors: dict[str, str]) -> CheckResult:
    """The WHEEL file's Tag lines equal the filename's tags, and each CPython ABI names its own interpreter."""
    if wheel_file is None:
        return _fail(wheel, TAGS, errors["WHEEL"])
    problems = Findings()
    tags: set[Tag] = set()
    for value in _headers(wheel_file).get("tag", []):
        try:
            parsed = parse_tag(value)
        except ValueError:
            parsed = frozenset()
        if not parsed or any(not (t.interpreter and t.abi and t.platform) for t in parsed):
            problems.add(f"Tag: {value!r} is not interpreter-abi-platform")
        tags |= parsed
    if problems:
        return _fail(wheel, TAGS, f"WHEEL: {problems}")
    if not tags:
        return _fail(wheel, TAGS, "WHEEL has no Tag: line")
    if tags != set(filename_tags):
        return _fail(wheel, TAGS, "WHEEL says " + ", ".join(sorted(map(str, tags)))
                     + "; the filename says " + ", ".join(sorted(map(str, filename_tags))))
    for tag in sorted(filename_tags, key=str):
        abi = _CP_ABI.match(tag.abi)
        if abi and tag.interpreter != f"cp{abi[1]}{abi[2]}":
            problems.add(f"{tag}: ABI {tag.abi} belongs to interpreter cp{abi[1]}{abi[2]}, not {tag.interpreter}")
        elif tag.abi in ("abi3", "abi3t") and _minor(tag.interpreter.removesuffix("t")) is None:
            problems.add(f"{tag}: the stable ABI {tag.abi} needs a CPython interpreter tag (cp3X)")
    if problems:
        return _fail(wheel, TAGS, str(problems))
    return _pass(wheel, TAGS)


def _check_metadata(wheel: str, name: str, version: str, dist_info: str, names: set[str], wheel_file: str | None,
                    metadata: str | None, errors: dict[str, str], native: bool, pure: bool) -> CheckResult:
    """The dist-info directory, WHEEL's format fields and METADATA agree with the filename (what installers refuse)."""
    problems, warnings = Findings(), Findings()
    stem = dist_info.removesuffix(".dist-info")
    dist_name, _, dist_version = stem.rpartition("-")
    if canonicalize_name(dist_name) != canonicalize_name(name) or not _same_version(dist_version, version):
        problems.add(f"{dist_info} does not match the filename's {name} {version}")
    data_dirs = {n.split("/")[0] for n in names if "/" in n and n.split("/")[0].endswith(".data")}
    stray = sorted(data_dirs - {f"{stem}.data"})
    if stray:
        problems.add(f"{', '.join(stray)} is not {stem}.data (installers would unpack it as a package)")
    for what in ("WHEEL", "METADATA"):
        if errors[what]:
            problems.add(errors[what])
    if wheel_file is not None:
        fields = _headers(wheel_file)
        wheel_version = (fields.get("wheel-version") or [""])[0]
        major, _, minor = wheel_version.partition(".")
        if not (major.isdigit() and minor.isdigit()):
            problems.add(f"WHEEL's Wheel-Version {wheel_version!r} is not MAJOR.MINOR")
        elif int(major) != 1:
            problems.add(f"Wheel-Version {wheel_version}: installers refuse a wheel format other than 1.x")
        elif int(minor) > 0:
            warnings.add(f"Wheel-Version {wheel_version} is newer than 1.0, which installers warn about")
        purelib = (fields.get("root-is-purelib") or [""])[0].lower()
        if purelib not in ("true", "false"):
            problems.add(f"WHEEL's Root-Is-Purelib {purelib!r} is neither true nor false")
        elif purelib == "true" and native:
            problems.add("Root-Is-Purelib: true, but the wheel holds native code (it belongs in platlib)")
        elif purelib == "false" and pure:
            warnings.add("Root-Is-Purelib: false in a pure-Python wheel")
    if metadata is not None:
        fields = _headers(metadata)
        for key in ("metadata-version", "name", "version"):
            if not fields.get(key):
                problems.add(f"METADATA has no {key.title()}: field")
        meta_name = (fields.get("name") or [""])[0]
        meta_version = (fields.get("version") or [""])[0]
        if meta_name and canonicalize_name(meta_name) != canonicalize_name(name):
            problems.add(f"METADATA says Name: {meta_name}, the filename says {name}")
        if meta_version and not _same_version(meta_version, version):
            problems.add(f"METADATA says Version: {meta_version}, the filename says {version}")
    return _verdict(wheel, METADATA, problems, warnings, f"{dist_info}: WHEEL and METADATA match the filename")


def _same_version(text: str, version: str) -> bool:
    try:
        return Version(text) == Version(version)
    except InvalidVersion:
        return False


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


def _hashers(rows: dict[str, _Row]) -> dict[str, Callable[[], _Digest]]:
    """For each RECORD path with an acceptable algorithm, how to hash it."""
    hashers: dict[str, Callable[[], _Digest]] = {}
    for path, row in rows.items():
        algorithm, separator, _ = row.hash.partition("=")
        if separator and algorithm in _HASHES:
            hashers[path] = _HASHES[algorithm]
    return hashers


def _digest(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).rstrip(b"=").decode()


def _stream_members(archive: Archive, hashers: dict[str, Callable[[], _Digest]]) -> dict[str, str]:
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


def _check_record(wheel: str, dist_info: str, files: list[Member], rows: dict[str, _Row], record_problems: Findings,
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
        return _fail(wheel, RECORD, str(problems))
    return _pass(wheel, RECORD, f"{len(files)} files match")


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


def _abis(tags: frozenset[Tag]) -> set[str]:
    return {t.abi for t in tags}


def _freethreaded_abis(abis: set[str]) -> set[str]:
    return {a for a in abis if (m := _CP_ABI.match(a)) and m[3]}


def _check_stable_abi(wheel: str, tags: frozenset[Tag]) -> list[CheckResult]:
    """abi3 has no free-threaded form (cpython#111506); abi3t (PEP 803) exists from CPython 3.15."""
    abis = _abis(tags)
    interpreters = {t.interpreter for t in tags}
    if "abi3" in abis and (any(i.endswith("t") for i in interpreters) or _freethreaded_abis(abis)):
        return [_fail(wheel, ABI3_FREETHREADED,
                      "an abi3 wheel claims a free-threaded tag; the limited API does not exist for free-threaded "
                      "builds (cpython#111506); use abi3t from 3.15 (PEP 803)")]
    if "abi3t" in abis:
        early = sorted(i for i in interpreters if (_minor(i) or 0) < _FIRST_ABI3T_MINOR)
        if early:
            return [_fail(wheel, ABI3_FREETHREADED,
                          f"an abi3t wheel tagged {', '.join(early)}: abi3t exists from CPython 3.15 (PEP 803); "
                          "earlier free-threaded builds cannot load .abi3t.so")]
        if "abi3" in abis:
            return [_pass(wheel, ABI3_FREETHREADED, "abi3.abi3t wheel: one wheel serves both builds (PEP 803)")]
        return [_pass(wheel, ABI3_FREETHREADED, "abi3t wheel: the free-threaded builds (PEP 803)")]
    if "abi3" in abis:
        return [_pass(wheel, ABI3_FREETHREADED, "abi3 wheel, GIL tags only")]
    return []


def _loads(extension: str, abi: str, minors: set[int]) -> bool:
    """Whether an interpreter of ABI `abi` (tag minors `minors`) imports this extension file."""
    versioned = _VERSIONED_EXT.search(extension)
    if versioned:
        return abi == f"cp{versioned[1]}{versioned[2]}"
    stable = _STABLE_EXT.search(extension)
    if stable is None or abi == "none":
        return False
    abi_match = _CP_ABI.match(abi)
    if stable[1] == "abi3":  # a free-threaded build never loads .abi3.so
        return abi == "abi3" or bool(abi_match and not abi_match[3])
    if abi == "abi3t":  # .abi3t.so: free-threaded builds from 3.15, and GIL builds from 3.15 too
        return True
    if abi_match:
        return int(abi_match[2]) >= _FIRST_ABI3T_MINOR
    return bool(minors) and min(minors) >= _FIRST_ABI3T_MINOR


def _describe(extension: str) -> str:
    versioned = _VERSIONED_EXT.search(extension)
    if versioned:
        kind = "free-threaded" if versioned[2] else "GIL"
        return f"a cp{versioned[1]}{versioned[2]} ({kind}) extension"
    stable = _STABLE_EXT.search(extension)
    if stable and stable[1] == "abi3t":
        return "an abi3t extension (CPython 3.15 and later)"
    return "an abi3 extension"


def _check_suffixes(wheel: str, tags: frozenset[Tag], names: list[str]) -> CheckResult:
    """Each extension loads under some ABI the wheel claims, and each claimed ABI finds every extension module."""
    abis = _abis(tags)
    tagged = ", ".join(sorted(abis))
    minors = {m for t in tags if (m := _minor(t.interpreter)) is not None}
    extensions = _extensions(names)
    problems = Findings()
    if all(t.platform == "any" for t in tags):
        native = [n for n in names if _is_native(n)]
        if native:
            problems.add("a platform-independent (any) wheel holds native code: " + ", ".join(native[:3]))
    modules: dict[str, list[str]] = defaultdict(list)
    unloadable: set[str] = set()
    for name in extensions:
        suffix = _VERSIONED_EXT.search(name) or _STABLE_EXT.search(name)
        if suffix is None:
            problems.add(f"{name} has no ABI suffix; the interpreter cannot tell which build it is for")
            continue
        modules[name[:suffix.start()]].append(name)
        if not any(_loads(name, abi, minors) for abi in abis):
            freethreaded = _freethreaded_abis(abis) or "abi3t" in abis
            why = ": abi3 cannot load on a free-threaded build" if name.endswith(".abi3.so") and freethreaded else ""
            problems.add(f"{name} is {_describe(name)} in a wheel tagged {tagged}{why}")
            unloadable.add(name[:suffix.start()])
    for module, files in sorted(modules.items()):
        if module in unloadable:
            continue  # said above, file by file
        for abi in sorted(abis - {"none"}):
            if not any(_loads(f, abi, minors) for f in files):
                problems.add(f"{module}: no file a {abi} build can load (the wheel is tagged {abi}; it holds "
                             + ", ".join(f.rpartition("/")[2] for f in files) + ")")
    if problems:
        return _fail(wheel, EXT_SUFFIX, str(problems))
    if extensions:
        return _pass(wheel, EXT_SUFFIX, f"{len(extensions)} extension(s) match {tagged}")
    if abis - {"none"}:
        return _warn(wheel, EXT_SUFFIX, f"tagged {tagged} but holds no extension module")
    return _pass(wheel, EXT_SUFFIX, "pure-Python wheel, no extensions")


def _top_level(listed: str | None, names: list[str]) -> tuple[str, ...]:
    if listed and listed.split():
        return tuple(sorted(set(listed.split())))
    modules = set()
    for name in names:
        first = name.split("/")[0]
        if first.endswith((".dist-info", ".data")) or first.endswith(".libs"):
            continue
        if "/" in name:
            modules.add(first)
        elif name.endswith(".py"):
            modules.add(name[:-3])
        elif name.endswith(".so"):
            modules.add(name.split(".")[0])
    return tuple(sorted(modules))


def _read_text(archive: Archive, by_name: dict[str, Member], name: str, limits: Limits) -> tuple[str | None, str]:
    """A dist-info file as (text, ""), or (None, why) when absent or not UTF-8. ArchiveError when unreadable."""
    member = by_name.get(name)
    if member is None:
        return None, f"{name} is missing"
    data = zip_archive.read_small(archive, member, limits.text_bytes)
    try:
        return _decode(data, name), ""
    except ValueError as exc:
        return None, str(exc)


def _zip_result(wheel: str, archive: Archive) -> CheckResult:
    if archive.unusual:
        return _warn(wheel, ZIP, str(archive.unusual))
    return _pass(wheel, ZIP)


def _record(text: str | None, why: str, member_count: int) -> tuple[dict[str, _Row], Findings] | str:
    """RECORD's rows and row problems, or why RECORD as a whole cannot be used."""
    if text is None:
        return why
    try:
        return _parse_record(text, member_count)
    except ValueError as exc:
        return str(exc)


def _check_open(path: Path, archive: Archive, name: str, version: str, tags: frozenset[Tag],
                limits: Limits) -> tuple[list[CheckResult], WheelFacts | None]:
    """The checks of a wheel whose archive could be listed; ArchiveError when its structure or data is broken."""
    wheel = path.name
    if archive.problems:
        raise ArchiveError(str(archive.problems))
    members = archive.members
    names = [m.name for m in members]
    files = [m for m in members if not m.is_dir]
    by_name = {m.name: m for m in members}
    paths = _check_paths(wheel, members)
    dist_info = _dist_info(names)
    if dist_info is None:
        _stream_members(archive, {})
        found = sorted({n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info") and "/" in n})
        why = f"{len(found)} *.dist-info directories ({', '.join(found) or 'none'}); a wheel has exactly one"
        return [_zip_result(wheel, archive), paths, _fail(wheel, METADATA, why),
                _fail(wheel, TAGS, f"no WHEEL file to read: {why}")], None
    errors: dict[str, str] = {}
    wheel_file, errors["WHEEL"] = _read_text(archive, by_name, f"{dist_info}/WHEEL", limits)
    metadata, errors["METADATA"] = _read_text(archive, by_name, f"{dist_info}/METADATA", limits)
    top_level, _ = _read_text(archive, by_name, f"{dist_info}/top_level.txt", limits)
    record = _record(*_read_text(archive, by_name, f"{dist_info}/RECORD", limits), len(members))
    digests = _stream_members(archive, _hashers(record[0] if isinstance(record, tuple) else {}))
    native = any(_is_native(n) for n in names)
    pure = all(t.abi == "none" and t.platform == "any" for t in tags)
    results = [
        _zip_result(wheel, archive),
        paths,
        _check_metadata(wheel, name, version, dist_info, set(names), wheel_file, metadata, errors, native, pure),
        _check_tags(wheel, tags, wheel_file, errors),
        (_check_record(wheel, dist_info, files, *record, digests) if isinstance(record, tuple)
         else _fail(wheel, RECORD, record)),
        *_check_stable_abi(wheel, tags),
        _check_suffixes(wheel, tags, names),
    ]
    classifiers = tuple(_headers(metadata).get("classifier", [])) if metadata else ()
    return results, WheelFacts(path, name, version, tags, _top_level(top_level, names), classifiers)


def check_wheel(path: Path, limits: Limits = LIMITS) -> tuple[list[CheckResult], WheelFacts | None]:
    """Run every static check on one wheel; return the results and, when it parses, its facts. Never raises."""
    wheel = path.name
    try:
        name, version, _build, tags = parse_wheel_filename(wheel)
    except ValueError as exc:
        return [_fail(wheel, FILENAME, str(exc))], None
    results = [_pass(wheel, FILENAME, ", ".join(sorted(str(t) for t in tags)))]
    try:
        fd = zip_archive.open_regular(path)
    except ArchiveError as exc:
        return results + [_fail(wheel, ZIP, str(exc))], None
    try:
        archive = zip_archive.open_archive(fd, limits)
        checked, facts = _check_open(path, archive, str(name), str(version), frozenset(tags), limits)
    except ArchiveError as exc:
        return results + [_fail(wheel, ZIP, str(exc))], None
    except (OSError, ValueError, LookupError, ArithmeticError, RecursionError) as exc:
        # No input may end the run: an error not foreseen above still becomes this wheel's verdict.
        return results + [_fail(wheel, ZIP, f"unreadable ({type(exc).__name__}: {exc})")], None
    finally:
        os.close(fd)
    return results + checked, facts


def _python_key(tags: frozenset[Tag]) -> tuple[str, str]:
    """(python, variant side) of a wheel: ('cp313', 'gil'|'t'), 'both' for py3-none-any and abi3.abi3t."""
    abis = _abis(tags)
    interpreters = sorted({t.interpreter for t in tags})
    if abis == {"none"}:
        return "any", "both"
    python = interpreters[0].removesuffix("t")
    if {"abi3", "abi3t"} <= abis:
        return python, "both"
    return python, "t" if "abi3t" in abis or _freethreaded_abis(abis) else "gil"


def check_pairing(facts: list[WheelFacts]) -> list[CheckResult]:
    """For each project, version and Python: a GIL wheel needs a t twin and the reverse.

    py3-none-any and abi3.abi3t wheels serve both builds; a stable-ABI wheel (abi3, abi3t) also covers the other
    side of every later Python (cp315-abi3t is the t twin of cp316-cp316).
    """
    groups: dict[tuple[str, str, str], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    stable: dict[tuple[str, str], list[tuple[int, str, str]]] = defaultdict(list)
    for fact in facts:
        python, side = _python_key(fact.tags)
        groups[(fact.name, fact.version, python)][side].append(fact.path.name)
        minor = _minor(python)
        if minor is not None and _abis(fact.tags) & {"abi3", "abi3t"}:
            stable[(fact.name, fact.version)].append((minor, side, fact.path.name))
    results = []
    for (name, version, python), sides in sorted(groups.items()):
        subject = f"{name} {version} {python}"
        minor = _minor(python)
        if "both" in sides:
            kind = "py3-none-any" if python == "any" else "abi3.abi3t"
            results.append(_pass(subject, PAIRING, f"{sides['both'][0]} is {kind}: it serves both builds"))
        elif "gil" in sides and "t" in sides:
            results.append(_pass(subject, PAIRING, f"{sides['gil'][0]} + {sides['t'][0]}"))
        else:
            have, need = ("gil", "t") if "gil" in sides else ("t", "gil")
            cover = next((f for m, side, f in sorted(stable[(name, version)])
                          if side in (need, "both") and minor is not None and m <= minor), None)
            if cover:
                results.append(_pass(subject, PAIRING, f"{sides[have][0]} + {cover} (stable ABI)"))
            elif have == "gil":
                results.append(_warn(subject, PAIRING, f"{sides['gil'][0]} has no free-threaded (t) twin"))
            else:
                results.append(_warn(subject, PAIRING, f"{sides['t'][0]} has no GIL twin"))
    return results


def check_wheelhouse(paths: list[Path], limits: Limits = LIMITS) -> tuple[list[CheckResult], list[WheelFacts]]:
    """Static checks of every wheel, then the pairing check across them."""
    results: list[CheckResult] = []
    facts: list[WheelFacts] = []
    for path in sorted(paths):
        wheel_results, wheel_facts = check_wheel(path, limits)
        results += wheel_results
        if wheel_facts:
            facts.append(wheel_facts)
    return results + check_pairing(facts), facts
