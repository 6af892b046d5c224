"""The performance full run: release-profile builds, pyperformance against a distribution, t/GIL, runtime image sizes.

Run: python benchmarks/performance.py [--steps STEP,...] [--lock /tmp/dualpy-docker.lock] [--fast]
Steps (by default all but bench-314-wide, in this order):
  build-313          dualpy 3.13 release GIL build (`images build --python 3.13 --variants gil --profile release`)
  build-314          dualpy 3.14 release, both builds
  build-314-clang    the same built by clang 19 (`--compiler clang`: PGO with llvm-profdata, LTO, the tail-calling
                     interpreter)
  anchor             Debian trixie's own python3.13 (`base build --suite trixie` + apt-get install python3.13)
  build-313-same     dualpy's release GIL build of the anchor's own version (3.13.5) on trixie (`--suite trixie`):
                     the same source, compiler and C library as the anchor, so only the build recipe differs
  runtime            `images build --target runtime --profile release` of 3.14, both builds and the GIL build
                     alone: sizes on disk and compressed
  bench-313          pyperformance: dualpy 3.13 release GIL vs the distribution's build (goal <= 1.03)
  bench-313-same     the same with dualpy's build of the distribution's version: the recipe alone, same source
  bench-314-release  `dualpy bench --suite pyperformance` on the 3.14 release image: t/GIL (goal <= 1.10) + scaling
  bench-314-fast     the same on the 3.14 fast-profile image (what `images build` makes by default)
  bench-314-clang    `dualpy bench CLANG --baseline GCC`: clang release vs gcc release, GIL and t (goal <= 0.97)
  bench-314-full     t/GIL over every benchmark of `pyperformance list -b all` (third-party ones included) on the
                     clang release image (or `--full-image TAG`), in parts of FULL_CHUNK names
                     (`--side-by-side`: both builds at once, one core each)
  bench-314-wide     (not in the default run) bench-314-release with the subset widened by 23 more benchmarks that
                     need no third-party package (the C-accelerated stdlib: pickle, regex, xml, sqlite, decimal...)
  core               benchmarks/run.py's full run (launcher, images, wheels, verify) into benchmarks/results.json,
                     so that benchmarks/results.md holds one run's figures
Each step adds to benchmarks/results-performance.json (earlier steps' figures are kept);
benchmarks/results-performance.md, the speed-up plot and benchmarks/results.md are rendered from it.
Builds use the layer cache and keep the cold build times recorded before; `--cold` builds without it (about 20 min
per release variant here) and records new ones.
Builds take the docker lock (--lock) only while they run. Not for CI: a release build is about 20 min per variant
on 2 cores.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import gzip
import json
import os
import platform
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import run as core_benchmarks  # noqa: E402  (benchmarks/run.py: its full run is the `core` step)

from dualpy import console, engine  # noqa: E402
from dualpy.bench.baseline import run_baseline  # noqa: E402
from dualpy.bench.pyperformance import (  # noqa: E402
    DEFAULT_BENCHMARKS,
    PYPERFORMANCE_VERSION,
    compare,
    format_timing,
    select_benchmarks,
)
from dualpy.bench.run import failed_benchmarks, plot, pyperformance_names, pyplot, run_bench, run_pyperformance  # noqa: E402
from dualpy.errors import DualpyError  # noqa: E402
from dualpy.files import atomic_write_text  # noqa: E402
from dualpy.images import base, build_image  # noqa: E402
from dualpy.images.registry import ImageReference  # noqa: E402
from dualpy.sources.recipes import find_release  # noqa: E402
from dualpy.tags import PythonMinor, PythonTarget, Variant  # noqa: E402

RESULTS_JSON = HERE / "results-performance.json"
RESULTS_MD = HERE / "results-performance.md"
PLOT = HERE / "speedup-3.14-release.png"
PREFIX = "dualpy-perf/cpython"
ANCHOR_TAG = "dualpy-perf/debian-python:trixie-3.13"
ANCHOR_PYTHON = "/usr/bin/python3.13"
FAST_314 = "dualpy/cpython:3.14.7"  # the default (fast) profile image
STEPS = ("build-313", "build-314", "build-314-clang", "anchor", "build-313-same", "runtime", "bench-313",
         "bench-313-same", "bench-314-release", "bench-314-fast", "bench-314-clang", "bench-314-full", "core",
         "bench-314-wide")
FULL_CHUNK = 11  # bench-314-full: pyperformance names per container run (about a venv's install of overhead each)
DEFAULT_STEPS = STEPS[:-1]
# Stdlib-only pyperformance benchmarks beyond the default subset, most of their time in C (bench-314-wide).
WIDER = ("pickle", "pickle_dict", "pickle_list", "unpickle", "unpickle_list", "regex_dna", "regex_effbot",
         "regex_compile", "pidigits", "telco", "sqlite_synth", "xml_etree", "logging", "deepcopy", "pathlib",
         "coroutines", "comprehensions", "richards_super", "base64", "scimark", "meteor_contest",
         "typing_runtime_protocols", "pprint")
GOALS = {"bench-313": 1.03, "bench-313-same": 1.03, "bench-314-release": 1.10, "bench-314-wide": 1.10,
         "bench-314-clang-gil": 0.97, "bench-314-clang-t": 0.97, "bench-314-full": 1.10,
         "runtime_dual_vs_single": 1.10}
# Debian's archive has no free-threaded CPython package to compare dualpy's 3.13t with: no *nogil* (or other
# free-threaded) binary package in trixie, forky or sid main/binary-amd64/Packages (checked 2026-12-05;
# python3.13-nogil is Ubuntu's). So there is no bench-313t-distro step.
# docker-library/repo-info, repos/python/remote/3.14-slim-bookworm.md (python 3.14.7, linux/amd64): "Total Size:
# 44.8 MB (44791060 bytes) (compressed transfer size, not on-disk size)". No registry is reachable here to pull it.
OFFICIAL_SLIM = {"image": "python:3.14-slim-bookworm (3.14.7, amd64)", "compressed_bytes": 44_791_060}
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
    with Path(path).open("a") as handle:
        console.info(f"waiting for {path}")
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def load() -> dict:
    return json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {}


def save(results: dict) -> None:
    results["machine"] = machine()
    atomic_write_text(RESULTS_JSON, json.dumps(results, indent=2) + "\n")
    atomic_write_text(RESULTS_MD, render(results))
    if (HERE / "results.json").exists():
        atomic_write_text(HERE / "results.md",
                          core_benchmarks.markdown(json.loads((HERE / "results.json").read_text())))


def machine() -> dict:
    return {**core_benchmarks.machine_facts(), "node": platform.node(), "kernel": platform.release(),
            "saved": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def _load_now() -> float:
    return round(os.getloadavg()[0], 1)


def build(results: dict, key: str, python: str, variants: tuple[Variant, ...], lock: str | None, cold: bool,
          suite: str | None = None, compiler: str = "gcc") -> None:
    version = find_release(python)[1].version
    tag = (f"{PREFIX}:{version}-{'-'.join(v.value for v in variants)}-release{f'-{suite}' if suite else ''}"
           f"{'' if compiler == 'gcc' else f'-{compiler}'}")
    with docker_lock(lock):
        load_before = _load_now()
        report = build_image(python, variants=variants, profile="release", tag=tag, suite=suite, no_cache=cold,
                             compiler=compiler)
    builds = results.setdefault("builds", {})
    builds[key] = build_row(report.to_json(), builds.get(key, {}), load_before, time.strftime("%Y-%m-%d"), cold)


def build_row(report: dict, earlier: dict, load_before: float, date: str, cold: bool) -> dict:
    """One build's record: a --cold build (no layer cache) records its time as the cold build time; any other build
    keeps the cold build time recorded before (pure)."""
    row = {key: report[key] for key in ("tag", "version", "variants", "seconds", "size_bytes")}
    row["compiler"] = report.get("compiler", "gcc")
    row.update(cached_steps=f"{report['cached_steps']}/{report['total_steps']}", load_average_at_start=load_before)
    if cold:
        row["cold"] = {"seconds": report["seconds"], "date": date, "load_average_at_start": load_before}
    elif "cold" in earlier:
        row["cold"] = earlier["cold"]
    return row


def anchor_version(results: dict) -> str:
    """The anchor interpreter's version ("3.13.5"), from its recorded `sys.version` (run the anchor step first)."""
    recorded = results.get("builds", {}).get("anchor", {}).get("python")
    if not recorded:
        raise SystemExit("the anchor has not run yet: add the anchor step (--steps anchor,...)")
    return str(recorded.split()[0])


