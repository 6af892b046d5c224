"""Build the normal and the free-threaded wheels of a project by driving cibuildwheel (not reimplementing it)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path

from packaging.utils import parse_wheel_filename

from dualpy import __version__, console, engine
from dualpy.cibw import CibuildwheelRelease, choose_releases, venv_python
from dualpy.errors import BuildFailed, ImageNotFound, UsageError
from dualpy.images import default_tag
from dualpy.paths import cache_dir
from dualpy.pipconfig import PipSettings, container_environment, host_pip_settings
from dualpy.recipes import find_release
from dualpy.tags import ALL_VARIANTS, PythonMinor, PythonTarget, Variant, machine_arch, targets_for

MANIFEST_NAME = "dualpy-manifest.json"
MANIFEST_SCHEMA_VERSION = 1
PURE_PYTHON_EXIT = 5  # cibuildwheel: "a pure-Python wheel was built"
_BUILDING_RE = re.compile(r"^Building (\S+) wheel")
_FINISHED_RE = re.compile(r"^✓ (\S+) finished in (.+)$")


@dataclass(frozen=True)
class Project:
    """What PROJECT names: a source tree or an sdist, and its [tool.cibuildwheel] table."""

    path: Path
    is_sdist: bool
    cibuildwheel_table: dict


def _pyproject_of_sdist(sdist: Path) -> dict:
    with tarfile.open(sdist) as archive:
        for member in archive.getmembers():
            parts = member.name.split("/")
            if len(parts) == 2 and parts[1] == "pyproject.toml":
                return tomllib.loads(archive.extractfile(member).read().decode())
    return {}


def _has_project_file_in_sdist(sdist: Path) -> bool:
    try:
        with tarfile.open(sdist) as archive:
            return any(m.name.count("/") == 1 and m.name.endswith(("/pyproject.toml", "/setup.py"))
                       for m in archive.getmembers())
    except tarfile.TarError:
        return False


def load_project(path: Path) -> Project:
    """Check that PROJECT is a source tree with pyproject.toml/setup.py, or an sdist; read its cibuildwheel table."""
    if not path.exists():
        raise UsageError(f"{path}: no such project directory or sdist")
    if path.is_file():
        if not path.name.endswith(".tar.gz"):
            raise UsageError(f"{path}: a project is a source directory or an sdist (.tar.gz)")
        if not _has_project_file_in_sdist(path):
            raise UsageError(f"{path}: not an sdist (no pyproject.toml or setup.py at its top)")
        document = _pyproject_of_sdist(path)
        return Project(path.resolve(), True, _cibuildwheel_table(document))
    pyproject = path / "pyproject.toml"
    if not pyproject.is_file() and not (path / "setup.py").is_file():
        raise UsageError(f"{path}: no pyproject.toml or setup.py here; point PROJECT at a Python project")
    document = {}
    if pyproject.is_file():
        try:
            document = tomllib.loads(pyproject.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(f"{pyproject}: not valid TOML ({exc})") from None
    return Project(path.resolve(), False, _cibuildwheel_table(document))


def _cibuildwheel_table(document: dict) -> dict:
    """The project's [tool.cibuildwheel] with the [tool.cibuildwheel.linux] table applied over it."""
    table = dict(document.get("tool", {}).get("cibuildwheel", {}))
    linux = table.pop("linux", {}) or {}
    for platform in ("macos", "windows", "ios", "pyodide", "android"):
        table.pop(platform, None)
    return {**table, **linux}


def _as_list(value) -> list[str]:
    if value is None:
        return []
    return value.split() if isinstance(value, str) else [str(v) for v in value]


@dataclass(frozen=True)
class BuildPlan:
    """One cibuildwheel run: a release, a build container and the identifiers it builds."""

    release: CibuildwheelRelease
    image: str | None  # None: cibuildwheel's own manylinux image
    targets: tuple[PythonTarget, ...]
    arch: str

    @property
    def identifiers(self) -> tuple[str, ...]:
        return tuple(t.identifier(self.arch) for t in self.targets)


