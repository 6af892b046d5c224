"""Prove a recipe's sha256 a second time with the Debian archive's signed index: gpgv-verified InRelease ->
main/source/Sources.xz (its signed sha256 and size) -> the python3.X orig tarball's sha256."""

from __future__ import annotations

import json
import lzma
import os
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dualpy import console
from dualpy.errors import ChecksumMismatch, SourceNotProven, SourceUnavailable, UsageError
from dualpy.files import atomic_write_text, sha256_file
from dualpy.paths import cache_dir
from dualpy.sources.debian import (
    SOURCES_INDEX,
    OrigTarball,
    ReleaseFile,
    SignatureCheck,
    archive_url,
    find_orig_tarball,
    iter_stanzas,
    orig_tarball_name,
    parse_gpgv_status,
    parse_release_file,
    python_orig_tarballs,
    source_package,
)
from dualpy.sources.fetch import DOWNLOAD_TIMEOUT, download
from dualpy.sources.recipes import Release

# Which suites to ask, in order. Aliases, not codenames, so the order stays right across Debian releases. What they
# carried on 2026-11-25: unstable 3.13.15, 3.13.18, 3.14.9, 3.14.10, 3.15.2; testing 3.13.15, 3.14.8, 3.15.0;
# stable 3.13.5; experimental, stable-backports and oldstable-backports no python3.X. The archive drops a version
# from every index once a newer one replaces it, while its pool may keep serving the file.
DEFAULT_SUITES: tuple[str, ...] = ("unstable", "testing", "experimental", "stable", "stable-backports")
SUITES_ENV = "DUALPY_DEBIAN_SUITES"
KEYRING_DIR = Path("/usr/share/keyrings")
_INSTALL_KEYRING = "apt-get install -y debian-archive-keyring gpgv"
_MAX_INRELEASE = 16 << 20  # a real one is about 200 kB; refuse to buffer anything absurd


def configured_suites(explicit: str | None = None) -> tuple[str, ...]:
    """The suites to search, in order: --suites, else $DUALPY_DEBIAN_SUITES, else DEFAULT_SUITES."""
    text = explicit if explicit is not None else os.environ.get(SUITES_ENV, "")
    suites = tuple(part.strip() for part in text.replace(",", " ").split() if part.strip())
    for suite in suites:
        if not suite.replace("-", "").isalnum():
            raise UsageError(f"{suite!r} is not a Debian suite name like unstable or trixie-backports")
    return suites or DEFAULT_SUITES


def archive_keyrings(directory: Path | None = None) -> list[Path]:
    """The Debian archive keyrings gpgv checks InRelease against (the removed-keys ring excluded)."""
    directory = directory or KEYRING_DIR
    rings = [p for p in sorted(directory.glob("debian-archive-*.gpg")) if "removed" not in p.name]
    if not rings:
        raise SourceUnavailable(f"no Debian archive keyring in {directory}: run `{_INSTALL_KEYRING}`")
    return rings


def verify_signature(signed: bytes, keyrings: Sequence[Path], what: str) -> tuple[str, SignatureCheck]:
    """Return the signed text of a clear-signed file and gpgv's verdict once gpgv accepts it; else SourceNotProven.

    Only the text inside the signature is returned, so lines added around it are never read (apt's rule).
    """
    gpgv = shutil.which("gpgv")
    if gpgv is None:
        raise SourceUnavailable(f"gpgv is not installed, so {what} cannot be verified: run `{_INSTALL_KEYRING}`")
    with tempfile.TemporaryDirectory(prefix="dualpy-gpgv-") as work:
        source, output = Path(work) / "signed", Path(work) / "content"
        source.write_bytes(signed)
        command = [gpgv, "--status-fd", "1", "--output", str(output)]
        for ring in keyrings:
            command += ["--keyring", str(ring)]
        # a private GNUPGHOME: the user's own trust settings and keys play no part
        result = subprocess.run([*command, str(source)], capture_output=True, text=True, timeout=60,
                                env={**os.environ, "GNUPGHOME": work}, check=False)
        check = parse_gpgv_status(result.stdout)
        if not check.trusted:
            reason = ", ".join(check.bad) or (
                f"no key in {', '.join(r.name for r in keyrings)} made it (NO_PUBKEY {' '.join(check.missing_keys)})"
                if check.missing_keys else "no valid signature"
            )
            raise SourceNotProven(f"{what}: signature refused by gpgv ({reason}); the file was not used")
        return output.read_text(errors="replace"), check