def anchor(results: dict, lock: str | None) -> None:
    with docker_lock(lock):
        started = time.monotonic()
        base_tag = base.resolve_base_image("trixie").reference
        with tempfile.TemporaryDirectory(prefix="dualpy-anchor-") as context:
            Path(context, "Dockerfile").write_text(ANCHOR_DOCKERFILE.format(base=base_tag))
            engine.build(Path(context), ANCHOR_TAG, lambda _line: None)
    version = engine.run(ANCHOR_TAG, [ANCHOR_PYTHON, "-c", "import sys; print(sys.version)"], entrypoint=[])
    results.setdefault("builds", {})["anchor"] = {
        "tag": ANCHOR_TAG, "python": version.stdout.strip(), "seconds": round(time.monotonic() - started, 1)}


class _CountingSink:
    """A write-only stream that only counts what it is given."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, data: bytes) -> int:
        self.bytes += len(data)
        return len(data)

    def flush(self) -> None:
        pass


def compressed_size(tag: str) -> int:
    """Bytes of `docker save TAG | gzip -6`, streamed (the archive is never on disk or in memory)."""
    sink = _CountingSink()
    with gzip.GzipFile(fileobj=sink, mode="wb", compresslevel=6, mtime=0) as stream:  # type: ignore[arg-type]
        engine.save_image([tag], stream)
    return sink.bytes


def runtime(results: dict, lock: str | None) -> None:
    """Release-profile runtime images of 3.14, both builds and the GIL build alone: on-disk and compressed sizes.

    Built after build-314, their builder stages come from its layer cache.
    """
    rows = {}
    for key, variants in (("dual", (Variant.GIL, Variant.FREETHREADED)), ("single", (Variant.GIL,))):
        tag = f"{PREFIX}:3.14-{key}-release-runtime"
        with docker_lock(lock):
            report = build_image("3.14", variants=variants, target="runtime", tag=tag, profile="release")
        rows[key] = {"tag": tag, "variants": [v.value for v in variants], "seconds": report.seconds,
                     "size_bytes": report.size_bytes, "compressed_bytes": compressed_size(tag)}
    results["runtime"] = {**rows, "official_slim": OFFICIAL_SLIM}


def bench_pair(results: dict, key: str, first: tuple[str, str], second: tuple[str, str],
               benchmarks: tuple[str, ...], fast: bool, labels: tuple[str, str]) -> None:
    """pyperformance on (image, interpreter) first and second; ratio = second's time over first's."""
    load_before = _load_now()
    started = time.strftime("%H:%M UTC", time.gmtime())
    a, seconds_a = run_pyperformance(first[0], first[1], benchmarks, fast, labels[0])
    b, seconds_b = run_pyperformance(second[0], second[1], benchmarks, fast, labels[1])
    results.setdefault("benchmarks", {})[key] = {
        "kind": "pair", "started": started, "load_average_at_start": load_before,
        "reference": {"label": labels[0], "image": first[0], "python": first[1], "seconds": seconds_a},
        "compared": {"label": labels[1], "image": second[0], "python": second[1], "seconds": seconds_b},
        "pyperformance": PYPERFORMANCE_VERSION, "fast": fast, **compare(a, b, benchmarks).to_json()}


def bench_image(results: dict, key: str, tag: str, benchmarks: tuple[str, ...], fast: bool,
                plot_file: Path | None) -> None:
    """`dualpy bench TAG --suite pyperformance` (kernels and scaling too); its JSON document is kept whole."""
    load_before = _load_now()
    started, clock = time.strftime("%H:%M UTC", time.gmtime()), time.monotonic()
    report = run_bench(tag, threads=os.cpu_count(), repeat=5, suite="pyperformance", benchmarks=benchmarks, fast=fast)
    seconds = round(time.monotonic() - clock)
    if plot_file:
        plot(report, plot_file)
    document = report.to_json()
    document.pop("raw")
    results.setdefault("benchmarks", {})[key] = {
        "kind": "bench", "started": started, "seconds": seconds, "load_average_at_start": load_before, "image": tag,
        "plot": plot_file.name if plot_file else None, "bench": document}


def bench_clang(results: dict, benchmarks: tuple[str, ...], fast: bool) -> None:
    """`dualpy bench CLANG --baseline GCC`: the clang release build's time over the gcc release build's, GIL and t."""
    clang, gcc = results["builds"]["3.14-release-clang"]["tag"], results["builds"]["3.14-release"]["tag"]
    load_before = _load_now()
    started = time.strftime("%H:%M UTC", time.gmtime())
    report = run_baseline(clang, gcc, python="3.14", variants=(Variant.GIL, Variant.FREETHREADED),
                          benchmarks=benchmarks, fast=fast)
    for variant, key, build_name in ((Variant.GIL, "bench-314-clang-gil", "GIL"),
                                     (Variant.FREETHREADED, "bench-314-clang-t", "t")):
        interpreter = f"{PythonTarget(PythonMinor.parse(report.python), variant).prefix}/bin/python"
        results.setdefault("benchmarks", {})[key] = {
            "kind": "pair", "started": started, "load_average_at_start": load_before,
            "reference": {"label": f"gcc release {build_name}", "image": gcc, "python": interpreter,
                          "seconds": report.seconds[f"{variant.value} baseline"]},
            "compared": {"label": f"clang release {build_name}", "image": clang, "python": interpreter,
                         "seconds": report.seconds[f"{variant.value} image"]},
            "pyperformance": PYPERFORMANCE_VERSION, "fast": fast, **report.comparisons[variant.value].to_json()}


def bench_full(results: dict, tag: str, fast: bool, side_by_side: bool = False, chunk: int = FULL_CHUNK) -> None:
    """t ÷ GIL over every pyperformance benchmark (`-b all`, third-party ones included) that runs in both builds;
    what ran in neither or one, with pyperformance's own error lines.

    The names run in parts of `chunk`, one container each, and the row is saved after each part: a run stopped
    early keeps what both builds measured and says which names it did not reach.
    """
    load_before = _load_now()
    started = time.strftime("%H:%M UTC", time.gmtime())
    variants = (Variant.GIL, Variant.FREETHREADED)
    interpreters = {v: f"{PythonTarget(PythonMinor(3, 14), v).prefix}/bin/python" for v in variants}
    names = pyperformance_names(tag, interpreters[Variant.GIL])
    parts = [names[i:i + chunk] for i in range(0, len(names), chunk)]
    measured: dict[Variant, list[dict]] = {v: [] for v in variants}
    seconds = dict.fromkeys(variants, 0.0)
    failures: dict[Variant, list[str]] = {v: [] for v in variants}
    guard = threading.Lock()

    def record() -> None:
        reached = min(len(measured[v]) for v in variants)  # parts both builds have run
        merged = {v: {k: r for part in measured[v][:reached] for k, r in part.items()} for v in variants}
        names_run = [n for part in parts[:reached] for n in part]
        # Not requested names: pyperformance's names and its results' differ (argparse runs as many_optionals and
        # subparsers); what did not run is what its error lines name and what one build alone measured.
        comparison = compare(merged[Variant.GIL], merged[Variant.FREETHREADED])
        failed = {name for v in variants for name in failed_benchmarks(failures[v])}
        results.setdefault("benchmarks", {})["bench-314-full"] = {
            "kind": "pair", "started": started, "load_average_at_start": load_before,
            "reference": {"label": "GIL", "image": tag, "python": interpreters[Variant.GIL],
                          "seconds": round(seconds[Variant.GIL])},
            "compared": {"label": "t", "image": tag, "python": interpreters[Variant.FREETHREADED],
                         "seconds": round(seconds[Variant.FREETHREADED])},
            "pyperformance": PYPERFORMANCE_VERSION, "fast": fast, "side_by_side": side_by_side,
            "names": len(names), "names_run": len(names_run), "not_reached": list(names[len(names_run):]),
            "failures": {v.value: failures[v] for v in variants}, **comparison.to_json(),
            "missing": sorted({*comparison.missing, *failed})}
        save(results)

    def run(variant: Variant) -> None:
        for index, part in enumerate(parts, 1):
            found: list[str] = []
            got, took = run_pyperformance(tag, interpreters[variant], part, fast,
                                          f"{variant.value}, every benchmark, part {index}/{len(parts)}", found)
            with guard:
                measured[variant].append(got)
                seconds[variant] += took
                failures[variant] += found
                record()

    if side_by_side:  # one core each: half the wall time; both builds share the machine's noise alike
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(run, variants))
    else:
        for variant in variants:
            run(variant)


def core(results: dict) -> None:
    """benchmarks/run.py's full run, in this run: its figures go to results.json, its start time here."""
    document = core_benchmarks.run(quick=False, only=[])
    atomic_write_text(HERE / "results.json", json.dumps(document, indent=2) + "\n")
    results["core"] = {"started": document["started"], "errors": sorted(
        name for name, suite in document["suites"].items() if "error" in suite)}


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def _verdict(value: float | None, goal: float | None) -> str:
    if value is None or goal is None:
        return ""
    return f", goal ≤ {goal} " + ("✓" if value <= goal else "✗ (missed)")