def plan_builds(
    pythons: list[str], variants: tuple[Variant, ...], image: str | None, manylinux: bool, arch: str | None = None
) -> list[BuildPlan]:
    """Decide the cibuildwheel runs for the requested Pythons and variants (pure)."""
    if image and manylinux:
        raise UsageError("--image and --manylinux exclude each other: pick one build container")
    if not pythons:
        raise UsageError("no Python requested: pass --python 3.13")
    arch = arch or machine_arch()
    by_minor: dict[PythonMinor, str | None] = {}
    for python in pythons:
        _recipe, release = find_release(python)
        minor = release.minor
        by_minor[minor] = None if manylinux else (image or default_tag(release.version))
    plans = []
    for cibw_release, minors in choose_releases(by_minor).items():
        for container in dict.fromkeys(by_minor[m] for m in minors):
            chosen = [m for m in minors if by_minor[m] == container]
            targets = tuple(t for m in chosen for t in targets_for(m, variants))
            plans.append(BuildPlan(cibw_release, container, targets, arch))
    return plans


def cibuildwheel_environment(
    plan: BuildPlan,
    project: Project,
    pip_environment: dict[str, str],
    test_command: str | None = None,
) -> dict[str, str]:
    """The CIBW_* settings dualpy adds for one run, merged with the project's own where both set a list (pure)."""
    table = project.cibuildwheel_table
    env = {
        "CIBW_BUILD": " ".join(plan.identifiers),
        "CIBW_SKIP": "",
        "CIBW_ARCHS_LINUX": plan.arch,
        "CIBW_PLATFORM": "linux",
    }
    if plan.image:
        env[f"CIBW_MANYLINUX_{plan.arch.upper()}_IMAGE"] = plan.image
    if plan.release.needs_enable and any(t.variant is Variant.FREETHREADED for t in plan.targets):
        enable = _as_list(table.get("enable"))
        env["CIBW_ENABLE"] = " ".join(dict.fromkeys([*enable, "cpython-freethreading"]))
    passed = _as_list(table.get("environment-pass"))
    env["CIBW_ENVIRONMENT_PASS_LINUX"] = " ".join(dict.fromkeys([*passed, *sorted(pip_environment)]))
    if test_command is not None:
        env["CIBW_TEST_COMMAND"] = test_command
    return env


@dataclass
class WheelRecord:
    """One built wheel as the manifest lists it."""

    filename: str
    project: str
    version: str
    python: str
    variant: str  # gil, freethreaded, or both (py3-none-any)
    tags: list[str]
    sha256: str
    built_by: str
    image: str | None
    image_id: str | None
    note: str = ""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def describe_wheel(
    path: Path, python: PythonMinor, built_by: str, image: str | None, image_id: str | None
) -> WheelRecord:
    """The manifest record of a built wheel: which interpreter it serves, and why, from its tags."""
    name, version, _build, tags = parse_wheel_filename(path.name)
    abis = {t.abi for t in tags}
    note = ""
    if abis == {"none"}:
        variant, note = "both", "pure-Python wheel: one py3-none-any wheel serves the GIL and the free-threaded build"
    elif "abi3" in abis:
        variant = "gil"
        note = ("abi3 (limited API) wheel: it serves the GIL build; the limited API does not exist for "
                f"free-threaded {python} (cpython#111506), so the t build needs its own cp{python.nodot}t wheel")
    elif any(a.endswith("t") for a in abis):
        variant = "freethreaded"
    else:
        variant = "gil"
    return WheelRecord(path.name, str(name), str(version), str(python), variant, sorted(str(t) for t in tags),
                       _sha256(path), built_by, image, image_id, note)


@dataclass
class BuildResult:
    """What `wheels build` produced."""

    output_dir: str
    wheels: list[WheelRecord]
    cibuildwheel_versions: list[str]
    log_path: str
    seconds: float
    identifiers: dict[str, dict] = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"output_dir": self.output_dir, "wheels": [asdict(w) for w in self.wheels],
                "cibuildwheel_versions": self.cibuildwheel_versions, "log": self.log_path,
                "seconds": round(self.seconds, 1), "identifiers": self.identifiers}


