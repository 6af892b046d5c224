"""Static wheel checks: the archive, its paths, its metadata, its tags, its RECORD, its extension suffixes, pairing.

Wheels are untrusted input (they come from any build, any pull request): every wheel gets a verdict per check and
never a traceback, the run goes on to the next wheel, and the work per wheel is bounded (archive.Limits).
"""

from __future__ import annotations

import io
import os
import re
import stat
from collections import defaultdict
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.tags import Tag, parse_tag
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from dualpy.verify import archive as zip_archive
from dualpy.verify.abi import (
    ABI3_FREETHREADED,
    CP_ABI,
    EXT_SUFFIX,
    PAIRING,
    check_pairing,
    check_stable_abi,
    check_suffixes,
    extension_modules,
    interpreter_minor,
    is_native,
)
from dualpy.verify.archive import Archive, ArchiveError, Findings, Limits, Member
from dualpy.verify.model import CheckResult, WheelFacts, fail, passed, verdict, warn
from dualpy.verify.record import RECORD, check_record, parse_record_text, record_hashers, stream_members

# Every static check id, and what callers use, importable from here.
__all__ = ["ABI3_FREETHREADED", "EXT_SUFFIX", "FILENAME", "METADATA", "PAIRING", "PATHS", "RECORD", "TAGS", "ZIP",
           "WheelFacts", "check_pairing", "check_wheel", "check_wheelhouse"]

# Stable check ids: reports and release gates key on them.
ZIP = "wheel.zip"
FILENAME = "wheel.filename"
TAGS = "wheel.tags"
PATHS = "wheel.paths"
METADATA = "wheel.metadata"

LIMITS = Limits()


def _dist_info(names: list[str]) -> str | None:
    candidates = {n.split("/")[0] for n in names if "/" in n and n.split("/")[0].endswith(".dist-info")}
    return sorted(candidates)[0] if len(candidates) == 1 else None


def _decode(data: bytes, what: str) -> str:
    try:
        return data.decode()
    except UnicodeDecodeError as exc:
        raise ValueError(f"{what} is not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})") from None


_EXTRA_MARKER = re.compile(r"""\bextra\s*==\s*['"]([^'"]+)['"]""")


def optional_requirements(requires_dist: list[str]) -> tuple[tuple[str, str], ...]:
    """(canonical distribution name, extra) of each Requires-Dist only an extra asks for; unreadable ones skipped."""
    optional = []
    for line in requires_dist:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        extra = _EXTRA_MARKER.search(str(requirement.marker or ""))
        if extra:
            optional.append((canonicalize_name(requirement.name), extra.group(1)))
    return tuple(dict.fromkeys(optional))


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
        return fail(wheel, PATHS, f"unsafe member paths: {problems}")
    return passed(wheel, PATHS)


def _check_tags(wheel: str, filename_tags: frozenset[Tag], wheel_file: str | None,
                errors: dict[str, str]) -> CheckResult:
    """The WHEEL file's Tag lines equal the filename's tags, and each CPython ABI names its own interpreter."""
    if wheel_file is None:
        return fail(wheel, TAGS, errors["WHEEL"])
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
        return fail(wheel, TAGS, f"WHEEL: {problems}")
    if not tags:
        return fail(wheel, TAGS, "WHEEL has no Tag: line")
    if tags != set(filename_tags):
        return fail(wheel, TAGS, "WHEEL says " + ", ".join(sorted(map(str, tags)))
                     + "; the filename says " + ", ".join(sorted(map(str, filename_tags))))
    for tag in sorted(filename_tags, key=str):
        abi = CP_ABI.match(tag.abi)
        if abi and tag.interpreter != f"cp{abi[1]}{abi[2]}":
            problems.add(f"{tag}: ABI {tag.abi} belongs to interpreter cp{abi[1]}{abi[2]}, not {tag.interpreter}")
        elif tag.abi in ("abi3", "abi3t") and interpreter_minor(tag.interpreter.removesuffix("t")) is None:
            problems.add(f"{tag}: the stable ABI {tag.abi} needs a CPython interpreter tag (cp3X)")
    if problems:
        return fail(wheel, TAGS, str(problems))
    return passed(wheel, TAGS)


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
        _check_wheel_format(_headers(wheel_file), native, pure, problems, warnings)
    if metadata is not None:
        _check_metadata_fields(_headers(metadata), name, version, problems)
    return verdict(wheel, METADATA, problems, warnings, f"{dist_info}: WHEEL and METADATA match the filename")


def _check_wheel_format(fields: dict[str, list[str]], native: bool, pure: bool, problems: Findings,
                        warnings: Findings) -> None:
    """Add what WHEEL's Wheel-Version and Root-Is-Purelib say wrong (installers refuse) or odd (they warn)."""
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


