"""Launcher start-up vs exec'ing the interpreter directly, inside the dual image (goal ≤ 1.05).

Run: python benchmarks/launcher.py [--image TAG] [--runs N]   (prints JSON)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dualpy import engine  # noqa: E402
from dualpy.probes import probe_source  # noqa: E402

DEFAULT_IMAGE = "dualpy/cpython:3.13.15"


def measure(quick: bool = False, image: str = DEFAULT_IMAGE, runs: int | None = None) -> dict:
    """Median start-up time through the launcher and direct, per variant, interleaved in one container."""
    runs = runs or (150 if quick else 600)
    result = engine.run(image, ["/opt/python/cp313-cp313/bin/python", "-c", probe_source("launcher_timing"), str(runs)],
                        entrypoint=[])
    if result.exit_code != 0:
        raise RuntimeError(f"launcher timing failed: {result.stderr[-500:]}")
    per_variant = json.loads(result.stdout.strip().splitlines()[-1])
    return {
        "image": image,
        "image_id": engine.image_facts(image).id,
        "runs": runs,
        "ratios": {name: round(row["ratio"], 4) for name, row in per_variant.items()},
        "details": per_variant,
        "goal": 1.05,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", default=DEFAULT_IMAGE)
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    print(json.dumps(measure(args.quick, args.image, args.runs), indent=2))


if __name__ == "__main__":
    main()
