"""Resolve, build, install and import a dependency set under a free-threaded interpreter; print one JSON document.

Run inside an image: python readiness_run.py REQUEST_FILE
REQUEST: {"requirements": [PEP 508, ...], "constraints": [...], "freethreaded": PYTHON, "gil": PYTHON or null,
          "import_timeout": S, "build_timeout": S, "max_modules": N,
          "stress": {"threads": N, "iterations": K, "timeout": S} or null}
Steps: resolve the whole set (pip --dry-run --report; one requirement at a time when the set fails), build each
resolved sdist alone (timed, so one failure names its package), install the rest with --no-deps, list each
distribution's top-level and extension modules from its RECORD, import each in a fresh interpreter with a
timeout. The GIL twin installs and imports only what failed, to tell "fails everywhere" from "fails without the GIL".
With stress, each requested package's sdist is downloaded and, when it ships tests/ (or test/, testing/), they run
under pytest-run-parallel; when some fail, all run again one at a time, so a failure seen only in threads shows.
"""

import concurrent.futures
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import urllib.parse
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

PIP = ["--disable-pip-version-check", "--no-input"]
INSTALL = ["install", "--root-user-action=ignore"]
SKIPPED_TOP_LEVEL = {"test", "tests", "testing", "docs", "examples", "benchmarks"}
TEST_DIR_NAMES = ("tests", "test", "testing")
EXTENSION_RE = re.compile(r"\.(?:cpython-[^./]+\.|abi3\.)?so$")


DISTRIBUTIONS_CHILD = r"""
import importlib.metadata, json
found = []
for dist in importlib.metadata.distributions():
    meta = dist.metadata
    found.append({"name": meta["Name"], "version": meta["Version"],
                  "classifiers": meta.get_all("Classifier") or [],
                  "files": [str(f) for f in (dist.files or [])]})
print(json.dumps(found))
"""


def tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def run(command: list[str], timeout: float, **kwargs: Any) -> dict[str, Any]:
    """A finished command's return code, seconds and output tail; a timeout is returncode None."""
    start = time.monotonic()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired as exc:
        output = (exc.stdout or b"") + (exc.stderr or b"")
        text = output.decode(errors="replace") if isinstance(output, bytes) else str(output)
        return {"returncode": None, "seconds": round(time.monotonic() - start, 2), "output": tail(text),
                "timeout": timeout}
    return {"returncode": done.returncode, "seconds": round(time.monotonic() - start, 2),
            "output": tail(done.stdout + done.stderr)}


def modules_of(files: list[str], max_modules: int) -> list[str]:
    """A distribution's importable top-level modules, then its extension modules, from its RECORD paths."""
    top: dict[str, None] = {}
    extensions: dict[str, None] = {}
    for path in files:
        parts = path.replace("\\", "/").split("/")
        if parts[0] in ("..", "") or parts[0].endswith((".dist-info", ".data", ".egg-info")) or \
                "__pycache__" in parts:
            continue
        leaf = parts[-1]
        if EXTENSION_RE.search(leaf):
            dotted = [*parts[:-1], leaf.split(".")[0]]
            if all(p.isidentifier() for p in dotted):
                extensions[".".join(dotted)] = None
        if len(parts) == 1:
            stem = leaf[:-3] if leaf.endswith(".py") else leaf.split(".")[0] if EXTENSION_RE.search(leaf) else ""
        else:
            stem = parts[0]
        if stem.isidentifier() and stem not in SKIPPED_TOP_LEVEL:
            top[stem] = None
    chosen = list(top) + [m for m in sorted(extensions) if m not in top]
    return chosen[:max_modules]


def venv(base: str, where: str) -> str:
    shutil.rmtree(where, ignore_errors=True)
    subprocess.run([base, "-m", "venv", "--without-pip", where], check=True, capture_output=True)
    return str(Path(where) / "bin" / "python")


def write_lines(path: str, lines: list[str]) -> str:
    Path(path).write_text("".join(line + "\n" for line in lines))
    return path


