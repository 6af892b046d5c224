"""Readiness verdicts from the facts the probe gathered: one row per distribution, one verdict for the set (pure).

A package is ready when it installs under the free-threaded interpreter (a t wheel, abi3t, pure Python, or built
from its sdist) and every module of it imports there with the GIL staying off. It is not ready when it does not
build or install, an import fails or hangs, or a module re-enables the GIL. It is unknown when it never resolved,
or when its only failing imports fail the same way under the GIL (not a free-threading problem).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from dualpy.verify.readiness import CLASSIFIER_PREFIX

READY, NOT_READY, UNRESOLVED = "ready", "not-ready", "unresolved"
EXIT_CODES = {READY: 0, NOT_READY: 1, UNRESOLVED: 3}
MAX_REASON = 200

_COMPILER_ERROR = re.compile(r":\s*(?:fatal )?error:", re.IGNORECASE)
_METADATA_FAILED = "metadata-generation-failed"
_VERSION_LIST = re.compile(r"\(from versions: [^)\n]{40,}\)")
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception): ")
_PIP_BOILERPLATE = ("error: subprocess-exited-with-error", "error: metadata-generation-failed",
                    "error: failed-wheel-build-for-install", "ERROR: Failed building wheel",
                    "ERROR: Failed to build", "ERROR: Could not build wheels")


@dataclass(frozen=True)
class Row:
    """One distribution's readiness: where it came from, true/false/None (unknown), and the one-line reason."""

    name: str
    version: str
    source: str
    ready: bool | None
    reason: str
    gil_reenabled_by: str | None = None
    classifier: str | None = None
    requested: bool = False
    build_seconds: float | None = None
    stress: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The row as the documented JSON object."""
        return {"name": self.name, "version": self.version, "source": self.source, "ready": self.ready,
                "reason": self.reason, "gil_reenabled_by": self.gil_reenabled_by, "classifier": self.classifier,
                "requested": self.requested, "build_seconds": self.build_seconds, "stress": self.stress}


def first_error_line(output: str) -> str:
    """The line of a pip or compiler log that says what went wrong (compiler error, exception, pip's ERROR)."""
    output = _VERSION_LIST.sub("(from versions: …)", output)  # pip lists every release: the line, not the list
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    meaningful = [line for line in lines if not line.startswith(_PIP_BOILERPLATE)]
    for test in (_COMPILER_ERROR.search, _EXCEPTION_LINE.match,
                 lambda line: line.lower().startswith("error:") or None):
        found = next((line for line in meaningful if test(line)), None)
        if found:
            return _short(found)
    return _short(meaningful[-1] if meaningful else (lines[-1] if lines else "no output"))


def _short(text: str) -> str:
    return text if len(text) <= MAX_REASON else text[:MAX_REASON - 1] + "…"


def source_of(filename: str, build: Mapping[str, Any] | None) -> str:
    """Where a distribution came from: '<abi>-wheel' (cp314t, abi3t), 'pure-wheel', 'sdist' or 'sdist-failed'."""
    if not filename.endswith(".whl"):
        return "sdist" if build is not None and build.get("wheel") else "sdist-failed"
    try:
        tags = parse_wheel_filename(filename)[3]
    except InvalidWheelFilename:
        return "wheel"
    abis = {tag.abi for tag in tags}
    if abis == {"none"}:
        return "pure-wheel" if {tag.platform for tag in tags} == {"any"} else "none-abi-wheel"
    chosen = sorted(a for a in abis if a.endswith("t")) or sorted(abis)  # cp314t, abi3t: what serves a t build
    return f"{chosen[0]}-wheel"


def classifier_of(classifiers: Sequence[str]) -> str | None:
    """The Free Threading classifier's level ('2 - Beta'), or None when the metadata carries none."""
    for classifier in classifiers:
        text = classifier.strip()
        if text.startswith(CLASSIFIER_PREFIX):
            return text[len(CLASSIFIER_PREFIX):].removeprefix(" :: ").strip() or text
    return None


def _owner(module: str, owners: Mapping[str, str]) -> str | None:
    """The distribution that ships a module, by its own name or its top-level package."""
    return owners.get(module) or owners.get(module.split(".", maxsplit=1)[0])


def _import_verdict(package: Mapping[str, Any], owners: Mapping[str, str]) -> tuple[bool | None, str, str | None]:
    """(ready, reason, module that re-enabled the GIL) from a distribution's imports."""
    imports: Mapping[str, Mapping[str, Any]] = package["imports"]
    gil_imports: Mapping[str, Mapping[str, Any]] = package.get("gil_imports", {})
    hung = sorted(m for m, r in imports.items() if r.get("timeout"))
    if hung:
        return False, f"import {hung[0]} hung (no answer in {imports[hung[0]]['timeout']:.0f} s)", None
    for module, result in sorted(imports.items()):
        culprits = result.get("gil_reenabled_by") or []
        if culprits or result.get("ok") and result.get("gil_enabled"):
            culprit = culprits[0] if culprits else module
            owner = _owner(culprit, owners)
            via = f" (from {owner})" if owner and owner != canonicalize_name(package["name"]) else ""
            return False, f"{culprit}{via} re-enables the GIL on import: it does not declare free-threading " \
                          "support (Py_mod_gil)", culprit
    failed = sorted(m for m, r in imports.items() if not r.get("ok"))
    # A module that fails the same way under the GIL twin says nothing about free threading: unknown, not false.
    only_freethreaded = [m for m in failed if gil_imports.get(m, {}).get("ok", True)]
    if only_freethreaded:
        module = only_freethreaded[0]
        compare = " (imports with the GIL)" if module in gil_imports else ""
        return False, _short(f"import {module} fails{compare}: {imports[module]['error']}"), None
    if failed:
        module = failed[0]
        return None, _short(f"import {module} fails with the GIL too: {imports[module]['error']}"), None
    return True, "", None


def stress_finding(stress: Mapping[str, Any]) -> tuple[bool, str]:
    """(whether the tests found a failure only under threads, what the stress run says) from its facts."""
    if stress.get("no_tests"):
        return False, "its sdist ships no tests"
    if "error" in stress:
        return False, _short(f"not stressed: {stress['error']}")
    parallel, threads = stress["parallel"], stress["threads"]
    if parallel.get("timeout"):
        return False, f"its tests timed out after {parallel['timeout']:.0f} s under {threads} threads"
    if parallel.get("returncode") not in (0, 1) or not parallel.get("total"):  # pytest: 2-5 collection, usage
        return False, _short(f"its tests did not run: {first_error_line(parallel['output'])}")
    serial_failed = set(stress.get("serial", {}).get("failed", []))
    only_threads = sorted(set(parallel["failed"]) - serial_failed)
    if only_threads:
        shown = ", ".join(only_threads[:3]) + (f" (+{len(only_threads) - 3} more)" if len(only_threads) > 3 else "")
        return True, _short(f"{len(only_threads)} test(s) fail only under {threads} threads: {shown}")
    failing = len(parallel["failed"])
    also = f", {failing} fail one at a time too" if failing else ""
    return False, f"{parallel['total'] - failing} of its {parallel['total']} tests pass under {threads} threads{also}"


_DESCRIBED = {"pure-wheel": "pure-Python wheel", "abi3t-wheel": "abi3t wheel", "sdist": "built from its sdist"}


def judge_package(package: Mapping[str, Any], owners: Mapping[str, str]) -> Row:
    """One distribution's row from the probe's facts."""
    build = package.get("build")
    source = source_of(package["file"], build)
    seconds = float(build["seconds"]) if build else None
    name, version, classifier = package["name"], package["version"], classifier_of(package["classifiers"])

    raced, stressed = stress_finding(package["stress"]) if package.get("stress") else (False, None)

    def row(ready: bool | None, reason: str, culprit: str | None = None) -> Row:
        return Row(name, version, source, ready, reason, culprit, classifier, bool(package.get("requested")), seconds,
                   stressed)

    if source == "sdist-failed":
        failed = build or {"output": "it was not built"}
        why = f"timed out after {failed['timeout']:.0f} s" if failed.get("timeout") else \
            first_error_line(failed["output"])
        return row(False, _short(f"sdist failed to build: {why}"))
    installed = package.get("install")
    if not installed or not installed.get("ok"):
        why = first_error_line(installed["output"]) if installed else "not installed"
        return row(False, _short(f"did not install: {why}"))
    ready, reason, culprit = _import_verdict(package, owners)
    if ready is not True:
        return row(ready, reason, culprit)
    if raced:
        return row(False, str(stressed))
    origin = _DESCRIBED.get(source, source.replace("-wheel", " wheel"))
    if source == "sdist":
        origin += f" in {seconds:.0f} s"
    modules = len(package.get("imports", {}))
    checked = f"{modules} module(s) import with the GIL off" if modules else "no module of its own to import"
    return row(True, _short(f"{origin}; {checked}" + (f"; {stressed}" if stressed else "")))


def _unresolved_row(failure: Mapping[str, Any]) -> Row:
    text = failure["requirement"]
    try:
        requirement = Requirement(text)
        name, version = requirement.name, str(requirement.specifier)
    except InvalidRequirement:
        name, version = text, ""
    output = failure["output"]
    why = f"timed out after {failure['timeout']:.0f} s" if failure.get("timeout") else first_error_line(output)
    if _METADATA_FAILED in output:  # an sdist whose build backend failed while pip resolved: a build failure
        return Row(name, version, "sdist-failed", False, _short(f"sdist failed to build (metadata): {why}"),
                   requested=True)
    return Row(name, version, "unresolved", None, _short(f"could not resolve: {why}"), requested=True)


def judge(report: Mapping[str, Any]) -> tuple[list[Row], str]:
    """Every distribution's row (requested ones first, then by name) and the set's verdict."""
    packages: Sequence[Mapping[str, Any]] = report["packages"]
    owners: dict[str, str] = {}
    for package in packages:
        for module in package["modules"]:
            owners.setdefault(module, canonicalize_name(package["name"]))
    rows = [judge_package(p, owners) for p in packages]
    resolution = report["resolution"]
    rows += [_unresolved_row(f) for f in resolution.get("failures", [])]
    if not rows and not resolution["ok"]:
        rows.append(Row("(the whole set)", "", "unresolved", None,
                        _short(f"could not resolve: {first_error_line(resolution['output'])}")))
    rows.sort(key=lambda r: (not r.requested, canonicalize_name(r.name)))
    return rows, verdict_of(rows)


def verdict_of(rows: Sequence[Row]) -> str:
    """'ready' when every row is, 'unresolved' when nothing resolved or built, else 'not-ready'."""
    if not rows or all(r.source == "unresolved" for r in rows):
        return UNRESOLVED
    return READY if all(r.ready is True for r in rows) else NOT_READY
