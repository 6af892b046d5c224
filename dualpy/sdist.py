"""An sdist read as untrusted input: members listed with bounded work, its top-level project files found once.

config.py ([tool.dualpy]), wheels/project.py ([tool.cibuildwheel]) and verify/stress.py (the shipped tests) all
read sdists through this module, so the bounds and the error for a broken archive are the same everywhere.
"""

from __future__ import annotations

import copy
import os
import tarfile
import zlib
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from dualpy.errors import ConfigurationError, UsageError

MAX_MEMBERS = 100_000  # a real sdist holds hundreds or thousands
MAX_NAME_LENGTH = 1024  # characters in one member name (tar's own limit is 256 without extensions)
MAX_TOTAL_BYTES = 2 << 30  # the sizes of all members added up
MAX_PYPROJECT_BYTES = 1 << 20  # a pyproject.toml is kilobytes
PROJECT_FILES = ("pyproject.toml", "setup.py")
_READ_ERRORS = (tarfile.TarError, OSError, EOFError, zlib.error)


@dataclass(frozen=True)
class SdistTop:
    """What the top directory of an sdist holds: its name, whether it has setup.py, its pyproject.toml bytes."""

    sdist: Path
    root: str | None
    has_setup_py: bool
    pyproject: bytes | None

    @property
    def has_project_file(self) -> bool:
        return self.has_setup_py or self.pyproject is not None

    @property
    def pyproject_location(self) -> str:
        """Where the pyproject.toml was (or would be) read, for messages: SDIST:TOP/pyproject.toml."""
        return f"{self.sdist}:{self.root or '*'}/pyproject.toml"


def _unreadable(sdist: Path, exc: BaseException) -> UsageError:
    lines = str(exc).strip().splitlines()
    detail = lines[0].rstrip(":") if lines else type(exc).__name__
    return UsageError(f"{sdist}: not a readable sdist ({detail}); pass a .tar.gz made by `python -m build --sdist`")


def bounded_members(archive: tarfile.TarFile, sdist: Path) -> Iterator[tarfile.TarInfo]:
    """Yield the archive's members as they stream; UsageError at the first bound crossed (count, name, size)."""
    total = 0
    for count, member in enumerate(archive, 1):
        if count > MAX_MEMBERS:
            raise UsageError(f"{sdist}: more than {MAX_MEMBERS} members, more than an sdist holds; rebuild it")
        if len(member.name) > MAX_NAME_LENGTH:
            raise UsageError(f"{sdist}: a member name of {len(member.name)} characters (at most {MAX_NAME_LENGTH}); "
                             "rebuild the sdist")
        total += max(member.size, 0)
        if total > MAX_TOTAL_BYTES:
            raise UsageError(f"{sdist}: members add up to more than {MAX_TOTAL_BYTES >> 30} GiB; rebuild the sdist")
        yield member


def list_members(sdist: Path) -> list[tarfile.TarInfo]:
    """Every member of the sdist, listed with bounded work; UsageError for an unreadable or oversized archive."""
    try:
        with tarfile.open(sdist, "r:*") as archive:
            return list(bounded_members(archive, sdist))
    except _READ_ERRORS as exc:
        raise _unreadable(sdist, exc) from None


def _top_file(member: tarfile.TarInfo) -> tuple[str, str] | None:
    """(top directory, file name) when member is TOP/pyproject.toml or TOP/setup.py, else None."""
    parts = member.name.split("/")
    if len(parts) == 2 and parts[1] in PROJECT_FILES and parts[0] not in ("", ".", ".."):
        return parts[0], parts[1]
    return None


def _pyproject_bytes(archive: tarfile.TarFile, member: tarfile.TarInfo, where: str) -> bytes:
    if not member.isfile():
        raise ConfigurationError(f"{where}: not a regular file in the sdist; rebuild the sdist")
    if member.size > MAX_PYPROJECT_BYTES:
        raise ConfigurationError(f"{where}: {member.size} bytes, more than a pyproject.toml needs "
                                 f"({MAX_PYPROJECT_BYTES}); rebuild the sdist")
    stream = archive.extractfile(member)
    return stream.read(MAX_PYPROJECT_BYTES) if stream else b""


def read_top(sdist: Path) -> SdistTop:
    """Scan the sdist once for TOP/pyproject.toml and TOP/setup.py; the scan gives up after MAX_MEMBERS members.

    Only regular files directly under the top directory count; a pyproject.toml is read up to MAX_PYPROJECT_BYTES.
    """
    root = None
    has_setup_py = False
    try:
        with tarfile.open(sdist, "r:*") as archive:
            for count, member in enumerate(archive, 1):
                found = _top_file(member)
                if found is not None:
                    root, name = found
                    if name == "pyproject.toml":
                        data = _pyproject_bytes(archive, member, f"{sdist}:{member.name}")
                        return SdistTop(sdist, root, has_setup_py, data)
                    has_setup_py = True
                if count >= MAX_MEMBERS:
                    break
    except _READ_ERRORS as exc:
        raise _unreadable(sdist, exc) from None
    return SdistTop(sdist, root, has_setup_py, None)


