"""`dualpy wheels build` vs plain cibuildwheel given the same image, identifiers and settings (goal ≤ 1.2×).

All build ext-freethreading's cp313 and cp313t wheels with cibuildwheel 3.4.1 from dualpy's cached venv,
in turn, after one unmeasured warm-up each; the figures are ratios of the medians of wall time:
`ratio` is dualpy as it runs by default (one cibuildwheel process per variant, side by side, on 2+ cores),
`ratio_one_process` is `dualpy wheels build --jobs 1` (one process for both, like the plain run: dualpy's
own overhead alone).

Run: python benchmarks/wheels.py [--image TAG] [--runs N] [--quick]   (prints JSON). Needs the dual image.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dualpy.options import releases_of  # noqa: E402
from dualpy.pipconfig import container_environment, host_pip_settings  # noqa: E402
from dualpy.tags import ALL_VARIANTS  # noqa: E402
from dualpy.wheels import Project, cibuildwheel_environment, plan_builds, process_environment  # noqa: E402
from dualpy.wheels.cibw import release, venv_python  # noqa: E402

PROJECT = ROOT / "tests" / "projects" / "ext-freethreading"
IMAGE = "dualpy/cpython:3.13.15"


def _time(command: list[str], env: dict[str, str]) -> float:
    started = time.monotonic()
    # cibuildwheel wants the project inside its working directory
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=PROJECT)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        raise RuntimeError(f"{command[:4]} failed:\n{result.stdout[-3000:]}")
    return elapsed


def plain_cibuildwheel_env(image: str) -> dict[str, str]:
    """What a careful user would export for plain cibuildwheel: the same identifiers, image and pip settings."""
    (plan,) = plan_builds(releases_of(["3.13"]), ALL_VARIANTS, image, False)
    pip_env = container_environment(host_pip_settings())
    settings = cibuildwheel_environment(plan, Project(PROJECT, False, {}), pip_env, host_env={})
    settings.pop("CIBW_CONTAINER_ENGINE_LINUX")  # dualpy's run label: plain cibuildwheel has none
    return process_environment(settings, pip_env)


def measure(image: str = IMAGE, runs: int | None = None, quick: bool = False) -> dict:
    """Median wall time of `dualpy wheels build` (default and --jobs 1) and of plain cibuildwheel; ratios."""
    runs = runs or (3 if quick else 7)
    python = venv_python(release("3.4.1"))
    plain = [str(python), "-m", "cibuildwheel", "--platform", "linux", "--output-dir"]
    # --manylinux native: the image's gcc, as plain cibuildwheel uses; the floor compiler's cost is floor.py's
    dualpy = [sys.executable, "-m", "dualpy", "wheels", "build", str(PROJECT), "--python", "3.13", "--image", image,
              "--manylinux", "native"]
    ways = {
        "plain_cibuildwheel": (lambda out: [*plain, out, "."], plain_cibuildwheel_env(image)),
        "dualpy": (lambda out: [*dualpy, "--output-dir", out], dict(os.environ)),
        "dualpy_jobs_1": (lambda out: [*dualpy, "--jobs", "1", "--output-dir", out], dict(os.environ)),
    }
    times: dict[str, list[float]] = {name: [] for name in ways}
    with tempfile.TemporaryDirectory(prefix="dualpy-bench-wheels-") as scratch:
        for index in range(runs + 1):  # run 0 warms every way up and is not counted
            built = {}
            for name, (command, env) in ways.items():
                out = f"{scratch}/{name}-{index}"
                seconds = _time(command(out), env)
                if index:
                    times[name].append(seconds)
                built[name] = sorted(p.name for p in Path(out).glob("*.whl"))
            if len({tuple(names) for names in built.values()}) != 1 or len(built["dualpy"]) != 2:
                raise RuntimeError(f"the ways built different wheels: {built}")
    medians = {name: statistics.median(values) for name, values in times.items()}
    return {
        "project": PROJECT.name, "image": image, "identifiers": ["cp313-manylinux_x86_64", "cp313t-manylinux_x86_64"],
        "runs": runs, "cpu_count": os.cpu_count(),
        "seconds": {name: [round(t, 2) for t in values] for name, values in times.items()},
        "medians": {name: round(value, 2) for name, value in medians.items()},
        "ratio": round(medians["dualpy"] / medians["plain_cibuildwheel"], 3),
        "ratio_one_process": round(medians["dualpy_jobs_1"] / medians["plain_cibuildwheel"], 3),
        "overhead_seconds_one_process": round(medians["dualpy_jobs_1"] - medians["plain_cibuildwheel"], 2),
        "goal": 1.2,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", default=IMAGE)
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="3 runs instead of 7")
    args = parser.parse_args()
    print(json.dumps(measure(args.image, args.runs, args.quick), indent=2))


if __name__ == "__main__":
    main()
