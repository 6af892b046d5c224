"""Free-threading readiness per project and Python: the trove classifier against the wheel set, and one verdict
("ready for free-threading: yes/no and why") drawn from every other check (pure)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from packaging.tags import Tag

from dualpy.verify.abi import filed_pythons, interpreter_minor
from dualpy.verify.model import CheckResult, Status
from dualpy.verify.static import WheelFacts

CLASSIFIER = "wheel.free-threading-classifier"
READINESS = "wheelhouse.free-threading"
CLASSIFIER_PREFIX = "Programming Language :: Python :: Free Threading"
SUGGESTED = f"{CLASSIFIER_PREFIX} :: 2 - Beta"
# Checks whose failure on a free-threaded interpreter means "not ready".
_BLOCKING = ("runtime.install", "runtime.import", "runtime.gil", "runtime.stress", "runtime.test-command")


def serves_freethreaded(tags: Iterable[Tag]) -> bool:
    """True when the wheel installs on a free-threaded build: a t ABI, abi3t (PEP 803), or none."""
    return any(t.abi.endswith("t") and t.abi.startswith("cp") or t.abi in ("abi3t", "none") for t in tags)


def claims_freethreading(classifiers: Iterable[str]) -> bool:
    """True when a classifier names a free-threading support level."""
    return any(c.strip().startswith(CLASSIFIER_PREFIX) for c in classifiers)


def classifier_checks(wheels: Iterable[WheelFacts], *, require: bool = False) -> list[CheckResult]:
    """Per project and version: the classifier says what the wheel set does, or a note naming the fix.

    Most projects that publish t wheels carry no free-threading classifier (numpy among them), so its absence is a
    note unless the project asks for it (require: --require-classifier, [tool.dualpy] require-classifier), when it
    warns. A claim no wheel backs is wrong metadata: always a warning.
    """
    groups: dict[tuple[str, str], list[WheelFacts]] = defaultdict(list)
    for wheel in wheels:
        groups[(wheel.name, wheel.version)].append(wheel)
    results = []
    for (project, version), members in sorted(groups.items()):
        subject = f"{project} {version}"
        claims = any(claims_freethreading(w.classifiers) for w in members)
        serving = [w.path.name for w in members if serves_freethreaded(w.tags)]
        if serving and not claims:
            results.append(CheckResult(subject, CLASSIFIER, Status.WARN if require else Status.NOTE,
                                       f"{serving[0]} serves free-threaded Python but METADATA has no "
                                       f"'{CLASSIFIER_PREFIX} :: …' classifier: add '{SUGGESTED}' (or the level "
                                       "that fits) to [project] classifiers"))
        elif claims and not serving:
            results.append(CheckResult(subject, CLASSIFIER, Status.WARN,
                                       "METADATA claims free-threading support but no wheel serves a free-threaded "
                                       "build: build the t wheels (dualpy wheels build) or drop the classifier"))
        elif claims:
            results.append(CheckResult(subject, CLASSIFIER, Status.PASS, "classifier and t wheels agree"))
        else:
            results.append(CheckResult(subject, CLASSIFIER, Status.PASS, "no free-threading claim, no t wheel"))
    return results


def readiness(wheels: Iterable[WheelFacts], results: Iterable[CheckResult]) -> list[CheckResult]:
    """One verdict per project and Python: ready for free-threading, yes or no and why."""
    failures: dict[str, list[str]] = defaultdict(list)
    for result in results:
        if result.status is Status.FAIL and (result.check in _BLOCKING and result.interpreter.endswith("t")
                                             or result.check.startswith("wheel.")):
            failures[result.subject].append(result.check)
    groups: dict[tuple[str, str, str], list[WheelFacts]] = defaultdict(list)
    wheels = list(wheels)
    filed = filed_pythons(wheels)  # a cp36-abi3 wheel built beside cp314t wheels is 3.14's, not 3.6's
    for wheel in wheels:
        for python in filed[wheel.path.name]:
            minor = interpreter_minor(python)
            groups[(wheel.name, wheel.version, "any" if minor is None else f"3.{minor}")].append(wheel)
    verdicts = []
    for (project, version, python), members in sorted(groups.items()):
        subject = f"{project} {version} {python}"
        serving = [w for w in members if serves_freethreaded(w.tags)]
        if not serving:
            why = f"no wheel for the free-threaded build of {python}: only {', '.join(w.path.name for w in members)}"
            verdicts.append(CheckResult(subject, READINESS, Status.WARN, f"ready for free-threading: no ({why})"))
            continue
        broken = {w.path.name: failures[w.path.name] for w in serving if failures.get(w.path.name)}
        if broken:
            name, checks = next(iter(broken.items()))
            why = f"{name} fails {', '.join(sorted(set(checks)))}"
            verdicts.append(CheckResult(subject, READINESS, Status.WARN, f"ready for free-threading: no ({why})"))
        else:
            names = ", ".join(w.path.name for w in serving)
            verdicts.append(CheckResult(subject, READINESS, Status.PASS,
                                        f"ready for free-threading: yes ({names} passes every check)"))
    return verdicts
