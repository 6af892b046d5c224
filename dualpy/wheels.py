"""Build the normal and the free-threaded wheels of a project by driving cibuildwheel (not reimplementing it)."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import tomllib
from collections import deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from packaging.utils import parse_wheel_filename

from dualpy import __version__, console, engine
from dualpy.cibw import CibuildwheelRelease, choose_releases, venv_dir, venv_python
from dualpy.errors import BuildFailed, ConfigurationError, ImageNotFound, UsageError
from dualpy.images import default_tag
from dualpy.paths import cache_dir
from dualpy.pipconfig import PipSettings, container_environment, host_pip_settings
from dualpy.recipes import find_release
from dualpy.tags import ALL_VARIANTS, PythonMinor, PythonTarget, Variant, machine_arch, targets_for

MANIFEST_NAME = "dualpy-manifest.json"
MANIFEST_SCHEMA_VERSION = 1
RUN_LABEL = "io.dualpy.wheels-run"  # on each build container, so an interrupted run removes only its own
LOG_TAIL_LINES = 30
# cibuildwheel exit codes (cibuildwheel/errors.py)
CONFIGURATION_ERROR_EXIT = 2
NOTHING_SELECTED_EXIT = 3
PURE_PYTHON_EXIT = 5
_ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_BUILDING_RE = re.compile(r"^Building (\S+) wheel$")
_FINISHED_RE = re.compile(r"^(?:✓|done) (\S+) finished in ")  # "done" when stdout cannot take unicode
_SAFE_WORD_RE = re.compile(r"^[\w@%+=:,./-]+$")
_BUILD_ARTIFACTS = ("build", "dist", "*.egg-info", "__pycache__", ".venv", ".tox", ".nox", "wheelhouse")


@dataclass(frozen=True)
class Project:
    """What PROJECT names: a source tree or an sdist, and its [tool.cibuildwheel] table as Linux sees it."""

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
    except (tarfile.TarError, OSError):
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
        try:
            document = _pyproject_of_sdist(path)
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(f"{path}: its pyproject.toml is not valid TOML ({exc})") from None
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


@dataclass(frozen=True)
class BuildPlan:
    """One cibuildwheel run: a release, a build container and the identifiers it builds."""

    release: CibuildwheelRelease
    image: str | None  # None: cibuildwheel's own manylinux image
    targets: tuple[PythonTarget, ...]
    arch: str

    @property
    def identifiers(self) -> tuple[str, ...]:
        """The cibuildwheel identifiers, e.g. ('cp313-manylinux_x86_64', 'cp313t-manylinux_x86_64')."""
        return tuple(t.identifier(self.arch) for t in self.targets)


def default_image(python: str) -> str:
    """The dualpy image of the release a --python request names: the latest recipe release of a minor."""
    _recipe, release = find_release(python)
    return default_tag(release.version)


def plan_builds(
    pythons: list[str], variants: tuple[Variant, ...], image: str | None, manylinux: bool, arch: str | None = None
) -> list[BuildPlan]:
    """Decide the cibuildwheel runs for the requested Pythons and variants (pure but for reading recipes)."""
    if image and manylinux:
        raise UsageError("--image and --manylinux exclude each other: pick one build container")
    if not pythons:
        raise UsageError("no Python requested: pass --python 3.13")
    arch = arch or machine_arch()
    containers: dict[PythonMinor, str | None] = {}
    for python in pythons:
        if image or manylinux:
            minor = PythonMinor.parse(python)
            containers[minor] = image  # None with --manylinux
        else:
            recipe, _release = find_release(python)
            containers[recipe.minor] = default_image(python)
    plans = []
    for release, minors in choose_releases(containers).items():
        for container in dict.fromkeys(containers[m] for m in minors):
            chosen = [m for m in minors if containers[m] == container]
            targets = tuple(t for m in chosen for t in targets_for(m, variants))
            plans.append(BuildPlan(release, container, targets, arch))
    return plans


def default_jobs() -> int:
    """Processes side by side unless told: one per variant on a machine with two cores or more."""
    return min(2, os.cpu_count() or 1)


def split_plan(plan: BuildPlan, jobs: int) -> list[BuildPlan]:
    """The cibuildwheel processes of one plan: one for all its identifiers, or one per variant when jobs > 1.

    Splitting by variant keeps a run's GIL identifiers together, so cibuildwheel can still reuse an abi3
    wheel across Pythons (a t build never can).
    """
    if jobs <= 1:
        return [plan]
    groups = [tuple(t for t in plan.targets if t.variant is variant) for variant in ALL_VARIANTS]
    return [replace(plan, targets=group) for group in groups if group]


def bash_word(value: str) -> str:
    """A value quoted so that cibuildwheel's bash-syntax environment parser gives it back unchanged."""
    if _SAFE_WORD_RE.match(value):
        return value
    if "'" not in value:
        return f"'{value}'"
    # cibuildwheel's evaluator does not join '...'"'"'...' pieces, so a value holding ' is double-quoted.
    return '"' + re.sub(r'(["\\$`])', r"\\\1", value) + '"'


