"""Proof on an older glibc: each wheel installed in an image of the same release on an older Debian (bullseye,
glibc 2.31) and every extension module imported there, the GIL off in t; one runtime.older-glibc row per wheel."""

from __future__ import annotations

import re
from collections.abc import Sequence

from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from dualpy import engine
from dualpy.verify.audit import Glibc, promised_glibc
from dualpy.verify.model import CheckResult, Status
from dualpy.verify.runtime import INSTALL, check_wheels_in_image
from dualpy.verify.static import WheelFacts

OLDER_GLIBC = "runtime.older-glibc"
_GLIBC_RE = re.compile(r"^glibc (\d+)\.(\d+)")


def _promised(wheel: str) -> Glibc | None:
    try:
        tags = parse_wheel_filename(wheel)[3]
    except InvalidWheelFilename:
        return None
    return promised_glibc({t.platform for t in tags})


def _unmatched(wheel: str, image: str, glibc: str) -> CheckResult:
    """A wheel no interpreter of the older image took: a failure when its tag asks for a newer glibc than the
    image has (pip there refuses it), else a warning."""
    promised, match = _promised(wheel), _GLIBC_RE.match(glibc)
    if promised and match and promised > (int(match[1]), int(match[2])):
        return CheckResult(wheel, OLDER_GLIBC, Status.FAIL,
                           f"tagged for glibc {promised[0]}.{promised[1]}, newer than {glibc} ({image}): pip there "
                           "refuses it; build it at a lower floor (--manylinux 2_28)")
    return CheckResult(wheel, OLDER_GLIBC, Status.WARN,
                       f"its tags match no interpreter of {image}: not tried on the older glibc")


def older_glibc_rows(wheels: Sequence[str], results: Sequence[CheckResult], image: str, glibc: str
                     ) -> list[CheckResult]:
    """One row per wheel from the install, import and GIL results in the older image: its first failure, a warning
    when no interpreter there matched it, else where it installed and imported (pure)."""
    rows = []
    where = f"{glibc} ({image})" if glibc else image
    for wheel in wheels:
        mine = [r for r in results if r.subject == wheel]
        failed = [r for r in mine if r.status is Status.FAIL]
        installed = sorted({r.interpreter for r in mine if r.check == INSTALL and r.status is Status.PASS})
        if failed:
            first = failed[0]
            rows.append(CheckResult(wheel, OLDER_GLIBC, Status.FAIL,
                                    f"on {where}, {first.check} under {first.interpreter}: {first.message}"))
        elif not installed:
            rows.append(_unmatched(wheel, image, glibc))
        else:
            rows.append(CheckResult(wheel, OLDER_GLIBC, Status.PASS,
                                    f"installs and imports on {where} under {', '.join(installed)}"))
    return rows


def image_glibc(image: str) -> str:
    """The glibc an image's userland has, as `getconf` names it ('glibc 2.31'); '' when it cannot tell."""
    run = engine.run(image, ["getconf", "GNU_LIBC_VERSION"], entrypoint=[])
    return run.stdout.strip() if run.exit_code == 0 else ""


def check_older_glibc(image: str, wheelhouse: str, facts: list[WheelFacts], *, allow_gil: bool = False
                      ) -> list[CheckResult]:
    """Install and import every wheel in the older image's interpreters; one runtime.older-glibc row per wheel."""
    results = check_wheels_in_image(image, wheelhouse, facts, allow_gil=allow_gil)
    return older_glibc_rows([f.path.name for f in facts], results, image, image_glibc(image))
