"""The glibc floor's cost: build time with the floor compiler (zig, --manylinux 2_28) vs the image's gcc (native),
and the size of the compiler cache (goal ≤ 1.15× build time).

Each project is built for one Python (both variants, `dualpy wheels build --jobs 1`) once unmeasured per floor (the
zig libc stubs, the build dependencies), then `--runs` times per floor in turn; the figure is the ratio of the
median wall times. The tags of both builds are recorded: before (native) and after (the floor).

Run: python benchmarks/floor.py [--image TAG] [--python 3.14] [--runs N] [--only NAME ...] [--lock FILE]
Writes benchmarks/results-floor.json and .md; never asserts a timing.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.real_projects import PROJECTS as REAL_PROJECTS  # noqa: E402
from benchmarks.real_projects import download  # noqa: E402
from dualpy.wheels.compiler import zig_cache, zig_dir  # noqa: E402
from dualpy.wheels.floor import DEFAULT_FLOOR, NATIVE  # noqa: E402

LOCAL = ("ext-threads", "ext-cxx")
REAL = ("zstandard", "propcache", "markupsafe")  # threads, Cython, a plain C extension
RESULTS = Path(__file__).parent / "results-floor"


def _source(name: str, scratch: Path) -> Path:
    if name in LOCAL:
        return ROOT / "tests" / "projects" / name
    (project,) = [p for p in REAL_PROJECTS if p.name == name]
    destination = scratch / "sdists" / name
    destination.mkdir(parents=True, exist_ok=True)
    return download(project, destination)


def _build(source: Path, image: str, python: str, floor: str, lock: str | None, out: Path) -> tuple[float, list[str]]:
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "dualpy", "wheels", "build", str(source), "--python", python, "--image", image,
               "--manylinux", floor, "--jobs", "1", "--output-dir", str(out), "--json"]
    with Path(lock).open("a") if lock else contextlib.nullcontext() as held:
        if held is not None:
            fcntl.flock(held, fcntl.LOCK_EX)  # the wait for a shared engine is not build time
        started = time.monotonic()
        result = subprocess.run(command, capture_output=True, text=True)
        seconds = time.monotonic() - started
    if result.returncode != 0:
        tail = (result.stderr.strip().splitlines() or ["?"])[-1]
        raise RuntimeError(f"{source.name} at {floor}: {tail}")
    return seconds, sorted(w["filename"] for w in json.loads(result.stdout)["wheels"])


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def measure(names: list[str], image: str, python: str, runs: int, lock: str | None) -> dict[str, Any]:
    """Median build seconds per floor and project, their ratio, the tags of each, the compiler cache's size."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="dualpy-bench-floor-") as scratch_name:
        scratch = Path(scratch_name)
        for name in names:
            source = _source(name, scratch)
            row: dict[str, Any] = {"project": name}
            for floor in (NATIVE, DEFAULT_FLOOR):
                _seconds, tags = _build(source, image, python, floor, lock, scratch / "out")  # warm-up
                times = [_build(source, image, python, floor, lock, scratch / "out")[0] for _ in range(runs)]
                row[floor] = {"median_seconds": round(statistics.median(times), 1),
                              "runs": [round(t, 1) for t in times], "wheels": tags}
            row["ratio"] = round(row[DEFAULT_FLOOR]["median_seconds"] / row[NATIVE]["median_seconds"], 3)
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
    return {"image": image, "python": python, "runs": runs, "projects": rows,
            "compiler_bytes": _size(zig_dir("x86_64")), "zig_cache_bytes": _size(zig_cache())}


def write_results(document: dict[str, Any]) -> None:
    RESULTS.with_suffix(".json").write_text(json.dumps(document, indent=2) + "\n")
    lines = [f"# Floor compiler vs the image's gcc ({document['image']}, Python {document['python']}, "
             f"median of {document['runs']})", "",
             "| project | gcc (native) s | zig (2_28) s | ratio | tags native | tags 2_28 |",
             "|---|---|---|---|---|---|"]
    for row in document["projects"]:
        native, floor = row[NATIVE], row[DEFAULT_FLOOR]
        lines.append(f"| {row['project']} | {native['median_seconds']} | {floor['median_seconds']} | {row['ratio']} | "
                     f"{'<br>'.join(native['wheels'])} | {'<br>'.join(floor['wheels'])} |")
    lines += ["", f"Compiler cache: zig {document['compiler_bytes'] / 1e6:.0f} MB unpacked, "
                  f"zig's own cache {document['zig_cache_bytes'] / 1e6:.0f} MB."]
    RESULTS.with_suffix(".md").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", default="dualpy/cpython:3.13.15-3.14.7-3.15.0rc2")
    parser.add_argument("--python", default="3.14")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--lock", default=None, help="flock this file around each build (a shared engine)")
    args = parser.parse_args()
    names = args.only or [*LOCAL, *REAL]
    document = measure(names, args.image, args.python, args.runs, args.lock)
    write_results(document)
    print(json.dumps(document, indent=2))


if __name__ == "__main__":
    main()
