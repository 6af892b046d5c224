"""Real projects' own cibuildwheel settings through `dualpy pipeline`: each sdist from the index to both wheels.

Each project below ships C extensions and a [tool.cibuildwheel] table (before-all, test-command, test-requires,
enable groups, environment tables, skip selectors). Its sdist is downloaded from the index with the host's pip
settings, then built and verified by `python -m dualpy pipeline SDIST --python X --image TAG --json`. The table
records the wheels, the verdict with the reasons of every non-passing check, and the seconds of each stage.

Run: python benchmarks/real_projects.py [--run PYTHON=IMAGE ...] [--only NAME ...] [--lock FILE]
     (default --run 3.13=dualpy/cpython:3.13.15; writes benchmarks/results-real-projects.md and .json;
     --lock wraps each pipeline in `flock FILE`, for an engine shared with other jobs).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_MD = ROOT / "benchmarks" / "results-real-projects.md"
RESULTS_JSON = ROOT / "benchmarks" / "results-real-projects.json"


@dataclass(frozen=True)
class RealProject:
    """A pinned sdist on the index and what its cibuildwheel table exercises."""

    name: str
    version: str
    exercises: str
    pipeline_args: tuple[str, ...] = ()  # what a packager would pass for this project (recorded in its row)


PROJECTS = (  # the settings dualpy had to learn first, then the quick ones
    RealProject("multidict", "7.2.1", "before-all `yum install … || apk add … || apt-get install libffi-dev` "
                "(no update, no -y); test-requires -r file; pytest test-command; archs auto32; "
                "its C code refuses cp313t"),
    RealProject("xxhash", "4.1.0", "enable = pypy, pypy-eol, graalpy, pyodide groups; build[uv]; overrides"),
    RealProject("frozenlist", "1.8.0", "enable cpython-freethreading; before-test pip install; environment table "
                "with PIP_CONSTRAINT; skip pp*"),
    RealProject("zstandard", "0.25.0", "enable cpython-freethreading + cpython-prerelease; before-all with a yum "
                "guard; environment string; test-groups; two-command test-command"),
    RealProject("immutables", "0.21", "linux test-command running its unittest suite, test-extras"),
    RealProject("markupsafe", "3.0.4", "build[uv] frontend, linux archs list, musllinux override"),
    RealProject("propcache", "0.5.4", "Cython build with an environment table of constraint files; "
                "test-requires -r file; pytest test-command; config-settings"),
    RealProject("ruamel.yaml.clib", "0.2.15", "skip = cp3??t-*: the project builds no free-threaded wheel"),
    RealProject("psutil", "7.2.2", "abi3 (cp36-abi3) GIL wheel beside a cp3Xt one: the abi3 audit offline, the "
                "abi3 wheel filed under the Python it was built for"),
    RealProject("PyYAML", "6.0.4", "a system library: libyaml's header from `--system-packages libyaml-dev`",
                ("--system-packages", "libyaml-dev")),
    RealProject("zope.interface", "8.7", "a namespace package whose C extension sits in a subpackage"),
    RealProject("lz4", "4.4.5", "three extension modules in subpackages; bundled C library"),
    RealProject("bitarray", "3.12.3", "two extension modules"),
    RealProject("msgpack", "1.2.4", "Cython extension with a pure-Python fallback"),
    RealProject("yarl", "1.25.1", "Cython extension; depends on multidict and propcache at import"),
    RealProject("cffi", "2.1.1", "needs libffi's header: `--system-packages libffi-dev` (the image keeps only the "
                "runtime library)", ("--system-packages", "libffi-dev")),
    RealProject("ujson", "6.1.0", "C extension with a bundled C++ double-conversion library"),
    RealProject("wrapt", "2.5.2", "optional C extension (pure-Python fallback if it fails)"),
    RealProject("pyrsistent", "0.20.0", "optional C extension for pvector"),
    RealProject("regex", "2026.12.2", "one large C extension module"),
    RealProject("simplejson", "4.3.0", "optional speedups extension (pure-Python fallback)"),
)


def download(project: RealProject, destination: Path) -> Path:
    """The project's sdist from the index (host pip settings); its build dependencies may come as wheels."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", project.name,
                    "--disable-pip-version-check", "-q", "-d", str(destination), f"{project.name}=={project.version}"],
                   check=True, stdout=subprocess.DEVNULL)
    normalized = project.name.replace(".", "_").replace("-", "_").lower()
    (sdist,) = (p for p in destination.glob("*.tar.gz") if p.name.lower().replace("-", "_").replace(".", "_")
                .startswith(f"{normalized}_{project.version.replace('.', '_')}"))
    return sdist


def failing_reasons(report_path: Path) -> list[str]:
    """One 'status check: message' line per non-passing check of a verify.json report."""
    report = json.loads(report_path.read_text())
    return [f"{r['status']} {r['check']}: {r.get('message', '')}" for r in report.get("results", [])
            if r["status"] not in ("pass", "skip")]


