"""Verify wheels and images: static checks (no engine), runtime checks (in the image), reports."""

from __future__ import annotations

import shlex
import time
from pathlib import Path

from dualpy import engine
from dualpy.errors import UsageError
from dualpy.verify.audit import Glibc
from dualpy.verify.auditors import audit_abi3, audit_manylinux, audit_manylinux_on_host
from dualpy.verify.model import CheckResult, Report, Status
from dualpy.verify.older import check_older_glibc
from dualpy.verify.readiness import classifier_checks, readiness
from dualpy.verify.runtime import check_image, check_wheels_in_image, pip_access
from dualpy.verify.static import check_wheelhouse
from dualpy.verify.stress import StressSettings, stress_wheels

__all__ = ["CheckResult", "Report", "Status", "verify_image", "verify_wheelhouse", "wheel_paths"]


def wheel_paths(wheelhouse: Path) -> list[Path]:
    """The wheels of a wheelhouse, or a one-line error when there are none."""
    if not wheelhouse.is_dir():
        raise UsageError(f"{wheelhouse}: no such wheelhouse directory")
    wheels = sorted(wheelhouse.glob("*.whl"))
    if not wheels:
        raise UsageError(f"{wheelhouse}: no *.whl files to verify; build some with "
                         f"`dualpy wheels build . --python 3.13 --output-dir {shlex.quote(str(wheelhouse))}`")
    return wheels


def verify_wheelhouse(
    wheelhouse: Path,
    image: str | None,
    *,
    allow_gil: bool = False,
    with_deps: bool = True,
    test_command: str | None = None,
    strict: bool = False,
    stress: StressSettings | None = None,
    manylinux: Glibc | None = None,
    older_image: str | None = None,
    require_classifier: bool = False,
) -> Report:
    """Static checks of every wheel, then (with an image) install (with its dependencies unless with_deps is
    False), import of every module and extension module and GIL checks in each interpreter, the platform and
    abi3 audits, thread stress when asked, the older-glibc proof in older_image, and one free-threading verdict
    per project."""
    started = time.monotonic()
    wheels = wheel_paths(wheelhouse)
    image_id = None
    if image:
        image_id = engine.image_facts(image).id
    if stress and not image:
        raise UsageError("--stress runs the tests in the image's free-threaded interpreters: pass --image TAG")
    results, facts = check_wheelhouse(wheels)
    results += classifier_checks(facts, require=require_classifier)
    if image and facts:
        results += check_wheels_in_image(image, str(wheelhouse), facts, allow_gil=allow_gil, with_deps=with_deps,
                                         test_command=test_command)
        tags = {f.path.name: f.tags for f in facts}
        results += audit_manylinux(image, wheelhouse, tags, manylinux)
        results += audit_abi3(wheelhouse, tags)
        if stress:
            results += stress_wheels(image, wheelhouse, sorted(tags), stress, pip_access(True))
    elif manylinux and facts:  # a policy without an image: the symbols are scanned here, never a silent pass
        results += audit_manylinux_on_host(wheelhouse, {f.path.name: f.tags for f in facts}, manylinux)
    if older_image and facts:
        engine.image_facts(older_image)  # absent: one line naming the build command, before any container
        results += check_older_glibc(older_image, str(wheelhouse), facts, allow_gil=allow_gil)
    results += readiness(facts, results)
    return Report("wheels", str(wheelhouse), image, image_id, time.monotonic() - started, strict, results)


def verify_image(tag: str, *, strict: bool = False) -> Report:
    """The launcher's rules and the interpreters' claims, checked in the image."""
    started = time.monotonic()
    image_id = engine.image_facts(tag).id
    results = check_image(tag)
    return Report("image", tag, tag, image_id, time.monotonic() - started, strict, results)