class _CibuildwheelOutput:
    """Streams cibuildwheel's output to the log and prints one line per identifier as it goes."""

    def __init__(self, log, identifiers: tuple[str, ...]):
        self.log = log
        self.tail: deque[str] = deque(maxlen=40)
        self.states = {i: {"state": "pending", "seconds": None} for i in identifiers}
        self.current: str | None = None
        self.started_at = time.monotonic()

    def feed(self, line: str) -> None:
        self.log.write(line)
        self.tail.append(line.rstrip("\n"))
        text = line.strip()
        if match := _BUILDING_RE.match(text):
            self.current = match[1]
            self.started_at = time.monotonic()
            self.states.setdefault(self.current, {})["state"] = "building"
            console.info(f"  {self.current}: building")
        elif match := _FINISHED_RE.match(text):
            seconds = round(time.monotonic() - self.started_at, 1)
            self.states[match[1]] = {"state": "built", "seconds": seconds}
            console.info(f"  {match[1]}: built in {seconds:.1f}s")
            self.current = None

    def mark_failed(self) -> None:
        if self.current:
            self.states[self.current] = {"state": "failed",
                                         "seconds": round(time.monotonic() - self.started_at, 1)}
            console.info(f"  {self.current}: failed")


def _cibuildwheel_containers() -> set[str]:
    try:
        return {c.id for c in engine.client().containers.list(all=True, filters={"name": "cibuildwheel-"})}
    except Exception:  # the engine may be gone; there is nothing to list
        return set()


def _remove_containers(ids: set[str]) -> None:
    """Remove build containers an interrupted cibuildwheel left behind."""
    for container_id in ids:
        try:
            engine.client().containers.get(container_id).remove(force=True)
        except Exception:  # already removed by cibuildwheel itself
            pass


