"""`dualpy bench`: what an image's two builds deliver — single-thread cost and thread scaling."""

from __future__ import annotations

import json
import math
import os
import statistics
import time
from pathlib import Path

from dualpy import console, engine
from dualpy.errors import UsageError
from dualpy.images import image_interpreters
from dualpy.probes import probe_source

SCHEMA_VERSION = 1


def _geometric_mean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def summarize(gil: dict, freethreaded: dict) -> dict:
    """Turn the two interpreters' raw kernel timings into ratios and speed-up curves (pure)."""
    per_kernel_ratio = {}
    for name in gil["kernels"]:
        t_gil = statistics.median(gil["kernels"][name]["single"])
        t_ft = statistics.median(freethreaded["kernels"][name]["single"])
        spread = [
            min(freethreaded["kernels"][name]["single"]) / max(gil["kernels"][name]["single"]),
            max(freethreaded["kernels"][name]["single"]) / min(gil["kernels"][name]["single"]),
        ]
        per_kernel_ratio[name] = {"ratio": round(t_ft / t_gil, 3), "spread": [round(s, 3) for s in spread],
                                  "gil_seconds": round(t_gil, 4), "freethreaded_seconds": round(t_ft, 4)}

    def curves(raw: dict, mode: str) -> tuple[dict, dict]:
        per_kernel = {}
        for name, timings in raw["kernels"].items():
            series = timings[mode]
            one = series["1"]
            per_kernel[name] = {n: round(int(n) * one / t, 3) for n, t in series.items()}
        workers = next(iter(per_kernel.values())).keys()
        overall = {n: round(_geometric_mean([k[n] for k in per_kernel.values()]), 3) for n in workers}
        return overall, per_kernel

    speedup, speedup_kernels, processes = {}, {}, {}
    for label, raw in (("gil", gil), ("freethreaded", freethreaded)):
        speedup[label], speedup_kernels[label] = curves(raw, "threads")
        processes[label], _ = curves(raw, "processes")
    return {
        "schema_version": SCHEMA_VERSION,
        "single_thread_ratio": {
            "overall": round(_geometric_mean([k["ratio"] for k in per_kernel_ratio.values()]), 3),
            "per_kernel": per_kernel_ratio,
        },
        "speedup": speedup,
        "speedup_per_kernel": speedup_kernels,
        "multiprocessing_speedup": processes,
    }


def _interpreter_paths(tag: str) -> dict[str, str]:
    install_tags = image_interpreters(tag)
    gil = [f"/opt/python/{t}/bin/python" for t in install_tags if not t.endswith("t")]
    freethreaded = [f"/opt/python/{t}/bin/python" for t in install_tags if t.endswith("t")]
    if not gil or not freethreaded:
        raise UsageError(f"{tag} does not hold both builds: bench compares a GIL and a free-threaded interpreter; "
                         "build it with `dualpy images build --variants gil,freethreaded`")
    return {"gil": sorted(gil)[-1], "freethreaded": sorted(freethreaded)[-1]}


def run_bench(tag: str, threads: int | None = None, repeat: int = 5) -> dict:
    """Run the kernels under both interpreters of an image (one after the other) and summarize them."""
    if threads is not None and threads < 1:
        raise UsageError("--threads must be at least 1")
    facts = engine.image_facts(tag)
    workers = threads or os.cpu_count() or 1
    script = probe_source("bench_kernels")
    raw = {}
    for label, interpreter in _interpreter_paths(tag).items():
        console.step(f"{label}: {interpreter}, 1..{workers} threads, {repeat} runs each")
        started = time.monotonic()
        result = engine.run(tag, [interpreter, "-c", script, str(workers), str(repeat)], entrypoint=[])
        if result.exit_code != 0:
            raise UsageError(f"the benchmark failed under {interpreter}: {result.stderr.strip()[-300:]}")
        raw[label] = json.loads(result.stdout.strip().splitlines()[-1])
        console.info(f"  done in {time.monotonic() - started:.0f}s")
    summary = summarize(raw["gil"], raw["freethreaded"])
    return {
        "image": tag,
        "image_id": facts.id,
        "cpu_count": raw["gil"]["cpu_count"],
        "threads": workers,
        "repeat": repeat,
        "version": raw["gil"]["version"],
        **summary,
        "raw": raw,
    }


def plot(report: dict, destination: Path) -> Path:
    """Write a PNG of speed-up against threads for both builds (needs matplotlib: pip install 'dualpy[plot]')."""
    try:
        import matplotlib  # noqa: PLC0415

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError:
        raise UsageError("--plot needs matplotlib: pip install 'dualpy[plot]'") from None
    figure, axes = plt.subplots(figsize=(6, 4))
    for label, curve in report["speedup"].items():
        xs = [int(n) for n in curve]
        axes.plot(xs, list(curve.values()), marker="o", label=f"threads, {label}")
    for label, curve in report["multiprocessing_speedup"].items():
        xs = [int(n) for n in curve]
        axes.plot(xs, list(curve.values()), linestyle="--", alpha=0.5, label=f"processes, {label}")
    xs = list(range(1, report["threads"] + 1))
    axes.plot(xs, xs, color="grey", linewidth=0.5, label="linear")
    axes.set_xlabel("workers")
    axes.set_ylabel("throughput speed-up")
    axes.set_title(f"{report['image']} ({report['cpu_count']} CPUs)")
    axes.legend()
    temp = destination.with_name(f".{destination.name}.tmp.png")
    figure.savefig(temp, dpi=100)
    os.replace(temp, destination)
    return destination
