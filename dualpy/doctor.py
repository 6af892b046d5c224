"""What this machine has for dualpy's work: engine, debootstrap, cache, reachable sources."""

from __future__ import annotations

import os
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass

from dualpy import engine
from dualpy.errors import DualpyError, EngineUnavailable
from dualpy.images.base import local_base_tag
from dualpy.images.suites import default_suite
from dualpy.paths import cache_dir
from dualpy.sources.fetch import resolve_url
from dualpy.sources.recipes import load_recipes


@dataclass(frozen=True)
class Finding:
    """One fact the doctor checked: ok or not, what it saw, and the fix when not ok."""

    name: str
    ok: bool
    detail: str
    fix: str = ""

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail, "fix": self.fix}


def _reachable(url: str, timeout: float = 10) -> str | None:
    """None when the URL answers a HEAD request, else the reason it does not."""
    request = urllib.request.Request(url, method="HEAD", headers={"User-Agent": "dualpy"})
    try:
        with urllib.request.urlopen(request, timeout=timeout):
            return None
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        return str(getattr(exc, "reason", exc))


def examine(check_sources: bool = True) -> list[Finding]:
    """Return the findings for this machine."""
    findings = []
    try:
        findings.append(Finding("engine", True, f"Docker engine {engine.engine_version()} answers"))
        base = local_base_tag(default_suite())
        has_base = engine.image_exists(base)
        findings.append(Finding("base image", has_base, f"{base} {'present' if has_base else 'absent'}",
                                "" if has_base else "`dualpy base build` (images build does it when needed)"))
    except EngineUnavailable as exc:
        findings.append(Finding("engine", False, str(exc).split(":")[0], engine.ENGINE_FIX))
    debootstrap = shutil.which("debootstrap")
    findings.append(Finding("debootstrap", bool(debootstrap), debootstrap or "not installed",
                            "" if debootstrap else "apt-get install debootstrap"))
    cache = cache_dir()
    try:
        cache.mkdir(parents=True, exist_ok=True)
        writable = os.access(cache, os.W_OK)
    except OSError:
        writable = False
    findings.append(Finding("cache dir", writable, str(cache),
                            "" if writable else "set DUALPY_CACHE_DIR to a writable dir"))
    if check_sources:
        for _minor, recipe in sorted(load_recipes().items()):
            release = recipe.latest
            served = []
            for source in release.sources:
                try:
                    url = resolve_url(source)
                except DualpyError as exc:
                    served.append(f"{source.describe()}: {exc}")
                    continue
                reason = _reachable(url)
                served.append(f"{url}: {'reachable' if reason is None else reason}")
                if reason is None:
                    break
            ok = any(s.endswith(": reachable") for s in served)
            fix = "" if ok else f"pass --source FILE to `dualpy images build --python {release.version}`"
            findings.append(Finding(f"sources {release.version}", ok, "; ".join(served), fix))
    return findings