def _run_cibuildwheel(
    python: Path, project: Path, output: Path, env: dict[str, str], progress: _CibuildwheelOutput
) -> int:
    existing = _cibuildwheel_containers()
    process = subprocess.Popen(
        [str(python), "-m", "cibuildwheel", "--platform", "linux", "--output-dir", str(output), str(project)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True,
        cwd=project if project.is_dir() else project.parent,
    )
    try:
        for line in process.stdout:
            progress.feed(line)
        return process.wait()
    except KeyboardInterrupt:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        _remove_containers(_cibuildwheel_containers() - existing)
        raise


def _build_pure_wheel(project: Project, output: Path, log) -> None:
    """Build the one py3-none-any wheel with `build` (cibuildwheel refuses pure-Python projects)."""
    source = project.path
    with tempfile.TemporaryDirectory(prefix="dualpy-sdist-") as unpacked:
        if project.is_sdist:
            with tarfile.open(project.path) as archive:
                archive.extractall(unpacked, filter="data")
            (source,) = [p for p in Path(unpacked).iterdir() if p.is_dir()]
        result = subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(output), str(source)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        log.write(result.stdout)
        if result.returncode != 0:
            raise BuildFailed(f"building the pure-Python wheel failed: {result.stdout.strip().splitlines()[-1:]}")


def print_config(project: Project, plans: list[BuildPlan], pip_env: dict[str, str], test_command: str | None) -> dict:
    """The merged settings dualpy will hand to cibuildwheel, per run."""
    return {
        "project": str(project.path),
        "project_cibuildwheel": project.cibuildwheel_table,
        "runs": [
            {
                "cibuildwheel": plan.release.version,
                "image": plan.image or "cibuildwheel's manylinux default",
                "identifiers": list(plan.identifiers),
                "cibuildwheel_environment": cibuildwheel_environment(plan, project, pip_env, test_command),
                "container_environment": pip_env,
            }
            for plan in plans
        ],
    }


def _read_manifest(path: Path) -> list[dict]:
    try:
        return json.loads(path.read_text()).get("wheels", [])
    except (OSError, ValueError):
        return []


def write_manifest(output_dir: Path, records: list[WheelRecord], extra: list[dict] | None = None) -> Path:
    """Write dualpy-manifest.json atomically, keeping earlier entries whose files are still there."""
    path = output_dir / MANIFEST_NAME
    new = [asdict(r) for r in records]
    names = {r["filename"] for r in new}
    kept = [e for e in _read_manifest(path)
            if e.get("filename") not in names and (output_dir / e.get("filename", "")).exists()]
    document = {"schema_version": MANIFEST_SCHEMA_VERSION, "dualpy": __version__,
                "wheels": kept + new + list(extra or [])}
    temp = output_dir / f".{MANIFEST_NAME}.tmp"
    temp.write_text(json.dumps(document, indent=2) + "\n")
    os.replace(temp, path)
    return path


def build_wheels(
    project_path: Path,
    pythons: list[str],
    *,
    image: str | None = None,
    manylinux: bool = False,
    variants: tuple[Variant, ...] = ALL_VARIANTS,
    output_dir: Path = Path("wheelhouse"),
    test_command: str | None = None,
    pip_settings: PipSettings | None = None,
    write_manifest_file: bool = True,
) -> BuildResult:
    """Build the GIL and free-threaded wheels of a project for each Python; move them in only on full success."""
    project = load_project(project_path)
    plans = plan_builds(pythons, variants, image, manylinux)
    engine.client()
    for plan in plans:
        if plan.image and not engine.image_exists(plan.image):
            version = plan.image.rpartition(":")[2]
            raise ImageNotFound(f"image {plan.image} is not in the local engine: build it with "
                                f"`dualpy images build --python {version}` (or pass --image TAG)")
    pip_env = container_environment(pip_settings or host_pip_settings())
    output_dir.mkdir(parents=True, exist_ok=True)
    logs = cache_dir() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / f"wheels-{project.path.name}-{int(time.time())}.log"
    started = time.monotonic()
    staging = Path(tempfile.mkdtemp(dir=output_dir, prefix=".dualpy-staging-"))
    records: list[WheelRecord] = []
    identifiers: dict[str, dict] = {}
    console.info(f"  full log: {log_path}")
    try:
        with open(log_path, "w") as log:
            for index, plan in enumerate(plans):
                python = venv_python(plan.release)
                run_dir = staging / str(index)
                run_dir.mkdir()
                cibw_env = cibuildwheel_environment(plan, project, pip_env, test_command)
                console.step(f"cibuildwheel {plan.release.version}: {' '.join(plan.identifiers)} in "
                             f"{plan.image or 'the manylinux image'}")
                log.write(f"# dualpy: cibuildwheel {plan.release.version} {json.dumps(cibw_env)}\n")
                progress = _CibuildwheelOutput(log, plan.identifiers)
                code = _run_cibuildwheel(python, project.path, run_dir,
                                         {**os.environ, **cibw_env, **pip_env}, progress)
                built_by = f"cibuildwheel {plan.release.version}"
                if code == PURE_PYTHON_EXIT:
                    console.info("  pure-Python project: building its one py3-none-any wheel with `build`")
                    _build_pure_wheel(project, run_dir, log)
                    built_by = "build (pure Python)"
                    for ident in plan.identifiers:
                        progress.states[ident] = {"state": "served by the py3-none-any wheel", "seconds": None}
                elif code != 0:
                    progress.mark_failed()
                    log.flush()
                    console.stderr.print("\n".join(list(progress.tail)[-30:]), markup=False)
                    raise BuildFailed(f"cibuildwheel {plan.release.version} failed (exit {code}) building "
                                      f"{' '.join(plan.identifiers)}; full log: {log_path}")
                identifiers.update(progress.states)
                image_id = engine.image_facts(plan.image).id if plan.image else None
                minors = {t.minor for t in plan.targets}
                for wheel in sorted(run_dir.glob("*.whl")):
                    minor = _wheel_minor(wheel, minors)
                    records.append(describe_wheel(wheel, minor, built_by, plan.image, image_id))
        if not records:
            raise BuildFailed(f"no wheel was built; full log: {log_path}")
        for record, wheel in zip(records, _staged_wheels(staging, records), strict=True):
            os.replace(wheel, output_dir / record.filename)
        if write_manifest_file:
            write_manifest(output_dir, records)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return BuildResult(str(output_dir), records, sorted({p.release.version for p in plans}), str(log_path),
                       time.monotonic() - started, identifiers)


def _staged_wheels(staging: Path, records: list[WheelRecord]) -> list[Path]:
    found = {p.name: p for p in staging.glob("*/*.whl")}
    return [found[r.filename] for r in records]


def _wheel_minor(wheel: Path, minors: set[PythonMinor]) -> PythonMinor:
    """The Python a wheel was built for: from its interpreter tag, else the run's only minor."""
    _name, _version, _build, tags = parse_wheel_filename(wheel.name)
    for tag in tags:
        match = re.match(r"^cp(\d)(\d+)$", tag.interpreter)
        if match:
            return PythonMinor(int(match[1]), int(match[2]))
    return min(minors)