def _suite_table(per_benchmark: dict, labels: tuple[str, str]) -> list[str]:
    lines = [f"| benchmark | {labels[0]} mean ± stdev | {labels[1]} mean ± stdev | ratio | significance |",
             "|---|---|---|---|---|"]
    for name, row in per_benchmark.items():
        gil, ft = row["gil"], row["freethreaded"]
        lines.append(f"| {name} | {format_timing(gil['mean'], gil['stdev'])} | "
                     f"{format_timing(ft['mean'], ft['stdev'])} | {row['ratio']:.3f} | "
                     f"{'significant' if row['significant'] else 'not significant'} |")
    return lines


def render_builds(builds: dict) -> list[str]:
    if not builds:
        return []
    lines = ["## Builds", "", "| build | tag | cold build | this run | size |", "|---|---|---|---|---|"]
    for key, row in builds.items():
        cold = row.get("cold")
        cold_text = (f"{cold['seconds'] / 60:.1f} min ({cold['date']}, load {cold['load_average_at_start']}"
                     f"{'; ' + cold['note'] if cold.get('note') else ''})" if cold else "")
        size = _mb(row["size_bytes"]) if "size_bytes" in row else ""
        this_run = f"{row['seconds']:.0f} s" + (f" ({row['cached_steps']} steps cached)" if "cached_steps" in row
                                                 else "")
        lines.append(f"| {key} | `{row['tag']}` | {cold_text} | {this_run} | {size} |")
    anchor_row = builds.get("anchor")
    if anchor_row:
        lines += ["", f"The anchor's interpreter: Debian trixie's `python3.13`, `{anchor_row['python']}`."]
    return lines + [""]


