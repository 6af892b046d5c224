"""Check results and the verdict they add up to (pure)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path

from packaging.tags import Tag

from dualpy.verify.archive import Findings


class Status(enum.Enum):
    """The outcome of one check."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"
    NOTE = "note"  # worth knowing, nothing to act on: shown, never counted, never failing (even --strict)


@dataclass(frozen=True)
class CheckResult:
    """One check on one subject (a wheel, the wheelhouse, an image), possibly under one interpreter."""

    subject: str
    check: str
    status: Status
    message: str = ""
    interpreter: str = ""


@dataclass
class Report:
    """All results of one verification, and what they mean together."""

    kind: str  # "wheels" or "image"
    target: str  # the wheelhouse path or the image tag
    image: str | None = None
    image_id: str | None = None
    seconds: float = 0.0
    strict: bool = False
    results: list[CheckResult] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts = {status.value: 0 for status in Status if status is not Status.NOTE}
        for result in self.results:
            if result.status is not Status.NOTE:
                counts[result.status.value] += 1
        return counts

    @property
    def failed(self) -> bool:
        bad = {Status.FAIL, Status.WARN} if self.strict else {Status.FAIL}
        return any(r.status in bad for r in self.results)

    @property
    def verdict(self) -> str:
        return "fail" if self.failed else "pass"


@dataclass(frozen=True)
class WheelFacts:
    """What the static checks learnt about a wheel that the runtime checks need."""

    path: Path
    name: str
    version: str
    tags: frozenset[Tag]
    top_level: tuple[str, ...]
    classifiers: tuple[str, ...] = ()  # METADATA's trove classifiers (free-threading readiness reads them)
    extensions: tuple[tuple[str, str], ...] = ()  # (dotted module, file name) of each extension module
    optional: tuple[tuple[str, str], ...] = ()  # (distribution, extra) of each Requires-Dist an extra asks for


def fail(subject: str, check: str, message: str) -> CheckResult:
    """A failed check."""
    return CheckResult(subject, check, Status.FAIL, message)


def passed(subject: str, check: str, message: str = "") -> CheckResult:
    """A passed check."""
    return CheckResult(subject, check, Status.PASS, message)


def warn(subject: str, check: str, message: str) -> CheckResult:
    """A check that passed with a warning."""
    return CheckResult(subject, check, Status.WARN, message)


def verdict(subject: str, check: str, problems: Findings, warnings: Findings, ok: str) -> CheckResult:
    """Fail on any problem, else warn on any warning, else pass with ok."""
    if problems:
        return fail(subject, check, str(problems))
    if warnings:
        return warn(subject, check, str(warnings))
    return passed(subject, check, ok)