def run_project(project: RealProject, python: str, image: str, scratch: Path, lock: str | None) -> dict[str, Any]:
    """Download, build and verify one project; its row of the results table."""
    sdist_dir = scratch / "sdists" / f"{project.name}-{python}"
    sdist_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    sdist = download(project, sdist_dir)
    download_seconds = time.monotonic() - started
    output = scratch / "out" / f"{project.name}-{python}"
    command = [sys.executable, "-m", "dualpy", "pipeline", str(sdist), "--python", python, "--image", image,
               "--output-dir", str(output), "--json", *project.pipeline_args]
    if lock:
        command = ["flock", lock, *command]
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    seconds = time.monotonic() - started
    row: dict[str, Any] = {"project": project.name, "version": project.version, "python": python, "image": image,
                           "exercises": project.exercises, "pipeline_args": list(project.pipeline_args),
                           "exit_code": result.returncode, "seconds": round(seconds, 1),
                           "download_seconds": round(download_seconds, 1)}
    try:
        summary = json.loads(result.stdout)
    except json.JSONDecodeError:
        row.update(wheels=[], verdict="error", reasons=(result.stderr.strip().splitlines() or ["?"])[-1:])
        return row
    # the stages' own seconds: the wall time also holds any wait for the lock of a shared engine
    if summary.get("verdict") == "error":
        row.update(wheels=[], verdict="error", reasons=[f"{summary.get('stage')}: {summary.get('error')}"],
                   stage_seconds=summary.get("stage_seconds", {}))
        return row
    row["seconds"] = round(sum(summary["stage_seconds"].values()), 1)
    row["wall_seconds"] = round(seconds, 1)
    row.update(wheels=[{"filename": w["filename"], "verdict": w["verdict"]} for w in summary["wheels"]],
               verdict=summary["verdict"], stage_seconds=summary["stage_seconds"],
               reasons=failing_reasons(Path(summary["reports"]["json"])))
    return row


def platform_tags(wheels: list[dict[str, Any]]) -> str:
    """The distinct platform tags of the wheels (the filename's last dash-separated field)."""
    return ", ".join(sorted({w["filename"].rsplit("-", 1)[-1].removesuffix(".whl") for w in wheels})) or "-"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write_results(rows: list[dict[str, Any]], runs: list[tuple[str, str]]) -> None:
    """The Markdown table and the JSON rows, next to this script."""
    images = ", ".join(f"Python {python} in {image}" for python, image in runs)
    facts = machine_line()
    lines = [f"# Real projects through `dualpy pipeline` ({images})", "",
             f"Written by benchmarks/real_projects.py on {facts}. Wheels: the verdict of each wheel; why: every check "
             "that did not pass (or the build error); platform: the wheels' platform tags; seconds: the pipeline's "
             "stages (wheels / verify), without any wait for the engine lock. Flags: what a packager passed beyond "
             "`--python` and `--image`.", "",
             "| project | version | Python, image | exercises | flags | wheels | verdict | why | platform | seconds |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        wheels = "<br>".join(f"{w['filename']} ({w['verdict']})" for w in row["wheels"]) or "none"
        stages = row.get("stage_seconds", {})
        seconds = f"{row['seconds']} ({stages.get('wheels', '?')} / {stages.get('verify', '?')})"
        reasons = "<br>".join(row["reasons"]) or "all checks pass"
        flags = " ".join(row.get("pipeline_args", [])) or "-"
        lines.append(f"| {row['project']} | {row['version']} | {row['python']}, {row['image']} | "
                     f"{_cell(row['exercises'])} | {_cell(flags)} | {_cell(wheels)} | "
                     f"{row['verdict']} | {_cell(reasons)} | {platform_tags(row['wheels'])} | {seconds} |")
    verdicts = [row["verdict"] for row in rows]
    lines += ["", "Totals: " + ", ".join(f"{verdicts.count(v)} {v}" for v in sorted(set(verdicts)))]
    RESULTS_MD.write_text("\n".join(lines) + "\n")
    RESULTS_JSON.write_text(json.dumps({"runs": [{"python": p, "image": i} for p, i in runs], "projects": rows},
                                       indent=2) + "\n")


def machine_line() -> str:
    """The machine a run was made on, for the table's heading."""
    import platform  # noqa: PLC0415

    cpus = os.cpu_count()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"`{platform.node()}` ({cpus} CPUs, {memory:.1f} GiB, Linux {platform.release()}), "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")


def main() -> None:
    """Parse the options, run every chosen project in turn, write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", action="append", metavar="PYTHON=IMAGE",
                        help="a Python and the image that builds it (repeatable; default 3.13=dualpy/cpython:3.13.15)")
    parser.add_argument("--only", nargs="*", help="project names to run (default: all)")
    parser.add_argument("--lock", help="run each pipeline under `flock LOCK` (a shared Docker engine)")
    parser.add_argument("--merge", action="store_true",
                        help="keep the saved rows of the projects and Pythons not run now (re-run a few rows)")
    args = parser.parse_args()
    runs = [tuple(r.split("=", 1)) for r in args.run or ["3.13=dualpy/cpython:3.13.15"]]
    chosen = [p for p in PROJECTS if not args.only or p.name in args.only]
    rows = []
    requested = list(runs)
    if args.merge and RESULTS_JSON.exists():
        saved = json.loads(RESULTS_JSON.read_text())
        runs = list(dict.fromkeys([*[(r["python"], r["image"]) for r in saved["runs"]], *runs]))
        redo = {(p.name, python) for p in chosen for python, _image in requested}
        rows = [r for r in saved["projects"] if (r["project"], r["python"]) not in redo]
    with tempfile.TemporaryDirectory(prefix="dualpy-real-projects-") as scratch:
        for python, image in requested:
            for project in chosen:
                print(f"{project.name} {project.version} on {python} …", file=sys.stderr, flush=True)
                row = run_project(project, python, image, Path(scratch), args.lock)
                print(f"  {row['verdict']} in {row['seconds']}s: {len(row['wheels'])} wheels", file=sys.stderr,
                      flush=True)
                rows.append(row)
                rows.sort(key=lambda r: (r["python"], [p.name for p in PROJECTS].index(r["project"])))
                write_results(rows, runs)  # after each project: a long run leaves its table so far
    print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
