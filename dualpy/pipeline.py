"""The whole job in one call: image (if absent) -> sdist -> wheels from the sdist -> verify -> one summary."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from dualpy import console, engine
from dualpy.errors import BuildFailed, DualpyError, UsageError, image_absent
from dualpy.files import sha256_file
from dualpy.images import build_image, default_tag_for
from dualpy.options import PipelineOptions, StressRequest
from dualpy.verify import verify_wheelhouse
from dualpy.verify.model import Report
from dualpy.verify.report import write_reports
from dualpy.verify.stress import StressSettings, default_threads, extract_sdist_tests
from dualpy.wheels import MANIFEST_NAME, WheelRecord, WheelsRequest, build_wheels, load_project, write_manifest
from dualpy.wheels.project import Project

REPORT_NAMES = {"json": "verify.json", "junit": "verify.junit.xml", "markdown": "verify.md"}


@dataclass
class PipelineResult:
    """What the pipeline produced and how long each stage took."""

    output_dir: str
    sdist: str | None
    wheels: list[WheelRecord]
    report: Report
    stage_seconds: dict[str, float] = field(default_factory=dict)
    images: dict[str, str] = field(default_factory=dict)
    reports: dict[str, str] = field(default_factory=dict)
    build_errors: list[str] = field(default_factory=list)  # builds that failed beside the wheels that did build
    identifiers: dict[str, dict[str, Any]] = field(default_factory=dict)  # each build's state (built, failed, ...)

    @property
    def verdict(self) -> str:
        """The report's verdict, or error when a requested build failed (its wheels are missing, whatever the rest)."""
        return "error" if self.build_errors else self.report.verdict

    def verdicts(self) -> dict[str, str]:
        """Each wheel's worst check status (pass < skip < warn < fail)."""
        order = ["note", "pass", "skip", "warn", "fail"]
        verdicts: dict[str, str] = {}
        for result in self.report.results:
            if result.subject.endswith(".whl"):
                worst = verdicts.get(result.subject, "pass")
                verdicts[result.subject] = max(worst, result.status.value, key=order.index)
        return verdicts

    def to_json(self) -> dict[str, Any]:
        """The documented `pipeline --json` shape."""
        verdicts = self.verdicts()
        return {
            "output_dir": self.output_dir,
            "sdist": self.sdist,
            "images": self.images,
            "wheels": [{**asdict(w), "verdict": verdicts.get(w.filename, "pass")} for w in self.wheels],
            "verdict": self.verdict,
            "summary": self.report.counts(),
            "stage_seconds": {k: round(v, 1) for k, v in self.stage_seconds.items()},
            "reports": self.reports,
            "builds": self.identifiers,
            **({"stage": "wheels", "error": self.build_errors[0], "build_errors": self.build_errors,
                "exit_code": BuildFailed.return_code} if self.build_errors else {}),
        }


def error_document(error: DualpyError, output_dir: str) -> dict[str, Any]:
    """The `pipeline --json` document of a run that stopped before a verdict: where, why, and its exit code."""
    return {"output_dir": output_dir, "sdist": None, "images": {}, "wheels": [], "verdict": "error",
            "stage": error.stage or "setup", "error": str(error), "exit_code": error.return_code,
            "summary": {"pass": 0, "warn": 0, "fail": 0, "skip": 0}, "stage_seconds": {}, "reports": {}}


