"""Static wheel checks: the archive, its tags, its RECORD, its paths, its extension suffixes, and pairing (pure)."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from packaging.tags import Tag
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from dualpy.verify.model import CheckResult, Status

# Stable check ids: reports and release gates key on them.
ZIP = "wheel.zip"
FILENAME = "wheel.filename"
TAGS = "wheel.tags"
RECORD = "wheel.record"
PATHS = "wheel.paths"
EXT_SUFFIX = "wheel.ext-suffix"
ABI3_FREETHREADED = "wheel.abi3-freethreaded"
PAIRING = "wheelhouse.pairing"

_VERSIONED_EXT = re.compile(r"\.cpython-(\d+)(t?)-[A-Za-z0-9_]+-linux-[a-z0-9]+\.so$")
_ABI3_EXT = re.compile(r"\.abi3\.so$")


@dataclass(frozen=True)
class WheelFacts:
    """What the static checks learnt about a wheel that the runtime checks need."""

    path: Path
    name: str
    version: str
    tags: frozenset[Tag]
    top_level: tuple[str, ...]


def _fail(wheel: str, check: str, message: str) -> CheckResult:
    return CheckResult(wheel, check, Status.FAIL, message)


def _pass(wheel: str, check: str, message: str = "") -> CheckResult:
    return CheckResult(wheel, check, Status.PASS, message)


def _record_digest(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _dist_info(names: list[str]) -> str | None:
    candidates = {n.split("/")[0] for n in names if "/" in n and n.split("/")[0].endswith(".dist-info")}
    return sorted(candidates)[0] if len(candidates) == 1 else None


def _check_paths(wheel: str, names: list[str]) -> CheckResult:
    bad = [n for n in names if n.startswith("/") or PurePosixPath(n).is_absolute() or re.match(r"^[A-Za-z]:", n)
           or ".." in PurePosixPath(n).parts]
    if bad:
        return _fail(wheel, PATHS, f"member paths that are absolute or climb out: {', '.join(bad[:5])}")
    return _pass(wheel, PATHS)


def _check_record(wheel: str, archive: zipfile.ZipFile, dist_info: str) -> CheckResult:
    record_name = f"{dist_info}/RECORD"
    try:
        rows = list(csv.reader(io.StringIO(archive.read(record_name).decode())))
    except KeyError:
        return _fail(wheel, RECORD, f"{record_name} is missing")
    listed = {}
    for row in rows:
        if row:
            listed[row[0]] = row[1] if len(row) > 1 else ""
    problems = []
    members = [n for n in archive.namelist() if not n.endswith("/")]
    for name in members:
        if name == record_name or name.endswith((".jws", ".p7s")) and name.startswith(dist_info):
            continue
        if name not in listed:
            problems.append(f"{name} is not in RECORD")
        elif not listed[name]:
            problems.append(f"{name} has no hash in RECORD")
        elif listed[name] != _record_digest(archive.read(name)):
            problems.append(f"{name}: sha256 differs from RECORD")
    missing = [n for n in listed if n not in set(members)]
    problems += [f"RECORD lists {n}, which is not in the wheel" for n in missing]
    if problems:
        more = f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""
        return _fail(wheel, RECORD, "; ".join(problems[:5]) + more)
    return _pass(wheel, RECORD, f"{len(members)} files match")


def _wheel_file_tags(archive: zipfile.ZipFile, dist_info: str) -> set[Tag] | None:
    try:
        text = archive.read(f"{dist_info}/WHEEL").decode()
    except KeyError:
        return None
    tags = set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "Tag":
            interpreter, abi, platform = value.strip().split("-", 2)
            tags.add(Tag(interpreter, abi, platform))
    return tags


def _extensions(names: list[str]) -> list[str]:
    """Extension modules of a wheel (auditwheel's vendored libraries under *.libs/ are not modules)."""
    return [n for n in names if n.endswith(".so") and not any(part.endswith(".libs") for part in n.split("/")[:-1])]


def _check_suffixes(wheel: str, tags: frozenset[Tag], extensions: list[str]) -> list[CheckResult]:
    abis = {t.abi for t in tags}
    interpreters = {t.interpreter for t in tags}
    results = []
    if "abi3" in abis and (any(i.endswith("t") for i in interpreters) or any(a.endswith("t") for a in abis)):
        results.append(_fail(wheel, ABI3_FREETHREADED,
                             "an abi3 wheel claims a free-threaded tag; the limited API does not exist for "
                             "free-threaded builds (cpython#111506)"))
    elif "abi3" in abis:
        results.append(_pass(wheel, ABI3_FREETHREADED, "abi3 wheel, GIL tags only"))
    problems = []
    for name in extensions:
        versioned = _VERSIONED_EXT.search(name)
        if versioned:
            nodot, t = versioned.groups()
            expected = {f"cp{nodot}{t}"}
            if not abis & expected:
                kind = "free-threaded" if t else "GIL"
                tagged = ", ".join(sorted(abis))
                problems.append(f"{name} is a cp{nodot}{t} ({kind}) extension in a wheel tagged {tagged}")
        elif _ABI3_EXT.search(name):
            if "abi3" not in abis:
                why = ": abi3 cannot load on a free-threaded build" if any(a.endswith("t") for a in abis) else ""
                problems.append(f"{name} is an abi3 extension in a wheel tagged {', '.join(sorted(abis))}{why}")
        else:
            problems.append(f"{name} has no ABI suffix; the interpreter cannot tell which build it is for")
    if problems:
        results.append(_fail(wheel, EXT_SUFFIX, "; ".join(problems)))
    elif extensions:
        results.append(_pass(wheel, EXT_SUFFIX, f"{len(extensions)} extension(s) match {', '.join(sorted(abis))}"))
    elif abis - {"none"}:
        results.append(CheckResult(wheel, EXT_SUFFIX, Status.WARN,
                                   f"tagged {', '.join(sorted(abis))} but holds no extension module"))
    else:
        results.append(_pass(wheel, EXT_SUFFIX, "pure-Python wheel, no extensions"))
    return results


def _top_level(archive: zipfile.ZipFile, dist_info: str, names: list[str]) -> tuple[str, ...]:
    try:
        listed = archive.read(f"{dist_info}/top_level.txt").decode().split()
        if listed:
            return tuple(sorted(set(listed)))
    except KeyError:
        pass
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


def check_wheel(path: Path) -> tuple[list[CheckResult], WheelFacts | None]:
    """Run every static check on one wheel; return the results and, when it parses, its facts."""
    wheel = path.name
    results = []
    try:
        name, version, _build, tags = parse_wheel_filename(wheel)
    except InvalidWheelFilename as exc:
        return [_fail(wheel, FILENAME, str(exc))], None
    results.append(_pass(wheel, FILENAME, ", ".join(sorted(str(t) for t in tags))))
    try:
        archive = zipfile.ZipFile(path)
        broken = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        return results + [_fail(wheel, ZIP, f"not a readable zip archive: {exc}")], None
    with archive:
        if broken:
            return results + [_fail(wheel, ZIP, f"{broken} is corrupt (bad CRC)")], None
        results.append(_pass(wheel, ZIP))
        names = archive.namelist()
        results.append(_check_paths(wheel, names))
        dist_info = _dist_info(names)
        if dist_info is None:
            results.append(_fail(wheel, TAGS, "no single *.dist-info directory"))
            return results, None
        wheel_tags = _wheel_file_tags(archive, dist_info)
        if wheel_tags is None:
            results.append(_fail(wheel, TAGS, f"{dist_info}/WHEEL is missing"))
        elif wheel_tags != set(tags):
            results.append(_fail(wheel, TAGS, "WHEEL says " + ", ".join(sorted(map(str, wheel_tags)))
                                 + "; the filename says " + ", ".join(sorted(map(str, tags)))))
        else:
            results.append(_pass(wheel, TAGS))
        results.append(_check_record(wheel, archive, dist_info))
        results += _check_suffixes(wheel, frozenset(tags), _extensions(names))
        facts = WheelFacts(path, str(name), str(version), frozenset(tags), _top_level(archive, dist_info, names))
    return results, facts


def _python_key(tags: frozenset[Tag]) -> tuple[str, str]:
    """(python, variant side) of a wheel: ('cp313', 'gil'|'t'), or ('any', 'both') for py3-none-any."""
    abis = {t.abi for t in tags}
    interpreters = sorted({t.interpreter for t in tags})
    if abis == {"none"}:
        return "any", "both"
    python = interpreters[0].rstrip("t")
    return python, "t" if any(a.endswith("t") for a in abis) else "gil"


def check_pairing(facts: list[WheelFacts]) -> list[CheckResult]:
    """For each project, version and Python: a GIL wheel needs its t twin and the reverse; py3-none-any covers both."""
    groups: dict[tuple[str, str, str], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for fact in facts:
        python, side = _python_key(fact.tags)
        groups[(fact.name, fact.version, python)][side].append(fact.path.name)
    results = []
    for (name, version, python), sides in sorted(groups.items()):
        subject = f"{name} {version} {python}"
        if "both" in sides:
            results.append(_pass(subject, PAIRING, f"{sides['both'][0]} is py3-none-any: it serves both builds"))
        elif "gil" in sides and "t" in sides:
            results.append(_pass(subject, PAIRING, f"{sides['gil'][0]} + {sides['t'][0]}"))
        elif "gil" in sides:
            results.append(CheckResult(subject, PAIRING, Status.WARN,
                                       f"{sides['gil'][0]} has no free-threaded (t) twin"))
        else:
            results.append(CheckResult(subject, PAIRING, Status.WARN, f"{sides['t'][0]} has no GIL twin"))
    return results


def check_wheelhouse(paths: list[Path]) -> tuple[list[CheckResult], list[WheelFacts]]:
    """Static checks of every wheel, then the pairing check across them."""
    results: list[CheckResult] = []
    facts: list[WheelFacts] = []
    for path in sorted(paths):
        wheel_results, wheel_facts = check_wheel(path)
        results += wheel_results
        if wheel_facts:
            facts.append(wheel_facts)
    return results + check_pairing(facts), facts
