"""Release profile (PGO + LTO), measured: build times, pyperformance t/GIL on 3.14, dualpy 3.13 vs Debian's.

Run: python benchmarks/release_profile.py [--steps STEP,...] [--lock /tmp/dualpy-docker.lock] [--fast]
Steps (default all, in this order):
  build-313   dualpy 3.13 release GIL build (`images build --python 3.13 --variants gil --profile release`)
  anchor      Debian trixie's own python3.13 (`base build --suite trixie` + apt-get install python3.13)
  bench-313   the pyperformance subset on both: dualpy release GIL vs the distribution's build (goal <= 1.03)
  build-314   dualpy 3.14 release, both builds
  bench-314   the pyperformance subset on both 3.14 builds: t/GIL (goal <= 1.10, PEP 779)
  bench-313-fast  (not in the default run) Debian's python3.13 vs dualpy's 3.13 *fast* GIL build
Each step adds to benchmarks/results-release.json (earlier steps' figures are kept), and
benchmarks/results-release.md is rendered from it. Builds take the docker lock (--lock) only while they run.
Not for CI: a release build is 20-30 min per variant on a busy 2-core machine.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dualpy import base, console, engine  # noqa: E402
from dualpy.bench import run_pyperformance  # noqa: E402
from dualpy.files import atomic_write_text  # noqa: E402
from dualpy.images import build_image  # noqa: E402
from dualpy.recipes import find_release  # noqa: E402
from dualpy.suite import DEFAULT_BENCHMARKS, PYPERFORMANCE_VERSION, compare, format_timing, select_benchmarks  # noqa: E402
from dualpy.tags import Variant  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS_JSON = HERE / "results-release.json"
RESULTS_MD = HERE / "results-release.md"
PREFIX = "dualpy-perf/cpython"
ANCHOR_TAG = "dualpy-perf/debian-python:trixie-3.13"
ANCHOR_PYTHON = "/usr/bin/python3.13"
STEPS = ("build-313", "anchor", "bench-313", "build-314", "bench-314", "bench-313-fast")
FAST_313 = "dualpy/cpython:3.13.15"  # the fast-profile image, for the distance PGO + LTO makes
GOALS = {"release_gil_vs_distribution": 1.03, "release_314t_vs_gil": 1.10}
ANCHOR_DOCKERFILE = """FROM {base}
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends python3.13 python3.13-venv \\
 && rm -rf /var/lib/apt/lists/*
"""


@contextlib.contextmanager
def docker_lock(path: str | None) -> Iterator[None]:
    """Hold the shared docker build lock (flock) for the duration, if a path is given."""
    if not path:
        yield
        return
    with open(path, "a") as handle:
        console.info(f"waiting for {path}")
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def load() -> dict:
    return json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {}


def save(results: dict) -> None:
    # Two runs (a build waiting for the lock, a benchmark meanwhile) may save: merge with what is on disk.
    on_disk = load()
    for key in ("builds", "benchmarks"):
        results[key] = {**on_disk.get(key, {}), **results.get(key, {})}
    results["machine"] = machine()
    atomic_write_text(RESULTS_JSON, json.dumps(results, indent=2) + "\n")
    atomic_write_text(RESULTS_MD, render(results))


def machine() -> str:
    load_average = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{platform.node()}: {os.cpu_count()} CPUs, {platform.machine()}, load average {load_average} at save"


def build(results: dict, key: str, python: str, variants: tuple[Variant, ...], lock: str | None) -> None:
    version = find_release(python)[1].version
    tag = f"{PREFIX}:{version}-{'-'.join(v.value for v in variants)}-release"
    with docker_lock(lock):
        load_before = os.getloadavg()[0]
        report = build_image(python, variants=variants, profile="release", tag=tag)
    results.setdefault("builds", {})[key] = {
        "tag": tag, "version": version, "variants": [v.value for v in variants], "seconds": report.seconds,
        "cached_steps": f"{report.cached_steps}/{report.total_steps}", "size_bytes": report.size_bytes,
        "load_average_at_start": round(load_before, 1),
    }


def anchor(results: dict, lock: str | None) -> None:
    with docker_lock(lock):
        started = time.monotonic()
        base_tag = base.resolve_base_image("trixie").reference
        with tempfile.TemporaryDirectory(prefix="dualpy-anchor-") as context:
            Path(context, "Dockerfile").write_text(ANCHOR_DOCKERFILE.format(base=base_tag))
            engine.build(Path(context), ANCHOR_TAG, lambda line: None)
    version = engine.run(ANCHOR_TAG, [ANCHOR_PYTHON, "-c", "import sys; print(sys.version)"], entrypoint=[])
    results.setdefault("builds", {})["anchor"] = {
        "tag": ANCHOR_TAG, "python": version.stdout.strip(), "seconds": round(time.monotonic() - started, 1)}


def bench_pair(results: dict, key: str, first: tuple[str, str], second: tuple[str, str],
               benchmarks: tuple[str, ...], fast: bool, labels: tuple[str, str]) -> None:
    """pyperformance on (image, interpreter) first and second; ratio = second's time over first's."""
    load_before = os.getloadavg()[0]
    a, seconds_a = run_pyperformance(first[0], first[1], benchmarks, fast, labels[0])
    b, seconds_b = run_pyperformance(second[0], second[1], benchmarks, fast, labels[1])
    comparison = compare(a, b, benchmarks)
    results.setdefault("benchmarks", {})[key] = {
        "reference": {"label": labels[0], "image": first[0], "python": first[1], "seconds": seconds_a},
        "compared": {"label": labels[1], "image": second[0], "python": second[1], "seconds": seconds_b},
        "pyperformance": PYPERFORMANCE_VERSION, "fast": fast, "load_average_at_start": round(load_before, 1),
        **comparison.to_json(),
    }


def render(results: dict) -> str:
    """The Markdown summary of whatever steps have run (pure)."""
    lines = ["# Release profile (PGO + LTO), measured", "",
             f"Written by benchmarks/release_profile.py. Machine: {results.get('machine', '?')}. "
             "The machine is shared (2 cores, several other jobs): every figure carries that noise.", ""]
    builds = results.get("builds", {})
    if builds:
        lines += ["## Builds", "", "| build | tag | seconds | size MB | load avg at start |", "|---|---|---|---|---|"]
        for key, row in builds.items():
            size = f"{row['size_bytes'] / 1e6:.0f}" if "size_bytes" in row else ""
            lines.append(f"| {key} | {row['tag']} | {row['seconds']:.0f} | {size} | "
                         f"{row.get('load_average_at_start', '')} |")
        lines.append("")
    titles = {"bench-313": ("dualpy 3.13 release GIL vs Debian trixie's python3.13", "release_gil_vs_distribution"),
              "bench-314": ("3.14 release: free-threaded vs GIL single-thread time", "release_314t_vs_gil"),
              "bench-313-fast": ("dualpy 3.13 fast GIL (no PGO/LTO) vs Debian trixie's python3.13", "")}
    for key, row in results.get("benchmarks", {}).items():
        title, goal_key = titles.get(key, (key, ""))
        goal = GOALS.get(goal_key)
        geo = row["geometric_mean"]
        verdict = "" if geo is None or goal is None else (" ✓" if geo <= goal else " ✗ (goal missed)")
        lines += [f"## {title}", "",
                  f"Ratio = {row['compared']['label']} time ÷ {row['reference']['label']} time "
                  f"(pyperformance {row['pyperformance']}{', --fast' if row['fast'] else ''}; load average "
                  f"{row['load_average_at_start']} at start). Geometric mean **{geo}**"
                  + (f", goal ≤ {goal}{verdict}" if goal else "") + ".", "",
                  f"| benchmark | {row['reference']['label']} mean ± stdev | {row['compared']['label']} mean ± stdev "
                  "| ratio | significance |", "|---|---|---|---|---|"]
        for name, b in row["per_benchmark"].items():
            lines.append(f"| {name} | {_timing(b['gil'])} | {_timing(b['freethreaded'])} | {b['ratio']:.3f} | "
                         f"{'significant' if b['significant'] else 'not significant'} |")
        if row["missing"]:
            lines.append(f"\nNot measured in both: {', '.join(row['missing'])}.")
        lines.append("")
    return "\n".join(lines)


def _timing(stats: dict) -> str:
    return format_timing(stats["mean"], stats["stdev"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default=",".join(STEPS[:5]))
    parser.add_argument("--lock", default=None, help="flock this file around image builds")
    parser.add_argument("--benchmarks", default=None, help="pyperformance benchmarks (default: bench's subset)")
    parser.add_argument("--fast", action="store_true", help="pyperformance --fast")
    args = parser.parse_args()
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    unknown = [s for s in steps if s not in STEPS]
    if unknown:
        parser.error(f"unknown step {unknown[0]}; steps: {', '.join(STEPS)}")
    benchmarks = select_benchmarks(args.benchmarks) if args.benchmarks else DEFAULT_BENCHMARKS
    results = load()
    for step in steps:
        console.step(f"release_profile: {step}")
        if step == "build-313":
            build(results, "3.13-gil-release", "3.13", (Variant.GIL,), args.lock)
        elif step == "build-314":
            build(results, "3.14-release", "3.14", (Variant.GIL, Variant.FREETHREADED), args.lock)
        elif step == "anchor":
            anchor(results, args.lock)
        elif step == "bench-313":
            dualpy_tag = results["builds"]["3.13-gil-release"]["tag"]
            bench_pair(results, step, (ANCHOR_TAG, ANCHOR_PYTHON),
                       (dualpy_tag, "/opt/python/cp313-cp313/bin/python"), benchmarks, args.fast,
                       ("Debian python3.13", "dualpy 3.13 release GIL"))
        elif step == "bench-313-fast":
            bench_pair(results, step, (ANCHOR_TAG, ANCHOR_PYTHON), (FAST_313, "/opt/python/cp313-cp313/bin/python"),
                       benchmarks, args.fast, ("Debian python3.13", "dualpy 3.13 fast GIL"))
        elif step == "bench-314":
            build_row = results["builds"]["3.14-release"]
            minor = "".join(build_row["version"].split(".")[:2])
            bench_pair(results, step, (build_row["tag"], f"/opt/python/cp{minor}-cp{minor}/bin/python"),
                       (build_row["tag"], f"/opt/python/cp{minor}-cp{minor}t/bin/python"), benchmarks, args.fast,
                       ("GIL", "free-threaded"))
        save(results)


if __name__ == "__main__":
    main()