def _get_bytes(url: str, limit: int) -> bytes:
    """Download a small file whole (at most limit bytes)."""
    request = urllib.request.Request(url, headers={"User-Agent": "dualpy"})
    try:
        with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT) as response:
            data: bytes = response.read(limit + 1)
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise SourceUnavailable(f"{url}: {getattr(exc, 'reason', exc)}") from None
    if len(data) > limit:
        raise SourceUnavailable(f"{url}: larger than {limit} bytes, refused")
    return data


def probe_url(url: str) -> tuple[bool, str]:
    """Whether a URL serves a file (HEAD), and what it answered: (True, 'HTTP 200'), (False, 'HTTP 404'), ..."""
    request = urllib.request.Request(url, method="HEAD", headers={"User-Agent": "dualpy"})
    try:
        with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT) as response:
            return True, f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return False, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        return False, f"unreachable: {getattr(exc, 'reason', exc)}"


@dataclass(frozen=True)
class SignedIndex:
    """A suite's verified index, reduced to what dualpy asks of it: the python3.X orig tarballs it lists."""

    suite: str
    release: ReleaseFile
    signed_by: tuple[str, ...]
    sources_sha256: str
    tarballs: tuple[OrigTarball, ...]
    from_cache: bool = False


def index_cache_dir() -> Path:
    """Where verified InRelease files and their python3.X extracts are kept, one folder per suite."""
    return cache_dir() / "debian"


