"""The floor compiler on the host: the pinned ziglang wheel downloaded, hash-checked and unpacked once into the
cache (as cibw.venv_python does for cibuildwheel), the wrapper scripts of each floor, and the mounts of a run."""

from __future__ import annotations

import re
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from dualpy import console
from dualpy.errors import BuildFailed, ChecksumMismatch, UsageError
from dualpy.files import sha256_file
from dualpy.paths import cache_dir
from dualpy.probes import probe_source
from dualpy.wheels.floor import (
    WRAPPERS_MOUNT,
    ZIG_CACHE_MOUNT,
    ZIG_MOUNT,
    Floor,
    FloorData,
    floor_data,
    wrapper_scripts,
)
from dualpy.wheels.system_packages import APT_ARCHIVES_MOUNT


def zig_dir(arch: str, data: FloorData | None = None) -> Path:
    """Where the unpacked ziglang wheel of an arch lives: <cache>/zig/<version>-<arch>."""
    data = data or floor_data()
    return cache_dir() / "zig" / f"{data.zig_version}-{arch}"


def wrappers_dir(floor: Floor, arch: str, data: FloorData | None = None) -> Path:
    """Where a floor's wrapper scripts live: <cache>/floor/<zig version>-<target>."""
    data = data or floor_data()
    return cache_dir() / "floor" / f"{data.zig_version}-{floor.zig_target(arch)}"


def zig_cache() -> Path:
    """zig's own cache (the libc stubs of each target), shared by every build container of this host."""
    return cache_dir() / "zig-cache"


def volume_arguments(floor: Floor, arch: str) -> list[str]:
    """The `docker create` arguments that mount the compiler, the wrappers (read-only) and zig's cache."""
    if floor.native:
        return []
    mounts = [(zig_dir(arch), ZIG_MOUNT, ":ro"), (wrappers_dir(floor, arch), WRAPPERS_MOUNT, ":ro"),
              (zig_cache(), ZIG_CACHE_MOUNT, "")]
    for host, _inside, _mode in mounts:
        if ":" in str(host) or "," in str(host):
            raise UsageError(f"the dualpy cache {cache_dir()} holds ':' or ',', which docker's --volume cannot "
                             "carry: set DUALPY_CACHE_DIR to a plain path")
    return [f"--volume={host}:{inside}{mode}" for host, inside, mode in mounts]


def apt_cache_arguments(system_packages: Sequence[str], slot: str = "") -> list[str]:
    """The `docker create` argument that keeps apt's downloads on the host between builds (none without packages).

    Each cibuildwheel process gets its own folder (slot: its first identifier): apt locks its archives folder,
    and the GIL and t builds run side by side, so one shared folder fails the second apt-get on that lock.
    """
    if not system_packages:
        return []
    archives = cache_dir() / "apt-archives"  # docker makes it when absent, apt its partial/ inside
    if slot:
        archives = archives / re.sub(r"[^A-Za-z0-9_.-]", "_", slot)
    if ":" in str(archives) or "," in str(archives):
        raise UsageError(f"the dualpy cache {cache_dir()} holds ':' or ',', which docker's --volume cannot carry: "
                         "set DUALPY_CACHE_DIR to a plain path")
    return [f"--volume={archives}:{APT_ARCHIVES_MOUNT}"]


def _unpack(wheel: Path, destination: Path) -> None:
    """Extract a wheel keeping each member's executable bit (zipfile drops modes); names stay inside."""
    with zipfile.ZipFile(wheel) as archive:
        for info in archive.infolist():
            target = destination / info.filename
            if not target.resolve().is_relative_to(destination.resolve()):
                raise ChecksumMismatch(f"{wheel.name}: member {info.filename!r} leaves the unpack directory")
            archive.extract(info, destination)
            mode = (info.external_attr >> 16) & 0o777
            if mode & stat.S_IXUSR:
                target.chmod(0o755)


def _download(arch: str, data: FloorData, directory: Path) -> Path:
    """pip download of the pinned wheel with --require-hashes (the host's index and CA), then our own hash check."""
    pinned = data.wheels.get(arch)
    if pinned is None:
        raise UsageError(f"no ziglang wheel is pinned for {arch}: build with --manylinux native")
    directory.mkdir(parents=True, exist_ok=True)
    requirement = directory / "requirements.txt"
    requirement.write_text(f"ziglang=={data.zig_version} --hash=sha256:{pinned.sha256}\n")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
         "--only-binary=:all:", "--platform", f"manylinux2014_{arch}", "--require-hashes", "-r", str(requirement),
         "-d", str(directory)], capture_output=True, text=True)
    wheel = directory / pinned.filename
    if result.returncode != 0 or not wheel.is_file():
        last = (result.stderr.strip().splitlines() or ["no wheel"])[-1]
        raise BuildFailed(f"downloading ziglang {data.zig_version} for {arch} failed ({last}): check the host's pip "
                          "settings, or build with --manylinux native")
    if sha256_file(wheel) != pinned.sha256:
        raise ChecksumMismatch(f"{pinned.filename}: sha256 differs from recipes/tools/floor.toml; not used")
    return wheel


def ensure_zig(arch: str, data: FloorData | None = None) -> Path:
    """The unpacked ziglang wheel of an arch, downloaded and checked once; built aside and renamed into place."""
    data = data or floor_data()
    final = zig_dir(arch, data)
    if (final / "ziglang" / "zig").is_file():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}-"))
    console.info(f"  fetching the floor compiler zig {data.zig_version} for {arch} into {final} (once)")
    try:
        wheel = _download(arch, data, temp / "download")
        _unpack(wheel, temp / "unpacked")
        try:
            (temp / "unpacked").replace(final)
        except OSError:
            if not (final / "ziglang" / "zig").is_file():  # another dualpy finished first: use its copy
                raise
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    return final


def ensure_wrappers(floor: Floor, arch: str, data: FloorData | None = None) -> Path:
    """The wrapper scripts (and the audit probe the repair script runs) of a floor, written once, atomically."""
    data = data or floor_data()
    final = wrappers_dir(floor, arch, data)
    files = {f"bin/{name}": text for name, text in wrapper_scripts(floor, arch, data.zig_version).items()}
    files["manylinux_audit.py"] = probe_source("manylinux_audit")
    if final.is_dir() and all((final / name).is_file() and (final / name).read_text() == text
                              for name, text in files.items()):
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}-"))
    try:
        for name, text in files.items():
            path = temp / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            path.chmod(0o755 if name.startswith("bin/") else 0o644)
        temp.chmod(0o755)
        shutil.rmtree(final, ignore_errors=True)  # an older dualpy's scripts: replaced whole
        temp.replace(final)
    except OSError:
        if not final.is_dir():
            raise
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    return final


def prepare_floor(floor: Floor, arch: str) -> None:
    """Make the compiler, the wrappers and zig's cache ready on the host before a floor build (nothing for native)."""
    if floor.native:
        return
    ensure_zig(arch)
    ensure_wrappers(floor, arch)
    zig_cache().mkdir(parents=True, exist_ok=True)