def render_pair(key: str, row: dict) -> list[str]:
    title = {"bench-313": "dualpy 3.13 release GIL build vs Debian trixie's own python3.13",
             "bench-313-same": "Same source, compiler and libc: dualpy's release GIL build of Debian's version "
                               "on trixie vs Debian's python3.13",
             "bench-314-clang-gil": "3.14 release (PGO + LTO), GIL build: clang 19 with the tail-calling interpreter "
                                    "vs gcc",
             "bench-314-clang-t": "3.14 release (PGO + LTO), free-threaded build: clang 19 with the tail-calling "
                                  "interpreter vs gcc",
             "bench-314-full": f"3.14 in `{row['reference'].get('image')}`: free-threaded vs GIL over every "
                               "pyperformance benchmark that runs in both builds",
             }.get(key, key)
    geo = row["geometric_mean"]
    labels = (row["reference"]["label"], row["compared"]["label"])
    lines = [f"## {title}", "",
             f"Ratio = {labels[1]} time ÷ {labels[0]} time, pyperformance {row['pyperformance']}"
             f"{' --fast' if row['fast'] else ''}, started {row['started']}, load average "
             f"{row['load_average_at_start']}; {row['reference']['seconds']:.0f} s + "
             f"{row['compared']['seconds']:.0f} s"
             f"{' (side by side, one core each)' if row.get('side_by_side') else ''}. "
             f"Geometric mean **{geo}**{_verdict(geo, GOALS.get(key))}; "
             f"{row['significant']} of "
             f"{len(row['per_benchmark'])} differences significant.", ""]
    if "names" in row:
        reach = (f"All {row['names']} names of `pyperformance list -b all` were run" if not row["not_reached"] else
                 f"The run stopped after {row['names_run']} of the {row['names']} names of `pyperformance list -b "
                 f"all`; not reached: {', '.join(row['not_reached'])}")
        lines += [f"{reach}.", ""]
    lines += _suite_table(row["per_benchmark"], labels)
    if row["missing"]:
        lines.append(f"\nNot measured in both: {', '.join(row['missing'])}.")
    for build, errors in row.get("failures", {}).items():
        if errors:
            lines += ["", f"pyperformance's error lines in the {build} build:", "",
                      *(f"- `{line[:300]}`" for line in errors[:40])]
    return lines + [""]


