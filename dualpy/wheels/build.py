"""`wheels build` from request to wheelhouse: plan, run cibuildwheel per release, collect, publish all or nothing."""

from __future__ import annotations

import json
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from packaging.utils import parse_wheel_filename

from dualpy import __version__, console, engine
from dualpy.errors import BuildFailed, ConfigurationError, image_absent
from dualpy.paths import cache_dir
from dualpy.pipconfig import container_environment, host_pip_settings
from dualpy.verify.auditors import audit_abi3
from dualpy.verify.model import Status
from dualpy.wheels.cibw import venv_python
from dualpy.wheels.compiler import prepare_floor
from dualpy.wheels.diagnose import (
    cibuildwheel_error,
    compile_error,
    failed_test,
    missing_header,
    unreachable_download,
)
from dualpy.wheels.floor import excess_message, floor_data, floor_excesses, log_failure
from dualpy.wheels.manifest import WheelRecord, describe_wheel, wheel_python, write_manifest
from dualpy.wheels.options import (
    audits_on_host,
    cibuildwheel_environment,
    config_file_text,
    container_settings,
    describe_config,
    enable_groups,
    process_environment,
    unknown_enable_groups,
)
from dualpy.wheels.plan import BuildPlan, default_jobs, image_build_python, plan_builds, split_plan
from dualpy.wheels.project import Project, load_project
from dualpy.wheels.pure import build_pure_wheel
from dualpy.wheels.request import WheelsRequest
from dualpy.wheels.runner import (
    CONFIGURATION_ERROR_EXIT,
    NOTHING_SELECTED_EXIT,
    PURE_PYTHON_EXIT,
    CibuildwheelOutput,
    CibuildwheelProcess,
    known_enable_groups,
    run_cibuildwheel,
    selected_identifiers,
)
from dualpy.wheels.system_packages import unknown_package


@dataclass
class BuildResult:
    """What `wheels build` produced."""

    output_dir: str
    wheels: list[WheelRecord]
    cibuildwheel_versions: list[str]
    log_path: str
    seconds: float
    identifiers: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: tuple[BuildFailed, ...] = ()  # with WheelsRequest.keep_built: the builds that failed beside these wheels

    def to_json(self) -> dict[str, Any]:
        """The documented --json shape."""
        return {"output_dir": self.output_dir, "wheels": [asdict(w) for w in self.wheels],
                "cibuildwheel_versions": self.cibuildwheel_versions, "log": self.log_path,
                "seconds": round(self.seconds, 1), "identifiers": self.identifiers}


@dataclass
class _Run:
    """One build_wheels call under way: what the processes of every plan share, and what they produced."""

    request: WheelsRequest
    project: Project
    pip_env: dict[str, str]
    token: str  # labels this run's containers and names its log
    log_path: Path
    log: IO[str]
    staging: Path
    lock: threading.Lock = field(default_factory=threading.Lock)
    records: list[WheelRecord] = field(default_factory=list)
    identifiers: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: list[BuildFailed] = field(default_factory=list)  # kept until the wheels that did build are published


def _jobs(request: WheelsRequest) -> int:
    return default_jobs() if request.jobs is None else request.jobs


def _pip_environment(request: WheelsRequest) -> dict[str, str]:
    return container_environment(request.pip_settings or host_pip_settings())


def _check_images(plans: list[BuildPlan]) -> None:
    """Fail in one line, before anything is written, when the engine is down or a build image is absent."""
    engine.ensure_running()
    for plan in plans:
        if plan.image and not engine.image_exists(plan.image):
            raise image_absent(plan.image, image_build_python(plan))


def _run_token(project: Project) -> str:
    return f"{project.path.name.removesuffix('.tar.gz')}-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"


def _log_path(token: str) -> Path:
    logs = cache_dir() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    return logs / f"wheels-{token}.log"


