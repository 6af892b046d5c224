"""`dualpy readiness` on a 30-package list: wall time with the wheels on the index (goal: <= 5 min on 2 cores).

Run: python benchmarks/readiness.py --image TAG   (a dualpy image with 3.14 and 3.14t; writes results-readiness.json
and results-readiness.md beside this file). Needs the engine and the package index.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
LIST = HERE / "readiness-30.txt"
GOAL_SECONDS = 300


def measure(image: str, python: str) -> dict:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "dualpy", "readiness", str(LIST), "--image", image,
                           "--python", python, "--json"], capture_output=True, text=True, cwd=HERE.parent)
    seconds = time.monotonic() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"dualpy readiness exited {done.returncode}: {done.stderr.strip()[-500:]}")
    document = json.loads(done.stdout)
    rows = document["packages"]
    return {"image": image, "python": document["python"], "cpus": os.cpu_count(), "requested": 30,
            "distributions": len(rows), "seconds": round(seconds, 1), "phase_seconds": document["phase_seconds"],
            "goal_seconds": GOAL_SECONDS,
            "within_goal": seconds <= GOAL_SECONDS, "verdict": document["verdict"],
            "ready": sum(1 for r in rows if r["ready"] is True),
            "not_ready": [f"{r['name']} {r['version']}: {r['reason']}" for r in rows if r["ready"] is not True],
            "sources": {s: sum(1 for r in rows if r["source"] == s) for s in sorted({r["source"] for r in rows})},
            "packages": rows}


def markdown(result: dict) -> str:
    lines = [f"# `dualpy readiness` on {result['requested']} packages", "",
             f"{result['distributions']} distributions judged in {result['seconds']} s on {result['cpus']} CPUs "
             f"(goal {result['goal_seconds']} s: {'met' if result['within_goal'] else 'missed'}; phases "
             f"{', '.join(f'{k} {v} s' for k, v in result['phase_seconds'].items())}), free-threaded "
             f"Python {result['python']} in `{result['image']}`; verdict **{result['verdict']}**, "
             f"{result['ready']} ready.", "",
             "| package | version | source | ready | reason |", "|---|---|---|---|---|"]
    for row in result["packages"]:
        ready = {True: "yes", False: "no", None: "unknown"}[row["ready"]]
        lines.append(f"| {row['name']} | {row['version']} | {row['source']} | {ready} | "
                     f"{row['reason'].replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", required=True)
    parser.add_argument("--python", default="3.14")
    args = parser.parse_args()
    result = measure(args.image, args.python)
    (HERE / "results-readiness.json").write_text(json.dumps(result, indent=2) + "\n")
    (HERE / "results-readiness.md").write_text(markdown(result))
    print(json.dumps({k: v for k, v in result.items() if k != "packages"}, indent=2))


if __name__ == "__main__":
    main()
