"""`dualpy bench`: what an image's two builds deliver — single-thread cost and thread scaling."""

from __future__ import annotations

import importlib
import json
import math
import os
import re
import statistics
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dualpy import console, engine
from dualpy.bench.pyperformance import (
    PYPERFORMANCE_VERSION,
    SUITES,
    BenchmarkResult,
    SuiteComparison,
    compare,
    parse_pyperf,
)
from dualpy.errors import ContainerFailed, UsageError
from dualpy.images import LABEL_PREFIX, image_targets
from dualpy.pipconfig import container_environment, container_mounts, host_pip_settings
from dualpy.probes import output_tail, probe_report, probe_source
from dualpy.tags import PythonMinor, PythonTarget, Variant

SCHEMA_VERSION = 1
BUILDS = ("gil", "freethreaded")

Curve = dict[str, float]  # workers ("1", "2", ...) -> throughput speed-up
# A kernel's t/GIL ratio whose min-max range is wider than this share of the ratio says nothing: the runs
# disagree more than the builds differ on a busy machine (arch-engine measured 0.39-1.56 around 0.53).
WIDE_SPREAD = 0.25
HOST_ROOT = "/dualpy/host"  # the host files pip needs (CA bundle, local indexes) are bound read-only under here


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
    suite: SuiteRun | None = None

    @property
    def warnings(self) -> list[str]:
        """Why a figure of this report may not be conclusive (few runs, wide kernel spreads, scaling below one)."""
        few = [f"--repeat {self.repeat}: too few runs for a spread, the kernel figures are single samples (use 5 "
               "or more)"] if self.repeat < 3 else []
        return few + kernel_warnings(self.summary)

    def to_json(self) -> dict[str, object]:
        """The `bench --json` document (schema_version 1; a pyperformance run adds `suite` and its ratio)."""
        summary = self.summary.to_json()
        ratio = dict(summary["single_thread_ratio"])  # type: ignore[call-overload]
        ratio["source"] = "kernels"
        if self.suite and self.suite.comparison.benchmarks:
            # The suite is the better single-thread figure: it becomes `overall`; the kernels' stays beside it.
            ratio.update(source="pyperformance", kernels_overall=ratio["overall"],
                         overall=round(self.suite.comparison.geometric_mean, 3))
        summary["single_thread_ratio"] = ratio
        document: dict[str, object] = {
            "image": self.image, "image_id": self.image_id, "cpu_count": self.cpu_count, "threads": self.threads,
            "repeat": self.repeat, "version": self.version, **summary,
            "single_thread_spread": {label: spread_of(run) for label, run in self.raw.items()},
            "warnings": self.warnings,
        }
        if self.suite:
            document["suite"] = self.suite.to_json()
        document["raw"] = {label: run.to_json() for label, run in self.raw.items()}
        return document


@dataclass(frozen=True)
class SuiteRun:
    """A pyperformance run in both builds: what was asked, how long it took, and the comparison."""

    version: str
    fast: bool
    requested: tuple[str, ...]
    comparison: SuiteComparison
    seconds: dict[str, float]

    def to_json(self) -> dict[str, object]:
        return {"name": "pyperformance", "version": self.version, "fast": self.fast,
                "requested": list(self.requested), "seconds": dict(self.seconds), **self.comparison.to_json()}


def spread_of(raw: RawRun) -> dict[str, dict[str, float]]:
    """Min, median and max of each kernel's single-thread runs in one build (seconds)."""
    return {name: {"min": round(min(k.single), 4), "median": round(statistics.median(k.single), 4),
                   "max": round(max(k.single), 4)} for name, k in raw.kernels.items()}


def kernel_warnings(summary: BenchSummary) -> list[str]:
    """One line per figure too noisy to conclude from: a wide ratio spread, threads slower than one (pure)."""
    warnings = []
    for name, row in summary.per_kernel_ratio.items():
        low, high = row.spread
        if row.ratio > 0 and (high - low) / row.ratio > WIDE_SPREAD:
            warnings.append(f"{name}: t/GIL runs range {low:.2f}-{high:.2f} around {row.ratio:.2f}, too wide to "
                            "conclude (a busy machine?): rerun with a larger --repeat on quiet cores")
    for label, curve in summary.speedup.items():
        slower = [n for n, value in curve.items() if n != "1" and value < 0.9]
        if label == "freethreaded" and slower:
            warnings.append(f"free-threaded throughput with {','.join(slower)} threads is below one thread's: "
                            "the cores were busy, the scaling figures are not conclusive")
    return warnings


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