@contextmanager
def _staging_beside(output_dir: Path) -> Iterator[Path]:
    """A scratch dir beside the output dir (same file system, so the final moves are renames), never inside it."""
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=output_dir.parent, prefix=f".{output_dir.name}.dualpy-"))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def options_file(project: Project, plan: BuildPlan, directory: Path) -> Path | None:
    """The options file a plan's cibuildwheel reads instead of the project's, when the project names enable
    groups its release rejects (written into directory); None when the project's own file serves."""
    if not enable_groups(project.cibuildwheel_section):
        return None
    known = known_enable_groups(venv_python(plan.release))
    text = config_file_text(project.cibuildwheel_section, known) if known is not None else None
    if text is None or known is None:
        return None
    dropped = ", ".join(unknown_enable_groups(project.cibuildwheel_section, known))
    console.info(f"  the project's enable group(s) {dropped} are unknown to cibuildwheel {plan.release.version}: "
                 "left out of its options (dualpy names the identifiers to build itself)")
    path = directory / f"cibuildwheel-{plan.release.version}.toml"
    path.write_text(text)
    return path


def _processes(run: _Run, index: int, plan: BuildPlan) -> list[CibuildwheelProcess]:
    """The cibuildwheel processes of one plan, each with its own settings, output dir and progress."""
    parts = split_plan(plan, _jobs(run.request))
    config_file = options_file(run.project, plan, run.staging)
    if config_file is not None:
        run.log.write(f"# dualpy: cibuildwheel reads its options from {config_file.name}:\n{config_file.read_text()}")
    processes = []
    for number, part in enumerate(parts):
        cibw_env = cibuildwheel_environment(part, run.project, run.pip_env, run.request.test_command,
                                            run_token=run.token)
        prefix = f"[{' '.join(t.abi_tag for t in part.targets)}] " if len(parts) > 1 else ""
        run.log.write(f"# dualpy {__version__}: {prefix}cibuildwheel {plan.release.version} {json.dumps(cibw_env)}\n")
        output = run.staging / f"{index}-{number}"
        output.mkdir()
        progress = CibuildwheelOutput(run.log, part.identifiers, prefix, run.lock)
        processes.append(CibuildwheelProcess(part, output,
                                             process_environment(cibw_env, container_settings(part, run.pip_env)),
                                             progress, config_file))
    return processes


def _configuration_error(process: CibuildwheelProcess, log_path: Path) -> ConfigurationError:
    reason = ("the project's configuration selects none of them (its requires-python, skip or build setting)"
              if process.code == NOTHING_SELECTED_EXIT else "it rejects the configuration")
    return ConfigurationError(f"cibuildwheel {process.plan.release.version} built nothing for "
                              f"{' '.join(process.plan.identifiers)}: {reason}; full log: {log_path}")


def _floor_failure(process: CibuildwheelProcess) -> str | None:
    """The one line for a floor the build could not meet: from the repair script's report, else from the log."""
    plan = process.plan
    for line in process.progress.floor_reports:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if not isinstance(entry, dict):
            continue
        excesses = floor_excesses(entry, plan.floor, floor_data().floors.get(plan.floor.glibc or (0, 0)))
        if excesses:
            return excess_message(str(entry.get("wheel", "the wheel")), plan.floor, plan.arch, excesses)
    return log_failure(list(process.progress.tail), plan.floor, plan.arch, " ".join(plan.identifiers))


LOG_SCAN_BYTES = 8 << 20  # how much of a failed build's log is read for its cause (the end of it)


def _log_lines(log_path: Path) -> list[str]:
    try:
        with log_path.open("rb") as stream:
            stream.seek(max(0, log_path.stat().st_size - LOG_SCAN_BYTES))
            return stream.read().decode(errors="replace").splitlines()
    except OSError:
        return []


def _build_failed(process: CibuildwheelProcess, log_path: Path) -> BuildFailed:
    floor_line = _floor_failure(process)
    if floor_line is not None:
        return BuildFailed(f"{floor_line}; full log: {log_path}")
    console.stderr.print("\n".join(process.progress.tail), markup=False, highlight=False)
    lines = _log_lines(log_path)
    cause = ""
    if network := unreachable_download(lines):
        cause = f": {network}"
    elif package := unknown_package(lines, process.plan.system_packages):
        cause = (f": the system package {package} is not in the build image's Debian archive; check the name "
                 "(`apt-cache search`) in --system-packages or [tool.dualpy] system-packages")
    elif header := missing_header(lines):
        cause = (f": the C header {header} is not in the build image; name the Debian package that provides it "
                 "(its -dev package) with --system-packages or [tool.dualpy] system-packages")
    elif error := compile_error(lines):
        cause = f": its C extension did not compile ({error})"
    elif test_said := failed_test(lines, process.progress.prefix):
        cause = (f": the wheel built, but the project's test-command failed ({test_said}); the test output is in the "
                 "log")
    elif said := cibuildwheel_error(lines):
        cause = f": {said}"
    return BuildFailed(f"cibuildwheel {process.plan.release.version} failed (exit {process.code}) building "
                       f"{' '.join(process.plan.identifiers)}{cause}; full log: {log_path}")


