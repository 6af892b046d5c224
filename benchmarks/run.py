"""Run dualpy's own benchmarks; write benchmarks/results.json and benchmarks/results.md.

Each figure is a ratio against an anchor measured in the same run, on this machine:
launcher start vs direct exec, cached rebuild vs cold build, both variants vs one, dual image size
vs single, `dualpy wheels build` vs plain cibuildwheel, `verify wheels` time per wheel. results.md ends with
the last performance full run (`benchmarks/performance.py`: pyperformance, release builds, runtime image sizes).

    python benchmarks/run.py [--quick] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from dualpy import __version__, console  # noqa: E402

SUITES = ("images", "launcher", "wheels", "verify")


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"benchmarks_{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def machine_facts() -> dict:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(memory, 1),
            "platform": platform.platform(), "python": platform.python_version()}


def run(quick: bool, only: list[str]) -> dict:
    results = {"dualpy": __version__, "quick": quick, "machine": machine_facts(),
               "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "suites": {}}
    for name in only or SUITES:
        if not (HERE / f"{name}.py").exists():
            results["suites"][name] = {"error": "benchmark not written"}
            continue
        started = time.monotonic()
        print(f"==> {name}", file=sys.stderr, flush=True)
        try:
            module = _load(name)
            results["suites"][name] = module.measure(quick=quick)
        except Exception as exc:  # one failing suite must not hide the others' figures
            traceback.print_exc()
            results["suites"][name] = {"error": f"{type(exc).__name__}: {exc}"}
        results["suites"][name]["suite_seconds"] = round(time.monotonic() - started, 1)
    return results


def _goal_rows(results: dict) -> list[tuple[str, str, str, str]]:
    suites = results["suites"]
    rows = []

    def add(label, value, goal, fmt="{:.3f}"):
        if value is None:
            return
        verdict = "" if goal is None else ("✓" if value <= goal else "✗")
        rows.append((label, fmt.format(value), "" if goal is None else f"≤ {goal}", verdict))

    launcher = suites.get("launcher", {})
    for variant, ratio in (launcher.get("ratios") or {}).items():
        add(f"launcher start vs direct exec ({variant})", ratio, 1.05)
    images = suites.get("images", {})
    add("image rebuild, nothing changed (s)", images.get("rebuild_cached_seconds"), None, "{:.1f}")
    add("image rebuild cached vs cold build", images.get("rebuild_cached_vs_cold"), None, "{:.4f}")
    add("cold build: both variants vs one", images.get("cold_dual_vs_single"), 2.1)
    size = images.get("size", {})
    add("image size: dual vs single-variant", size.get("dual_vs_single_image"), 1.3)
    add("/opt/python layer: dual vs single", size.get("dual_vs_single_opt_python_layer"), None)
    add("/opt/python layer vs raw make installs", size.get("dual_layer_vs_raw_make_installs"), None)
    wheels = suites.get("wheels", {})
    add("dualpy wheels build vs plain cibuildwheel", wheels.get("ratio"), 1.2)
    verify = suites.get("verify", {})
    add("verify wheels, seconds per wheel", verify.get("seconds_per_wheel"), None, "{:.2f}")
    return rows


def markdown(results: dict) -> str:
    machine = results["machine"]
    lines = [
        "# dualpy's benchmarks",
        "",
        f"dualpy {results['dualpy']}, {results['started']}, {'quick' if results['quick'] else 'full'} run on "
        f"{machine['cores']} cores ({machine['cpu']}), {machine['memory_gib']} GiB.",
        "",
        "| measure | value | goal | |",
        "|---|---|---|---|",
    ]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in _goal_rows(results)]
    errors = [f"- {name}: {suite['error']}" for name, suite in results["suites"].items() if "error" in suite]
    if errors:
        lines += ["", "Not measured:", *errors]
    performance = HERE / "results-performance.json"
    if performance.exists():  # the slow full run (pyperformance, release builds, runtime image) is its own script
        section = _load("performance").render(json.loads(performance.read_text()))
        lines += ["", *("#" + line if line.startswith("#") else line for line in section.splitlines())]
    return "\n".join(lines) + "\n"


def _write(path: Path, text: str) -> None:
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(text)
    temp.replace(path)


def main() -> int:
    parser = argparse.ArgumentParser(description="dualpy's benchmarks")
    parser.add_argument("--quick", action="store_true", help="fewer runs, no cold image builds")
    parser.add_argument("--only", nargs="*", choices=SUITES, default=[])
    parser.add_argument("--output-dir", type=Path, default=HERE)
    args = parser.parse_args()
    console.set_quiet(True)
    results = run(args.quick, args.only)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    _write(args.output_dir / "results.json", json.dumps(results, indent=2) + "\n")
    table = markdown(results)
    _write(args.output_dir / "results.md", table)
    print(table)
    return 1 if any("error" in suite for suite in results["suites"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
