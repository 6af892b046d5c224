"""`dualpy wheels build` vs plain cibuildwheel with the same image and identifiers (goal ≤ 1.2×).

Run: python benchmarks/wheels.py [--runs N]   (prints JSON). Needs the dual image.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dualpy.cibw import RELEASES, venv_python  # noqa: E402
from dualpy.pipconfig import container_environment, host_pip_settings  # noqa: E402

PROJECT = ROOT / "tests" / "projects" / "ext-freethreading"
IMAGE = "dualpy/cpython:3.13.15"


def _time(command: list[str], env: dict[str, str]) -> float:
    started = time.monotonic()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.monotonic() - started


def measure(quick: bool = False, runs: int | None = None) -> dict:
    """Median wall time of each way, alternating, and their ratio."""
    runs = runs or (2 if quick else 5)
    release = next(r for r in RELEASES if r.version == "3.4.1")
    python = venv_python(release)
    pip_env = container_environment(host_pip_settings())
    plain_env = {
        **os.environ, **pip_env,
        "CIBW_BUILD": "cp313-manylinux_x86_64 cp313t-manylinux_x86_64", "CIBW_ARCHS_LINUX": "x86_64",
        "CIBW_ENABLE": "cpython-freethreading", "CIBW_MANYLINUX_X86_64_IMAGE": IMAGE,
        "CIBW_ENVIRONMENT_PASS_LINUX": " ".join(sorted(pip_env)),
    }
    dualpy_times, plain_times = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as out:
            plain_times.append(_time([str(python), "-m", "cibuildwheel", "--platform", "linux", "--output-dir", out,
                                      str(PROJECT)], plain_env))
        with tempfile.TemporaryDirectory() as out:
            dualpy_times.append(_time([sys.executable, "-m", "dualpy", "wheels", "build", str(PROJECT), "--python",
                                       "3.13", "--image", IMAGE, "--output-dir", out], dict(os.environ)))
    shutil.rmtree(Path(tempfile.gettempdir()) / "cibuildwheel", ignore_errors=True)
    dualpy_median, plain_median = statistics.median(dualpy_times), statistics.median(plain_times)
    return {"runs": runs, "dualpy_seconds": [round(t, 2) for t in dualpy_times],
            "plain_cibuildwheel_seconds": [round(t, 2) for t in plain_times],
            "dualpy_median": round(dualpy_median, 2), "plain_median": round(plain_median, 2),
            "ratio": round(dualpy_median / plain_median, 3), "goal": 1.2}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    print(json.dumps(measure(args.quick, args.runs), indent=2))


if __name__ == "__main__":
    main()