def _environment_option(value) -> str:
    """The project's `environment` in cibuildwheel's string form (a TOML table becomes NAME="value" pairs)."""
    if not value:
        return ""
    if isinstance(value, dict):
        return " ".join(f'{name}="{text}"' for name, text in value.items())
    return str(value)


def _overrides_set(table: dict, option: str) -> bool:
    return any(option in override for override in table.get("overrides", []) or [])


def _container_engine_option(table: dict, host_env: Mapping[str, str], run_token: str) -> str:
    """The project's container-engine setting plus a label that marks this run's containers."""
    base = host_env.get("CIBW_CONTAINER_ENGINE_LINUX") or host_env.get("CIBW_CONTAINER_ENGINE")
    if base is None:
        value = table.get("container-engine", "docker")
        if isinstance(value, dict):
            base = "; ".join(
                f"{key}:{' '.join(shlex.quote(str(v)) for v in item) if isinstance(item, list) else item}"
                for key, item in value.items()
            )
        else:
            base = str(value)
    key = "create-args" if "create-args" in base else "create_args"  # cibuildwheel reads only one of the two
    return f"{base}; {key}: --label={RUN_LABEL}={run_token}"


def cibuildwheel_environment(
    plan: BuildPlan,
    project: Project,
    pip_environment: Mapping[str, str],
    test_command: str | None = None,
    host_env: Mapping[str, str] | None = None,
    run_token: str = "print-config",
) -> dict[str, str]:
    """The CIBW_* settings of one run: dualpy's selection and network settings after the project's own (pure).

    cibuildwheel lets an environment variable replace a pyproject option, so wherever the project sets an
    option dualpy also needs, the project's value is carried into the variable and dualpy's is added after it.
    """
    host_env = os.environ if host_env is None else host_env
    table = project.cibuildwheel_table
    env = {
        "CIBW_BUILD": " ".join(plan.identifiers),
        "CIBW_ARCHS_LINUX": plan.arch,
        "CIBW_CONTAINER_ENGINE_LINUX": _container_engine_option(table, host_env, run_token),
    }
    if plan.image:
        env[f"CIBW_MANYLINUX_{plan.arch.upper()}_IMAGE"] = plan.image
    if plan.release.needs_enable and any(t.variant is Variant.FREETHREADED for t in plan.targets):
        env["CIBW_ENABLE"] = "cpython-freethreading"  # cibuildwheel appends this variable to the project's list
    if pip_environment and _overrides_set(table, "environment"):
        # A CIBW_ENVIRONMENT variable would also replace the overrides' environments; environment-pass is
        # applied beneath whatever environment each identifier gets.
        passed = host_env.get("CIBW_ENVIRONMENT_PASS_LINUX") or host_env.get("CIBW_ENVIRONMENT_PASS")
        names = passed.split() if passed is not None else _as_list(table.get("environment-pass"))
        env["CIBW_ENVIRONMENT_PASS_LINUX"] = " ".join(dict.fromkeys([*names, *pip_environment]))
    elif pip_environment:
        base = host_env.get("CIBW_ENVIRONMENT_LINUX") or host_env.get("CIBW_ENVIRONMENT")
        if base is None:
            base = _environment_option(table.get("environment"))
        ours = " ".join(f"{name}={bash_word(value)}" for name, value in pip_environment.items())
        env["CIBW_ENVIRONMENT_LINUX"] = f"{base} {ours}".strip()
    if test_command is not None:
        env["CIBW_TEST_COMMAND"] = test_command
    return env