def _settle(processes: list[CibuildwheelProcess], log_path: Path) -> BuildFailed | None:
    """Close the progress of failed and stopped processes; raise for a configuration error; the first build
    failure is returned, so that the wheels of the processes that built are kept."""
    for process in processes:
        if process.failed:
            process.progress.finish("failed")
        elif process.stopped:
            process.progress.finish("stopped (another process failed)")
    for process in processes:
        if process.code == CONFIGURATION_ERROR_EXIT:
            raise _configuration_error(process, log_path)
    failed = next((process for process in processes if process.failed), None)
    if failed is not None:
        return _build_failed(failed, log_path)
    if all(process.selected_nothing for process in processes):
        raise _configuration_error(processes[0], log_path)
    return None


def _run_plan(run: _Run, index: int, plan: BuildPlan) -> list[CibuildwheelProcess]:
    """Run one plan's cibuildwheel processes side by side; raise unless each built or found a pure project."""
    python = venv_python(plan.release)
    console.step(f"cibuildwheel {plan.release.version} ({python.parent.parent}): "
                 f"{' '.join(plan.identifiers)} in {plan.image or 'the manylinux image'}")
    processes = _processes(run, index, plan)
    run_cibuildwheel(python, run.project.path, processes, run.token)
    run.log.flush()  # _settle reads the log for a failure's cause
    failure = _settle(processes, run.log_path)
    if failure is not None:
        run.failures.append(failure)
    return processes


def _serve_pure(run: _Run, plan: BuildPlan, processes: list[CibuildwheelProcess]) -> None:
    """Build the one py3-none-any wheel in cibuildwheel's place; it serves every requested identifier."""
    for process in processes:
        process.progress.finish("pure Python")
    console.info("  pure-Python project: building its one py3-none-any wheel with `build`")
    (run.staging / "pure").mkdir()
    wheel = build_pure_wheel(run.project, run.staging / "pure", run.log)
    run.records.append(describe_wheel(wheel, plan.minors[0], "build (pure Python)", None, None,
                                      plan.release.version))
    served = {"state": "served by the py3-none-any wheel", "seconds": None}
    run.identifiers.update({i: dict(served) for p in processes for i in p.progress.states})


def _compiler(plan: BuildPlan) -> tuple[str, str | None]:
    """The compiler of a plan's wheels and its version: the pinned zig, or the image's own gcc (asked of it)."""
    if not plan.floor.native:
        return "zig", floor_data().zig_version
    if plan.image is None:
        return "gcc (cibuildwheel's manylinux image)", None
    ran = engine.run(plan.image, ["gcc", "-dumpfullversion"], entrypoint=[])
    return "gcc (the image's)", (ran.stdout.strip() or None) if ran.exit_code == 0 else None


def _audit_abi3(directory: Path, log: IO[str]) -> None:
    """The abi3 audit cibuildwheel 4.x would run (dualpy switched its own off: it downloads from GitHub), from
    verify's cached abi3audit venv; BuildFailed naming the wheel and finding, as cibuildwheel's exit 9 would."""
    tags = {w.name: frozenset(parse_wheel_filename(w.name)[3]) for w in directory.glob("*.whl")}
    for result in audit_abi3(directory, tags):
        if result.status is Status.FAIL:
            raise BuildFailed(f"the abi3 audit (abi3audit, as cibuildwheel 4.x runs it) failed for {result.subject}: "
                              f"{result.message}")
        log.write(f"# dualpy: abi3audit (in cibuildwheel 4.x's place): {result.subject}: {result.message}\n")
        console.info(f"  abi3audit: {result.subject}: {result.message}")


