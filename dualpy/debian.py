"""The Debian archive this host's apt already uses (so no mirror host is written into dualpy)."""

from __future__ import annotations

import re
from pathlib import Path

from dualpy.errors import UsageError

APT_SOURCE_FILES = (Path("/etc/apt/sources.list"), Path("/etc/apt/sources.list.d"))


def archive_urls(texts: list[tuple[str, str]]) -> list[str]:
    """Return the main archive URLs (not -security, not deb-src) found in apt source files, in order."""
    urls: list[str] = []
    for name, text in texts:
        if name.endswith(".sources"):
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
        else:
            for line in text.splitlines():
                words = re.sub(r"\[[^\]]*\]", " ", line.split("#", 1)[0]).split()
                if len(words) >= 3 and words[0] == "deb" and "security" not in words[2]:
                    urls.append(words[1])
    seen: list[str] = []
    for url in urls:
        url = url.rstrip("/")
        if url not in seen and "security" not in url:
            seen.append(url)
    return seen


def read_apt_sources() -> list[tuple[str, str]]:
    """Read this host's apt source files as (name, text) pairs."""
    texts = []
    for location in APT_SOURCE_FILES:
        files = sorted(location.glob("*")) if location.is_dir() else [location]
        for path in files:
            if path.is_file() and (path.suffix in (".list", ".sources") or path.name == "sources.list"):
                texts.append((path.name, path.read_text(errors="replace")))
    return texts


def archive_url(explicit: str | None = None) -> str:
    """The Debian archive URL: --debian-mirror if given, else the first one this host's apt uses."""
    if explicit:
        return explicit.rstrip("/")
    urls = archive_urls(read_apt_sources())
    if not urls:
        raise UsageError(
            "no Debian archive found in /etc/apt/sources.list{,.d}: pass --debian-mirror URL"
        )
    return urls[0]
