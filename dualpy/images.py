"""Dual CPython images: render the build context from images/ and a recipe, build it, inspect the result."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

from dualpy import __version__, console, engine
from dualpy.base import DEFAULT_SUITE, resolve_base_image
from dualpy.errors import BuildFailed
from dualpy.paths import cache_dir, data_dir
from dualpy.recipes import Recipe, Release, find_release
from dualpy.sources import fetch_release
from dualpy.tags import ALL_VARIANTS, PythonTarget, Variant, machine_arch

BUILD_PACKAGES = (
    "gcc", "g++", "make", "libc6-dev", "binutils", "xz-utils", "pkg-config",
    "libssl-dev", "zlib1g-dev", "libffi-dev", "libbz2-dev", "libreadline-dev", "libsqlite3-dev",
    "liblzma-dev", "uuid-dev", "libgdbm-dev", "libgdbm-compat-dev", "libncurses-dev",
)
# The final image is also cibuildwheel's build container, so it keeps a compiler and the C headers.
RUNTIME_PACKAGES = (
    "gcc", "g++", "make", "libc6-dev", "binutils", "xz-utils", "pkg-config", "debianutils",
    "libssl3", "zlib1g", "libffi8", "libbz2-1.0", "libreadline8", "libsqlite3-0", "liblzma5",
    "libuuid1", "libgdbm6", "libgdbm-compat4", "libncursesw6",
)
BASE_GLIBC_MINOR = 36  # Debian bookworm's glibc 2.36
LAUNCHER_CONFIG_PATH = "/usr/local/etc/dualpy-launcher.conf"
LABEL_PREFIX = "io.dualpy"


def default_tag(version: str) -> str:
    """The tag an image of a release gets unless --tag says otherwise."""
    return f"dualpy/cpython:{version}"


@dataclass(frozen=True)
class ImageSpec:
    """Everything that decides an image's content (the Dockerfile is a pure function of it)."""

    recipe: Recipe
    release: Release
    variants: tuple[Variant, ...]
    profile: str
    base: str
    base_id: str = ""

    @property
    def targets(self) -> tuple[PythonTarget, ...]:
        return tuple(self.recipe.target(v) for v in self.variants)

    def configure_flags(self, variant: Variant) -> tuple[str, ...]:
        return self.recipe.configure_flags(variant, self.profile)

    def labels(self) -> dict[str, str]:
        """The image's OCI and dualpy labels."""
        labels = {
            "org.opencontainers.image.title": f"dualpy CPython {self.release.version}",
            "org.opencontainers.image.description": "CPython "
            + " and ".join(t.install_tag for t in self.targets) + " in manylinux layout",
            "org.opencontainers.image.version": self.release.version,
            "org.opencontainers.image.base.name": self.base,
            f"{LABEL_PREFIX}.version": __version__,
            f"{LABEL_PREFIX}.cpython.version": self.release.version,
            f"{LABEL_PREFIX}.cpython.sha256": self.release.sha256,
            f"{LABEL_PREFIX}.variants": ",".join(v.value for v in self.variants),
            f"{LABEL_PREFIX}.profile": self.profile,
            f"{LABEL_PREFIX}.base": self.base + (f"@{self.base_id}" if self.base_id else ""),
        }
        for variant in self.variants:
            labels[f"{LABEL_PREFIX}.configure.{variant.value}"] = " ".join(self.configure_flags(variant))
        return labels


def _label_instruction(labels: dict[str, str]) -> str:
    lines = [f'    {key}={json.dumps(value)}' for key, value in labels.items()]
    return "LABEL \\\n" + " \\\n".join(lines)


def render_dockerfile(spec: ImageSpec, templates: Path | None = None) -> str:
    """Return the Dockerfile for an image spec (pure: same spec, same text)."""
    templates = templates or data_dir("images")
    main = Template((templates / "Dockerfile.template").read_text())
    stage = Template((templates / "stage-build.template").read_text())
    build_stages = "".join(
        stage.substitute(
            install_tag=target.install_tag,
            source_file=spec.release.filename,
            prefix=target.prefix,
            configure_flags=" ".join(spec.configure_flags(target.variant)),
        )
        for target in spec.targets
    )
    copy_builds = "\n".join(
        f"COPY --from=build-{t.install_tag} {t.prefix} {t.prefix}" for t in spec.targets
    )
    return main.substitute(
        base=spec.base,
        build_packages=" ".join(BUILD_PACKAGES),
        runtime_packages=" ".join(RUNTIME_PACKAGES),
        source_file=spec.release.filename,
        build_stages=build_stages,
        copy_builds=copy_builds,
        install_tags=" ".join(f"{t.install_tag}:{t.executable_name}" for t in spec.targets),
        labels=_label_instruction(spec.labels()),
    )


def render_launcher_config(spec: ImageSpec) -> str | None:
    """The launcher configuration for the image's interpreters, or None without a launcher."""
    try:
        from dualpy import launcher  # noqa: PLC0415
    except ImportError:
        return None
    interpreters = {t.request: f"{t.prefix}/bin/{t.executable_name}" for t in spec.targets}
    return launcher.render_config(interpreters, Variant.GIL if Variant.GIL in spec.variants else spec.variants[0])


