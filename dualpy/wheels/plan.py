"""Which cibuildwheel runs a request needs: a release, a build container and the identifiers of each (pure)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace

from dualpy.errors import UsageError
from dualpy.images import PythonRelease, default_tag, default_tag_for
from dualpy.sources.recipes import load_recipes
from dualpy.tags import ALL_VARIANTS, PythonMinor, PythonTarget, Variant, machine_arch, targets_for
from dualpy.wheels.cibw import CibuildwheelRelease, choose_releases
from dualpy.wheels.floor import Floor

NATIVE_FLOOR = Floor(None)


@dataclass(frozen=True)
class BuildPlan:
    """One cibuildwheel run: a release, a build container and the identifiers it builds."""

    release: CibuildwheelRelease
    image: str | None  # None: cibuildwheel's own manylinux image
    targets: tuple[PythonTarget, ...]
    arch: str
    image_python: str = ""  # the `images build --python` value that makes the image: the releases it holds
    floor: Floor = NATIVE_FLOOR  # the glibc the wheels promise; native: the image's own compiler and glibc
    system_packages: tuple[str, ...] = ()  # Debian packages installed in the build container before before-all

    @property
    def identifiers(self) -> tuple[str, ...]:
        """The cibuildwheel identifiers, e.g. ('cp313-manylinux_x86_64', 'cp313t-manylinux_x86_64')."""
        return tuple(t.identifier(self.arch) for t in self.targets)

    @property
    def minors(self) -> tuple[PythonMinor, ...]:
        """The CPython minors the run builds for, oldest first."""
        return tuple(sorted({t.minor for t in self.targets}))

    @property
    def freethreaded(self) -> bool:
        """True when the run builds at least one free-threaded identifier."""
        return any(t.variant is Variant.FREETHREADED for t in self.targets)


@dataclass(frozen=True)
class _Container:
    """Where a minor's wheels are built, and the `images build --python` value that makes that image."""

    image: str | None
    image_python: str


def _containers(releases: Sequence[PythonRelease], image: str | None,
                manylinux: bool) -> dict[PythonMinor, _Container]:
    """The build container of each requested minor: --image for all, cibuildwheel's own, or the default.

    The default is one dualpy image holding every requested release (`images build --python 3.13,3.14,3.15`
    makes it), so all the wheels come from one image.
    """
    found = {r.recipe.minor: r.release for r in releases}  # one release per minor: the last one asked for
    versions = ",".join(r.version for r in sorted(found.values(), key=lambda r: r.sort_key))
    if image or manylinux:
        return dict.fromkeys(found, _Container(image, versions))  # image None with --manylinux
    return dict.fromkeys(found, _Container(default_tag_for(list(found.values())), versions))


def plan_builds(
    releases: Sequence[PythonRelease], variants: tuple[Variant, ...], image: str | None, manylinux: bool,
    arch: str | None = None, floor: Floor = NATIVE_FLOOR, system_packages: tuple[str, ...] = (),
) -> list[BuildPlan]:
    """Decide the cibuildwheel runs for the requested Pythons and variants (pure but for reading recipes).

    Each release builds the minors it serves best (cibw.choose_releases); within a release, one run per image.
    """
    if image and manylinux:
        raise UsageError("--image and --manylinux exclude each other: pick one build container")
    if not releases:
        raise UsageError("no Python requested: pass --python 3.13")
    arch = arch or machine_arch()
    containers = _containers(releases, image, manylinux)
    plans = []
    for release, minors in choose_releases(containers).items():
        for container in dict.fromkeys(containers[m] for m in minors):
            chosen = [m for m in minors if containers[m] == container]
            targets = tuple(t for m in chosen for t in targets_for(m, variants))
            plans.append(BuildPlan(release, container.image, targets, arch, container.image_python, floor,
                                   system_packages))
    return plans


def image_build_python(plan: BuildPlan) -> str:
    """The `images build --python` value that makes the plan's image: its release when the tag is the default
    tag of a recipe release (dualpy/cpython:3.13.15), else the Pythons the request named."""
    for recipe in load_recipes().values():
        for release in recipe.releases:
            if plan.image == default_tag(release.version):
                return release.version
    return plan.image_python


def default_jobs() -> int:
    """Processes side by side unless told: one per variant on a machine with two cores or more."""
    return min(2, os.cpu_count() or 1)


def split_plan(plan: BuildPlan, jobs: int) -> list[BuildPlan]:
    """The cibuildwheel processes of one plan: one for all its identifiers, or one per variant when jobs > 1.

    Splitting by variant keeps a run's GIL identifiers together, so cibuildwheel can still reuse an abi3
    wheel across Pythons (a t build never can).
    """
    if jobs <= 1:
        return [plan]
    groups = [tuple(t for t in plan.targets if t.variant is variant) for variant in ALL_VARIANTS]
    return [replace(plan, targets=group) for group in groups if group]