# ---- extraction that does not trust the runtime's tarfile -------------------------------------------------------
# tarfile's extraction filters (PEP 706) arrived in 3.11.4, and Debian 12's 3.11.2 has none; the filters themselves
# had bypasses fixed as late as 3.13.4 (cpython#135034). So every member is checked here first, on names alone and
# before anything is written; the `data` filter still runs where the runtime has it.


def symlink_names(members: Iterable[tarfile.TarInfo]) -> frozenset[str]:
    """The normalised names of the archive's symbolic links."""
    return frozenset("/".join(_parts(m.name)) for m in members if m.issym())


def _parts(name: str) -> list[str]:
    """A member name's path components, without empty and '.' ones."""
    return [part for part in name.split("/") if part not in ("", ".")]


def _path_problem(name: str, links: frozenset[str], what: str) -> str | None:
    """Why a path inside the archive (a member name or a hard link's target) could leave the tree, or None."""
    if name.startswith("/"):
        return f"has an absolute {what}"
    parts = _parts(name)
    if not parts:
        return f"has an empty {what}"
    if ".." in parts:
        return f"has '..' in its {what}"
    for end in range(1, len(parts)):
        if "/".join(parts[:end]) in links:
            return f"has a {what} that goes through the symbolic link {'/'.join(parts[:end])!r}"
    return None


def _symlink_problem(member: tarfile.TarInfo, links: frozenset[str]) -> str | None:
    """Why a symbolic link could point outside the tree, or None: its target is resolved from the link's directory.

    A target may end at another link (which is checked the same way) but may not pass through one: a link's '..'
    is the parent of where the link points, not of the link.
    """
    target = member.linkname
    if target.startswith("/"):
        return f"is a symbolic link to the absolute path {target!r}"
    if not target:
        return "is a symbolic link with an empty target"
    where = _parts(member.name)[:-1]
    steps = _parts(target)
    for position, step in enumerate(steps):
        if step == "..":
            if not where:
                return f"is a symbolic link that points outside the archive ({target!r})"
            where.pop()
            continue
        where.append(step)
        if position < len(steps) - 1 and "/".join(where) in links:
            return f"is a symbolic link whose target goes through the symbolic link {'/'.join(where)!r}"
    return None


def unsafe_reason(member: tarfile.TarInfo, links: frozenset[str]) -> str | None:
    """Why extracting member could write or point outside the destination or make a special file; None when safe.

    links is symlink_names() of the whole archive: nothing may be written or hard-linked through a symbolic link.
    """
    if problem := _path_problem(member.name, links, "name"):
        return problem
    if member.isdev() or not (member.isreg() or member.isdir() or member.issym() or member.islnk()):
        kind = "a device" if member.ischr() or member.isblk() else "a FIFO" if member.isfifo() else "a special file"
        return f"is {kind}"
    if member.issym():
        return _symlink_problem(member, links)
    if member.islnk():
        if problem := _path_problem(member.linkname, links, "hard link target"):
            return problem
        if "/".join(_parts(member.linkname)) in links:
            return "is a hard link to a symbolic link"
    return None


def check_members(sdist: Path, members: Iterable[tarfile.TarInfo], links: frozenset[str]) -> None:
    """UsageError naming the first member that unsafe_reason() refuses."""
    for member in members:
        if reason := unsafe_reason(member, links):
            raise UsageError(f"{sdist}: the member {member.name!r} {reason}; refused (an sdist made by "
                             "`python -m build --sdist` has none): rebuild it")


def _without_privileges(member: tarfile.TarInfo) -> tarfile.TarInfo:
    """A copy that extracts as the data filter would: no set-id or sticky bits, no group/other write, our owner."""
    plain = copy.copy(member)
    plain.mode = member.mode & 0o755 | (0o700 if member.isdir() else 0o600)
    plain.uid, plain.gid, plain.uname, plain.gname = os.getuid(), os.getgid(), "", ""
    return plain


def extract(sdist: Path, destination: Path, names: Collection[str] | None = None) -> None:
    """Extract the sdist (or only the members called names) into destination, after every member passed the checks.

    UsageError, with nothing written, for an unsafe member, an oversized or unreadable archive.
    """
    try:
        with tarfile.open(sdist, "r:*") as archive:
            members = list(bounded_members(archive, sdist))
            chosen = members if names is None else [m for m in members if m.name in names]
            check_members(sdist, chosen, symlink_names(members))
            if hasattr(tarfile, "data_filter"):
                archive.extractall(destination, members=chosen, filter="data")
            else:  # 3.11.0-3.11.3: the checks above are the whole guard; extractall() takes no filter
                archive.extractall(destination, members=[_without_privileges(m) for m in chosen])
    except _READ_ERRORS as exc:  # includes the data filter's FilterError, a TarError
        raise _unreadable(sdist, exc) from None
