"""A minimal Debian base image from the Debian archive (debootstrap + docker import): needs no registry."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from dualpy import console, engine
from dualpy.errors import BuildFailed, UsageError
from dualpy.images.suites import find_suite
from dualpy.sources.debian import archive_url


def local_base_tag(suite: str) -> str:
    """The tag `dualpy base build` gives a suite's base image."""
    return f"dualpy/debian:{suite}"


def registry_base_reference(suite: str) -> str:
    """The official image a machine with a registry would pull instead."""
    return f"debian:{suite}-slim"


@dataclass(frozen=True)
class BaseImage:
    """The base image an image build starts from, and how it was found."""

    reference: str
    how: str


def debootstrap_command(suite: str, rootfs: Path, mirror: str) -> list[str]:
    """The debootstrap call that makes a minimal root filesystem."""
    return ["debootstrap", "--variant=minbase", suite, str(rootfs), mirror]


def build_base(suite: str | None = None, tag: str | None = None, debian_mirror: str | None = None) -> str:
    """Build a minimal Debian image of a known suite (default: the default suite) with debootstrap; return its tag."""
    suite = find_suite(suite).name  # a suite images/suites.toml does not know could not serve an image
    tag = tag or local_base_tag(suite)
    if shutil.which("debootstrap") is None:
        raise UsageError("debootstrap is not installed: `apt-get install debootstrap` (or pass --base IMAGE)")
    if os.geteuid() != 0:
        raise UsageError("debootstrap needs root: run `dualpy base build` as root (or pass --base IMAGE)")
    engine.ensure_running()
    mirror = archive_url(debian_mirror)
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="dualpy-base-"))
    try:
        rootfs = work / "rootfs"
        console.step(f"debootstrap {suite} from {mirror}")
        log_path = work / "debootstrap.log"
        with log_path.open("w") as log:
            result = subprocess.run(debootstrap_command(suite, rootfs, mirror), stdout=log, stderr=subprocess.STDOUT)
        if result.returncode != 0:
            tail = "".join(log_path.read_text(errors="replace").splitlines(keepends=True)[-5:]).strip()
            last = tail.splitlines()[-1] if tail else ""
            raise BuildFailed(f"debootstrap {suite} failed (exit {result.returncode}): {last}; log: {log_path}")
        _trim_rootfs(rootfs, suite, mirror)
        tarball = work / "rootfs.tar"
        subprocess.run(["tar", "--numeric-owner", "-C", str(rootfs), "-cf", str(tarball), "."], check=True)
        console.step(f"docker import as {tag}")
        engine.import_rootfs(
            tarball,
            tag,
            changes=[
                'CMD ["/bin/bash"]',
                "ENV LANG=C.UTF-8",
                f"LABEL io.dualpy.base.suite={suite}",
                "LABEL io.dualpy.base.built-by=debootstrap",
            ],
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    console.info(f"  {tag} built in {time.monotonic() - started:.0f}s")
    return tag


def _trim_rootfs(rootfs: Path, suite: str, mirror: str) -> None:
    """Leave apt pointed at the mirror and drop caches the image does not need."""
    (rootfs / "etc/apt/sources.list").write_text(f"deb {mirror} {suite} main\n")
    for cache in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for entry in (rootfs / cache).glob("*"):
            if entry.is_file():
                entry.unlink()
    # Keep image builds from starting services inside the build container.
    policy = rootfs / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 101\n")
    policy.chmod(0o755)


def require_apt_get(reference: str) -> None:
    """Refuse, in one line, a base image without apt-get: every stage of a dualpy image installs with it.

    A manylinux base (RHEL family: yum/dnf, packages named differently, glibc of its own) would need its own
    package lists in the suites and a yum variant of the template's install steps; until then it fails here,
    before anything is built, instead of at the first `apt-get` of the build.
    """
    result = engine.run(reference, ["command -v apt-get"], entrypoint=["sh", "-c"], network_mode="none")
    if result.exit_code != 0:
        raise UsageError(
            f"--base {reference} has no apt-get (a RHEL-family image such as manylinux uses yum/dnf), and a dualpy "
            "image installs its packages with apt-get: pass a Debian or Ubuntu base, or build the wheels in "
            "cibuildwheel's own manylinux image with `dualpy wheels build --manylinux-image`"
        )


def resolve_base_image(suite: str, explicit: str | None = None, debian_mirror: str | None = None) -> BaseImage:
    """Find the base: --base IMAGE, else local dualpy/debian:<suite>, else pull debian:<suite>-slim, else build one."""
    if explicit:
        if engine.image_exists(explicit) or engine.pull(explicit):
            require_apt_get(explicit)
            return BaseImage(explicit, "--base")
        raise UsageError(f"base image {explicit!r} is neither local nor pullable: build it or drop --base")
    local = local_base_tag(suite)
    if engine.image_exists(local):
        return BaseImage(local, "local dualpy base")
    official = registry_base_reference(suite)
    console.info(f"  no {local}; trying to pull {official}")
    if engine.pull(official):
        return BaseImage(official, "pulled")
    console.info(f"  cannot pull {official}; building {local} with debootstrap")
    try:
        return BaseImage(build_base(suite, local, debian_mirror), "built with debootstrap")
    except UsageError as exc:
        raise UsageError(
            f"no base image for {suite}: {exc}; or run `dualpy base build --suite {suite}`, or pass --base IMAGE"
        ) from None
