"""Fetch a release's source tarball into the cache: checksum-verified, sources tried in order (dualpy/sources/signed.py
proves the recipe's sha256 a second time with the Debian archive's signed index)."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from dualpy import console
from dualpy.errors import ChecksumMismatch, SourceUnavailable, UsageError
from dualpy.files import sha256_file
from dualpy.paths import cache_dir
from dualpy.sources.debian import (
    archive_url,
)
from dualpy.sources.recipes import DebianArchiveSource, Release, Source

DOWNLOAD_TIMEOUT = 60
_CHUNK = 1 << 20


@dataclass(frozen=True)
class FetchedSource:
    """A verified tarball in the cache and where it came from."""

    path: Path
    sha256: str
    served_by: str
    cached: bool


def source_cache_dir() -> Path:
    """Where verified tarballs are kept."""
    return cache_dir() / "sources"


def resolve_url(source: Source, debian_mirror: str | None = None) -> str:
    """The URL to download a source from (Debian paths resolved against the host's archive)."""
    if isinstance(source, DebianArchiveSource):
        return f"{archive_url(debian_mirror)}/{source.path}"
    return source.url


sha256_of = sha256_file  # kept for callers of the old name; files.sha256_file is the one helper


def download(url: str, destination: Path) -> None:
    """Download url into destination (a temp path the caller renames or removes)."""
    request = urllib.request.Request(url, headers={"User-Agent": "dualpy"})
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT) as response, destination.open("wb") as out:
        total = int(response.headers.get("Content-Length") or 0)
        done = 0
        last_report = started
        for chunk in iter(lambda: response.read(_CHUNK), b""):
            out.write(chunk)
            done += len(chunk)
            now = time.monotonic()
            if now - last_report > 5:
                share = f" ({100 * done // total}%)" if total else ""
                console.info(f"    {done >> 20} MiB{share}")
                last_report = now
    console.info(f"    {done / 1e6:.1f} MB in {time.monotonic() - started:.1f}s")


def _verify_into_cache(candidate: Path, release: Release, final: Path, served_by: str) -> FetchedSource:
    actual = sha256_of(candidate)
    if actual != release.sha256:
        candidate.unlink(missing_ok=True)
        raise ChecksumMismatch(
            f"{served_by} served a file whose sha256 is {actual}, but the recipe for {release.version} "
            f"expects {release.sha256}: the file was removed; check the source or the recipe"
        )
    candidate.chmod(0o644)
    candidate.replace(final)
    return FetchedSource(final, actual, served_by, cached=False)


def fetch_release(
    release: Release,
    *,
    local_file: Path | None = None,
    debian_mirror: str | None = None,
    destination_dir: Path | None = None,
) -> FetchedSource:
    """Return the verified tarball of a release, downloading it (or taking --source FILE) if not cached."""
    directory = destination_dir or source_cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / release.filename
    if local_file is None and final.exists():
        if sha256_of(final) == release.sha256:
            return FetchedSource(final, release.sha256, "cache", cached=True)
        final.unlink()
    if local_file is not None:
        if not local_file.is_file():
            raise UsageError(f"--source {local_file}: no such file")
        handle, temp_name = tempfile.mkstemp(dir=directory, prefix=f".{release.filename}.", suffix=".part")
        os.close(handle)
        shutil.copyfile(local_file, temp_name)
        try:
            return _verify_into_cache(Path(temp_name), release, final, str(local_file))
        finally:
            Path(temp_name).unlink(missing_ok=True)
    failures: list[str] = []
    for source in release.sources:
        try:
            url = resolve_url(source, debian_mirror)
        except UsageError as exc:
            failures.append(f"{source.describe()}: {exc}")
            continue
        console.info(f"  trying {url}")
        handle, temp_name = tempfile.mkstemp(dir=directory, prefix=f".{release.filename}.", suffix=".part")
        os.close(handle)
        temp = Path(temp_name)
        try:
            download(url, temp)
            result = _verify_into_cache(temp, release, final, url)
        except ChecksumMismatch as exc:
            console.warn(str(exc))
            failures.append(f"{url}: checksum mismatch")
            continue
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            console.info(f"    unavailable: {reason}")
            failures.append(f"{url}: {reason}")
            continue
        finally:
            temp.unlink(missing_ok=True)
        console.info(f"  served by {url}")
        return result
    raise SourceUnavailable(
        f"no source of Python {release.version} could be fetched ({'; '.join(failures)}): "
        f"pass --source FILE with the tarball, or --debian-mirror URL"
    )


# ---- The second source: the Debian archive's signed index ----
