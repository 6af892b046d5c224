"""`images build`: fetch verified sources, find the base, render the context, build it with progress, report."""

from __future__ import annotations

import json
import tempfile
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from dualpy import console, engine
from dualpy.errors import BuildFailed, UsageError
from dualpy.images.base import resolve_base_image
from dualpy.images.render import write_context
from dualpy.images.spec import ImageSpec, PythonRelease, default_tag_for
from dualpy.images.suites import Suite, find_suite
from dualpy.images.tools import download_image_wheels
from dualpy.paths import cache_dir
from dualpy.sources.fetch import fetch_release
from dualpy.sources.recipes import find_release
from dualpy.tags import ALL_VARIANTS, Variant


def resolve_pythons(request: str | None) -> tuple[PythonRelease, ...]:
    """The releases a --python request names: '3.14', '3.13.15', '3.13,3.14,3.15', or None for the default."""
    if request is None:
        return (PythonRelease(*find_release(None)),)  # the newest final release across the recipes
    parts = [part.strip() for part in request.split(",") if part.strip()]
    if not parts:
        raise UsageError("--python is empty: pass a release (3.14.7), a minor (3.14) or several (3.13,3.14,3.15)")
    return tuple(PythonRelease(*find_release(part)) for part in parts)


@dataclass(frozen=True)
class DedupeSummary:
    """What images/scripts/dedupe.py reported: files hardlinked to an identical one and the bytes saved."""

    root: str
    files_linked: int
    bytes_saved: int

    def to_json(self) -> dict[str, object]:
        return {"root": self.root, "files_linked": self.files_linked, "bytes_saved": self.bytes_saved}


@dataclass(frozen=True)
class BuildReport:
    """What `images build` did."""

    tag: str
    image_id: str
    version: str
    variants: list[str]
    base: str
    base_how: str
    seconds: float
    size_bytes: int
    cached_steps: int
    total_steps: int
    log_path: str
    dedupe: DedupeSummary | None = None
    versions: list[str] = field(default_factory=list)
    suite: str = ""
    target: str = "full"
    compiler: str = "gcc"

    def to_json(self) -> dict[str, object]:
        """The `images build --json` document (its keys are a documented contract)."""
        return {
            "tag": self.tag, "image_id": self.image_id, "version": self.version, "variants": list(self.variants),
            "base": self.base, "base_how": self.base_how, "seconds": self.seconds, "size_bytes": self.size_bytes,
            "cached_steps": self.cached_steps, "total_steps": self.total_steps, "log_path": self.log_path,
            "dedupe": self.dedupe.to_json() if self.dedupe else {}, "versions": list(self.versions),
            "suite": self.suite, "target": self.target, "compiler": self.compiler,
        }


class BuildProgress:
    """Prints Dockerfile steps, a heartbeat during long steps, and keeps the tail for errors."""

    HEARTBEAT_SECONDS = 30

    def __init__(self, log: IO[str]):
        self.log = log
        self.tail: deque[str] = deque(maxlen=40)
        self.started = time.monotonic()
        self.last_print = self.started
        self.cached_steps = 0
        self.total_steps = 0
        self.dedupe: DedupeSummary | None = None

    def __call__(self, line: str) -> None:
        self.log.write(line + "\n")
        self.log.flush()
        self.tail.append(line)
        now = time.monotonic()
        elapsed = f"[{now - self.started:5.0f}s]"
        if line.startswith("Step "):
            self.total_steps += 1
            console.info(f"  {elapsed} {line[:150]}")
            self.last_print = now
        elif "Using cache" in line:
            self.cached_steps += 1
        elif line.startswith('{"root": "/opt/python"'):
            summary = json.loads(line)
            self.dedupe = DedupeSummary(str(summary["root"]), int(summary["files_linked"]),
                                        int(summary["bytes_saved"]))
        elif now - self.last_print > self.HEARTBEAT_SECONDS:
            console.info(f"  {elapsed}   … {line.strip()[:120]}")
            self.last_print = now