def _load_extract(path: Path, sources_sha256: str) -> tuple[OrigTarball, ...] | None:
    """The cached tarball list if it was taken from the Sources file the verified InRelease names now."""
    try:
        document = json.loads(path.read_text())
        if document.get("sources_sha256") != sources_sha256:
            return None
        return tuple(OrigTarball(**entry) for entry in document["tarballs"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def signed_index(suite: str, debian_mirror: str | None = None, keyrings: Sequence[Path] | None = None,
                 directory: Path | None = None) -> SignedIndex:
    """Return a suite's verified index: InRelease checked by gpgv, then Sources.xz checked against its sha256.

    InRelease is fetched every time (small; it says what is current). Sources.xz (about 10 MB) is fetched only when
    its sha256 in the verified InRelease differs from the one the cached extract was taken from. If the archive
    does not answer, the cached InRelease is verified again and used, and the result says so.
    """
    base = archive_url(debian_mirror)
    keyrings = keyrings if keyrings is not None else archive_keyrings()
    folder = (directory or index_cache_dir()) / suite
    folder.mkdir(parents=True, exist_ok=True)
    url = f"{base}/dists/{suite}/InRelease"
    from_cache = False
    try:
        raw = _get_bytes(url, _MAX_INRELEASE)
    except SourceUnavailable:
        if not (folder / "InRelease").is_file():
            raise
        raw, from_cache = (folder / "InRelease").read_bytes(), True
    text, check = verify_signature(raw, keyrings, url)
    release = parse_release_file(text)
    listed = release.files.get(SOURCES_INDEX)
    if listed is None:
        raise SourceUnavailable(f"{url} lists no {SOURCES_INDEX}: not a suite with sources")
    extract = folder / "python-orig-tarballs.json"
    tarballs = _load_extract(extract, listed.sha256)
    if tarballs is None:
        if from_cache:
            raise SourceUnavailable(f"{url}: unreachable, and the cached index of {suite} is incomplete")
        tarballs = _download_sources(f"{base}/dists/{suite}/{SOURCES_INDEX}", listed.sha256, listed.size, folder)
        atomic_write_text(extract, json.dumps({
            "suite": suite, "sources_sha256": listed.sha256,
            "tarballs": [t.__dict__ for t in tarballs],
        }, indent=1))
    if not from_cache:
        atomic_write_text(folder / "InRelease", raw.decode(errors="replace"))
    return SignedIndex(suite, release, check.good_keys, listed.sha256, tarballs, from_cache)


def _download_sources(url: str, sha256: str, size: int, folder: Path) -> tuple[OrigTarball, ...]:
    """Download Sources.xz, refuse it unless its sha256 and size are the ones the signed InRelease lists."""
    handle, temp_name = tempfile.mkstemp(dir=folder, prefix=".Sources.", suffix=".xz.part")
    os.close(handle)
    temp = Path(temp_name)
    try:
        console.info(f"  fetching {url} ({size / 1e6:.1f} MB)")
        try:
            download(url, temp)
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            raise SourceUnavailable(f"{url}: {getattr(exc, 'reason', exc)}") from None
        actual = sha256_file(temp)
        if actual != sha256 or temp.stat().st_size != size:
            raise ChecksumMismatch(
                f"{url} has sha256 {actual} ({temp.stat().st_size} bytes) but the signed InRelease lists {sha256} "
                f"({size} bytes): the archive or a proxy served a wrong index; try another --debian-mirror"
            )
        with lzma.open(temp, "rt", encoding="utf-8", errors="replace") as lines:
            return tuple(python_orig_tarballs(iter_stanzas(lines)))
    finally:
        temp.unlink(missing_ok=True)


@dataclass(frozen=True)
class SignedLookup:
    """What the signed indexes say about one release: where it is listed, or what they list instead."""

    version: str
    found: OrigTarball | None = None
    index: SignedIndex | None = None
    searched: tuple[str, ...] = ()
    others: dict[str, tuple[str, ...]] = field(default_factory=dict)
    failures: tuple[str, ...] = ()


def lookup_signed(version: str, suites: Sequence[str], debian_mirror: str | None = None,
                  directory: Path | None = None) -> SignedLookup:
    """Search the suites in order for the release's orig tarball; stop at the first signed index that lists it.

    An unreachable suite is noted and skipped, and so is the whole search when there is no archive or keyring
    (the verdict then says "unavailable"); a refused signature or a wrong Sources.xz stops everything.
    """
    try:
        keyrings = archive_keyrings()
        debian_mirror = archive_url(debian_mirror)
    except (SourceUnavailable, UsageError) as exc:
        return SignedLookup(version, failures=(str(exc),))
    searched: list[str] = []
    others: dict[str, tuple[str, ...]] = {}
    failures: list[str] = []
    for suite in suites:
        try:
            index = signed_index(suite, debian_mirror, keyrings, directory)
        except SourceUnavailable as exc:
            failures.append(f"{suite}: {exc}")
            continue
        searched.append(suite)
        found = find_orig_tarball(index.tarballs, version)
        if found is not None:
            return SignedLookup(version, found, index, tuple(searched), others, tuple(failures))
        package = source_package(version)
        others[suite] = tuple(t.version for t in index.tarballs if t.package == package)
    return SignedLookup(version, None, None, tuple(searched), others, tuple(failures))


@dataclass(frozen=True)
class SignedVerdict:
    """The recipe's sha256 against the signed index's: agrees, not-listed or unavailable, and the sentence."""

    status: str
    message: str
    signed_sha256: str | None = None


def judge_signed(release: Release, recipe_path: str, lookup: SignedLookup) -> SignedVerdict:
    """Compare a recipe's sha256 with the signed index; raise ChecksumMismatch (both digests) if they differ."""
    name = orig_tarball_name(release.version)
    if lookup.found is not None and lookup.index is not None:
        index = lookup.index
        where = f"the Debian archive's signed {index.suite} index (InRelease dated {index.release.date})"
        if lookup.found.sha256 != release.sha256:
            raise ChecksumMismatch(
                f"{recipe_path} says sha256 {release.sha256} for Python {release.version}, but {where} lists "
                f"{lookup.found.sha256} for {name}: one of them is wrong; check both and fix the recipe"
            )
        return SignedVerdict("agrees", f"{where} lists {name} with the same sha256", lookup.found.sha256)
    if not lookup.searched:
        return SignedVerdict(
            "unavailable",
            f"no signed Debian index could be read ({'; '.join(lookup.failures) or 'no suite given'}): "
            "only the recipe vouches for the sha256",
        )
    listed = "; ".join(f"{suite}: {', '.join(v) or 'none'}" for suite, v in lookup.others.items())
    return SignedVerdict(
        "not-listed",
        f"the Debian archive's signed indexes ({', '.join(lookup.searched)}) do not list {name} "
        f"(they list {source_package(release.version)} {listed}): only the recipe vouches for the sha256",
    )