def _as_list(value) -> list[str]:
    if value is None:
        return []
    return value.split() if isinstance(value, str) else [str(v) for v in value]


def process_environment(cibw_env: Mapping[str, str], pip_environment: Mapping[str, str]) -> dict[str, str]:
    """The environment cibuildwheel itself runs with: the host's, dualpy's CIBW_* settings, and the pip
    settings only when they travel by environment-pass (their /host paths mean nothing on the host)."""
    env = {**os.environ, **cibw_env}
    if "CIBW_ENVIRONMENT_PASS_LINUX" in cibw_env:
        env.update(pip_environment)
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
    cibuildwheel: str | None = None  # the release whose run produced it (also for the pure-Python fallback)
    image_digest: str | None = None  # a registry digest, when the image came from one


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def describe_wheel(
    path: Path,
    python: PythonMinor,
    built_by: str,
    image: str | None,
    image_id: str | None,
    cibuildwheel: str | None = None,
    image_digest: str | None = None,
) -> WheelRecord:
    """The manifest record of a built wheel: which interpreter it serves, and why, from its tags."""
    name, version, _build, tags = parse_wheel_filename(path.name)
    abis = {t.abi for t in tags}
    note = ""
    if abis == {"none"}:
        variant, note = "both", "pure-Python wheel: one py3-none-any wheel serves the GIL and the free-threaded build"
    elif "abi3" in abis:
        variant = "gil"
        note = ("abi3 (limited API) wheel: it serves the GIL build only; free-threaded "
                f"{python} has no limited API (cpython#111506), so the t build gets its own "
                f"cp{python.nodot}t wheel")
    elif any(a.endswith("t") for a in abis):
        variant = "freethreaded"
    else:
        variant = "gil"
    return WheelRecord(path.name, str(name), str(version), str(python), variant, sorted(str(t) for t in tags),
                       _sha256(path), built_by, image, image_id, note, cibuildwheel, image_digest)


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
        """The documented --json shape."""
        return {"output_dir": self.output_dir, "wheels": [asdict(w) for w in self.wheels],
                "cibuildwheel_versions": self.cibuildwheel_versions, "log": self.log_path,
                "seconds": round(self.seconds, 1), "identifiers": self.identifiers}


