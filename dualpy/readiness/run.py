"""The readiness run: one container of the image, the probe under its free-threaded interpreter, the verdicts."""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dualpy import console, engine
from dualpy.errors import UsageError
from dualpy.images import image_interpreters
from dualpy.probes import probe_report, probe_source
from dualpy.readiness.inputs import DependencySet
from dualpy.readiness.judge import Row, judge
from dualpy.tags import PythonMinor, PythonTarget, Variant
from dualpy.verify.runtime import pip_access

REQUEST_MOUNT = "/dualpy/readiness"
DEFAULT_IMPORT_TIMEOUT = 60.0
DEFAULT_BUILD_TIMEOUT = 900.0


@dataclass(frozen=True)
class ThreadStress:
    """--stress: each requested package's own sdist tests, threads x iterations under pytest-run-parallel."""

    threads: int
    iterations: int = 2
    timeout: float = 600.0

    def __post_init__(self) -> None:
        if self.threads < 2:
            raise UsageError(f"--threads {self.threads}: a stress run needs at least 2 threads")
        if self.iterations < 1:
            raise UsageError(f"--iterations {self.iterations}: give 1 or more")


@dataclass(frozen=True)
class ReadinessReport:
    """A judged dependency set: which Python and image, one row per distribution, the verdict and notes."""

    python: str
    image: str
    source: str
    rows: tuple[Row, ...]
    verdict: str
    notes: tuple[str, ...]
    seconds: float
    phase_seconds: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The documented JSON document: python, image, packages, verdict (and what was read)."""
        return {"python": self.python, "image": self.image, "input": self.source,
                "packages": [row.to_json() for row in self.rows], "verdict": self.verdict,
                "notes": list(self.notes), "seconds": round(self.seconds, 1), "phase_seconds": self.phase_seconds}


def interpreters_for(install_tags: list[str], minor: PythonMinor, image: str) -> tuple[str, str | None]:
    """The free-threaded interpreter of minor in the image and its GIL twin (None when the image has none)."""
    freethreaded = PythonTarget(minor, Variant.FREETHREADED).install_tag
    if freethreaded not in install_tags:
        have = ", ".join(install_tags) or "none"
        raise UsageError(f"{image} has no free-threaded {minor} interpreter ({freethreaded}; it has {have}): "
                         f"build one with `dualpy images build --python {minor}`")
    gil = PythonTarget(minor, Variant.GIL).install_tag
    return f"/opt/python/{freethreaded}/bin/python", f"/opt/python/{gil}/bin/python" if gil in install_tags else None


def run_readiness(dependencies: DependencySet, image: str, minor: PythonMinor, *, import_timeout: float,
                  build_timeout: float = DEFAULT_BUILD_TIMEOUT, stress: ThreadStress | None = None) -> ReadinessReport:
    """Resolve, build, install and import the set in one container of image; judge every distribution."""
    started = time.monotonic()
    freethreaded, gil = interpreters_for(image_interpreters(image), minor, image)
    request = {"import_child": probe_source("import_child"),
               "requirements": [str(r) for r in dependencies.requested],
               "constraints": [str(r) for r in dependencies.constraints],
               "freethreaded": freethreaded, "gil": gil, "import_timeout": import_timeout,
               "build_timeout": build_timeout,
               "stress": None if stress is None else {"threads": stress.threads, "iterations": stress.iterations,
                                                      "timeout": stress.timeout}}
    volumes, env = pip_access(True)
    console.step(f"judging {len(dependencies.requested)} requirement(s) of {dependencies.source.name} under "
                 f"{freethreaded} in {image}")
    with tempfile.TemporaryDirectory(prefix="dualpy-readiness-") as scratch:
        Path(scratch, "request.json").write_text(json.dumps(request))
        Path(scratch, "probe.py").write_text(probe_source("readiness_run"))
        volumes[os.path.realpath(scratch)] = {"bind": REQUEST_MOUNT, "mode": "ro"}
        run = engine.run(image, [freethreaded, f"{REQUEST_MOUNT}/probe.py", f"{REQUEST_MOUNT}/request.json"],
                         volumes=volumes, environment=env, entrypoint=[])
    facts = probe_report(run, f"the readiness probe under {freethreaded} in {image}")
    rows, verdict = judge(facts)
    return ReadinessReport(str(facts.get("python", minor)), image, str(dependencies.source), tuple(rows), verdict,
                           dependencies.notes, time.monotonic() - started,
                           {str(k): float(v) for k, v in dict(facts.get("phase_seconds", {})).items()})