def render_bench(key: str, row: dict) -> list[str]:
    title = {"bench-314-release": "3.14 release profile (PGO + LTO): free-threaded vs GIL",
             "bench-314-fast": "3.14 fast profile (the default image): free-threaded vs GIL",
             "bench-314-wide": "3.14 release profile, the subset widened to C-accelerated stdlib benchmarks "
                               "(not in the default run)"}.get(key, key)
    bench = row["bench"]
    suite = bench["suite"]
    geo = suite["geometric_mean"]
    lines = [f"## {title}", "",
             f"`dualpy bench {row['image']} --suite pyperformance{' --fast' if suite['fast'] else ''}` "
             f"(Python {bench['version']}), started {row['started']}, load average {row['load_average_at_start']}; "
             f"{row['seconds'] / 60:.1f} min in all, of which pyperformance {suite['seconds']['gil']:.0f} s GIL + "
             f"{suite['seconds']['freethreaded']:.0f} s t (each with its install). "
             f"Single-thread time t ÷ GIL, geometric mean **{geo}**{_verdict(geo, GOALS.get(key))}; "
             f"{suite['significant']} of {len(suite['per_benchmark'])} differences significant.", ""]
    lines += _suite_table(suite["per_benchmark"], ("GIL", "t"))
    ratio = bench["single_thread_ratio"]
    kernels = ", ".join(f"{name} {k['ratio']:.2f}" for name, k in ratio["per_kernel"].items())
    lines += ["", f"Kernels (`--repeat {bench['repeat']}`, medians): t ÷ GIL {ratio['kernels_overall']} ({kernels}).",
              "", f"Throughput speed-up with threads and processes ({bench['cpu_count']} CPUs):", "",
              "| workers | threads GIL | threads t | processes GIL | processes t |", "|---|---|---|---|---|"]
    speedup, processes = bench["speedup"], bench["multiprocessing_speedup"]
    for n in speedup["gil"]:
        lines.append(f"| {n} | {speedup['gil'][n]:.2f}× | {speedup['freethreaded'][n]:.2f}× | "
                     f"{processes['gil'][n]:.2f}× | {processes['freethreaded'][n]:.2f}× |")
    if row.get("plot"):
        lines += ["", f"![speed-up against workers]({row['plot']})"]
    if bench["warnings"]:
        lines += ["", "Warnings of that run:", *(f"- {w}" for w in bench["warnings"])]
    return lines + [""]


