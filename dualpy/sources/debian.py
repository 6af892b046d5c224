"""The Debian archive: which one this host's apt uses (no mirror host is written into dualpy), and its signed index
parsed (pure): InRelease fields, gpgv status, Sources stanzas, Debian <-> python.org version spelling."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from dualpy.errors import UsageError
from dualpy.tags import RELEASE_RE, PythonMinor

APT_SOURCE_FILES = (Path("/etc/apt/sources.list"), Path("/etc/apt/sources.list.d"))


def archive_urls(texts: list[tuple[str, str]]) -> list[str]:
    """Return the main archive URLs (not -security, not deb-src) found in apt source files, in order."""
    urls: list[str] = []
    for name, text in texts:
        urls.extend(_deb822_urls(text) if name.endswith(".sources") else _one_line_urls(text))
    seen: list[str] = []
    for url in urls:
        trimmed = url.rstrip("/")
        if trimmed not in seen and "security" not in trimmed:
            seen.append(trimmed)
    return seen


def _deb822_urls(text: str) -> list[str]:
    """The URIs of a deb822 `.sources` file's enabled binary (`Types: deb`) stanzas that are not security-only."""
    urls: list[str] = []
    for stanza in text.split("\n\n"):
        fields = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line:
                continue
            key, _, value = line.partition(":")
            fields[key.strip().lower()] = value.strip()
        if "deb" not in fields.get("types", "").split():
            continue
        if fields.get("enabled", "yes").lower() == "no":
            continue
        suites = fields.get("suites", "").split()
        if suites and all("security" in s for s in suites):
            continue
        urls.extend(fields.get("uris", "").split())
    return urls


def _one_line_urls(text: str) -> list[str]:
    """The URLs of a one-line-style `sources.list`'s `deb` lines whose suite is not a security suite."""
    urls: list[str] = []
    for line in text.splitlines():
        words = re.sub(r"\[[^\]]*\]", " ", line.split("#", 1)[0]).split()
        if len(words) >= 3 and words[0] == "deb" and "security" not in words[2]:
            urls.append(words[1])
    return urls


def read_apt_sources() -> list[tuple[str, str]]:
    """Read this host's apt source files as (name, text) pairs."""
    texts = []
    for location in APT_SOURCE_FILES:
        files = sorted(location.glob("*")) if location.is_dir() else [location]
        for path in files:
            if path.is_file() and path.suffix in (".list", ".sources"):  # sources.list included
                texts.append((path.name, path.read_text(errors="replace")))
    return texts


MIRROR_ENV = "DUALPY_DEBIAN_MIRROR"


def archive_url(explicit: str | None = None) -> str:
    """The Debian archive URL: --debian-mirror, else $DUALPY_DEBIAN_MIRROR, else the first one this host's apt uses.

    The variable serves hosts whose apt is not Debian's (an Ubuntu CI runner) without a host written into dualpy.
    """
    explicit = explicit or os.environ.get(MIRROR_ENV)
    if explicit:
        return explicit.rstrip("/")
    urls = archive_urls(read_apt_sources())
    if not urls:
        raise UsageError(
            f"no Debian archive found in /etc/apt/sources.list{{,.d}}: pass --debian-mirror URL or set {MIRROR_ENV}"
        )
    return urls[0]


# ---- The archive's signed index, parsed (pure): InRelease -> Sources -> an orig tarball's sha256 ----

SOURCES_INDEX = "main/source/Sources.xz"

_DEBIAN_PRE_RE = re.compile(r"~(a|b|rc)(\d+)$")
_SOURCE_PACKAGE_RE = re.compile(r"^python3\.\d{1,2}$")


def debian_upstream_version(version: str) -> str:
    """Debian's spelling of a CPython release: '3.15.0rc2' -> '3.15.0~rc2' ('~' sorts before the final)."""
    match = RELEASE_RE.match(version)
    if match is None:
        raise UsageError(f"{version!r} is not a CPython release version like 3.14.7 or 3.15.0rc2")
    _minor, _micro, pre, number = match.groups()
    if pre is None:
        return version
    return f"{version[: -len(pre + number)]}~{pre}{number}"


def upstream_version(debian_version: str) -> str:
    """The CPython release a Debian source version packages: '1:3.15.0~rc2-1+b1' -> '3.15.0rc2'."""
    version = debian_version.partition(":")[2] if ":" in debian_version else debian_version
    version = version.rpartition("-")[0] if "-" in version else version
    return _DEBIAN_PRE_RE.sub(r"\1\2", version)


def source_package(version: str) -> str:
    """The Debian source package of a CPython release: 'python3.15' for 3.15.0rc2."""
    return f"python{PythonMinor.parse(version)}"


def orig_tarball_name(version: str) -> str:
    """The orig tarball's name in the archive: 'python3.15_3.15.0~rc2.orig.tar.xz'."""
    return f"{source_package(version)}_{debian_upstream_version(version)}.orig.tar.xz"