def _build_sdist(project: Path, destination: Path) -> Path:
    """Build the project's sdist with `build`; the wheels are then built from it, which proves it complete."""
    result = subprocess.run([sys.executable, "-m", "build", "--sdist", "--outdir", str(destination), str(project)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        tail = (result.stdout + result.stderr).strip().splitlines()[-3:]
        raise BuildFailed(f"building the sdist of {project} failed: {' / '.join(tail)}")
    sdists = sorted(destination.glob("*.tar.gz"))
    if len(sdists) != 1:
        raise BuildFailed(f"building the sdist of {project} left {len(sdists)} sdists, not one: check its backend")
    return sdists[0]


def _stress_settings(request: StressRequest | None, sdist: Path | None, scratch: Path) -> StressSettings | None:
    """The stress run's settings when asked for: tests from --tests, else from the sdist."""
    if request is None:
        return None
    tests_dir = request.tests
    if tests_dir is None:
        if sdist is None:
            raise UsageError("--stress needs the project's tests: pass --tests DIR")
        tests_dir = extract_sdist_tests(sdist, scratch)
    return StressSettings(request.threads or default_threads(), request.iterations, tests_dir)


@contextlib.contextmanager
def timed(seconds: dict[str, float], stage: str) -> Iterator[None]:
    """Record how long the block took under seconds[stage]."""
    started = time.monotonic()
    try:
        yield
    finally:
        seconds[stage] = time.monotonic() - started


@dataclass
class _Run:
    """What the stages hand each other: the options, the staging dir, and what each stage produced."""

    options: PipelineOptions
    project: Project
    staging: Path
    image: str = ""
    older_image: str | None = None
    sdist: Path | None = None
    wheels: list[WheelRecord] = field(default_factory=list)
    report: Report | None = None
    build_errors: list[str] = field(default_factory=list)
    identifiers: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def source(self) -> Path:
        """What the wheels are built from: the sdist in staging (built here, or a copy of the one given)."""
        return self.sdist or self.project.path


def older_image_tag(image: str, suite: str) -> str:
    """The tag of the image of the same releases on an older suite: dualpy/cpython:3.14.7-bullseye."""
    return f"{image}-{suite}"


def _image_stage(run: _Run) -> None:
    options = run.options
    releases = options.releases
    run.image = options.image or default_tag_for([r.release for r in releases])
    if engine.image_exists(run.image):
        console.step(f"image {run.image}: present")
    elif options.image:
        raise image_absent(run.image, ",".join(r.version for r in releases))
    else:
        console.step(f"image {run.image} is absent: building it")
        build_image(releases, variants=options.variants, tag=run.image)
    if options.older_suite:
        run.older_image = older_image_tag(run.image, options.older_suite)
        if engine.image_exists(run.older_image):
            console.step(f"older-glibc image {run.older_image}: present")
        else:  # same recipes on the older suite: the source and tool layers come from the cache
            console.step(f"older-glibc image {run.older_image} is absent: building it on {options.older_suite}")
            build_image(releases, variants=options.variants, tag=run.older_image, suite=options.older_suite)


def _sdist_stage(run: _Run) -> None:
    if run.project.is_sdist:  # the output dir holds the sdist its wheels came from, whoever built it
        run.sdist = run.staging / "sdist" / run.project.path.name
        run.sdist.parent.mkdir()
        shutil.copyfile(run.project.path, run.sdist)
        return
    console.step(f"sdist of {run.project.path}")
    run.sdist = _build_sdist(run.project.path, run.staging / "sdist")
    console.info(f"  {run.sdist.name}")


def _wheels_stage(run: _Run) -> None:
    options = run.options
    versions = ", ".join(r.version for r in options.releases)
    console.step(f"wheels for Python {versions}" + (f" from {run.sdist.name}" if run.sdist else ""))
    result = build_wheels(WheelsRequest(run.source, options.releases, image=run.image, variants=options.variants,
                                        output_dir=run.staging / "wheels", test_command=options.test_command,
                                        write_manifest=False, floor=options.floor,
                                        system_packages=options.system_packages, keep_built=True))
    run.wheels = list(result.wheels)
    run.identifiers = result.identifiers
    run.build_errors = [str(error) for error in result.errors]  # the other builds' wheels are verified all the same
    for error in run.build_errors:
        console.warn(f"a build failed; the wheels that built go on to verify: {error}")


def _verify_stage(run: _Run) -> None:
    options = run.options
    stress = _stress_settings(options.stress, run.sdist, run.staging / "stress-tests")
    console.step(f"verify the wheels in {run.image}")
    run.report = verify_wheelhouse(run.staging / "wheels", run.image, allow_gil=options.allow_gil,
                                   test_command=options.test_command, strict=options.strict, stress=stress,
                                   manylinux=options.floor.glibc, older_image=run.older_image,
                                   require_classifier=options.require_classifier)


STAGES: tuple[tuple[str, Callable[[_Run], None]], ...] = (
    ("image", _image_stage), ("sdist", _sdist_stage), ("wheels", _wheels_stage), ("verify", _verify_stage),
)


def _publish(run: _Run, report: Report) -> dict[str, str]:
    """Move the wheels and the built sdist into the output dir, then write the manifest and the reports once."""
    options = run.options
    output_dir = options.output_dir
    for wheel in (run.staging / "wheels").glob("*.whl"):
        wheel.replace(output_dir / wheel.name)
    extra: list[dict[str, Any]] = []
    if run.sdist:
        run.sdist.replace(output_dir / run.sdist.name)
        extra.append({"filename": run.sdist.name, "kind": "sdist",
                      "project": run.wheels[0].project if run.wheels else "",
                      "sha256": sha256_file(output_dir / run.sdist.name)})
    write_manifest(output_dir, run.wheels, extra, identifiers=run.identifiers or None)
    options.report_dir.mkdir(parents=True, exist_ok=True)
    reports = {kind: str(options.report_dir / name) for kind, name in REPORT_NAMES.items()}
    write_reports(report, Path(reports["json"]), Path(reports["junit"]), Path(reports["markdown"]))
    return {**reports, "manifest": str(output_dir / MANIFEST_NAME)}


def run_pipeline(options: PipelineOptions) -> PipelineResult:
    """Run every stage for the configured Pythons; files reach the output dir only at the end.

    A DualpyError leaves with .stage set to where it stopped (setup, image, sdist, wheels, verify, publish).
    """
    current = "setup"
    try:
        project = load_project(options.project)
        if options.python_defaulted:
            console.info(f"  no Python configured: building for {options.releases[0].version}, the newest final "
                         "release (pass --python or set [tool.dualpy] pythons)")
        engine.ensure_running()
        options.output_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=options.output_dir, prefix=".dualpy-pipeline-"))
        seconds: dict[str, float] = {}
        run = _Run(options, project, staging)
        try:
            for current, stage in STAGES:
                with timed(seconds, current):
                    stage(run)
            assert run.report is not None  # the verify stage always sets it
            report = replace(run.report, target=str(options.output_dir), seconds=seconds["verify"])
            current = "publish"
            reports = _publish(run, report)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    except DualpyError as exc:
        exc.stage = exc.stage or current  # where the pipeline stopped, for --json's error document
        raise
    return PipelineResult(str(options.output_dir), run.sdist.name if run.sdist else None, run.wheels, report,
                          seconds, {r.version: run.image for r in options.releases}, reports, run.build_errors,
                          run.identifiers)
