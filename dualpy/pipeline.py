"""The whole job in one call: image (if absent) -> sdist -> wheels from the sdist -> verify -> one summary."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dualpy import console, engine
from dualpy.config import ResolvedConfig
from dualpy.errors import BuildFailed, DualpyError, UsageError, image_absent
from dualpy.files import sha256_file
from dualpy.images import build_image, default_tag_for
from dualpy.sources.recipes import find_release
from dualpy.tags import parse_variants
from dualpy.verify import verify_wheelhouse
from dualpy.verify.audit import parse_policy
from dualpy.verify.model import Report
from dualpy.verify.report import write_reports
from dualpy.verify.stress import StressSettings, default_threads, extract_sdist_tests
from dualpy.wheels import MANIFEST_NAME, WheelRecord, WheelsRequest, build_wheels, load_project, write_manifest

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
            "verdict": self.report.verdict,
            "summary": self.report.counts(),
            "stage_seconds": {k: round(v, 1) for k, v in self.stage_seconds.items()},
            "reports": self.reports,
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
    (sdist,) = destination.glob("*.tar.gz")
    return sdist


def _stress_settings(config: ResolvedConfig, tests_dir: Path | None, sdist: Path | None,
                     scratch: Path) -> StressSettings | None:
    """The stress run's settings when asked for: tests from --tests, else from the sdist."""
    if not config["stress"]:
        return None
    if tests_dir is None:
        if sdist is None:
            raise UsageError("--stress needs the project's tests: pass --tests DIR")
        tests_dir = extract_sdist_tests(sdist, scratch)
    return StressSettings(config["stress-threads"] or default_threads(), config["stress-iterations"], tests_dir)


@dataclass
class _Stage:
    """The stage under way, so that an error can say where the pipeline stopped."""

    name: str = "setup"


def run_pipeline(project_path: Path, config: ResolvedConfig, report_dir: Path | None = None,
                 strict: bool = False, tests_dir: Path | None = None) -> PipelineResult:
    """Run every stage for each configured Python; files reach the output dir only at the end.

    A DualpyError leaves with .stage set to where it stopped (setup, image, sdist, wheels, verify, publish).
    """
    stage = _Stage()
    try:
        return _run_stages(project_path, config, report_dir, strict, tests_dir, stage)
    except DualpyError as exc:
        exc.stage = exc.stage or stage.name
        raise


def _run_stages(project_path: Path, config: ResolvedConfig, report_dir: Path | None, strict: bool,
                tests_dir: Path | None, stage: _Stage) -> PipelineResult:
    project = load_project(project_path)
    pythons = list(config["pythons"])
    if not pythons:
        _recipe, newest = find_release(None)
        pythons = [str(newest.minor)]
        console.info(f"  no Python configured: building for {newest.minor}, the newest final release "
                     "(pass --python or set [tool.dualpy] pythons)")
    variants = parse_variants(",".join(config["variants"]))
    releases = [find_release(p)[1] for p in pythons]  # every unknown Python fails here, before any work
    output_dir = Path(config["output-dir"])
    report_dir = report_dir or output_dir
    engine.ensure_running()
    stages: dict[str, float] = {}

    started = time.monotonic()
    stage.name = "image"
    image = config["image"] or default_tag_for(releases)
    if not engine.image_exists(image):
        if config["image"]:
            raise image_absent(image, ",".join(r.version for r in releases))
        console.step(f"image {image} is absent: building it")
        build_image(",".join(r.version for r in releases), variants=variants, tag=image)
    else:
        console.step(f"image {image}: present")
    stages["image"] = time.monotonic() - started

    output_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=output_dir, prefix=".dualpy-pipeline-"))
    try:
        started = time.monotonic()
        stage.name = "sdist"
        sdist = None
        source = project.path
        if project.is_sdist:  # the output dir holds the sdist its wheels came from, whoever built it
            sdist = staging / "sdist" / project.path.name
            sdist.parent.mkdir()
            shutil.copyfile(project.path, sdist)
        else:
            console.step(f"sdist of {project.path}")
            sdist = _build_sdist(project.path, staging / "sdist")
            source = sdist
            console.info(f"  {sdist.name}")
        stages["sdist"] = time.monotonic() - started

        started = time.monotonic()
        wheelhouse = staging / "wheels"
        versions = ", ".join(r.version for r in releases)
        stage.name = "wheels"
        console.step(f"wheels for Python {versions}" + (f" from {source.name}" if sdist else ""))
        result = build_wheels(WheelsRequest(source, tuple(pythons), image=image, variants=variants,
                                            output_dir=wheelhouse, test_command=config["test-command"],
                                            write_manifest=False))
        wheels: list[WheelRecord] = list(result.wheels)
        stages["wheels"] = time.monotonic() - started

        started = time.monotonic()
        stage.name = "verify"
        stress = _stress_settings(config, tests_dir, sdist, staging / "stress-tests")
        manylinux = parse_policy(config["manylinux"]) if config["manylinux"] else None
        console.step(f"verify the wheels in {image}")
        combined = verify_wheelhouse(wheelhouse, image, allow_gil=config["allow-gil"],
                                     test_command=config["test-command"], strict=strict, stress=stress,
                                     manylinux=manylinux, require_classifier=config["require-classifier"])
        combined.target = str(output_dir)
        stages["verify"] = time.monotonic() - started
        combined.seconds = stages["verify"]

        stage.name = "publish"
        images = {r.version: image for r in releases}
        for wheel in wheelhouse.glob("*.whl"):
            os.replace(wheel, output_dir / wheel.name)
        extra: list[dict[str, Any]] = []
        if sdist:
            os.replace(sdist, output_dir / sdist.name)
            extra.append({"filename": sdist.name, "kind": "sdist", "project": wheels[0].project if wheels else "",
                          "sha256": sha256_file(output_dir / sdist.name)})
        write_manifest(output_dir, wheels, extra)
        report_dir.mkdir(parents=True, exist_ok=True)
        reports = {kind: str(report_dir / name) for kind, name in REPORT_NAMES.items()}
        write_reports(combined, Path(reports["json"]), Path(reports["junit"]), Path(reports["markdown"]))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return PipelineResult(str(output_dir), sdist.name if sdist else None, wheels, combined, stages, images,
                          {**reports, "manifest": str(output_dir / MANIFEST_NAME)})
