"""Run the auditors whose reports audit.py judges: auditwheel and a symbol scan in the image, abi3audit on the host."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

from packaging.tags import Tag

from dualpy import console, engine
from dualpy.errors import BuildFailed
from dualpy.paths import cache_dir
from dualpy.probes import probe_report, probe_source
from dualpy.verify.audit import ABI3AUDIT, Glibc, abi3_wheels, judge_abi3audit, judge_manylinux
from dualpy.verify.model import CheckResult, Status
from dualpy.verify.runtime import WHEELHOUSE_MOUNT

AUDITWHEEL_PYTHON = "/opt/_internal/tools/bin/python"
ABI3AUDIT_VERSION = "0.0.26"


def audit_manylinux(image: str, wheelhouse: Path, wheels: Mapping[str, frozenset[Tag]],
                    policy: Glibc | None) -> list[CheckResult]:
    """Run auditwheel and a symbol scan on every platform wheel in the image; judge each wheel's tags."""
    platform_wheels = sorted(w for w, tags in wheels.items() if {t.platform for t in tags} != {"any"})
    results = [judge_manylinux(w, tags, {}, policy) for w, tags in sorted(wheels.items()) if w not in platform_wheels]
    if not platform_wheels:
        return results
    request = json.dumps({"wheelhouse": WHEELHOUSE_MOUNT, "wheels": platform_wheels})
    run = engine.run(image, [AUDITWHEEL_PYTHON, "-c", probe_source("manylinux_audit"), request],
                     volumes={os.path.realpath(wheelhouse): {"bind": WHEELHOUSE_MOUNT, "mode": "ro"}},
                     entrypoint=[])
    for entry in probe_report(run, f"the auditwheel probe in {image}", BuildFailed):
        results.append(judge_manylinux(entry["wheel"], wheels[entry["wheel"]], entry, policy))
    return results


def audit_manylinux_on_host(wheelhouse: Path, wheels: Mapping[str, frozenset[Tag]], policy: Glibc | None
                            ) -> list[CheckResult]:
    """Without an image: scan each platform wheel's versioned symbols on the host (pyelftools, as the probe does
    in the image) and judge its tags against them and the policy; there is no auditwheel verdict to add."""
    from dualpy.probes.manylinux_audit import scan  # noqa: PLC0415  (pyelftools: loaded only when asked)

    results = []
    for wheel, tags in sorted(wheels.items()):
        entry: dict[str, object] = {}
        if {t.platform for t in tags} != {"any"}:
            try:
                entry["symbols"], entry["needed"] = scan(str(wheelhouse / wheel))
            except (zipfile.BadZipFile, OSError) as exc:
                entry["auditwheel_error"] = f"the symbol scan could not read it ({exc})"
        results.append(judge_manylinux(wheel, tags, entry, policy))
    return results


ABI3AUDIT_REQUIREMENTS = Path(__file__).with_name("abi3audit-requirements.txt")


def abi3audit_venv_name(requirements: bytes) -> str:
    """The cached venv's directory name: the pinned version and the lock file's hash, so a new lock means a new venv."""
    return f"abi3audit-{ABI3AUDIT_VERSION}-{hashlib.sha256(requirements).hexdigest()[:12]}"


def pip_install_failure(stderr: str, requirements: Path) -> str:
    """One line for a failed hash-pinned install: a hash mismatch names the package, its file and the fix (pure)."""
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    if any("DO NOT MATCH THE HASHES" in line for line in lines):
        found = next((line for line in lines if " from " in line and "==" in line), "")
        package, _, source = found.partition(" from ")
        filename = source.split("#")[0].split(" (")[0].rsplit("/", 1)[-1]
        what = f"{package} ({filename})" if package and filename else "a downloaded file"
        return (f"installing abi3audit failed: {what} does not match the sha256 pinned in {requirements}: the index "
                "served another file; check the index (or a proxy rewriting files), or regenerate the pins if the "
                "project re-released it")
    return f"installing abi3audit failed ({(lines or ['?'])[-1]}): check the host's pip settings"


def _abi3audit() -> Path:
    """The interpreter of abi3audit's own cached venv, installed once from hash-pinned requirements.

    Run as `python -m abi3audit`: the venv is built aside and renamed, which breaks console-script shebangs.
    """
    root = cache_dir() / "tools" / abi3audit_venv_name(ABI3AUDIT_REQUIREMENTS.read_bytes())
    executable = root / "bin" / "python"
    if executable.exists():
        return executable
    root.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(dir=root.parent, prefix=".abi3audit-"))
    console.info(f"  installing abi3audit {ABI3AUDIT_VERSION} (hash-pinned) into {root} (once)")
    try:
        subprocess.run([sys.executable, "-m", "venv", str(temp)], check=True, capture_output=True)
        installed = subprocess.run([str(temp / "bin" / "python"), "-m", "pip", "install", "-q",
                                    "--disable-pip-version-check", "--require-hashes", "--no-deps", "--only-binary",
                                    ":all:", "-r", str(ABI3AUDIT_REQUIREMENTS)],
                                   capture_output=True, text=True, env={**os.environ, "PIP_CONSTRAINT": ""})
        if installed.returncode != 0:
            raise BuildFailed(pip_install_failure(installed.stderr, ABI3AUDIT_REQUIREMENTS))
        temp.replace(root)
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    return executable


def audit_abi3(wheelhouse: Path, wheels: Mapping[str, frozenset[Tag]]) -> list[CheckResult]:
    """Run abi3audit on each abi3 wheel of a GIL build; its findings become wheel.abi3audit results."""
    chosen = abi3_wheels(wheels)
    if not chosen:
        return []
    executable = _abi3audit()
    results = []
    for wheel in chosen:
        run = subprocess.run([str(executable), "-m", "abi3audit", "--report", str(wheelhouse / wheel)],
                             capture_output=True, text=True, timeout=600)
        try:
            document = json.loads(run.stdout)
        except ValueError:
            last = (run.stderr.strip().splitlines() or ["no output"])[-1]
            results.append(CheckResult(wheel, ABI3AUDIT, Status.FAIL, f"abi3audit could not judge it: {last}"))
            continue
        results.append(judge_abi3audit(wheel, document))
    return results