def resolve(base: str, target: str, requirements: list[str], constraints: str, work: str,
            timeout: float) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The install items pip would pick, and per-requirement failures (only when the whole set fails)."""
    def attempt(reqs: list[str], label: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        report = Path(work) / f"resolve-{label}.json"
        files = write_lines(str(Path(work) / f"requirements-{label}.txt"), reqs)
        done = run([base, "-m", "pip", *PIP, "--python", target, *INSTALL, "--dry-run", "--ignore-installed",
                    "--report", str(report), "-r", files, "-c", constraints], timeout)
        if done["returncode"] != 0 or not report.exists():
            return done, []
        return done, json.loads(report.read_text()).get("install", [])

    whole, items = attempt(requirements, "all")
    if whole["returncode"] == 0:
        return {"ok": True, "seconds": whole["seconds"]}, items
    failures: list[dict[str, Any]] = []
    chosen: dict[str, dict[str, Any]] = {}
    good: list[str] = []
    for index, requirement in enumerate(requirements):
        done, found = attempt([requirement], str(index))
        if done["returncode"] != 0:
            failures.append({"requirement": requirement, **done})
            continue
        good.append(requirement)
        for item in found:
            chosen.setdefault(item["metadata"]["name"].lower(), item)
    if good and len(good) < len(requirements):
        again, items = attempt(good, "good")  # the resolvable rest, resolved together when it agrees
        if again["returncode"] == 0:
            chosen = {item["metadata"]["name"].lower(): item for item in items}
    return {"ok": False, "output": whole["output"], "failures": failures}, list(chosen.values())


def filename_of(url: str) -> str:
    return urllib.parse.unquote(urllib.parse.urlparse(url).path.rsplit("/", 1)[-1])


def build_sdists(base: str, items: list[dict[str, Any]], work: str, timeout: float) -> dict[str, dict[str, Any]]:
    """Each resolved sdist built alone into a wheel (timed): name -> build result."""
    built: dict[str, dict[str, Any]] = {}
    for item in items:
        url = item["download_info"]["url"]
        if filename_of(url).endswith(".whl"):
            continue
        name = item["metadata"]["name"]
        out = Path(work) / "built" / name
        out.mkdir(parents=True, exist_ok=True)
        done = run([base, "-m", "pip", *PIP, "wheel", "--no-deps", "--wheel-dir", str(out), url], timeout)
        wheels = sorted(out.glob("*.whl"))
        done["wheel"] = str(wheels[0]) if done["returncode"] == 0 and wheels else None
        built[name] = done
    return built


def install(base: str, target: str, paths: dict[str, str], timeout: float) -> dict[str, dict[str, Any]]:
    """Install every path with --no-deps, together, or one at a time when together fails: name -> result."""
    together = run([base, "-m", "pip", *PIP, "--python", target, *INSTALL, "--no-deps", *paths.values()],
                   timeout)
    if together["returncode"] == 0:
        return {name: {"ok": True} for name in paths}
    results = {}
    for name, path in paths.items():
        done = run([base, "-m", "pip", *PIP, "--python", target, *INSTALL, "--no-deps", path], timeout)
        results[name] = {"ok": done["returncode"] == 0, "output": done["output"]}
    return results


def import_one(python: str, module: str, timeout: float, child: str) -> dict[str, Any]:
    """Import one module in a fresh interpreter (child: import_child.py's source); its result, or how it died."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHON_GIL", "PYTHONPATH", "PYTHONWARNINGS")}
    try:
        done = subprocess.run([python, "-c", child, module], capture_output=True, text=True,
                              timeout=timeout, cwd="/tmp", env=env)
    except subprocess.TimeoutExpired:
        return {"ok": False, "timeout": timeout}
    try:
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))
    except (ValueError, IndexError):
        crashed = f"killed by {signal.Signals(-done.returncode).name}" if done.returncode < 0 else \
            f"exit {done.returncode}"
        return {"ok": False, "error": f"the interpreter died ({crashed}): {tail(done.stderr, 1)}"}


