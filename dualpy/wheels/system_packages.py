"""Debian packages a project's build needs (`--system-packages`, `[tool.dualpy] system-packages`), installed in the
build container before cibuildwheel's before-all, their downloads kept on the host between builds (pure)."""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence

from dualpy.errors import UsageError

APT_ARCHIVES_MOUNT = "/var/cache/apt/archives"  # where apt keeps the .deb files it downloaded
# Debian policy 5.6.1: lowercase letters, digits, + - . ; at least two characters, starting alphanumeric.
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")
_UNKNOWN_RE = re.compile(r"E: (?:Unable to locate package (\S+)|Package '([^']+)' has no installation candidate)")


def parse_system_packages(names: Sequence[str], where: str = "--system-packages") -> tuple[str, ...]:
    """The package names, once each and in order; UsageError naming where the first malformed one came from."""
    packages: list[str] = []
    prefix = f"{where}: " if where else ""
    for name in names:
        if not _NAME_RE.fullmatch(name):
            raise UsageError(f"{prefix}{name!r} is not a Debian package name (lowercase letters, digits, + - .): "
                             "name the -dev package, e.g. libyaml-dev")
        if name not in packages:
            packages.append(name)
    return tuple(packages)


def before_all(packages: Sequence[str], project_before_all: str | None) -> str:
    """cibuildwheel's before-all: install the packages (apt's own check of each name), then the project's own."""
    install = "apt-get install -y --no-install-recommends " + " ".join(shlex.quote(p) for p in packages)
    return f"{install} && {project_before_all}" if project_before_all else install


def unknown_package(lines: Sequence[str], packages: Sequence[str]) -> str | None:
    """The requested system package apt could not find in the build image's Debian suite, from the build log."""
    for line in lines:
        match = _UNKNOWN_RE.search(line)
        if match and (match[1] or match[2]) in packages:
            return match[1] or match[2]
    return None