def render_runtime(sizes: dict) -> list[str]:
    if not sizes:
        return []
    dual, single, official = sizes["dual"], sizes["single"], sizes["official_slim"]
    ratio = dual["size_bytes"] / single["size_bytes"]
    compressed_ratio = dual["compressed_bytes"] / single["compressed_bytes"]
    return ["## Runtime image (`images build --target runtime --profile release`), 3.14", "",
            "| image | on disk | compressed (`docker save \\| gzip -6`) |", "|---|---|---|",
            f"| both builds, `{dual['tag']}` | {_mb(dual['size_bytes'])} | {_mb(dual['compressed_bytes'])} |",
            f"| GIL build alone, `{single['tag']}` | {_mb(single['size_bytes'])} | "
            f"{_mb(single['compressed_bytes'])} |",
            f"| ratio both ÷ one | **{ratio:.3f}**{_verdict(round(ratio, 3), GOALS['runtime_dual_vs_single'])} | "
            f"{compressed_ratio:.3f} |",
            f"| official {official['image']} | | {_mb(official['compressed_bytes'])} (docker-library/repo-info) |",
            "", f"Both builds compressed ÷ the official slim image of one: "
            f"**{dual['compressed_bytes'] / official['compressed_bytes']:.3f}**.", ""]


def render(results: dict) -> str:
    """The Markdown of whatever steps have run (pure)."""
    m = results.get("machine", {})
    lines = ["# Performance full run", "",
             f"Written by `benchmarks/performance.py`. Machine: `{m.get('node', '?')}`, {m.get('cores', '?')} × "
             f"{m.get('cpu', '?')}, {m.get('memory_gib', '?')} GiB, Linux {m.get('kernel', '?')}; saved "
             f"{m.get('saved', '?')}. Each benchmark states the load average at its start.", ""]
    core_run = results.get("core")
    if core_run:
        lines += [f"`benchmarks/run.py`'s full run (the table of benchmarks/results.md) was this run's `core` step, "
                  f"started {core_run['started']}"
                  + (f"; not measured: {', '.join(core_run['errors'])}." if core_run["errors"] else "."), ""]
    lines += render_builds(results.get("builds", {}))
    for key, row in results.get("benchmarks", {}).items():
        lines += render_pair(key, row) if row.get("kind") == "pair" else render_bench(key, row)
    lines += render_runtime(results.get("runtime", {}))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default=",".join(DEFAULT_STEPS))
    parser.add_argument("--lock", default=None, help="flock this file around image builds")
    parser.add_argument("--benchmarks", default=None, help="pyperformance benchmarks (default: bench's subset)")
    parser.add_argument("--fast", action="store_true", help="pyperformance --fast")
    parser.add_argument("--side-by-side", action="store_true",
                        help="bench-314-full: run the GIL and the t build at once, one core each (half the time)")
    parser.add_argument("--full-image", default=None,
                        help="bench-314-full: this image instead of the clang release build (e.g. the fast profile)")
    parser.add_argument("--cold", action="store_true",
                        help="build without the layer cache and record those times as the cold build times")
    args = parser.parse_args()
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    unknown = [s for s in steps if s not in STEPS]
    if unknown:
        parser.error(f"unknown step {unknown[0]}; steps: {', '.join(STEPS)}")
    lock = Path(args.lock) if args.lock else None
    if lock and (not lock.parent.is_dir() or (lock.exists() and not lock.is_file())):
        parser.error(f"--lock {args.lock!r} must be a regular file in an existing directory (it is created if absent)")
    if args.full_image:  # checked now, not after the builds before it
        try:
            ImageReference.parse(args.full_image)
            engine.image_facts(args.full_image)
        except DualpyError as error:
            parser.error(f"--full-image: {error}")
    if "bench-314-release" in steps:
        pyplot()  # matplotlib missing is said now, not after the builds
    benchmarks = select_benchmarks(args.benchmarks) if args.benchmarks else DEFAULT_BENCHMARKS
    results = load()
    runners = step_runners(results, args, benchmarks)
    for step in steps:
        console.step(f"performance: {step}")
        try:
            runners[step]()
        except DualpyError as error:  # the steps before it are saved
            sys.exit(f"performance: step {step} failed: {error}")
        save(results)


