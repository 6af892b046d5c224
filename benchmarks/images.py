"""Image benchmarks: cache-hit rebuild vs cold build, both variants vs one, dual size vs single size.

Run: python benchmarks/images.py [--quick] [--python 3.13.15]   (prints JSON)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dualpy import console, engine  # noqa: E402
from dualpy.images import build_image  # noqa: E402
from dualpy.tags import ALL_VARIANTS, Variant  # noqa: E402

BENCH_PREFIX = "dualpy-bench/cpython"


def _opt_python_layer_bytes(tag: str) -> int:
    """Size of the one layer that holds /opt/python (the oldest of the final stage's three COPY layers)."""
    copies = [layer for layer in engine.image_history(tag) if "COPY dir:" in layer.created_by]
    return copies[-1].size if copies else 0


def _make_install_bytes(tag: str) -> dict[str, int]:
    script = "for f in /opt/python/cp3*/.dualpy-make-install-bytes; do echo \"$f $(cat $f)\"; done"
    result = engine.run(tag, ["/bin/sh", "-c", script], entrypoint=[])
    sizes = {}
    for line in result.stdout.splitlines():
        path, _, value = line.partition(" ")
        if value.strip().isdigit():
            sizes[path.split("/")[3]] = int(value)
    return sizes


def measure(quick: bool = False, python: str = "3.13.15") -> dict:
    """Measure the image goals as ratios against anchors taken in the same run."""
    results: dict = {}
    dual_tag = f"dualpy/cpython:{python}"
    started = time.monotonic()
    build_image(python, tag=dual_tag)  # make sure the image and its cache exist
    warm = time.monotonic() - started
    started = time.monotonic()
    cached = build_image(python, tag=dual_tag)
    results["rebuild_cached_seconds"] = round(time.monotonic() - started, 2)
    results["rebuild_cached_steps"] = f"{cached.cached_steps}/{cached.total_steps}"
    single_tag = f"{BENCH_PREFIX}:{python}-gil"
    build_image(python, tag=single_tag, variants=(Variant.GIL,))
    dual_size = engine.image_facts(dual_tag).size
    single_size = engine.image_facts(single_tag).size
    dual_layer = _opt_python_layer_bytes(dual_tag)
    single_layer = _opt_python_layer_bytes(single_tag)
    raw = _make_install_bytes(dual_tag)
    results["size"] = {
        "dual_image_bytes": dual_size,
        "single_image_bytes": single_size,
        "dual_vs_single_image": round(dual_size / single_size, 3),
        "dual_opt_python_layer_bytes": dual_layer,
        "single_opt_python_layer_bytes": single_layer,
        "dual_vs_single_opt_python_layer": round(dual_layer / single_layer, 3) if single_layer else None,
        "make_install_bytes": raw,
        "dual_layer_vs_raw_make_installs": round(dual_layer / sum(raw.values()), 3) if raw else None,
        "dedupe_bytes_saved": json.loads(
            engine.run(dual_tag, ["cat", "/opt/python/.dualpy-dedupe.json"], entrypoint=[]).stdout
        )["bytes_saved"],
        "goal_dual_vs_single_image": 1.3,
    }
    if not quick:
        started = time.monotonic()
        cold_dual = build_image(python, tag=f"{BENCH_PREFIX}:{python}-cold-dual", variants=ALL_VARIANTS, no_cache=True)
        results["cold_dual_seconds"] = round(time.monotonic() - started, 1)
        started = time.monotonic()
        build_image(python, tag=f"{BENCH_PREFIX}:{python}-cold-gil", variants=(Variant.GIL,), no_cache=True)
        results["cold_single_seconds"] = round(time.monotonic() - started, 1)
        results["cold_dual_vs_single"] = round(results["cold_dual_seconds"] / results["cold_single_seconds"], 3)
        results["rebuild_cached_vs_cold"] = round(results["rebuild_cached_seconds"] / results["cold_dual_seconds"], 4)
        results["goal_cold_dual_vs_single"] = 2.1
        del cold_dual
    results["warm_up_seconds"] = round(warm, 1)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the cold builds")
    parser.add_argument("--python", default="3.13.15")
    args = parser.parse_args()
    console.set_quiet(True)
    print(json.dumps(measure(args.quick, args.python), indent=2))


if __name__ == "__main__":
    main()