def _collect(run: _Run, plan: BuildPlan, processes: list[CibuildwheelProcess]) -> None:
    """Record each wheel a plan's processes that succeeded built, with the image's id and digest as provenance;
    every identifier's state."""
    compiler, compiler_version = _compiler(plan)
    facts = engine.image_facts(plan.image) if plan.image else None
    image_id = facts.id if facts else None
    digest = facts.repo_digests[0] if facts and facts.repo_digests else None
    for process in processes:
        if process.failed or process.stopped:  # its states are settled; its wheels are not kept
            run.identifiers.update(process.progress.states)
            continue
        process.progress.finish("built", never_started="skipped by the project's configuration")
        run.identifiers.update(process.progress.states)
        if audits_on_host(plan) and "audit-command" not in run.project.cibuildwheel_table:
            _audit_abi3(process.output, run.log)
        for wheel in sorted(process.output.glob("*.whl")):
            python = wheel_python(wheel.name, plan.minors[0])
            record = describe_wheel(wheel, python, f"cibuildwheel {plan.release.version}", plan.image, image_id,
                                    plan.release.version, digest)
            record.manylinux, record.compiler, record.compiler_version = str(plan.floor), compiler, compiler_version
            run.records.append(record)


def _run_plans(run: _Run, plans: list[BuildPlan]) -> None:
    for index, plan in enumerate(plans):
        processes = _run_plan(run, index, plan)
        if any(p.code == PURE_PYTHON_EXIT for p in processes):
            _serve_pure(run, plan, processes)
            return  # pure for one Python is pure for all: one wheel serves every request
        _collect(run, plan, processes)
    if not run.records:
        raise run.failures[0] if run.failures else BuildFailed(f"cibuildwheel built no wheel; full log: "
                                                                f"{run.log_path}")


def _publish(run: _Run, output_dir: Path) -> None:
    """Move every staged wheel into the output dir (renames), then write the manifest."""
    staged = {record.filename: path for record in run.records for path in run.staging.glob(f"*/{record.filename}")}
    output_dir.mkdir(exist_ok=True)
    for name, path in staged.items():
        path.replace(output_dir / name)
    if run.request.write_manifest:
        write_manifest(output_dir, run.records, identifiers=run.identifiers)


def build_wheels(request: WheelsRequest) -> BuildResult:
    """Build the GIL and free-threaded wheels of a project for each Python; move them in only on full success."""
    project = load_project(request.project)
    plans = plan_builds(request.pythons, request.variants, request.image, request.manylinux, floor=request.floor,
                        system_packages=request.system_packages)
    _check_images(plans)
    for floor, arch in dict.fromkeys((plan.floor, plan.arch) for plan in plans):
        prepare_floor(floor, arch)
    pip_env = _pip_environment(request)
    token = _run_token(project)
    log_path = _log_path(token)
    output_dir = request.output_dir.absolute()
    started = time.monotonic()
    console.info(f"  full log: {log_path}")
    with _staging_beside(output_dir) as staging, log_path.open("w", buffering=1) as log:
        run = _Run(request, project, pip_env, token, log_path, log, staging)
        _run_plans(run, plans)
        _publish(run, output_dir)
    if run.failures and not request.keep_built:  # the wheels that built are in the output dir, the manifest says
        raise run.failures[0]                    # what failed
    for record in run.records:
        if record.note:
            console.info(f"  {record.filename}: {record.note}")
    return BuildResult(str(output_dir), run.records, sorted({p.release.version for p in plans}), str(log_path),
                       time.monotonic() - started, run.identifiers, tuple(run.failures))


def print_config(request: WheelsRequest) -> dict[str, Any]:
    """The merged settings of each cibuildwheel process, with the identifiers cibuildwheel itself selects."""
    project = load_project(request.project)
    plans = plan_builds(request.pythons, request.variants, request.image, request.manylinux, floor=request.floor,
                        system_packages=request.system_packages)
    pip_env = _pip_environment(request)
    selections = []
    with tempfile.TemporaryDirectory(prefix="dualpy-print-config-") as scratch:
        for plan in plans:
            python = venv_python(plan.release)
            config_file = options_file(project, plan, Path(scratch))
            for part in split_plan(plan, _jobs(request)):
                cibw_env = cibuildwheel_environment(part, project, pip_env, request.test_command)
                selections.append(selected_identifiers(python, project,
                                                       process_environment(cibw_env, container_settings(part, pip_env)),
                                                       config_file))
    return describe_config(project, plans, pip_env, request.test_command, _jobs(request), selections)
