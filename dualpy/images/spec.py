"""What decides an image's content: releases, variants, profile, base and suite, and the labels it carries (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dualpy import __version__
from dualpy.errors import UsageError
from dualpy.images.suites import Suite
from dualpy.sources.recipes import COMPILERS, Recipe, Release
from dualpy.tags import PythonTarget, Variant, targets_for

LAUNCHER_CONFIG_PATH = "/usr/local/etc/dualpy-launcher.conf"
LABEL_PREFIX = "io.dualpy"
IMAGE_REPOSITORY = "dualpy/cpython"
TARGETS = ("full", "runtime")  # full: also cibuildwheel's build container; runtime: interpreters, launcher, pip


def default_tag(version: str) -> str:
    """The tag an image of one release gets unless --tag says otherwise: dualpy/cpython:3.14.7."""
    return f"{IMAGE_REPOSITORY}:{version}"


def default_tag_for(releases: Sequence[Release], target: str = "full") -> str:
    """The default tag of an image holding these releases: dualpy/cpython:3.14.7, or :3.13.15-3.14.7-3.15.0rc2.

    Exact versions, oldest first, like a one-release tag: a tag never names two different contents. A runtime
    image's tag ends in -runtime (dualpy/cpython:3.14.7-runtime).
    """
    if not releases:
        raise UsageError("an image needs at least one Python: pass --python 3.14 (or 3.13,3.14,3.15)")
    versions = "-".join(r.version for r in sorted(releases, key=lambda r: r.sort_key))
    return default_tag(versions if target == "full" else f"{versions}-{target}")


@dataclass(frozen=True)
class PythonRelease:
    """One CPython release in an image and the recipe that builds it."""

    recipe: Recipe
    release: Release

    @property
    def version(self) -> str:
        return self.release.version

    @property
    def is_prerelease(self) -> bool:
        return self.release.is_prerelease


@dataclass(frozen=True)
class ImageSpec:
    """Everything that decides an image's content (the Dockerfile is a pure function of it).

    An image holds one or several CPython releases, one per minor, each built in every requested variant.
    """

    pythons: tuple[PythonRelease, ...]
    variants: tuple[Variant, ...]
    profile: str
    base: str
    suite: Suite
    base_id: str = ""
    target: str = "full"
    compiler: str = "gcc"

    def __post_init__(self) -> None:
        if not self.pythons or not self.variants:
            raise UsageError("an image needs at least one Python and one variant: pass --python 3.14")
        if self.target not in TARGETS:
            raise UsageError(f"--target {self.target!r} is unknown: pick one of {', '.join(TARGETS)}")
        if self.compiler not in COMPILERS:
            raise UsageError(f"--compiler {self.compiler!r} is unknown: pick one of {', '.join(COMPILERS)}")
        if self.compiler == "clang" and self.suite.clang_version is None:
            raise UsageError(f"suite {self.suite.name} lists no clang-packages in images/suites.toml: build "
                             "--compiler clang on --suite bookworm or trixie, or use --compiler gcc")
        if self.target == "runtime" and not self.suite.slim_packages:
            raise UsageError(f"suite {self.suite.name} lists no slim-packages in images/suites.toml: add the "
                             "interpreters' shared libraries there to build --target runtime")
        minors = [p.recipe.minor for p in self.pythons]
        if len(set(minors)) != len(minors):
            twice = sorted(m for m in set(minors) if minors.count(m) > 1)[0]
            raise UsageError(f"two releases of Python {twice} cannot share /opt/python: name one per minor")
        object.__setattr__(self, "pythons", tuple(sorted(self.pythons, key=lambda p: p.recipe.minor)))
        for python in self.pythons:
            targets_for(python.recipe.minor, self.variants)
            python.recipe.configure_flags(self.variants[0], self.profile, self.compiler)  # unknown profile fails here

    @property
    def default_python(self) -> PythonRelease:
        """The release `python` runs by default: the newest final release (the newest pre-release if none)."""
        finals = [p for p in self.pythons if not p.is_prerelease]
        return (finals or list(self.pythons))[-1]

    @property
    def default_variant(self) -> Variant:
        """The build `python` runs by default: the GIL build when the image has one."""
        return Variant.GIL if Variant.GIL in self.variants else self.variants[0]

    @property
    def targets(self) -> tuple[PythonTarget, ...]:
        """Every interpreter of the image, oldest minor first, GIL before free-threaded."""
        return tuple(p.recipe.target(v) for p in self.pythons for v in self.variants)

    @property
    def default_target(self) -> PythonTarget:
        return self.default_python.recipe.target(self.default_variant)

    def python_of(self, target: PythonTarget) -> PythonRelease:
        """The release a target is built from."""
        return next(p for p in self.pythons if p.recipe.minor == target.minor)

    def configure_flags(self, target: PythonTarget) -> tuple[str, ...]:
        """configure's arguments for one interpreter: the recipe's flags, then the compiler's tools."""
        flags = self.python_of(target).recipe.configure_flags(target.variant, self.profile, self.compiler)
        return flags + self.compiler_variables

    @property
    def compiler_name(self) -> str:
        """The compiler as a label names it: gcc, or clang-19 (the suite's versioned clang)."""
        return "gcc" if self.compiler == "gcc" else f"clang-{self.suite.clang_version}"

    @property
    def compiler_variables(self) -> tuple[str, ...]:
        """configure variables that pick the compiler and its tools (none for gcc, configure's own default).

        llvm-ar and llvm-profdata are given as paths: configure keeps a preset value and then tests it with -x.
        lld links clang's LTO objects; in LDFLAGS_NODIST it stays out of what extension builds inherit.
        """
        if self.compiler == "gcc":
            return ()
        version = self.suite.clang_version
        return (f"CC=clang-{version}", f"CXX=clang++-{version}", f"LLVM_AR=/usr/bin/llvm-ar-{version}",
                f"LLVM_PROFDATA=/usr/bin/llvm-profdata-{version}", "LDFLAGS_NODIST=-fuse-ld=lld")

    @property
    def versions(self) -> tuple[str, ...]:
        return tuple(p.version for p in self.pythons)

    def labels(self) -> dict[str, str]:
        """The image's OCI and dualpy labels.

        `cpython.version` and `cpython.sha256` name the default release (the one `python` runs); every release
        has its own `cpython.<minor>.version` and `.sha256`, and every interpreter its configure flags.
        """
        default = self.default_python
        versions = ", ".join(self.versions)
        labels = {
            "org.opencontainers.image.title": f"dualpy CPython {versions}",
            "org.opencontainers.image.description": "CPython "
            + " and ".join(t.install_tag for t in self.targets) + " in manylinux layout",
            "org.opencontainers.image.version": ",".join(self.versions),
            "org.opencontainers.image.base.name": self.base,
            f"{LABEL_PREFIX}.version": __version__,
            f"{LABEL_PREFIX}.cpython.version": default.version,
            f"{LABEL_PREFIX}.cpython.sha256": default.release.sha256,
            f"{LABEL_PREFIX}.cpython.releases": ",".join(self.versions),
        }
        for python in self.pythons:
            labels[f"{LABEL_PREFIX}.cpython.{python.recipe.minor}.version"] = python.version
            labels[f"{LABEL_PREFIX}.cpython.{python.recipe.minor}.sha256"] = python.release.sha256
        labels.update({
            f"{LABEL_PREFIX}.variants": ",".join(v.value for v in self.variants),
            f"{LABEL_PREFIX}.profile": self.profile,
            f"{LABEL_PREFIX}.compiler": self.compiler_name,
            f"{LABEL_PREFIX}.base": self.base + (f"@{self.base_id}" if self.base_id else ""),
            f"{LABEL_PREFIX}.suite": self.suite.name,
            f"{LABEL_PREFIX}.glibc": self.suite.glibc,
        })
        for variant in self.variants:
            flags = self.configure_flags(default.recipe.target(variant))
            labels[f"{LABEL_PREFIX}.configure.{variant.value}"] = " ".join(flags)
        if len(self.pythons) > 1:
            for target in self.targets:
                labels[f"{LABEL_PREFIX}.configure.{target.request}"] = " ".join(self.configure_flags(target))
        if self.target != "full":  # a full image's labels stay what they were
            labels[f"{LABEL_PREFIX}.target"] = self.target
        return labels
