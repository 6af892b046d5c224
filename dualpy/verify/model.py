"""Check results and the verdict they add up to (pure)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Status(enum.Enum):
    """The outcome of one check."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


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
        counts = {status.value: 0 for status in Status}
        for result in self.results:
            counts[result.status.value] += 1
        return counts

    @property
    def failed(self) -> bool:
        bad = {Status.FAIL, Status.WARN} if self.strict else {Status.FAIL}
        return any(r.status in bad for r in self.results)

    @property
    def verdict(self) -> str:
        return "fail" if self.failed else "pass"