def _requirements_digest(templates: Path, python: str, arch: str) -> str:
    digest = hashlib.sha256(f"{python}-{arch}".encode())
    for name in ("requirements-interpreter.txt", "requirements-tools.txt"):
        digest.update((templates / name).read_bytes())
    return digest.hexdigest()[:16]


def manylinux_platforms(arch: str, glibc_minor: int = BASE_GLIBC_MINOR) -> list[str]:
    """Wheel platform tags a glibc 2.<glibc_minor> image runs, newest first (pip does not expand them)."""
    platforms = [f"manylinux_2_{minor}_{arch}" for minor in range(glibc_minor, 4, -1)]
    legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
    return platforms + [f"{name}_{arch}" for minor, name in legacy.items() if minor <= glibc_minor]


def download_image_wheels(minor: str, templates: Path | None = None) -> Path:
    """Download (on the host, with the host's pip settings) the wheels the image installs; return their dir."""
    templates = templates or data_dir("images")
    arch = machine_arch()
    nodot = minor.replace(".", "")
    target = cache_dir() / "wheels" / f"cp{nodot}-{arch}-{_requirements_digest(templates, minor, arch)}"
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".download-"))
    command = [
        sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--quiet",
        "--dest", str(temp), "--only-binary=:all:",
        *[arg for platform in manylinux_platforms(arch) for arg in ("--platform", platform)],
        "--python-version", minor, "--implementation", "cp",
        "--abi", f"cp{nodot}", "--abi", "abi3", "--abi", "none",
        "-r", str(templates / "requirements-interpreter.txt"),
        "-r", str(templates / "requirements-tools.txt"),
    ]
    console.info(f"  downloading the image's wheels for Python {minor} ({arch}) with the host's pip settings")
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        shutil.rmtree(temp, ignore_errors=True)
        last = (result.stderr.strip().splitlines() or ["?"])[-1]
        raise BuildFailed(f"pip could not download the image's wheels ({last}): check the host's pip index settings")
    shutil.copyfile(templates / "requirements-interpreter.txt", temp / "interpreter-requirements.txt")
    shutil.copyfile(templates / "requirements-tools.txt", temp / "tool-requirements.txt")
    os.replace(temp, target)
    return target


def render_context(spec: ImageSpec, source_tarball: Path, wheels: Path, destination: Path) -> Path:
    """Write a complete build context (Dockerfile, scripts, source, wheels, launcher) into destination."""
    templates = data_dir("images")
    destination.mkdir(parents=True, exist_ok=True)
    (destination / "Dockerfile").write_text(render_dockerfile(spec, templates))
    shutil.copytree(templates / "scripts", destination / "scripts")
    (destination / "sources").mkdir()
    tarball_copy = destination / "sources" / spec.release.filename
    if source_tarball.stat().st_dev == destination.stat().st_dev:
        os.link(source_tarball, tarball_copy)  # 23 MB per build context: a link, not a copy
    else:
        shutil.copyfile(source_tarball, tarball_copy)
    shutil.copytree(wheels, destination / "wheels")
    launcher_dir = destination / "launcher"
    launcher_dir.mkdir()
    config = render_launcher_config(spec)
    if config is not None:
        from dualpy import launcher  # noqa: PLC0415

        shutil.copyfile(launcher.source_path(), launcher_dir / "launcher.c")
        (launcher_dir / "compile-flags").write_text(" ".join(launcher.COMPILE_FLAGS) + "\n")
        (launcher_dir / "dualpy-launcher.conf").write_text(config)
    else:
        (launcher_dir / "README").write_text("no launcher in this build\n")
    return destination


@dataclass
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
    dedupe: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return dict(self.__dict__)


class _BuildProgress:
    """Prints Dockerfile steps, a heartbeat during long steps, and keeps the tail for errors."""

    HEARTBEAT_SECONDS = 30

    def __init__(self, log_path: Path):
        self.log = open(log_path, "w")
        self.tail: deque[str] = deque(maxlen=40)
        self.started = time.monotonic()
        self.last_print = self.started
        self.cached_steps = 0
        self.total_steps = 0
        self.dedupe: dict = {}

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
            self.dedupe = json.loads(line)
        elif now - self.last_print > self.HEARTBEAT_SECONDS:
            console.info(f"  {elapsed}   … {line.strip()[:120]}")
            self.last_print = now

    def close(self) -> None:
        self.log.close()