class CibuildwheelOutput:
    """Streams cibuildwheel's output to the log and prints one line per identifier as its state changes."""

    def __init__(self, log, identifiers: tuple[str, ...], prefix: str = "", lock: threading.Lock | None = None):
        self.log = log
        self.prefix = prefix  # marks each log line when several processes share the log
        self.lock = lock or threading.Lock()
        self.tail: deque[str] = deque(maxlen=LOG_TAIL_LINES)
        self.states: dict[str, dict] = {i: {"state": "pending", "seconds": None} for i in identifiers}
        self.current: str | None = None
        self.started_at = time.monotonic()

    def feed(self, line: str) -> None:
        """Log one line of output; report an identifier starting or finishing."""
        with self.lock:
            self.log.write(self.prefix + line)
        text = _ANSI_RE.sub("", line).rstrip()
        self.tail.append(text)
        text = text.strip()
        if match := _BUILDING_RE.match(text):
            self.current = match[1]
            self.started_at = time.monotonic()
            self.states[self.current] = {"state": "building", "seconds": None}
            console.info(f"  {self.current}: building")
        elif (match := _FINISHED_RE.match(text)) and match[1] in self.states:
            seconds = round(time.monotonic() - self.started_at, 1)
            self.states[match[1]] = {"state": "built", "seconds": seconds}
            console.info(f"  {match[1]}: built in {seconds:.1f}s")
            self.current = None

    def finish(self, state: str, never_started: str = "not built") -> None:
        """Settle what the run left open: the identifier in progress, and those it never started."""
        if self.current:
            seconds = round(time.monotonic() - self.started_at, 1)
            self.states[self.current] = {"state": state, "seconds": seconds}
            console.info(f"  {self.current}: {state} after {seconds:.1f}s")
            self.current = None
        for identifier, entry in self.states.items():
            if entry["state"] == "pending":
                entry["state"] = never_started
                console.info(f"  {identifier}: {never_started}")


def _remove_run_containers(run_token: str) -> None:
    """Remove the build containers of this run that cibuildwheel could not remove itself."""
    try:
        leftovers = list(engine.iter_containers(f"{RUN_LABEL}={run_token}"))
    except Exception:  # the engine is gone: there is nothing it could still run for us
        return
    for container in leftovers:
        try:
            container.remove(force=True)
        except Exception:  # removed meanwhile by cibuildwheel's own clean-up
            pass


class _TerminateAsInterrupt:
    """While active, SIGTERM (a cancelled CI job) unwinds like Ctrl-C, so the same clean-up runs."""

    def __enter__(self):
        self.previous = None
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
        return self

    def __exit__(self, *exc_info):
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)


def _stop(process: subprocess.Popen) -> None:
    """Let cibuildwheel remove its container (it does on SIGINT); kill its process group if it lingers."""
    try:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        pass
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


@dataclass
class CibuildwheelProcess:
    """One cibuildwheel process: the identifiers it builds, where its wheels go, how far it got."""

    plan: BuildPlan
    output: Path
    env: dict[str, str]
    progress: CibuildwheelOutput
    popen: subprocess.Popen | None = None
    reader: threading.Thread | None = None
    code: int | None = None
    stopped: bool = False  # stopped by dualpy because another process failed

    @property
    def failed(self) -> bool:
        """True when it ended with an error of its own (not pure-Python, not stopped by dualpy)."""
        return self.code not in (0, PURE_PYTHON_EXIT, None) and not self.stopped


def _pump(process: CibuildwheelProcess) -> None:
    for line in process.popen.stdout:
        process.progress.feed(line)


def _run_cibuildwheel(python: Path, project: Path, processes: list[CibuildwheelProcess], run_token: str) -> None:
    """Run cibuildwheel processes side by side to their ends, streaming their output.

    The first failure stops the others; an interrupt (Ctrl-C, SIGTERM) stops all of them and their containers.
    """
    try:
        with _TerminateAsInterrupt():
            for process in processes:
                # Its own session: Ctrl-C reaches dualpy alone, which then stops cibuildwheel in order.
                process.popen = subprocess.Popen(
                    [str(python), "-m", "cibuildwheel", "--platform", "linux", "--output-dir", str(process.output),
                     str(project)],
                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace", env=process.env,
                    start_new_session=True, cwd=project if project.is_dir() else project.parent,
                )
                process.reader = threading.Thread(target=_pump, args=(process,), daemon=True)
                process.reader.start()
            while running := [p for p in processes if p.code is None]:
                running[0].reader.join(timeout=0.1)  # interruptible, unlike a bare wait
                for process in running:
                    if process.reader.is_alive():
                        continue
                    process.code = process.popen.wait()
                    if process.failed:
                        for other in processes:
                            if other.code is None and not other.stopped:
                                other.stopped = True
                                other.popen.send_signal(signal.SIGINT)  # cibuildwheel removes its container
    except BaseException:
        for process in processes:
            if process.popen and process.code is None:
                process.progress.finish("interrupted")
                _stop(process.popen)
        _remove_run_containers(run_token)
        raise


