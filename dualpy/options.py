"""Command options, typed once at the edge: flags over DUALPY_* over [tool.dualpy] over defaults.

A command's flags become one frozen value here (releases, variants, paths, policies: never strings for a callee to
split again), and the library takes that value. Errors name the flag as the user typed it; a flag that cannot act
in the combination given is a usage error, never silently ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dualpy.config import ResolvedConfig, resolve
from dualpy.errors import UsageError
from dualpy.images.spec import PythonRelease
from dualpy.images.suites import find_suite
from dualpy.sources.recipes import find_release
from dualpy.tags import Variant, parse_variants
from dualpy.wheels.floor import Floor, parse_floor
from dualpy.wheels.system_packages import parse_system_packages


def split_list(values: Iterable[str]) -> tuple[str, ...]:
    """The items of a list flag given with commas, repetition or both ('3.13,3.14' '3.15'), in order, once each."""
    items = (part.strip() for value in values for part in value.split(","))
    return tuple(dict.fromkeys(item for item in items if item))


def releases_of(requests: Sequence[str], flag: str = "--python") -> tuple[PythonRelease, ...]:
    """The releases each request names ('3.14' its latest, '3.13.15' exactly), once each; UsageError naming flag."""
    releases: list[PythonRelease] = []
    for request in split_list(requests):
        try:
            release = PythonRelease(*find_release(request))
        except UsageError as exc:
            raise UsageError(f"{flag} {request}: {exc}") from None
        if release not in releases:
            releases.append(release)
    return tuple(releases)


def newest_release() -> tuple[PythonRelease, ...]:
    """The newest final release across the recipes: what a command builds when no Python is asked for."""
    return (PythonRelease(*find_release(None)),)


def variants_of(requests: Sequence[str], flag: str = "--variants") -> tuple[Variant, ...]:
    """The variants a list flag names (gil, freethreaded, t, ...), in dualpy's order; UsageError naming flag."""
    names = split_list(requests)
    if not names:
        raise UsageError(f"{flag} is empty: pass gil, freethreaded, or both")
    try:
        return parse_variants(",".join(names))
    except UsageError as exc:
        raise UsageError(f"{flag}: {exc}") from None


def refuse_without(flag: str, needs: str, given: bool) -> None:
    """UsageError when flag was given although it acts only with `needs` (a flag is never silently ignored)."""
    if given:
        raise UsageError(f"{flag} has no effect without {needs}: add {needs}, or drop {flag}")


# The pipeline's settings and the flags that set them, as `dualpy pipeline --help` spells them.
PIPELINE_FLAGS = {
    "pythons": "--python", "variants": "--variants", "image": "--image", "test-command": "--test-command",
    "allow-gil": "--allow-gil", "output-dir": "--output-dir", "stress": "--stress", "stress-threads": "--threads",
    "stress-iterations": "--iterations", "manylinux": "--manylinux", "require-classifier": "--require-classifier",
    "system-packages": "--system-packages",
}


@dataclass(frozen=True)
class StressRequest:
    """A thread-stress run as asked: threads per test (None: the cores), iterations, tests (None: the sdist's)."""

    threads: int | None
    iterations: int
    tests: Path | None


@dataclass(frozen=True)
class PipelineOptions:
    """Everything `dualpy pipeline` was asked, typed; `sources` says where each setting came from."""

    project: Path
    releases: tuple[PythonRelease, ...]
    variants: tuple[Variant, ...]
    image: str | None
    test_command: str | None
    allow_gil: bool
    output_dir: Path
    report_dir: Path
    strict: bool
    stress: StressRequest | None
    floor: Floor  # the glibc the wheels promise (--manylinux), or native
    older_suite: str | None = None  # also prove the wheels on this older Debian (runtime.older-glibc)
    require_classifier: bool = False  # a t wheel without the Free Threading classifier warns (else a note)
    system_packages: tuple[str, ...] = ()  # Debian packages installed in the build container first
    sources: Mapping[str, str] = field(default_factory=dict)
    python_defaulted: bool = False  # no Python configured: releases holds the newest final release


def _flag_values(flags: Mapping[str, Any]) -> dict[str, Any]:
    """The pipeline flags in config.resolve's terms (setting key -> value; None or [] when not given)."""
    values = dict(flags)
    if values.get("pythons"):
        values["pythons"] = list(split_list(values["pythons"]))
    if values.get("variants"):
        values["variants"] = list(split_list(values["variants"]))
    if values.get("system-packages"):
        values["system-packages"] = list(split_list(values["system-packages"]))
    if values.get("output-dir") is not None:
        values["output-dir"] = str(values["output-dir"])
    return values


def pipeline_options(project: Path, env: Mapping[str, str], flags: Mapping[str, Any], *, strict: bool = False,
                     report_dir: Path | None = None, tests: Path | None = None, older_suite: str | None = None,
                     config_file: Path | None = None) -> PipelineOptions:
    """Layer defaults < [tool.dualpy] < DUALPY_* < flags and type every value; flags are keyed as in PIPELINE_FLAGS."""
    if not project.exists():
        raise UsageError(f"{project}: no such project directory or sdist")
    config = resolve(project, env, _flag_values(flags), config_file, flag_names=PIPELINE_FLAGS)
    if older_suite is not None:
        find_suite(older_suite)  # an unknown suite fails here, before any build
    return options_from_config(project, config, strict=strict, report_dir=report_dir, tests=tests,
                               older_suite=older_suite,
                               flags_given={key for key, value in flags.items() if value not in (None, [], ())})


def options_from_config(project: Path, config: ResolvedConfig, *, strict: bool = False,
                        report_dir: Path | None = None, tests: Path | None = None, older_suite: str | None = None,
                        flags_given: Iterable[str] = ()) -> PipelineOptions:
    """The typed PipelineOptions of a resolved configuration (each value is parsed here, once)."""
    given = set(flags_given)
    stress_on = bool(config.value("stress"))
    for key in ("stress-threads", "stress-iterations"):
        refuse_without(PIPELINE_FLAGS[key], "--stress", key in given and not stress_on)
    refuse_without("--tests", "--stress", tests is not None and not stress_on)
    pythons = config.value("pythons")
    releases = releases_of(pythons, config.flag("pythons")) if pythons else newest_release()
    output_dir = Path(config.value("output-dir"))
    return PipelineOptions(
        project=project,
        releases=releases,
        variants=variants_of(config.value("variants"), config.flag("variants")),
        image=config.value("image"),
        test_command=config.value("test-command"),
        allow_gil=bool(config.value("allow-gil")),
        output_dir=output_dir,
        report_dir=report_dir or output_dir,
        strict=strict,
        stress=StressRequest(config.value("stress-threads"), config.value("stress-iterations"), tests)
        if stress_on else None,
        floor=parse_floor(config.value("manylinux")),
        older_suite=older_suite,
        require_classifier=bool(config.value("require-classifier")),
        system_packages=parse_system_packages(config.value("system-packages"), config.flag("system-packages")),
        sources={key: setting.source for key, setting in config.settings.items()},
        python_defaulted=not pythons,
    )