def import_all(python: str, modules: dict[str, list[str]], timeout: float, child: str) -> dict[str, dict[str, Any]]:
    """Each module imported in its own fresh interpreter, a few at a time: name -> module -> result."""
    jobs = [(name, module) for name, names in modules.items() for module in names]
    results: dict[str, dict[str, Any]] = {name: {} for name in modules}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        futures = {pool.submit(import_one, python, module, timeout, child): (name, module) for name, module in jobs}
        for future in concurrent.futures.as_completed(futures):
            name, module = futures[future]
            results[name][module] = future.result()
    return results


def distributions(python: str) -> list[dict[str, Any]]:
    done = subprocess.run([python, "-c", DISTRIBUTIONS_CHILD], capture_output=True, text=True, cwd="/tmp")
    return list(json.loads(done.stdout)) if done.returncode == 0 else []


def sdist_tests(archive_path: str, destination: str) -> str | None:
    """Extract the sdist's top-level tests/ (test/, testing/) into destination; its path, or None without one."""
    try:
        with tarfile.open(archive_path) as archive:
            members = [m for m in archive.getmembers() if len(m.name.split("/")) > 2]
            tops = {m.name.split("/")[1] for m in members}
            found = next((name for name in TEST_DIR_NAMES if name in tops), None)
            if found is None:
                return None
            chosen = [m for m in members if m.name.split("/")[1] == found]
            archive.extractall(destination, members=chosen, filter="data")
            return str(Path(destination) / chosen[0].name.split("/")[0] / found)
    except (tarfile.TarError, OSError, IndexError):
        return None


def failed_tests(junit: str) -> tuple[int, list[str]]:
    """(tests run, ids of those failed or errored) from a pytest JUnit XML file."""
    try:
        root = ElementTree.parse(junit).getroot()
    except (OSError, ElementTree.ParseError):
        return 0, []
    cases = list(root.iter("testcase"))
    failed = [f"{c.get('classname')}.{c.get('name')}" for c in cases
              if c.find("failure") is not None or c.find("error") is not None]
    return len(cases), sorted(set(failed))


def pytest_run(target: str, tests: str, threads: int, iterations: int, timeout: float, label: str) -> dict[str, Any]:
    junit = str(Path(tests).parent / f"junit-{label}.xml")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHON_GIL", "PYTHONPATH")}
    done = run([target, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--import-mode=importlib", "--rootdir",
                tests, f"--parallel-threads={threads}", f"--iterations={iterations}", f"--junitxml={junit}",
                tests], timeout, cwd=str(Path(tests).parent), env=env)
    done["total"], done["failed"] = failed_tests(junit)
    return done


def stress(base: str, target: str, packages: list[dict[str, Any]], settings: dict[str, Any],
           work: str) -> None:
    """Run each requested, installed package's own sdist tests under threads; the result lands in package."""
    chosen = [p for p in packages if p["requested"] and (p.get("install") or {}).get("ok")]
    if not chosen:
        return
    tools = run([base, "-m", "pip", *PIP, "--python", target, *INSTALL, "pytest", "pytest-run-parallel"],
                float(settings["timeout"]))
    for package in chosen:
        if tools["returncode"] != 0:
            package["stress"] = {"error": "pytest-run-parallel did not install: " + tail(tools["output"], 1)}
            continue
        where = Path(work) / "stress" / package["name"]
        where.mkdir(parents=True, exist_ok=True)
        fetched = run([base, "-m", "pip", *PIP, "download", "--no-deps", "--no-binary", ":all:", "--dest", str(where),
                       f"{package['name']}=={package['version']}"], float(settings["timeout"]))
        archives = sorted(str(f) for f in where.iterdir() if f.name.endswith((".tar.gz", ".tgz")))
        if fetched["returncode"] != 0 or not archives:
            package["stress"] = {"error": "no sdist to take tests from: " + tail(fetched["output"], 1)}
            continue
        tests = sdist_tests(archives[0], str(where / "src"))
        if tests is None:
            package["stress"] = {"no_tests": True}
            continue
        threads, timeout = int(settings["threads"]), float(settings["timeout"])
        parallel = pytest_run(target, tests, threads, int(settings["iterations"]), timeout, "parallel")
        result: dict[str, Any] = {"threads": threads, "parallel": parallel}
        if parallel["failed"]:  # the same tests one at a time: what fails only in threads is the finding
            result["serial"] = pytest_run(target, tests, 1, 1, timeout, "serial")
        package["stress"] = result