def _check_metadata_fields(fields: dict[str, list[str]], name: str, version: str, problems: Findings) -> None:
    """Add METADATA's missing required fields, and a Name or Version that is not the filename's."""
    for key in ("metadata-version", "name", "version"):
        if not fields.get(key):
            problems.add(f"METADATA has no {key.title()}: field")
    meta_name = (fields.get("name") or [""])[0]
    meta_version = (fields.get("version") or [""])[0]
    if meta_name and canonicalize_name(meta_name) != canonicalize_name(name):
        problems.add(f"METADATA says Name: {meta_name}, the filename says {name}")
    if meta_version and not _same_version(meta_version, version):
        problems.add(f"METADATA says Version: {meta_version}, the filename says {version}")


def _same_version(text: str, version: str) -> bool:
    try:
        return Version(text) == Version(version)
    except InvalidVersion:
        return False


def _top_level(listed: str | None, names: list[str]) -> tuple[str, ...]:
    """The importable top-level modules: top_level.txt's names that the wheel holds (it can be stale), else the
    wheel's own top-level packages and modules; a PEP 561 stub package (NAME-stubs/) is not importable."""
    modules = set()
    for name in names:
        first = name.split("/")[0]
        if first.endswith((".dist-info", ".data", ".libs", "-stubs")):
            continue
        if "/" in name:
            modules.add(first)
        elif name.endswith(".py"):
            modules.add(name[:-3])
        elif name.endswith(".so"):
            modules.add(name.split(".")[0])
    claimed = set(listed.split()) & modules if listed else set()
    return tuple(sorted(claimed or modules))


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
        return warn(wheel, ZIP, str(archive.unusual))
    return passed(wheel, ZIP)


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
        stream_members(archive, {})
        found = sorted({n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info") and "/" in n})
        why = f"{len(found)} *.dist-info directories ({', '.join(found) or 'none'}); a wheel has exactly one"
        return [_zip_result(wheel, archive), paths, fail(wheel, METADATA, why),
                fail(wheel, TAGS, f"no WHEEL file to read: {why}")], None
    errors: dict[str, str] = {}
    wheel_file, errors["WHEEL"] = _read_text(archive, by_name, f"{dist_info}/WHEEL", limits)
    metadata, errors["METADATA"] = _read_text(archive, by_name, f"{dist_info}/METADATA", limits)
    top_level, _ = _read_text(archive, by_name, f"{dist_info}/top_level.txt", limits)
    record = parse_record_text(*_read_text(archive, by_name, f"{dist_info}/RECORD", limits), len(members))
    digests = stream_members(archive, record_hashers(record[0] if isinstance(record, tuple) else {}))
    native = any(is_native(n) for n in names)
    pure = all(t.abi == "none" and t.platform == "any" for t in tags)
    results = [
        _zip_result(wheel, archive),
        paths,
        _check_metadata(wheel, name, version, dist_info, set(names), wheel_file, metadata, errors, native, pure),
        _check_tags(wheel, tags, wheel_file, errors),
        (check_record(wheel, dist_info, files, *record, digests) if isinstance(record, tuple)
         else fail(wheel, RECORD, record)),
        *check_stable_abi(wheel, tags),
        check_suffixes(wheel, tags, names),
    ]
    headers = _headers(metadata) if metadata else {}
    return results, WheelFacts(path, name, version, tags, _top_level(top_level, names),
                               tuple(headers.get("classifier", [])), extension_modules(names),
                               optional_requirements(headers.get("requires-dist", [])))


def check_wheel(path: Path, limits: Limits = LIMITS) -> tuple[list[CheckResult], WheelFacts | None]:
    """Run every static check on one wheel; return the results and, when it parses, its facts. Never raises."""
    wheel = path.name
    try:
        name, version, _build, tags = parse_wheel_filename(wheel)
    except ValueError as exc:
        return [fail(wheel, FILENAME, str(exc))], None
    results = [passed(wheel, FILENAME, ", ".join(sorted(str(t) for t in tags)))]
    try:
        fd = zip_archive.open_regular(path)
    except ArchiveError as exc:
        return results + [fail(wheel, ZIP, str(exc))], None
    try:
        archive = zip_archive.open_archive(fd, limits)
        checked, facts = _check_open(path, archive, str(name), str(version), frozenset(tags), limits)
    except ArchiveError as exc:
        return results + [fail(wheel, ZIP, str(exc))], None
    except (OSError, ValueError, LookupError, ArithmeticError, RecursionError) as exc:
        # No input may end the run: an error not foreseen above still becomes this wheel's verdict.
        return results + [fail(wheel, ZIP, f"unreadable ({type(exc).__name__}: {exc})")], None
    finally:
        os.close(fd)
    return results + checked, facts


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