def step_runners(results: dict, args: argparse.Namespace, benchmarks: tuple[str, ...]) -> dict[str, Callable[[], None]]:
    """What each step does; a step reads the results of the steps before it when it runs, not now."""
    return {
        "build-313": lambda: build(results, "3.13-gil-release", "3.13", (Variant.GIL,), args.lock, args.cold),
        "build-314": lambda: build(results, "3.14-release", "3.14", (Variant.GIL, Variant.FREETHREADED), args.lock,
                                   args.cold),
        "build-314-clang": lambda: build(results, "3.14-release-clang", "3.14", (Variant.GIL, Variant.FREETHREADED),
                                         args.lock, args.cold, compiler="clang"),
        "anchor": lambda: anchor(results, args.lock),
        "build-313-same": lambda: build(results, "3.13-gil-release-anchor-version", anchor_version(results),
                                        (Variant.GIL,), args.lock, args.cold, suite="trixie"),
        "runtime": lambda: runtime(results, args.lock),
        "bench-313": lambda: bench_pair(
            results, "bench-313", (ANCHOR_TAG, ANCHOR_PYTHON),
            (results["builds"]["3.13-gil-release"]["tag"], "/opt/python/cp313-cp313/bin/python"),
            benchmarks, args.fast, ("Debian python3.13", "dualpy 3.13 release GIL")),
        "bench-313-same": lambda: bench_pair(
            results, "bench-313-same", (ANCHOR_TAG, ANCHOR_PYTHON),
            (results["builds"]["3.13-gil-release-anchor-version"]["tag"], "/opt/python/cp313-cp313/bin/python"),
            benchmarks, args.fast, ("Debian python3.13", f"dualpy {anchor_version(results)} release GIL")),
        "bench-314-release": lambda: bench_image(results, "bench-314-release", results["builds"]["3.14-release"]["tag"],
                                                 benchmarks, args.fast, PLOT),
        "bench-314-fast": lambda: bench_image(results, "bench-314-fast", FAST_314, benchmarks, args.fast, None),
        "bench-314-clang": lambda: bench_clang(results, benchmarks, args.fast),
        "bench-314-full": lambda: bench_full(results, args.full_image or results["builds"]["3.14-release-clang"]["tag"],
                                             args.fast, args.side_by_side),
        "core": lambda: core(results),
        "bench-314-wide": lambda: bench_image(results, "bench-314-wide", results["builds"]["3.14-release"]["tag"],
                                              benchmarks + WIDER, args.fast, None),
    }


if __name__ == "__main__":
    main()