def build_image(
    python: str,
    *,
    variants: tuple[Variant, ...] = ALL_VARIANTS,
    base: str | None = None,
    tag: str | None = None,
    profile: str = "fast",
    suite: str = DEFAULT_SUITE,
    debian_mirror: str | None = None,
    source_file: Path | None = None,
    no_cache: bool = False,
) -> BuildReport:
    """Build the image of one release with the requested variants; return what was built and how long it took."""
    recipe, release = find_release(python)
    recipe.configure_flags(variants[0], profile)  # validates the profile before any work
    engine.client()
    tag = tag or default_tag(release.version)
    started = time.monotonic()
    console.step(f"source of Python {release.version}")
    fetched = fetch_release(release, local_file=source_file, debian_mirror=debian_mirror)
    console.info(f"  {fetched.path} (sha256 {fetched.sha256[:16]}…, from {fetched.served_by})")
    console.step("base image")
    base_image = resolve_base_image(suite, base, debian_mirror)
    base_id = engine.image_facts(base_image.reference).id
    console.info(f"  {base_image.reference} ({base_image.how})")
    wheels = download_image_wheels(str(recipe.minor))
    spec = ImageSpec(recipe, release, variants, profile, base_image.reference, base_id)
    logs = cache_dir() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / f"images-build-{tag.replace('/', '_').replace(':', '_')}-{int(time.time())}.log"
    with tempfile.TemporaryDirectory(prefix="dualpy-context-", dir=cache_dir()) as context_dir:
        context = render_context(spec, fetched.path, wheels, Path(context_dir))
        installs = ", ".join(t.install_tag for t in spec.targets)
        console.step(f"building {tag} ({installs}; profile {profile}); log: {log_path}")
        progress = _BuildProgress(log_path)
        try:
            image_id = engine.build(context, tag, progress, no_cache=no_cache)
        except BuildFailed as exc:
            tail = "\n".join(list(progress.tail)[-25:])
            console.stderr.print(tail, markup=False)
            raise BuildFailed(f"{exc}; full log: {log_path}") from None
        finally:
            progress.close()
    seconds = time.monotonic() - started
    facts = engine.image_facts(tag)
    console.info(
        f"  {tag} {image_id[:19]} built in {seconds:.0f}s "
        f"({progress.cached_steps}/{progress.total_steps} steps from cache), {facts.size / 1e6:.0f} MB"
    )
    return BuildReport(
        tag=tag, image_id=image_id, version=release.version, variants=[v.value for v in variants],
        base=base_image.reference, base_how=base_image.how, seconds=round(seconds, 1), size_bytes=facts.size,
        cached_steps=progress.cached_steps, total_steps=progress.total_steps, log_path=str(log_path),
        dedupe=progress.dedupe,
    )


_PROBE = r"""
import json, sys, sysconfig
from packaging import tags
gil = getattr(sys, "_is_gil_enabled", lambda: True)()
print(json.dumps({
    "path": sys.executable,
    "version": sys.version.split()[0],
    "abiflags": sys.abiflags,
    "Py_GIL_DISABLED": sysconfig.get_config_var("Py_GIL_DISABLED"),
    "gil_enabled": gil,
    "EXT_SUFFIX": sysconfig.get_config_var("EXT_SUFFIX"),
    "tags": [str(t) for t in list(tags.sys_tags())[:3]],
}))
"""

_INSPECT_SCRIPT = f"""
for interpreter in /opt/python/cp3*-cp3*/bin/python; do
    case "$interpreter" in */cp39-cp39/*) continue;; esac
    "$interpreter" -c '{_PROBE}'
done
echo '--- launcher'
cat {LAUNCHER_CONFIG_PATH} 2>/dev/null || true
"""


def image_interpreters(tag: str) -> list[str]:
    """The install tags (cp313-cp313, cp313-cp313t, ...) of an image's interpreters, without cp39's link."""
    result = engine.run(tag, ["/bin/sh", "-c", "ls -d /opt/python/cp3*-cp3*"], entrypoint=[])
    return sorted(p.rsplit("/", 1)[1] for p in result.stdout.split() if not p.endswith("/cp39-cp39"))


def inspect_image(tag: str) -> dict:
    """Run the image and report, per interpreter, path, version, ABI facts and first tags, plus labels and launcher."""
    facts = engine.image_facts(tag)
    result = engine.run(tag, ["/bin/sh", "-c", _INSPECT_SCRIPT], entrypoint=[])
    if result.exit_code != 0:
        raise BuildFailed(f"inspecting {tag} failed (exit {result.exit_code}): {result.stderr.strip()[-300:]}")
    probe_text, _, launcher_text = result.stdout.partition("--- launcher\n")
    interpreters = [json.loads(line) for line in probe_text.splitlines() if line.startswith("{")]
    launcher = None
    if launcher_text.strip():
        from dualpy import launcher as launcher_module  # noqa: PLC0415

        known, default = launcher_module.parse_config(launcher_text)
        launcher = {
            "path": "/usr/local/bin/python",
            "config": LAUNCHER_CONFIG_PATH,
            "default": default.value if isinstance(default, Variant) else str(default),
            "interpreters": dict(known),
        }
    return {
        "tag": tag,
        "id": facts.id,
        "size_bytes": facts.size,
        "labels": dict(facts.labels),
        "interpreters": interpreters,
        "launcher": launcher,
    }
