"""Dependency lists read into requirements: requirements files, pyproject.toml, pylock.toml and uv.lock.

Every file is read through one bounded reader (a regular file, at most MAX_FILE_BYTES, UTF-8), `-r` includes are
followed to MAX_INCLUDE_DEPTH with cycles named, and the parsers below it are pure: text in, requirements out.
Anything that cannot be used as written is a UsageError naming the file, the line and the fix.
"""

from __future__ import annotations

import enum
import os
import re
import shlex
import stat
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from dualpy.errors import UsageError

MAX_FILE_BYTES = 16 << 20  # a large uv.lock is a few MiB; anything bigger is not a dependency list
MAX_INCLUDE_DEPTH = 8
MAX_REQUIREMENTS = 5000
MAX_GROUP_DEPTH = 16

# pip options a requirements file may carry that change where packages come from or how they build: readiness
# uses the host's pip settings, so these are reported as ignored rather than silently obeyed or refused.
_IGNORED_OPTIONS = frozenset({
    "-i", "--index-url", "--extra-index-url", "--no-index", "-f", "--find-links", "--trusted-host", "--pre",
    "--prefer-binary", "--only-binary", "--no-binary", "--require-hashes", "--use-feature", "--config-settings",
    "--global-option", "--hash",
})
_INCLUDE_OPTIONS = {"-r": "requirement", "--requirement": "requirement", "-c": "constraint",
                    "--constraint": "constraint"}
_LOCAL_OPTIONS = frozenset({"-e", "--editable"})
_COMMENT_RE = re.compile(r"(^|\s+)#.*$")
_PYLOCK_NAME_RE = re.compile(r"^pylock\.[^.]+\.toml$")


class InputKind(enum.Enum):
    """The kinds of dependency list `dualpy readiness` reads."""

    REQUIREMENTS = "requirements"
    PYPROJECT = "pyproject"
    PYLOCK = "pylock"
    UV_LOCK = "uv.lock"


KIND_NAMES = tuple(kind.value for kind in InputKind)


@dataclass(frozen=True)
class Requested:
    """One requirement of the set, as pip takes it, and where it was written (file:line or file:table)."""

    requirement: Requirement
    origin: str

    @property
    def name(self) -> str:
        """The project's normalized name (PEP 503)."""
        return canonicalize_name(self.requirement.name)

    def __str__(self) -> str:
        return str(self.requirement)


@dataclass(frozen=True)
class DependencySet:
    """What a dependency list asks for: requirements, constraints, and what was read but not obeyed."""

    source: Path
    kind: InputKind
    requested: tuple[Requested, ...]
    constraints: tuple[Requested, ...] = ()
    notes: tuple[str, ...] = ()


def detect_kind(path: Path, kind: str | None = None) -> InputKind:
    """The kind of a dependency list: --kind when given, else its file name."""
    if kind is not None:
        try:
            return InputKind(kind)
        except ValueError:
            raise UsageError(f"--kind {kind}: give one of {', '.join(KIND_NAMES)}") from None
    name = path.name
    if name == "pyproject.toml":
        return InputKind.PYPROJECT
    if name == "uv.lock":
        return InputKind.UV_LOCK
    if name == "pylock.toml" or _PYLOCK_NAME_RE.match(name):
        return InputKind.PYLOCK
    if name.startswith("requirements") or path.suffix in (".txt", ".in"):
        return InputKind.REQUIREMENTS
    raise UsageError(f"{name}: unknown kind of dependency list: name it requirements*.txt, pyproject.toml, "
                     f"pylock.toml or uv.lock, or pass --kind ({'|'.join(KIND_NAMES)})")