@dataclass(frozen=True)
class IndexedFile:
    """One file a signed index lists: its sha256 and size."""

    sha256: str
    size: int


@dataclass(frozen=True)
class ReleaseFile:
    """The signed text of a suite's InRelease: who it is, when it was signed, and the sha256 of every index."""

    suite: str
    codename: str
    date: str
    valid_until: str
    files: dict[str, IndexedFile]


def parse_release_file(text: str) -> ReleaseFile:
    """Return the fields of a Release/InRelease body (the signed text, never the raw file)."""
    fields: dict[str, str] = {}
    files: dict[str, IndexedFile] = {}
    section = ""
    for line in text.splitlines():
        if line.startswith((" ", "\t")):
            if section == "sha256":
                parts = line.split()
                if len(parts) == 3 and _SHA256_HEX.match(parts[0]) and parts[1].isdigit():
                    files[parts[2]] = IndexedFile(parts[0], int(parts[1]))
            continue
        key, colon, value = line.partition(":")
        if not colon:
            section = ""
            continue
        section = key.strip().lower()
        fields[section] = value.strip()
    return ReleaseFile(
        suite=fields.get("suite", ""),
        codename=fields.get("codename", ""),
        date=fields.get("date", ""),
        valid_until=fields.get("valid-until", ""),
        files=files,
    )


_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class SignatureCheck:
    """What gpgv's machine-readable status says about a signed file."""

    good_keys: tuple[str, ...]
    bad: tuple[str, ...]
    missing_keys: tuple[str, ...]

    @property
    def trusted(self) -> bool:
        """At least one valid signature by a keyring key, and no bad one (apt's rule for InRelease)."""
        return bool(self.good_keys) and not self.bad


def parse_gpgv_status(status: str) -> SignatureCheck:
    """Read gpgv --status-fd output: VALIDSIG fingerprints, BADSIG/EXPKEYSIG/REVKEYSIG keys, NO_PUBKEY keys."""
    good: list[str] = []
    bad: list[str] = []
    missing: list[str] = []
    for line in status.splitlines():
        words = line.split()
        if len(words) < 3 or words[0] != "[GNUPG:]":
            continue
        keyword, argument = words[1], words[2]
        if keyword == "VALIDSIG":
            good.append(argument)
        elif keyword in ("BADSIG", "EXPKEYSIG", "REVKEYSIG", "EXPSIG"):
            bad.append(f"{keyword} {argument}")
        elif keyword == "NO_PUBKEY":
            missing.append(argument)
    return SignatureCheck(tuple(good), tuple(bad), tuple(missing))


@dataclass(frozen=True)
class OrigTarball:
    """An upstream tarball as the Sources index lists it."""

    package: str
    debian_version: str
    directory: str
    name: str
    sha256: str
    size: int

    @property
    def version(self) -> str:
        """The CPython release, in python.org's spelling."""
        return upstream_version(self.debian_version)

    @property
    def path(self) -> str:
        """The tarball's path in the archive."""
        return f"{self.directory}/{self.name}"


def iter_stanzas(lines: Iterable[str]) -> Iterator[dict[str, str]]:
    """Yield the stanzas of a deb822 file (Sources, Packages) as field -> value; continuation lines joined."""
    stanza: dict[str, str] = {}
    key = ""
    for line in lines:
        if not line.strip():
            if stanza:
                yield stanza
            stanza, key = {}, ""
            continue
        if line[0] in " \t":
            if key:
                stanza[key] += "\n" + line.strip()
            continue
        key, _, value = line.partition(":")
        stanza[key] = value.strip()
    if stanza:
        yield stanza


def python_orig_tarballs(stanzas: Iterable[dict[str, str]]) -> Iterator[OrigTarball]:
    """Yield the orig tarball of every python3.X source stanza (from its Checksums-Sha256 field)."""
    for stanza in stanzas:
        package = stanza.get("Package", "")
        if not _SOURCE_PACKAGE_RE.match(package):
            continue
        for entry in stanza.get("Checksums-Sha256", "").splitlines():
            parts = entry.split()
            if len(parts) == 3 and parts[2].endswith(".orig.tar.xz") and _SHA256_HEX.match(parts[0]):
                yield OrigTarball(package, stanza.get("Version", ""), stanza.get("Directory", ""), parts[2],
                                  parts[0], int(parts[1]) if parts[1].isdigit() else -1)


def find_orig_tarball(tarballs: Iterable[OrigTarball], version: str) -> OrigTarball | None:
    """The listed orig tarball of a CPython release, by its exact archive name; None if the index lacks it."""
    name = orig_tarball_name(version)
    for tarball in tarballs:
        if tarball.name == name and tarball.package == source_package(version):
            return tarball
    return None