def main() -> None:
    request = json.loads(Path(sys.argv[1]).read_text())
    work = "/tmp/dualpy-readiness"
    shutil.rmtree(work, ignore_errors=True)
    Path(work).mkdir(parents=True)
    base = request["freethreaded"]
    timeout = float(request.get("build_timeout", 900))
    constraints = write_lines(str(Path(work) / "constraints.txt"), request.get("constraints", []))
    target = venv(base, str(Path(work) / "venv-t"))
    report: dict[str, Any] = {"python": sys.version.split()[0], "interpreter": base}
    phases: dict[str, float] = {}
    started = time.monotonic()

    def phase(name: str) -> None:
        nonlocal started
        phases[name] = round(time.monotonic() - started, 1)
        started = time.monotonic()

    resolution, items = resolve(base, target, request["requirements"], constraints, work, timeout)
    report["resolution"] = resolution
    phase("resolve")
    built = build_sdists(base, items, work, timeout)
    phase("build")
    paths = {}
    for item in items:
        name = item["metadata"]["name"]
        url = item["download_info"]["url"]
        if filename_of(url).endswith(".whl"):
            paths[name] = url
        elif built[name]["wheel"]:
            paths[name] = built[name]["wheel"]
    installed = install(base, target, paths, timeout) if paths else {}
    phase("install")
    present = {d["name"].lower(): d for d in distributions(target)}
    modules = {}
    packages = []
    for item in items:
        name = item["metadata"]["name"]
        dist = present.get(name.lower(), {})
        modules[name] = modules_of(dist.get("files", []), int(request.get("max_modules", 64))) if dist else []
        packages.append({"name": name, "version": item["metadata"]["version"],
                         "requested": bool(item.get("requested")), "file": filename_of(item["download_info"]["url"]),
                         "classifiers": item["metadata"].get("classifier", []), "build": built.get(name),
                         "install": installed.get(name), "modules": modules[name]})
    imports = import_all(target, modules, float(request.get("import_timeout", 60)), request["import_child"])
    phase("import")
    for package in packages:
        package["imports"] = imports.get(package["name"], {})
    failed = {p["name"]: [m for m, r in p["imports"].items() if not r["ok"]] for p in packages}
    failed = {name: mods for name, mods in failed.items() if mods}
    if request.get("gil") and failed:
        twin = venv(request["gil"], str(Path(work) / "venv-gil"))
        names = [p for p in packages if p["name"] in failed]
        twin_reqs = [f"{p['name']}=={p['version']}" for p in names]
        done = run([request["gil"], "-m", "pip", *PIP, "--python", twin, *INSTALL, *twin_reqs, "-c", constraints],
                   timeout)
        report["gil_install"] = {"ok": done["returncode"] == 0, "output": tail(done["output"], 5)}
        if done["returncode"] == 0:
            twin_imports = import_all(twin, failed, float(request.get("import_timeout", 60)),
                                      request["import_child"])
            for package in names:
                package["gil_imports"] = twin_imports.get(package["name"], {})
    phase("gil-twin")
    if request.get("stress"):
        stress(base, target, packages, request["stress"], work)
        phase("stress")
    report["packages"] = packages
    report["phase_seconds"] = phases
    print(json.dumps(report))


if __name__ == "__main__":
    main()
