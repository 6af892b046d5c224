"""Platform and ABI truth, judged: manylinux/musllinux tags against the symbols a wheel needs, abi3 wheels against
the limited API (pure; auditors.py runs auditwheel and abi3audit and hands their reports here)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from packaging.tags import Tag

from dualpy.errors import UsageError
from dualpy.verify.model import CheckResult, Status

MANYLINUX = "wheel.manylinux"
ABI3AUDIT = "wheel.abi3audit"
_LEGACY = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
_MANYLINUX_RE = re.compile(r"^manylinux_(\d+)_(\d+)_\w+$")
_MUSLLINUX_RE = re.compile(r"^musllinux_(\d+)_(\d+)_\w+$")
_GLIBC_RE = re.compile(r"^GLIBC_(\d+)\.(\d+)(?:\.\d+)?$")
_POLICY_RE = re.compile(r"^(?:manylinux_)?(\d+)_(\d+)$")

Glibc = tuple[int, int]


def parse_policy(text: str) -> Glibc:
    """The glibc level a --manylinux value names: '2_28' or 'manylinux_2_28' -> (2, 28); aliases too."""
    text = text.strip()
    if text in _LEGACY:
        return _LEGACY[text]
    match = _POLICY_RE.match(text)
    if not match:
        raise UsageError(f"--manylinux {text!r}: write a glibc level like 2_28 (or manylinux2014)")
    return int(match[1]), int(match[2])


def promised_glibc(platforms: Iterable[str]) -> Glibc | None:
    """The oldest glibc a wheel's manylinux tags promise to run on (None without a manylinux tag)."""
    levels = []
    for platform in platforms:
        legacy = next((level for name, level in _LEGACY.items() if platform.startswith(name + "_")), None)
        match = _MANYLINUX_RE.match(platform)
        if legacy:
            levels.append(legacy)
        elif match:
            levels.append((int(match[1]), int(match[2])))
    return min(levels) if levels else None


def needed_glibc(symbols: Mapping[str, Mapping[str, list[str]]]) -> tuple[Glibc, str, str] | None:
    """The newest GLIBC_x.y any library's symbols need, with one symbol and its version name (pure)."""
    newest: tuple[Glibc, str, str] | None = None
    for versions in symbols.values():
        for version, names in versions.items():
            match = _GLIBC_RE.match(version)
            if match:
                level = (int(match[1]), int(match[2]))
                if newest is None or level > newest[0]:
                    newest = (level, names[0] if names else "?", version)
    return newest


def _level(glibc: Glibc) -> str:
    return f"{glibc[0]}.{glibc[1]}"


def judge_manylinux(wheel: str, tags: Iterable[Tag], audit: Mapping[str, Any], policy: Glibc | None) -> CheckResult:
    """Do the platform tags tell the truth about the glibc (or musl) the wheel's symbols need? (pure)"""
    platforms = sorted({t.platform for t in tags})
    if platforms == ["any"]:
        return CheckResult(wheel, MANYLINUX, Status.SKIP, "pure wheel: no platform tag to audit")
    symbols = audit.get("symbols") or {}
    newest = needed_glibc(symbols)
    if any(_MUSLLINUX_RE.match(p) for p in platforms):
        glibc_libs = [lib for lib in audit.get("needed", []) if lib.startswith(("libc.so.6", "libm.so.6"))]
        if newest or glibc_libs:
            what = f"{newest[1]}@{newest[2]}" if newest else glibc_libs[0]
            return CheckResult(wheel, MANYLINUX, Status.FAIL,
                               f"tagged musllinux but links glibc ({what}): build it in a musllinux image")
        return CheckResult(wheel, MANYLINUX, Status.PASS, "musllinux tag, no glibc symbol needed")
    promised = promised_glibc(platforms)
    if promised is None:
        status = Status.FAIL if policy else Status.WARN
        return CheckResult(wheel, MANYLINUX, status,
                           f"platform {', '.join(platforms)} is no manylinux tag: PyPI refuses it; repair it with "
                           "auditwheel (cibuildwheel's default repair step)")
    if "auditwheel_error" in audit and newest is None:
        return CheckResult(wheel, MANYLINUX, Status.FAIL, f"auditwheel could not read it: {audit['auditwheel_error']}")
    sym_tag = str((audit.get("auditwheel") or {}).get("sym_tag", ""))
    if newest and newest[0] > promised:
        return CheckResult(wheel, MANYLINUX, Status.FAIL,
                           f"tagged for glibc {_level(promised)} but {newest[1]} needs {newest[2]}"
                           + (f" (auditwheel: {sym_tag})" if sym_tag else "")
                           + "; build in an older manylinux image or drop the symbol")
    if policy and newest and newest[0] > policy:
        return CheckResult(wheel, MANYLINUX, Status.FAIL,
                           f"the policy is manylinux_{policy[0]}_{policy[1]} but {newest[1]} needs {newest[2]}; "
                           "build in an older manylinux image (--manylinux) or drop the symbol")
    if policy and promised > policy:
        return CheckResult(wheel, MANYLINUX, Status.FAIL,
                           f"tagged for glibc {_level(promised)}, newer than the policy manylinux_{policy[0]}_"
                           f"{policy[1]}")
    need = f"{newest[2]} ({newest[1]})" if newest else "no versioned glibc symbol"
    return CheckResult(wheel, MANYLINUX, Status.PASS, f"tags promise glibc {_level(promised)}; symbols need {need}")


def abi3_wheels(wheels: Mapping[str, frozenset[Tag]]) -> list[str]:
    """The wheels abi3audit can judge: abi3 on a GIL interpreter tag (it cannot read cp313t or abi3t tags)."""
    return sorted(w for w, tags in wheels.items()
                  if {t.abi for t in tags} == {"abi3"} and not any(t.interpreter.endswith("t") for t in tags))


def judge_abi3audit(wheel: str, document: Mapping[str, Any]) -> CheckResult:
    """abi3audit's JSON report (`--report`) for one wheel as a check result (pure)."""
    findings = []
    specs = document.get("specs")
    for spec in specs.values() if isinstance(specs, Mapping) else []:
        for extension in spec.get("wheel") or [] if isinstance(spec, Mapping) else []:
            result = extension.get("result") if isinstance(extension, Mapping) else None
            if not isinstance(result, Mapping):
                continue
            name = extension.get("name", "?")
            symbols = [str(s) for s in result.get("non_abi3_symbols") or []]
            if symbols:
                more = f" (+{len(symbols) - 5} more)" if len(symbols) > 5 else ""
                findings.append(f"{name} uses {', '.join(symbols[:5])}{more}, outside the limited API")
            if result.get("is_abi3_baseline_compatible") is False:
                newer = ", ".join(f"{k} ({v})" for k, v in dict(result.get("future_abi3_objects") or {}).items())
                findings.append(f"{name} needs the limited API of {result.get('computed')} but is tagged "
                                f"{result.get('baseline')}" + (f": {newer}" if newer else ""))
    if findings:
        more = f" (+{len(findings) - 6} more)" if len(findings) > 6 else ""
        return CheckResult(wheel, ABI3AUDIT, Status.FAIL, "; ".join(findings[:6]) + more)
    return CheckResult(wheel, ABI3AUDIT, Status.PASS, "abi3audit: only limited-API symbols of the tagged version")