def pip_access() -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """Read-only binds and environment that let pip in a container use the host's indexes and CA (none baked in)."""
    settings = host_pip_settings()
    volumes = {host: {"bind": inside, "mode": "ro"} for host, inside in container_mounts(settings, HOST_ROOT).items()}
    return volumes, container_environment(settings, root=HOST_ROOT)


_FAILED_BENCHMARK = re.compile(r"ERROR: Benchmark (\S+) failed")


def pyperformance_failures(log: str) -> list[str]:
    """The lines of pyperformance's output that say a benchmark or its install failed, in order, once each (pure)."""
    markers = ("ERROR", "failed", "Failed", "error:")
    return list(dict.fromkeys(line.strip() for line in log.splitlines()
                              if any(m in line for m in markers) and line.strip()))


def failed_benchmarks(failures: list[str]) -> set[str]:
    """The benchmark names pyperformance's error lines (pyperformance_failures) say failed (pure)."""
    return {m.group(1) for line in failures if (m := _FAILED_BENCHMARK.search(line))}


def _pyperformance_probe(tag: str, interpreter: str, request: Mapping[str, Any]) -> engine.RunResult:
    """The pyperformance probe run under one interpreter of an image, with the host's index settings."""
    volumes, env = pip_access()
    return engine.run(tag, [interpreter, "-c", probe_source("pyperformance_run"), json.dumps(request)],
                      volumes=volumes, environment=env, entrypoint=[])


def pyperformance_names(tag: str, interpreter: str, group: str = "all") -> tuple[str, ...]:
    """The benchmark names pyperformance's group holds (`pyperformance list -b GROUP`), from a venv of interpreter."""
    result = _pyperformance_probe(tag, interpreter, {"version": PYPERFORMANCE_VERSION, "list": group})
    names = probe_report(result, f"pyperformance list -b {group} under {interpreter} in {tag}")["benchmarks"]
    if not names:
        raise ContainerFailed(f"pyperformance {PYPERFORMANCE_VERSION} lists no benchmark in the group {group!r}")
    return tuple(names)


def run_pyperformance(tag: str, interpreter: str, benchmarks: tuple[str, ...], fast: bool,
                      label: str = "", failures: list[str] | None = None) -> tuple[dict[str, BenchmarkResult], float]:
    """Install pyperformance in a venv of one interpreter of an image (in a container) and run the benchmarks.

    Returns each benchmark's timed values and the wall time (install + run). Any image with a Python >= 3.9 and
    its venv module works (dualpy's, or a distribution's python3 for comparison).
    """
    _, env = pip_access()
    # pyperformance's benchmark venvs start from a clean environment: these variables must be passed on.
    request = {"version": PYPERFORMANCE_VERSION, "benchmarks": list(benchmarks), "fast": fast,
               "inherit": sorted({*env, "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_CERT",
                                  "SSL_CERT_FILE", "PIP_TRUSTED_HOST"})}
    console.step(f"pyperformance {PYPERFORMANCE_VERSION}{f' under {label}' if label else ''}: {interpreter}, "
                 f"{len(benchmarks)} benchmarks{' (--fast)' if fast else ''}")
    started = time.monotonic()
    result = _pyperformance_probe(tag, interpreter, request)
    lines = result.stdout.strip().splitlines()
    if not lines or not lines[-1].startswith("{"):  # a failed benchmark alone still ends in a report
        raise ContainerFailed(f"pyperformance failed under {interpreter} in {tag} (exit {result.exit_code}): "
                              f"{output_tail(result.stderr or result.stdout)}")
    results = parse_pyperf(json.loads(lines[-1]))
    if failures is not None:  # what could not run, and pyperformance's own words why
        failures.extend(pyperformance_failures(result.stderr))
    seconds = round(time.monotonic() - started, 1)
    console.info(f"  {len(results)} benchmarks from {len(benchmarks)} requested names in {seconds:.0f}s")
    return results, seconds


