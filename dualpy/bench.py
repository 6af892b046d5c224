"""`dualpy bench`: what an image's two builds deliver — single-thread cost and thread scaling."""

from __future__ import annotations

import importlib
import json
import math
import os
import statistics
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dualpy import console, engine
from dualpy.errors import UsageError
from dualpy.images import LABEL_PREFIX, image_targets
from dualpy.probes import probe_source
from dualpy.tags import PythonMinor, PythonTarget, Variant

SCHEMA_VERSION = 1
BUILDS = ("gil", "freethreaded")

Curve = dict[str, float]  # workers ("1", "2", ...) -> throughput speed-up


def _geometric_mean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


@dataclass(frozen=True)
class KernelTimings:
    """One kernel's raw timings in one interpreter: single-thread runs, and medians per worker count."""

    single: list[float]
    threads: Curve
    processes: Curve

    def to_json(self) -> dict[str, object]:
        return {"single": list(self.single), "threads": dict(self.threads), "processes": dict(self.processes)}


@dataclass(frozen=True)
class RawRun:
    """What the bench_kernels probe printed in one interpreter."""

    kernels: dict[str, KernelTimings]
    executable: str = ""
    version: str = ""
    py_gil_disabled: int | None = None
    cpu_count: int = 1
    gil_enabled_after: bool | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RawRun:
        """Read the probe's JSON line."""
        kernels = {
            str(name): KernelTimings([float(t) for t in k["single"]],
                                     {str(n): float(t) for n, t in k["threads"].items()},
                                     {str(n): float(t) for n, t in k["processes"].items()})
            for name, k in data["kernels"].items()
        }
        disabled = data.get("Py_GIL_DISABLED")
        after = data.get("gil_enabled_after")
        return cls(kernels, str(data.get("executable", "")), str(data.get("version", "")),
                   None if disabled is None else int(disabled), int(data.get("cpu_count") or 1),
                   None if after is None else bool(after))

    def to_json(self) -> dict[str, object]:
        return {"executable": self.executable, "version": self.version, "Py_GIL_DISABLED": self.py_gil_disabled,
                "cpu_count": self.cpu_count, "kernels": {n: k.to_json() for n, k in self.kernels.items()},
                "gil_enabled_after": self.gil_enabled_after}


@dataclass(frozen=True)
class KernelRatio:
    """Free-threaded over GIL single-thread time of one kernel (medians), with the extremes' ratios."""

    ratio: float
    spread: tuple[float, float]
    gil_seconds: float
    freethreaded_seconds: float

    def to_json(self) -> dict[str, object]:
        return {"ratio": self.ratio, "spread": list(self.spread), "gil_seconds": self.gil_seconds,
                "freethreaded_seconds": self.freethreaded_seconds}


@dataclass(frozen=True)
class BenchSummary:
    """Ratios and speed-up curves of the two builds (gil, freethreaded)."""

    overall_ratio: float
    per_kernel_ratio: dict[str, KernelRatio]
    speedup: dict[str, Curve]
    speedup_per_kernel: dict[str, dict[str, Curve]]
    multiprocessing_speedup: dict[str, Curve]

    def to_json(self) -> dict[str, object]:
        return {
            "schema_version": SCHEMA_VERSION,
            "single_thread_ratio": {"overall": self.overall_ratio,
                                    "per_kernel": {n: r.to_json() for n, r in self.per_kernel_ratio.items()}},
            "speedup": self.speedup,
            "speedup_per_kernel": self.speedup_per_kernel,
            "multiprocessing_speedup": self.multiprocessing_speedup,
        }


def _curves(raw: RawRun, mode: str) -> tuple[Curve, dict[str, Curve]]:
    per_kernel = {}
    for name, timings in raw.kernels.items():
        series = timings.threads if mode == "threads" else timings.processes
        one = series["1"]
        per_kernel[name] = {n: round(int(n) * one / t, 3) for n, t in series.items()}
    workers = next(iter(per_kernel.values())).keys()
    overall = {n: round(_geometric_mean([k[n] for k in per_kernel.values()]), 3) for n in workers}
    return overall, per_kernel


def summarize(gil: RawRun, freethreaded: RawRun) -> BenchSummary:
    """Turn the two interpreters' raw kernel timings into ratios and speed-up curves (pure)."""
    per_kernel_ratio = {}
    for name in gil.kernels:
        gil_runs, ft_runs = gil.kernels[name].single, freethreaded.kernels[name].single
        t_gil, t_ft = statistics.median(gil_runs), statistics.median(ft_runs)
        per_kernel_ratio[name] = KernelRatio(
            ratio=round(t_ft / t_gil, 3),
            spread=(round(min(ft_runs) / max(gil_runs), 3), round(max(ft_runs) / min(gil_runs), 3)),
            gil_seconds=round(t_gil, 4), freethreaded_seconds=round(t_ft, 4),
        )
    speedup, speedup_kernels, processes = {}, {}, {}
    for label, raw in zip(BUILDS, (gil, freethreaded), strict=True):
        speedup[label], speedup_kernels[label] = _curves(raw, "threads")
        processes[label], _ = _curves(raw, "processes")
    overall = round(_geometric_mean([k.ratio for k in per_kernel_ratio.values()]), 3)
    return BenchSummary(overall, per_kernel_ratio, speedup, speedup_kernels, processes)