def _ignore_artifacts(directory: str, names: list[str]) -> set[str]:
    return {n for n in names if any(fnmatch.fnmatch(n, p) for p in _BUILD_ARTIFACTS) or ".dualpy-" in n}


def _build_pure_wheel(project: Project, output: Path, log) -> Path:
    """Build the one py3-none-any wheel with `build` (cibuildwheel leaves pure-Python projects to it).

    It builds from a copy, so the project's tree gets no build/ or *.egg-info.
    """
    with tempfile.TemporaryDirectory(prefix="dualpy-pure-") as scratch:
        if project.is_sdist:
            with tarfile.open(project.path) as archive:
                archive.extractall(scratch, filter="data")
            (source,) = [p for p in Path(scratch).iterdir() if p.is_dir()]
        else:
            source = Path(scratch) / project.path.name
            shutil.copytree(project.path, source, ignore=_ignore_artifacts, symlinks=True)
        result = subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(output), str(source)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        log.write(result.stdout)
        if result.returncode != 0:
            last = (result.stdout.strip().splitlines() or ["?"])[-1]
            raise BuildFailed(f"building the pure-Python wheel with `build` failed ({last})")
    (wheel,) = output.glob("*.whl")
    return wheel


def selected_identifiers(python: Path, project: Project, env: dict[str, str]) -> list[str]:
    """What cibuildwheel itself would build with these settings (`--print-build-identifiers`, no engine)."""
    result = subprocess.run(
        [str(python), "-m", "cibuildwheel", "--platform", "linux", "--print-build-identifiers", str(project.path)],
        capture_output=True, text=True, env=env, cwd=project.path if project.path.is_dir() else project.path.parent,
    )
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["?"])[-1]
        raise ConfigurationError(f"cibuildwheel rejected the settings ({_ANSI_RE.sub('', last)})")
    return result.stdout.split()


def describe_config(
    project: Project,
    plans: list[BuildPlan],
    pip_env: dict[str, str],
    test_command: str | None,
    jobs: int = 1,
    selections: list[list[str]] | None = None,
) -> dict:
    """The merged settings dualpy will hand to each cibuildwheel process (what --print-config shows)."""
    runs = []
    for group, plan in enumerate(plans):
        for part in split_plan(plan, jobs):
            cibw_env = cibuildwheel_environment(part, project, pip_env, test_command)
            runs.append({
                "cibuildwheel": part.release.version,
                "cibuildwheel_venv": str(venv_dir(part.release)),
                "side_by_side_group": group,  # processes of one group run at the same time
                "image": part.image or "cibuildwheel's manylinux default",
                "identifiers": list(part.identifiers),
                "selected_by_cibuildwheel": selections[len(runs)] if selections else None,
                "cibuildwheel_environment": cibw_env,
                "container_environment": dict(pip_env),
                "network_settings_via": ("environment-pass" if "CIBW_ENVIRONMENT_PASS_LINUX" in cibw_env
                                         else "CIBW_ENVIRONMENT_LINUX"),
            })
    return {"project": str(project.path), "project_cibuildwheel": project.cibuildwheel_table, "runs": runs}


def print_config(
    project_path: Path,
    pythons: list[str],
    *,
    image: str | None = None,
    manylinux: bool = False,
    variants: tuple[Variant, ...] = ALL_VARIANTS,
    test_command: str | None = None,
    pip_settings: PipSettings | None = None,
    jobs: int | None = None,
) -> dict:
    """The merged settings of each cibuildwheel process, with the identifiers cibuildwheel itself selects."""
    project = load_project(project_path)
    plans = plan_builds(pythons, variants, image, manylinux)
    jobs = default_jobs() if jobs is None else jobs
    pip_env = container_environment(pip_settings or host_pip_settings())
    selections = []
    for plan in plans:
        python = venv_python(plan.release)
        for part in split_plan(plan, jobs):
            cibw_env = cibuildwheel_environment(part, project, pip_env, test_command)
            selections.append(selected_identifiers(python, project, process_environment(cibw_env, pip_env)))
    return describe_config(project, plans, pip_env, test_command, jobs, selections)