def read_bounded(path: Path, limit: int = MAX_FILE_BYTES) -> str:
    """A regular file's text (UTF-8, at most limit bytes); a FIFO, a device, a loop or a huge file is a UsageError.

    The file is opened non-blocking and checked on the open descriptor, so a FIFO never blocks the read and a
    file swapped after a check is still the one judged.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise UsageError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise UsageError(f"{path}: not a regular file (a directory, FIFO or device): give a dependency file")
    with os.fdopen(descriptor, "rb") as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise UsageError(f"{path}: larger than {limit >> 20} MiB: not a dependency list dualpy reads")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text (byte {exc.start}): save it as UTF-8") from None


def _requirement(text: str, origin: str) -> Requested:
    try:
        requirement = Requirement(text)
    except InvalidRequirement as exc:
        first = str(exc).splitlines()[0] if str(exc) else "invalid"
        raise UsageError(f"{origin}: {text!r} is not a requirement ({first}): write it as name[extras] "
                         "specifier ; marker (PEP 508)") from None
    return Requested(requirement, origin)


@dataclass(frozen=True)
class Include:
    """A `-r FILE` (requirement) or `-c FILE` (constraint) line."""

    target: str
    role: str
    origin: str


def logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, line) of a requirements file: continuations joined, comments and blanks dropped."""
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        if raw.endswith("\\"):
            pending.append(raw[:-1])
            continue
        pending.append(raw)
        line = _COMMENT_RE.sub("", " ".join(part.strip() for part in pending)).strip()
        pending = []
        if line:
            yield start, line
    if pending:
        line = _COMMENT_RE.sub("", " ".join(part.strip() for part in pending)).strip()
        if line:
            yield start, line


def _split_option(line: str) -> tuple[str, str]:
    """('-r', 'x.txt') from '-r x.txt', '-rx.txt' or '--requirement=x.txt'."""
    if line.startswith("--"):
        head, _, rest = line.partition("=") if "=" in line.split(maxsplit=1)[0] else line.partition(" ")
        return head.strip(), rest.strip()
    return line[:2], line[2:].strip()


def parse_requirements_text(text: str, name: str) -> tuple[list[Requested | Include], list[str]]:
    """The requirements and includes of one requirements file, in order, and the notes on what was ignored."""
    entries: list[Requested | Include] = []
    notes: list[str] = []
    for number, line in logical_lines(text):
        origin = f"{name}:{number}"
        if line.startswith("-"):
            option, value = _split_option(line)
            if option in _INCLUDE_OPTIONS:
                if not value:
                    raise UsageError(f"{origin}: {option} needs a file name")
                entries.append(Include(_unquote(value, origin), _INCLUDE_OPTIONS[option], origin))
            elif option in _LOCAL_OPTIONS:
                raise UsageError(f"{origin}: {option} {value}: an editable or local project cannot be judged from "
                                 "an index: list its dependencies (or its pyproject.toml) instead")
            elif option in _IGNORED_OPTIONS:
                notes.append(f"{origin}: {option} ignored: readiness installs with the host's pip settings")
            else:
                raise UsageError(f"{origin}: unknown option {option}: remove it (readiness reads requirements, "
                                 "-r and -c)")
            continue
        requirement_text, _, options = line.partition(" --")
        if options:
            notes.append(f"{origin}: --{options.split()[0].split('=')[0]} ignored: readiness installs with the "
                         "host's pip settings")
        if requirement_text.startswith((".", "/", "file:")):
            raise UsageError(f"{origin}: {requirement_text}: a local path cannot be judged from an index: list "
                             "its dependencies instead")
        entries.append(_requirement(requirement_text.strip(), origin))
    return entries, notes


def _unquote(value: str, origin: str) -> str:
    try:
        parts = shlex.split(value)
    except ValueError:
        raise UsageError(f"{origin}: unbalanced quotes in {value!r}") from None
    if len(parts) != 1:
        raise UsageError(f"{origin}: {value!r}: give one file name")
    return parts[0]


def read_requirements(path: Path, reader: Callable[[Path], str] = read_bounded) -> DependencySet:
    """A requirements file with its `-r`/`-c` includes (relative to the including file), bounded and cycle-free."""
    requested: list[Requested] = []
    constraints: list[Requested] = []
    notes: list[str] = []

    def visit(current: Path, role: str, chain: tuple[str, ...]) -> None:
        try:
            real = os.path.realpath(current, strict=True)
        except (OSError, RuntimeError) as exc:
            raise UsageError(f"{current}: cannot read it ({getattr(exc, 'strerror', None) or exc})") from None
        if real in chain:
            loop = " -> ".join(Path(p).name for p in (*chain[chain.index(real):], real))
            raise UsageError(f"{current}: -r includes form a cycle ({loop}): remove one include")
        if len(chain) > MAX_INCLUDE_DEPTH:
            raise UsageError(f"{current}: -r includes nest deeper than {MAX_INCLUDE_DEPTH}: flatten them")
        entries, file_notes = parse_requirements_text(reader(current), current.name)
        notes.extend(file_notes)
        for entry in entries:
            if isinstance(entry, Include):
                visit(current.parent / entry.target, "constraint" if role == "constraint" else entry.role,
                      (*chain, real))
            else:
                (constraints if role == "constraint" else requested).append(entry)
                if len(requested) + len(constraints) > MAX_REQUIREMENTS:
                    raise UsageError(f"{path}: more than {MAX_REQUIREMENTS} requirements: split the list")

    visit(path, "requirement", ())
    return DependencySet(path, InputKind.REQUIREMENTS, tuple(requested), tuple(constraints), tuple(notes))


