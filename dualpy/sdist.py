"""An sdist read as untrusted input: members listed with bounded work, its top-level project files found once.

config.py ([tool.dualpy]), wheels/project.py ([tool.cibuildwheel]) and verify/stress.py (the shipped tests) all
read sdists through this module, so the bounds and the error for a broken archive are the same everywhere.
"""

from __future__ import annotations

import tarfile
import zlib
from collections.abc import Iterator
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
