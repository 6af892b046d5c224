"""Free-threading readiness: the classifier against the wheel set, and the yes/no verdict per project and Python."""

from __future__ import annotations

from pathlib import Path

from packaging.utils import parse_wheel_filename

from dualpy.verify.model import CheckResult, Status
from dualpy.verify.readiness import (
    SUGGESTED,
    claims_freethreading,
    classifier_checks,
    readiness,
    serves_freethreaded,
)
from dualpy.verify.static import WheelFacts

FT = ("Programming Language :: Python :: Free Threading :: 3 - Stable",)


def info(filename: str, classifiers: tuple[str, ...] = ()) -> WheelFacts:
    name, version, _build, tags = parse_wheel_filename(filename)
    return WheelFacts(Path("/w") / filename, str(name), str(version), frozenset(tags), (), classifiers)


GIL = "demo-1.0-cp314-cp314-manylinux_2_17_x86_64.whl"
T = "demo-1.0-cp314-cp314t-manylinux_2_17_x86_64.whl"


def test_what_serves_free_threaded_python() -> None:
    assert serves_freethreaded(info(T).tags)
    assert not serves_freethreaded(info(GIL).tags)
    assert serves_freethreaded(info("demo-1.0-py3-none-any.whl").tags)
    assert serves_freethreaded(info("demo-1.0-cp315-abi3.abi3t-manylinux_2_17_x86_64.whl").tags)
    assert not serves_freethreaded(info("demo-1.0-cp310-abi3-manylinux_2_17_x86_64.whl").tags)
    assert claims_freethreading(FT) and claims_freethreading([" " + FT[0]])
    assert not claims_freethreading(["Programming Language :: Python :: 3.14"])


def test_classifier_against_the_wheel_set() -> None:
    missing = classifier_checks([info(GIL), info(T)])
    assert [(r.subject, r.check, r.status) for r in missing] == [
        ("demo 1.0", "wheel.free-threading-classifier", Status.NOTE)]
    assert SUGGESTED in missing[0].message and T in missing[0].message
    required = classifier_checks([info(GIL), info(T)], require=True)
    assert required[0].status is Status.WARN and required[0].message == missing[0].message
    claimed = classifier_checks([info(GIL, FT)])
    assert claimed[0].status is Status.WARN and "drop the classifier" in claimed[0].message
    assert classifier_checks([info(GIL, FT)], require=True) == claimed
    agree = classifier_checks([info(GIL, FT), info(T, FT)])
    assert agree[0].status is Status.PASS and agree[0].message == "classifier and t wheels agree"
    neither = classifier_checks([info(GIL)])
    assert neither[0].status is Status.PASS and "no free-threading claim" in neither[0].message
    # One classifier on any wheel of the project and version is the project's claim.
    assert classifier_checks([info(GIL), info(T, FT)])[0].status is Status.PASS
    assert classifier_checks([]) == []


def test_readiness_yes_and_no_with_reasons() -> None:
    wheels = [info(GIL, FT), info(T, FT)]
    ready = readiness(wheels, [CheckResult(T, "runtime.gil", Status.PASS, "", "cp314-cp314t")])
    assert [(r.subject, r.check, r.status) for r in ready] == [("demo 1.0 3.14", "wheelhouse.free-threading",
                                                                 Status.PASS)]
    assert ready[0].message.startswith("ready for free-threading: yes")
    gil_back = readiness(wheels, [CheckResult(T, "runtime.gil", Status.FAIL, "", "cp314-cp314t")])
    assert gil_back[0].status is Status.WARN and "fails runtime.gil" in gil_back[0].message
    raced = readiness(wheels, [CheckResult(T, "runtime.stress", Status.FAIL, "", "cp314-cp314t")])
    assert "no (" in raced[0].message and "runtime.stress" in raced[0].message
    # A failure on the GIL interpreter does not decide free-threading readiness; a static failure does.
    other = readiness(wheels, [CheckResult(T, "runtime.import", Status.FAIL, "", "cp314-cp314")])
    assert other[0].status is Status.PASS
    static = readiness(wheels, [CheckResult(T, "wheel.record", Status.FAIL)])
    assert static[0].status is Status.WARN and "wheel.record" in static[0].message
    no_t = readiness([info(GIL)], [])
    assert no_t[0].status is Status.WARN and "no wheel for the free-threaded build of 3.14" in no_t[0].message


def test_an_abi3_wheel_is_filed_under_the_python_it_was_built_beside() -> None:
    abi3 = "psutil-7.2.2-cp36-abi3-manylinux_2_28_x86_64.whl"
    t314 = "psutil-7.2.2-cp314-cp314t-manylinux_2_28_x86_64.whl"
    verdicts = readiness([info(abi3), info(t314)], [])
    assert [(r.subject, r.status) for r in verdicts] == [("psutil 7.2.2 3.14", Status.PASS)]
    # Beside two Pythons it serves both; alone, its tag is all there is to go by.
    both = readiness([info(abi3), info(t314), info("psutil-7.2.2-cp313-cp313t-manylinux_2_28_x86_64.whl")], [])
    assert [r.subject for r in both] == ["psutil 7.2.2 3.13", "psutil 7.2.2 3.14"]
    alone = readiness([info(abi3)], [])
    assert [(r.subject, r.status) for r in alone] == [("psutil 7.2.2 3.6", Status.WARN)]
    # An abi3t wheel filed under a later Python serves its free-threaded build.
    later = readiness([info("x-1.0-cp315-abi3t-manylinux_2_28_x86_64.whl"),
                       info("x-1.0-cp316-cp316-manylinux_2_28_x86_64.whl")], [])
    assert [(r.subject, r.status) for r in later] == [("x 1.0 3.16", Status.PASS)]


def test_a_pure_wheel_is_filed_under_any_python() -> None:
    verdicts = readiness([info("demo-1.0-py3-none-any.whl")], [])
    assert [(r.subject, r.status) for r in verdicts] == [("demo 1.0 any", Status.PASS)]
    assert verdicts[0].message == "ready for free-threading: yes (demo-1.0-py3-none-any.whl passes every check)"


def test_readiness_groups_per_python() -> None:
    wheels = [info(GIL), info(T), info("demo-1.0-cp313-cp313-manylinux_2_17_x86_64.whl")]
    verdicts = {r.subject: r.status for r in readiness(wheels, [])}
    assert verdicts == {"demo 1.0 3.13": Status.WARN, "demo 1.0 3.14": Status.PASS}