def _toml(text: str, name: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{name}: not valid TOML ({exc})") from None


def _strings(value: object, origin: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise UsageError(f"{origin}: expected a list of requirement strings")
    return list(value)


def _project_table(document: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The [project] table, when its dependencies are written down (not dynamic)."""
    project = document.get("project")
    if not isinstance(project, dict):
        raise UsageError(f"{name}: no [project] table: give a requirements file or a lock file instead")
    if "dependencies" in project.get("dynamic", []):
        raise UsageError(f"{name}: its dependencies are dynamic (computed at build time): give a requirements "
                         "file or a lock file instead")
    return project


@dataclass
class _PyprojectGroups:
    """Collects requirements from [project] lists and groups, expanding self-references and include-group."""

    name: str
    own: str
    extras: Mapping[str, Any]
    dependency_groups: Mapping[str, Any]
    requested: list[Requested] = field(default_factory=list)

    def add(self, texts: list[str], origin: str, depth: int) -> None:
        for line in texts:
            item = _requirement(line, origin)
            if self.own and item.name == self.own:  # `all = ["me[a,b]"]`: the project's own extras, expanded
                for extra in sorted(item.requirement.extras):
                    self.add_group(extra, depth + 1)
            else:
                self.requested.append(item)

    def add_group(self, group: str, depth: int) -> None:
        if depth > MAX_GROUP_DEPTH:
            raise UsageError(f"{self.name}: groups include each other deeper than {MAX_GROUP_DEPTH} (a cycle?)")
        if group in self.extras:
            origin = f"{self.name}:optional-dependencies.{group}"
            self.add(_strings(self.extras[group], origin), origin, depth)
        elif group in self.dependency_groups:
            origin = f"{self.name}:dependency-groups.{group}"
            members = self.dependency_groups[group]
            if not isinstance(members, list):
                raise UsageError(f"{origin}: expected a list")
            for member in members:
                if isinstance(member, dict) and isinstance(member.get("include-group"), str):
                    self.add_group(member["include-group"], depth + 1)
                else:
                    self.add(_strings([member], origin), origin, depth)
        else:
            known = ", ".join(sorted({*self.extras, *self.dependency_groups})) or "none"
            raise UsageError(f"{self.name}: no optional-dependencies extra or dependency group {group!r} "
                             f"(this file has: {known})")


def parse_pyproject(text: str, name: str = "pyproject.toml", groups: Sequence[str] = ()) -> DependencySet:
    """[project] dependencies, plus each named optional-dependencies extra or [dependency-groups] group (pure)."""
    document = _toml(text, name)
    project = _project_table(document, name)
    extras = project.get("optional-dependencies", {})
    dependency_groups = document.get("dependency-groups", {})
    if not isinstance(extras, dict) or not isinstance(dependency_groups, dict):
        raise UsageError(f"{name}: optional-dependencies and dependency-groups must be tables")
    collected = _PyprojectGroups(name, canonicalize_name(str(project.get("name", ""))), extras, dependency_groups)
    origin = f"{name}:project.dependencies"
    collected.add(_strings(project.get("dependencies", []), origin), origin, 0)
    for group in groups:
        collected.add_group(group, 0)
    return DependencySet(Path(name), InputKind.PYPROJECT, tuple(collected.requested))


def _pinned(name: object, version: object, marker: str | None, origin: str) -> Requested:
    if not isinstance(name, str) or not isinstance(version, str):
        raise UsageError(f"{origin}: a package needs a string name and version")
    text = f"{name}=={version}" + (f" ; {marker}" if marker else "")
    return _requirement(text, origin)


def _check_marker(marker: object, origin: str) -> str | None:
    if marker is None:
        return None
    if not isinstance(marker, str):
        raise UsageError(f"{origin}: marker must be a string")
    try:
        Marker(marker)
    except InvalidMarker:
        raise UsageError(f"{origin}: {marker!r} is not an environment marker (PEP 508)") from None
    return marker


def parse_pylock(text: str, name: str = "pylock.toml") -> DependencySet:
    """The packages of a PEP 751 lock file, pinned, with their markers; VCS, directory and archive ones noted (pure)."""
    document = _toml(text, name)
    version = str(document.get("lock-version", ""))
    if not version.startswith("1."):
        raise UsageError(f"{name}: lock-version {version or '(missing)'} is not a PEP 751 lock (1.x)")
    packages = document.get("packages", [])
    if not isinstance(packages, list):
        raise UsageError(f"{name}: [[packages]] must be an array of tables")
    requested, notes = [], []
    for index, package in enumerate(packages):
        origin = f"{name}:packages[{index}]"
        if not isinstance(package, dict):
            raise UsageError(f"{origin}: expected a table")
        if any(key in package for key in ("vcs", "directory", "archive")) or "version" not in package:
            notes.append(f"{origin}: {package.get('name', '?')} is not from an index (VCS, directory or archive): "
                         "skipped")
            continue
        requested.append(_pinned(package.get("name"), package.get("version"),
                                 _check_marker(package.get("marker"), origin), origin))
    return DependencySet(Path(name), InputKind.PYLOCK, tuple(requested), notes=tuple(notes))


def _incoming_markers(packages: list[Mapping[str, Any]]) -> dict[str, list[str | None]]:
    """Per package name, the marker of every dependency edge that leads to it (None: an unconditional edge)."""
    edges: dict[str, list[str | None]] = {}
    for package in packages:
        lists: list[object] = [package.get("dependencies", [])]
        for table in ("optional-dependencies", "dev-dependencies"):
            groups = package.get(table, {})
            lists += list(groups.values()) if isinstance(groups, dict) else []
        for dependencies in lists:
            for edge in dependencies if isinstance(dependencies, list) else []:
                if isinstance(edge, dict) and isinstance(edge.get("name"), str):
                    marker = edge.get("marker")
                    edges.setdefault(canonicalize_name(edge["name"]), []).append(
                        marker if isinstance(marker, str) else None)
    return edges


def parse_uv_lock(text: str, name: str = "uv.lock") -> DependencySet:
    """The registry packages of a uv.lock, pinned; a package reached only through marked edges gets their union."""
    document = _toml(text, name)
    if not isinstance(document.get("version"), int):
        raise UsageError(f"{name}: no lock version: is it a uv.lock?")
    packages = document.get("package", [])
    if not isinstance(packages, list) or not all(isinstance(p, dict) for p in packages):
        raise UsageError(f"{name}: [[package]] must be an array of tables")
    edges = _incoming_markers(packages)
    requested, notes = [], []
    for index, package in enumerate(packages):
        origin = f"{name}:package[{index}]"
        source = package.get("source", {})
        if not isinstance(source, dict) or "registry" not in source:
            kind = next(iter(source), "unknown") if isinstance(source, dict) else "unknown"
            notes.append(f"{origin}: {package.get('name', '?')} comes from {kind}, not an index: skipped")
            continue
        markers = edges.get(canonicalize_name(str(package.get("name", ""))), [None])
        marker = None if None in markers else " or ".join(f"({m})" for m in dict.fromkeys(markers))
        requested.append(_pinned(package.get("name"), package.get("version"), _check_marker(marker, origin),
                                 origin))
    return DependencySet(Path(name), InputKind.UV_LOCK, tuple(requested), notes=tuple(notes))


def read_dependency_set(path: Path, kind: str | None = None, groups: Sequence[str] = ()) -> DependencySet:
    """The dependency list at path, read by kind (--kind or its file name); groups only for pyproject.toml."""
    found = detect_kind(path, kind)
    if groups and found is not InputKind.PYPROJECT:
        raise UsageError(f"--group {groups[0]}: groups belong to a pyproject.toml, not a {found.value} file")
    if found is InputKind.REQUIREMENTS:
        result = read_requirements(path)
    else:
        text = read_bounded(path)
        if found is InputKind.PYPROJECT:
            parsed = parse_pyproject(text, path.name, groups)
        elif found is InputKind.PYLOCK:
            parsed = parse_pylock(text, path.name)
        else:
            parsed = parse_uv_lock(text, path.name)
        result = DependencySet(path, parsed.kind, parsed.requested, parsed.constraints, parsed.notes)
    if not result.requested:
        raise UsageError(f"{path}: lists no requirement: nothing to judge")
    return result