def _read_manifest(path: Path) -> list[dict]:
    try:
        return json.loads(path.read_text()).get("wheels", [])
    except (OSError, ValueError):
        return []


def write_manifest(output_dir: Path, records: list[WheelRecord], extra: list[dict] | None = None) -> Path:
    """Write dualpy-manifest.json atomically, keeping earlier entries whose files are still there."""
    path = output_dir / MANIFEST_NAME
    new = [asdict(r) for r in records]
    names = {r["filename"] for r in new} | {e.get("filename") for e in extra or []}
    kept = [e for e in _read_manifest(path)
            if e.get("filename") not in names and (output_dir / e.get("filename", "")).exists()]
    document = {"schema_version": MANIFEST_SCHEMA_VERSION, "dualpy": __version__,
                "wheels": kept + new + list(extra or [])}
    temp = output_dir / f".{MANIFEST_NAME}.{secrets.token_hex(4)}.tmp"  # unique: parallel writers don't collide
    try:
        temp.write_text(json.dumps(document, indent=2) + "\n")
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return path


def _check_images(plans: list[BuildPlan]) -> None:
    engine.client()  # engine down: one line, before anything is written
    for plan in plans:
        if plan.image and not engine.image_exists(plan.image):
            version = re.match(r"^3\.\d+(?:\.\d+)?", plan.image.rpartition(":")[2])
            python = version[0] if version else str(min(t.minor for t in plan.targets))
            raise ImageNotFound(f"image {plan.image} is not in the local engine: build it with "
                                f"`dualpy images build --python {python}` (or pass --image TAG)")


def _run_token(project: Project) -> str:
    return f"{project.path.name.removesuffix('.tar.gz')}-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"


def _configuration_error(process: CibuildwheelProcess, log_path: Path) -> ConfigurationError:
    reason = ("the project's configuration selects none of them (its requires-python, skip or build setting)"
              if process.code == NOTHING_SELECTED_EXIT else "it rejects the configuration")
    return ConfigurationError(f"cibuildwheel {process.plan.release.version} built nothing for "
                              f"{' '.join(process.plan.identifiers)}: {reason}; full log: {log_path}")