def run_suite(tag: str, pair: dict[str, PythonTarget], benchmarks: tuple[str, ...], fast: bool) -> SuiteRun:
    """Run pyperformance in both interpreters of the pair and compare them benchmark by benchmark."""
    results, seconds = {}, {}
    for label, target in pair.items():
        results[label], seconds[label] = run_pyperformance(tag, f"{target.prefix}/bin/python", benchmarks, fast,
                                                           label)
    comparison = compare(results["gil"], results["freethreaded"], benchmarks)
    if not comparison.benchmarks:
        raise ContainerFailed(f"no benchmark ran in both builds ({', '.join(benchmarks)}): check the names with "
                              "`pyperformance list` and the log above")
    return SuiteRun(PYPERFORMANCE_VERSION, fast, benchmarks, comparison, seconds)


def run_bench(tag: str, threads: int | None = None, repeat: int = 5, python: str | None = None, *,
              suite: str = "kernels", benchmarks: tuple[str, ...] = (), fast: bool = False) -> BenchReport:
    """Run the kernels (and with suite "pyperformance" the suite) under both builds of one minor of an image.

    The minor is python's, else the image's default release (its label), else the newest with both builds.
    """
    if threads is not None and threads < 1:
        raise UsageError("--threads must be at least 1")
    if suite not in SUITES:
        raise UsageError(f"--suite {suite!r} is unknown: pick one of {', '.join(SUITES)}")
    facts = engine.image_facts(tag)
    default = facts.labels.get(f"{LABEL_PREFIX}.cpython.version")
    wanted = PythonMinor.parse(python) if python else None
    targets = image_targets(tag)
    if wanted is None and default and any(t.minor == PythonMinor.parse(default) for t in targets):
        wanted = PythonMinor.parse(default)
    pair = choose_pair(targets, wanted, tag)
    suite_run = run_suite(tag, pair, benchmarks, fast) if suite == "pyperformance" else None
    workers = threads or os.cpu_count() or 1
    script = probe_source("bench_kernels")
    raw = {}
    for label, target in pair.items():
        interpreter = f"{target.prefix}/bin/python"
        console.step(f"{label}: {interpreter}, 1..{workers} threads, {repeat} runs each")
        started = time.monotonic()
        result = engine.run(tag, [interpreter, "-c", script, str(workers), str(repeat)], entrypoint=[])
        raw[label] = RawRun.from_json(probe_report(result, f"the benchmark kernels under {interpreter} in {tag}"))
        console.info(f"  done in {time.monotonic() - started:.0f}s")
    return BenchReport(tag, facts.id, raw["gil"].cpu_count, workers, repeat, raw["gil"].version,
                       summarize(raw["gil"], raw["freethreaded"]), raw, suite_run)


def pyplot() -> Any:
    """matplotlib.pyplot with the file-only backend, or a UsageError naming the extra (check it before a run)."""
    try:  # an optional dependency without type information: Any, through importlib
        importlib.import_module("matplotlib").use("Agg")
        return importlib.import_module("matplotlib.pyplot")
    except ImportError:
        raise UsageError("--plot needs matplotlib: pip install '.[plot]' in a dualpy checkout") from None


def plot(report: BenchReport, destination: Path) -> Path:
    """Write a PNG of speed-up against threads for both builds (needs matplotlib: the plot extra)."""
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(6, 4))
    for label, curve in report.summary.speedup.items():
        axes.plot([int(n) for n in curve], list(curve.values()), marker="o", label=f"threads, {label}")
    for label, curve in report.summary.multiprocessing_speedup.items():
        axes.plot([int(n) for n in curve], list(curve.values()), linestyle="--", alpha=0.5,
                  label=f"processes, {label}")
    xs = list(range(1, report.threads + 1))
    axes.plot(xs, xs, color="grey", linewidth=0.5, label="linear")
    axes.set_xticks(xs)  # workers are whole numbers
    axes.set_xlabel("workers")
    axes.set_ylabel("throughput speed-up")
    axes.set_title(f"{report.image} ({report.cpu_count} CPUs)")
    axes.legend()
    temp = destination.with_name(f".{destination.name}.tmp.png")
    figure.savefig(temp, dpi=100)
    temp.replace(destination)
    return destination