def _log_path(tag: str) -> Path:
    logs = cache_dir() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    return logs / f"images-build-{tag.replace('/', '_').replace(':', '_')}-{int(time.time())}.log"


def default_compiler(profile: str, suite: Suite) -> str:
    """What compiles the interpreters when --compiler is not given: clang for the release profile where the suite
    carries it (measured faster than gcc there: docs/performance.md), else gcc (pure)."""
    return "clang" if profile == "release" and suite.clang_version is not None else "gcc"


def build_image(
    python: Sequence[PythonRelease] | str | None = None,
    *,
    variants: tuple[Variant, ...] = ALL_VARIANTS,
    base: str | None = None,
    tag: str | None = None,
    profile: str = "fast",
    suite: str | None = None,
    debian_mirror: str | None = None,
    source_file: Path | None = None,
    no_cache: bool = False,
    target: str = "full",
    compiler: str | None = None,
) -> BuildReport:
    """Build the image of one or several releases in the requested variants; return what was built and how long.

    python is the releases themselves, or a --python request ('3.14', '3.13,3.14,3.15'; None: the newest final).
    """
    pythons = resolve_pythons(python) if python is None or isinstance(python, str) else tuple(python)
    debian = find_suite(suite)
    compiler = compiler or default_compiler(profile, debian)
    ImageSpec(pythons, variants, profile, base or "-", debian, target=target, compiler=compiler)  # bad input: here
    if source_file is not None and len(pythons) > 1:
        raise UsageError("--source is one release's tarball: pass it with one --python, not several")
    engine.ensure_running()
    tag = tag or default_tag_for([p.release for p in pythons], target)
    started = time.monotonic()
    tarballs: dict[str, Path] = {}
    for item in pythons:
        console.step(f"source of Python {item.version}")
        fetched = fetch_release(item.release, local_file=source_file, debian_mirror=debian_mirror)
        console.info(f"  {fetched.path} (sha256 {fetched.sha256[:16]}…, from {fetched.served_by})")
        tarballs[item.version] = fetched.path
    console.step("base image")
    base_image = resolve_base_image(debian.name, base, debian_mirror)
    console.info(f"  {base_image.reference} ({base_image.how})")
    spec = ImageSpec(pythons, variants, profile, base_image.reference, debian,
                     engine.image_facts(base_image.reference).id, target, compiler)
    wheel_dirs = [download_image_wheels(item.recipe.minor, debian) for item in spec.pythons]
    log_path = _log_path(tag)
    with tempfile.TemporaryDirectory(prefix="dualpy-context-", dir=cache_dir()) as context_dir, \
            log_path.open("w") as log:
        context = write_context(spec, tarballs, wheel_dirs, Path(context_dir))
        installs = ", ".join(t.install_tag for t in spec.targets)
        console.step(f"building {tag} ({installs}; profile {profile}; {spec.compiler_name}; {debian.name}; "
                     f"target {target}); "
                     f"log: {log_path}")
        progress = BuildProgress(log)
        try:
            image_id = engine.build(context, tag, progress, no_cache=no_cache)
        except BuildFailed as exc:
            console.stderr.print("\n".join(list(progress.tail)[-25:]), markup=False)
            raise BuildFailed(f"{exc}; full log: {log_path}") from None
    seconds = time.monotonic() - started
    facts = engine.image_facts(tag)
    console.info(
        f"  {tag} {image_id[:19]} built in {seconds:.0f}s "
        f"({progress.cached_steps}/{progress.total_steps} steps from cache), {facts.size / 1e6:.0f} MB"
    )
    return BuildReport(
        tag=tag, image_id=image_id, version=spec.default_python.version, variants=[v.value for v in variants],
        base=base_image.reference, base_how=base_image.how, seconds=round(seconds, 1), size_bytes=facts.size,
        cached_steps=progress.cached_steps, total_steps=progress.total_steps, log_path=str(log_path),
        dedupe=progress.dedupe, versions=list(spec.versions), suite=debian.name, target=target,
        compiler=spec.compiler_name,
    )