def _build_failed(process: CibuildwheelProcess, log_path: Path) -> BuildFailed:
    console.stderr.print("\n".join(process.progress.tail), markup=False, highlight=False)
    return BuildFailed(f"cibuildwheel {process.plan.release.version} failed (exit {process.code}) building "
                       f"{' '.join(process.plan.identifiers)}; full log: {log_path}")


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
    jobs: int | None = None,
) -> BuildResult:
    """Build the GIL and free-threaded wheels of a project for each Python; move them in only on full success."""
    project = load_project(project_path)
    plans = plan_builds(pythons, variants, image, manylinux)
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 1:
        raise UsageError(f"--jobs {jobs}: give 1 (one cibuildwheel process) or more")
    _check_images(plans)
    pip_env = container_environment(pip_settings or host_pip_settings())
    run_token = _run_token(project)
    logs = cache_dir() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / f"wheels-{run_token}.log"
    started = time.monotonic()
    output_dir = output_dir.absolute()
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    # Beside the output dir (same file system, so the final moves are renames), never inside it.
    staging = Path(tempfile.mkdtemp(dir=output_dir.parent, prefix=f".{output_dir.name}.dualpy-"))
    records: list[WheelRecord] = []
    identifiers: dict[str, dict] = {}
    console.info(f"  full log: {log_path}")
    try:
        with open(log_path, "w", buffering=1) as log:
            lock = threading.Lock()
            for index, plan in enumerate(plans):
                python = venv_python(plan.release)
                console.step(f"cibuildwheel {plan.release.version} ({python.parent.parent}): "
                             f"{' '.join(plan.identifiers)} in {plan.image or 'the manylinux image'}")
                parts = split_plan(plan, jobs)
                processes = []
                for number, part in enumerate(parts):
                    cibw_env = cibuildwheel_environment(part, project, pip_env, test_command, run_token=run_token)
                    prefix = f"[{' '.join(t.abi_tag for t in part.targets)}] " if len(parts) > 1 else ""
                    log.write(f"# dualpy {__version__}: {prefix}cibuildwheel {plan.release.version} "
                              f"{json.dumps(cibw_env)}\n")
                    output = staging / f"{index}-{number}"
                    output.mkdir()
                    processes.append(CibuildwheelProcess(
                        part, output, process_environment(cibw_env, pip_env),
                        CibuildwheelOutput(log, part.identifiers, prefix, lock)))
                _run_cibuildwheel(python, project.path, processes, run_token)
                for process in processes:
                    if process.failed:
                        process.progress.finish("failed")
                    elif process.stopped:
                        process.progress.finish("stopped (another process failed)")
                for process in processes:
                    if process.code in (CONFIGURATION_ERROR_EXIT, NOTHING_SELECTED_EXIT):
                        raise _configuration_error(process, log_path)
                    if process.failed:
                        raise _build_failed(process, log_path)
                if any(p.code == PURE_PYTHON_EXIT for p in processes):
                    for process in processes:
                        process.progress.finish("pure Python")
                    console.info("  pure-Python project: building its one py3-none-any wheel with `build`")
                    (staging / "pure").mkdir()
                    wheel = _build_pure_wheel(project, staging / "pure", log)
                    records.append(describe_wheel(wheel, min(t.minor for t in plan.targets), "build (pure Python)",
                                                  None, None, plan.release.version))
                    served = {"state": "served by the py3-none-any wheel", "seconds": None}
                    identifiers.update({i: dict(served) for p in processes for i in p.progress.states})
                    break  # pure for one Python is pure for all: one wheel serves every request
                facts = engine.image_facts(plan.image) if plan.image else None
                minors = {t.minor for t in plan.targets}
                for process in processes:
                    process.progress.finish("built", never_started="skipped by the project's configuration")
                    identifiers.update(process.progress.states)
                    for wheel in sorted(process.output.glob("*.whl")):
                        records.append(describe_wheel(
                            wheel, _wheel_minor(wheel, minors), f"cibuildwheel {plan.release.version}", plan.image,
                            facts.id if facts else None, plan.release.version,
                            facts.repo_digests[0] if facts and facts.repo_digests else None,
                        ))
        if not records:
            raise BuildFailed(f"cibuildwheel built no wheel; full log: {log_path}")
        staged = {record.filename: path for record in records for path in staging.glob(f"*/{record.filename}")}
        output_dir.mkdir(exist_ok=True)
        for name, path in staged.items():
            os.replace(path, output_dir / name)
        if write_manifest_file:
            write_manifest(output_dir, records)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    for record in records:
        if record.note:
            console.info(f"  {record.filename}: {record.note}")
    return BuildResult(str(output_dir), records, sorted({p.release.version for p in plans}), str(log_path),
                       time.monotonic() - started, identifiers)


def _wheel_minor(wheel: Path, minors: set[PythonMinor]) -> PythonMinor:
    """The Python a wheel was built for: from its interpreter tag, else the run's only minor."""
    _name, _version, _build, tags = parse_wheel_filename(wheel.name)
    for tag in tags:
        match = re.match(r"^cp(\d)(\d+)$", tag.interpreter)
        if match:
            return PythonMinor(int(match[1]), int(match[2]))
    return min(minors)
