"""`dualpy verify wheels` time per wheel on the test projects' wheelhouse (static + runtime checks).

Run: python benchmarks/verify.py   (prints JSON). Needs the dual image.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dualpy import console  # noqa: E402
from dualpy.options import releases_of  # noqa: E402
from dualpy.verify import verify_wheelhouse  # noqa: E402
from dualpy.wheels import WheelsRequest, build_wheels  # noqa: E402

IMAGE = "dualpy/cpython:3.13.15"
PROJECTS = ("ext-freethreading", "ext-gil-only", "pure-python", "ext-abi3", "uv-frontend")


def measure(quick: bool = False, runs: int | None = None) -> dict:
    runs = runs or (1 if quick else 3)
    console.set_quiet(True)
    with tempfile.TemporaryDirectory() as directory:
        wheelhouse = Path(directory)
        for name in PROJECTS:
            build_wheels(WheelsRequest(ROOT / "tests" / "projects" / name, releases_of(["3.13"]), image=IMAGE,
                                       output_dir=wheelhouse))
        wheels = len(list(wheelhouse.glob("*.whl")))
        times = []
        for _ in range(runs):
            started = time.monotonic()
            report = verify_wheelhouse(wheelhouse, IMAGE)
            times.append(time.monotonic() - started)
    median = statistics.median(times)
    return {"wheels": wheels, "runs": runs, "seconds": [round(t, 2) for t in times], "median_seconds": round(median, 2),
            "seconds_per_wheel": round(median / wheels, 3), "checks": sum(report.counts().values()),
            "verdict": report.verdict}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    print(json.dumps(measure(args.quick), indent=2))


if __name__ == "__main__":
    main()