@dataclass(frozen=True)
class BenchReport:
    """`dualpy bench`: the image, how the kernels ran, the summary and the raw timings."""

    image: str
    image_id: str
    cpu_count: int
    threads: int
    repeat: int
    version: str
    summary: BenchSummary
    raw: dict[str, RawRun]

    def to_json(self) -> dict[str, object]:
        """The `bench --json` document (schema_version 1)."""
        return {"image": self.image, "image_id": self.image_id, "cpu_count": self.cpu_count,
                "threads": self.threads, "repeat": self.repeat, "version": self.version, **self.summary.to_json(),
                "raw": {label: run.to_json() for label, run in self.raw.items()}}


def choose_pair(targets: tuple[PythonTarget, ...], minor: PythonMinor | None, tag: str) -> dict[str, PythonTarget]:
    """The GIL and free-threaded interpreters of one minor to compare: minor's, else the newest with both (pure)."""
    both = sorted({t.minor for t in targets if PythonTarget(t.minor, Variant.GIL) in targets
                   and PythonTarget(t.minor, Variant.FREETHREADED) in targets})
    if not both:
        raise UsageError(f"{tag} does not hold both builds: bench compares a GIL and a free-threaded interpreter; "
                         "build it with `dualpy images build --variants gil,freethreaded`")
    if minor is not None and minor not in both:
        raise UsageError(f"{tag} has no GIL and free-threaded Python {minor}: pick one of "
                         f"{', '.join(str(m) for m in both)} with --python")
    chosen = minor or both[-1]
    return {"gil": PythonTarget(chosen, Variant.GIL), "freethreaded": PythonTarget(chosen, Variant.FREETHREADED)}


def run_bench(tag: str, threads: int | None = None, repeat: int = 5, python: str | None = None) -> BenchReport:
    """Run the kernels under both builds of one minor of an image (one after the other) and summarize them.

    The minor is python's, else the image's default release (its label), else the newest with both builds.
    """
    if threads is not None and threads < 1:
        raise UsageError("--threads must be at least 1")
    facts = engine.image_facts(tag)
    default = facts.labels.get(f"{LABEL_PREFIX}.cpython.version")
    wanted = PythonMinor.parse(python) if python else None
    targets = image_targets(tag)
    if wanted is None and default and any(t.minor == PythonMinor.parse(default) for t in targets):
        wanted = PythonMinor.parse(default)
    pair = choose_pair(targets, wanted, tag)
    workers = threads or os.cpu_count() or 1
    script = probe_source("bench_kernels")
    raw = {}
    for label, target in pair.items():
        interpreter = f"{target.prefix}/bin/python"
        console.step(f"{label}: {interpreter}, 1..{workers} threads, {repeat} runs each")
        started = time.monotonic()
        result = engine.run(tag, [interpreter, "-c", script, str(workers), str(repeat)], entrypoint=[])
        if result.exit_code != 0:
            raise UsageError(f"the benchmark failed under {interpreter}: {result.stderr.strip()[-300:]}")
        raw[label] = RawRun.from_json(json.loads(result.stdout.strip().splitlines()[-1]))
        console.info(f"  done in {time.monotonic() - started:.0f}s")
    return BenchReport(tag, facts.id, raw["gil"].cpu_count, workers, repeat, raw["gil"].version,
                       summarize(raw["gil"], raw["freethreaded"]), raw)


def plot(report: BenchReport, destination: Path) -> Path:
    """Write a PNG of speed-up against threads for both builds (needs matplotlib: pip install 'dualpy[plot]')."""
    try:  # an optional dependency without type information: Any, through importlib
        importlib.import_module("matplotlib").use("Agg")
        plt = importlib.import_module("matplotlib.pyplot")
    except ImportError:
        raise UsageError("--plot needs matplotlib: pip install 'dualpy[plot]'") from None
    figure, axes = plt.subplots(figsize=(6, 4))
    for label, curve in report.summary.speedup.items():
        axes.plot([int(n) for n in curve], list(curve.values()), marker="o", label=f"threads, {label}")
    for label, curve in report.summary.multiprocessing_speedup.items():
        axes.plot([int(n) for n in curve], list(curve.values()), linestyle="--", alpha=0.5,
                  label=f"processes, {label}")
    xs = list(range(1, report.threads + 1))
    axes.plot(xs, xs, color="grey", linewidth=0.5, label="linear")
    axes.set_xlabel("workers")
    axes.set_ylabel("throughput speed-up")
    axes.set_title(f"{report.image} ({report.cpu_count} CPUs)")
    axes.legend()
    temp = destination.with_name(f".{destination.name}.tmp.png")
    figure.savefig(temp, dpi=100)
    os.replace(temp, destination)
    return destination
