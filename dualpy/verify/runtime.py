"""Runtime checks in the image: install, import, GIL state, test command; and the launcher's choices."""

from __future__ import annotations

import json
import os
import shlex
from dataclasses import dataclass
from typing import Any

from dualpy import engine
from dualpy.errors import UsageError
from dualpy.images import LAUNCHER_CONFIG_PATH, image_interpreters
from dualpy.images.inspect import targets_of
from dualpy.launcher import LauncherConfig
from dualpy.pipconfig import container_environment, container_mounts, host_pip_settings
from dualpy.probes import probe_report, probe_source
from dualpy.tags import Variant
from dualpy.verify.model import CheckResult, Status
from dualpy.verify.static import WheelFacts

MATCH = "runtime.match"
INSTALL = "runtime.install"
IMPORT = "runtime.import"
GIL = "runtime.gil"
TEST_COMMAND = "runtime.test-command"
LAUNCHER = "image.launcher"
INTERPRETER = "image.interpreter"

WHEELHOUSE_MOUNT = "/dualpy/wheelhouse"
HOST_ROOT = "/dualpy/host"  # the host files pip needs (its CA bundle, local indexes) are bound read-only under here


def pip_access(with_deps: bool) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """Volumes and environment that let pip in the container reach the host's indexes through its CA."""
    if not with_deps:
        return {}, {}
    settings = host_pip_settings()
    mounts = container_mounts(settings, HOST_ROOT)
    volumes = {host: {"bind": inside, "mode": "ro"} for host, inside in mounts.items()}
    return volumes, container_environment(settings, root=HOST_ROOT)


def check_wheels_in_image(
    tag: str,
    wheelhouse: str,
    facts: list[WheelFacts],
    *,
    allow_gil: bool = False,
    with_deps: bool = False,
    test_command: str | None = None,
) -> list[CheckResult]:
    """Install every wheel into a fresh venv of each interpreter its tags match, import it, and read the GIL."""
    interpreters = image_interpreters(tag)
    if not interpreters:
        raise UsageError(f"{tag} has no /opt/python/cp3*-cp3* interpreter: is it a dualpy image?")
    request = {
        "import_child": probe_source("import_child"),
        "wheelhouse": WHEELHOUSE_MOUNT,
        "with_deps": with_deps,
        "test_command": test_command,
        "wheels": [{"file": f.path.name, "modules": list(f.top_level), "extensions": [list(e) for e in f.extensions]}
                   for f in facts],
    }
    volumes, env = pip_access(with_deps)
    volumes[os.path.realpath(wheelhouse)] = {"bind": WHEELHOUSE_MOUNT, "mode": "ro"}
    matched: dict[str, list[str]] = {f.path.name: [] for f in facts}
    owned = {f.path.name: f for f in facts}
    results: list[CheckResult] = []
    for install_tag in interpreters:
        python = f"/opt/python/{install_tag}/bin/python"
        run = engine.run(tag, [python, "-c", probe_source("verify_wheels"), json.dumps(request)],
                         volumes=volumes, environment=env, entrypoint=[])
        report = probe_report(run, f"the verify probe under {python} in {tag}")
        freethreaded = report["Py_GIL_DISABLED"] == 1
        for wheel in report["wheels"]:
            if not wheel["matched"]:
                continue
            matched[wheel["file"]].append(install_tag)
            results += wheel_results(wheel, owned[wheel["file"]], install_tag, freethreaded, allow_gil=allow_gil,
                                     with_deps=with_deps)
    for wheel, tags in matched.items():
        if tags:
            results.append(CheckResult(wheel, MATCH, Status.PASS, "installs on " + ", ".join(tags)))
        else:
            message = f"its tags match no interpreter of {tag} ({', '.join(interpreters)}): not tested"
            results.append(CheckResult(wheel, MATCH, Status.WARN, message))
    return results


def missing_dependency(module: dict[str, Any], facts: WheelFacts) -> str | None:
    """The module a failed import could not find when it is none of the wheel's own (a dependency), else None."""
    missing = module.get("missing")
    if module.get("ok") or not missing:
        return None
    own = set(facts.top_level) | {name.split(".")[0] for name, _file in facts.extensions}
    return None if str(missing).split(".")[0] in own else str(missing)


def optional_source(dependency: str, facts: WheelFacts) -> tuple[str, str] | None:
    """The optional requirement (distribution, extra) that provides a missing module, when one plausibly does:
    the module's top-level name, underscores and case aside, starts with the distribution's (_cffi_backend: cffi)."""
    module = dependency.split(".", maxsplit=1)[0].lower().lstrip("_").replace("-", "_")
    for distribution, extra in facts.optional:
        if module.startswith(distribution.replace("-", "_")):
            return distribution, extra
    return None


def _import_result(name: str, facts: WheelFacts, modules: dict[str, dict[str, Any]], interpreter: str,
                   deps: dict[str, Any] | None) -> CheckResult:
    """Every module imported names the wheel's pass; its own module failing fails it; a dependency the venv
    lacks is named and not blamed on the wheel's code (a warning), unless pip installed its dependencies and the
    module is still absent (METADATA does not declare it)."""
    extensions = {module for module, _file in facts.extensions}
    if not modules:
        stubs = "a stub-only distribution" if facts.name.endswith("-stubs") else "no importable module"
        return CheckResult(name, IMPORT, Status.SKIP, f"nothing to import ({stubs})", interpreter)
    own_errors: list[str] = []
    needs: dict[str, str] = {}
    for module, outcome in modules.items():
        if outcome.get("ok"):
            continue
        dependency = missing_dependency(outcome, facts)
        if dependency is None:
            own_errors.append(f"{module}: {outcome.get('error', 'failed')}")
        else:
            needs.setdefault(dependency, module)
    if own_errors:
        return CheckResult(name, IMPORT, Status.FAIL, "; ".join(own_errors), interpreter)
    if needs:
        named = ", ".join(f"{dep} (imported by {module})" for dep, module in needs.items())
        if deps is None:
            return CheckResult(name, IMPORT, Status.WARN, f"needs {named}, a dependency --no-deps did not install; "
                               "not this wheel's code", interpreter)
        if not deps.get("ok"):
            return CheckResult(name, IMPORT, Status.WARN, f"needs {named}, a dependency pip could not install: "
                               f"{deps.get('output', '')}", interpreter)
        sources = {dep: optional_source(dep, facts) for dep in needs}
        undeclared = {dep: module for dep, module in needs.items() if sources[dep] is None}
        if undeclared:
            named = ", ".join(f"{dep} (imported by {module})" for dep, module in undeclared.items())
            return CheckResult(name, IMPORT, Status.WARN, f"needs {named}, which its METADATA does not declare (pip "
                               "installed the declared dependencies): declare it in [project] dependencies, unless "
                               "the module is only ever imported by a package that depends on this one",
                               interpreter)
    optional = [(module, dep, source) for dep, module in needs.items() if (source := optional_source(dep, facts))]
    shown = [f"{m} (extension)" if m in extensions else m for m, outcome in modules.items() if outcome.get("ok")]
    left = [f"{module} (needs {dep}, from {distribution} of the optional extra [{extra}]: not installed)"
            for module, dep, (distribution, extra) in optional]
    return CheckResult(name, IMPORT, Status.PASS, f"imported {len(shown)} module(s), each in a fresh interpreter: "
                       + ", ".join(shown) + (f"; not imported: {', '.join(left)}" if left else ""), interpreter)


def _gil_result(name: str, modules: dict[str, dict[str, Any]], interpreter: str, allow_gil: bool) -> CheckResult:
    culprits: list[str] = []
    for module, outcome in modules.items():
        if outcome.get("gil_enabled"):
            culprits += [c for c in outcome.get("gil_reenabled_by") or [module] if c not in culprits]
    if culprits:
        return CheckResult(name, GIL, Status.WARN if allow_gil else Status.FAIL,
                           f"the GIL was re-enabled by importing {', '.join(culprits)} (it does not declare "
                           "Py_mod_gil = Py_MOD_GIL_NOT_USED)", interpreter)
    checked = [m for m, outcome in modules.items() if "gil_enabled" in outcome]
    return CheckResult(name, GIL, Status.PASS, f"the GIL stays off after importing each of {len(checked)} module(s)",
                       interpreter)


def wheel_results(wheel: dict[str, Any], facts: WheelFacts, interpreter: str, freethreaded: bool, *,
                  allow_gil: bool, with_deps: bool) -> list[CheckResult]:
    """The install, import, GIL and test-command results of one wheel under one interpreter (pure)."""
    name = wheel["file"]
    install = wheel["install"]
    if not install["ok"]:
        return [CheckResult(name, INSTALL, Status.FAIL, install["output"], interpreter)]
    deps = wheel.get("dependencies") if with_deps else None
    note = "" if deps is None or deps.get("ok") else f"its dependencies did not install: {deps.get('output', '')}"
    results = [CheckResult(name, INSTALL, Status.WARN if note else Status.PASS, note, interpreter)]
    modules: dict[str, dict[str, Any]] = wheel["import"]
    results.append(_import_result(name, facts, modules, interpreter, deps if with_deps else None))
    if freethreaded and modules:
        results.append(_gil_result(name, modules, interpreter, allow_gil))
    if "test_command" in wheel:
        test = wheel["test_command"]
        results.append(CheckResult(name, TEST_COMMAND, Status.PASS if test["ok"] else Status.FAIL,
                                   "" if test["ok"] else f"exit {test['returncode']}: {test['output']}", interpreter))
    return results


@dataclass(frozen=True)
class LauncherCase:
    """One launcher rule exercised in the image: what is set, and which interpreter must answer."""

    name: str
    env: dict[str, str]
    args: str
    pin: str
    freethreaded: bool
    minor: str


def launcher_cases(minors: list[str], default_minor: str, default: str) -> list[LauncherCase]:
    """Every launcher rule, for the default minor and for each other minor of the image (pure)."""
    default_t = default == "freethreaded"
    cases = [
        LauncherCase("rule1 DUALPY_PYTHON=t", {"DUALPY_PYTHON": "t"}, "", "", True, default_minor),
        LauncherCase("rule1 DUALPY_PYTHON=gil", {"DUALPY_PYTHON": "gil"}, "", "", False, default_minor),
        LauncherCase("rule2 -X gil=0", {}, "-X gil=0", "", True, default_minor),
        LauncherCase("rule2 -X gil=1", {}, "-X gil=1", "", False, default_minor),
        LauncherCase("rule3 PYTHON_GIL=0", {"PYTHON_GIL": "0"}, "", "", True, default_minor),
        LauncherCase("rule3 PYTHON_GIL=1", {"PYTHON_GIL": "1"}, "", "", False, default_minor),
        LauncherCase(f"rule5 default {default_minor} {default}", {}, "", "", default_t, default_minor),
    ]
    for minor in minors:
        cases += [
            LauncherCase(f"rule1 DUALPY_PYTHON={minor}", {"DUALPY_PYTHON": minor}, "", "", False, minor),
            LauncherCase(f"rule1 DUALPY_PYTHON={minor}t", {"DUALPY_PYTHON": f"{minor}t"}, "", "", True, minor),
            LauncherCase(f"rule1 DUALPY_PYTHON={minor}+freethreaded", {"DUALPY_PYTHON": f"{minor}+freethreaded"},
                         "", "", True, minor),
            LauncherCase(f"rule1 DUALPY_PYTHON={minor}+gil", {"DUALPY_PYTHON": f"{minor}+gil"}, "", "", False, minor),
            LauncherCase(f"rule4 .python-version {minor}t", {}, "", f"{minor}t", True, minor),
            LauncherCase(f"rule4 .python-version {minor}", {}, "", minor, False, minor),
        ]
        if minor != default_minor:  # rules 2 and 3 take the minor from the pin
            cases += [
                LauncherCase(f"rule2 -X gil=0 with .python-version {minor}", {}, "-X gil=0", minor, True, minor),
                LauncherCase(f"rule3 PYTHON_GIL=0 with .python-version {minor}", {"PYTHON_GIL": "0"}, "", minor,
                             True, minor),
            ]
    return cases


_PROBE = "import sys, sysconfig; print(sysconfig.get_config_var('Py_GIL_DISABLED'), '%d.%d' % sys.version_info[:2])"
_CLAIM = ("import sys, sysconfig; print(sysconfig.get_config_var('Py_GIL_DISABLED'), "
          "getattr(sys, '_is_gil_enabled', lambda: True)())")


def _case_line(index: int, case: LauncherCase) -> str:
    directory = f"/tmp/dualpy-case-{index}"
    setup = f"mkdir -p {directory} && cd {directory}"
    if case.pin:
        setup += f" && echo {shlex.quote(case.pin)} > .python-version"
    assignments = " ".join(f"{k}={shlex.quote(v)}" for k, v in case.env.items())
    return (f"({setup} && echo \"case {index} $(env -u PYTHON_GIL -u DUALPY_PYTHON {assignments} "
            f"python {case.args} -c {shlex.quote(_PROBE)} 2>&1 | tail -n 1)\")")


def check_image(tag: str) -> list[CheckResult]:
    """Each launcher rule picks the build it should, in every minor; python3.X[t] are what they claim."""
    facts = engine.image_facts(tag)
    if not facts.labels.get("io.dualpy.cpython.version"):
        raise UsageError(f"{tag} has no io.dualpy.cpython.version label: is it a dualpy image?")
    config = engine.run(tag, ["cat", LAUNCHER_CONFIG_PATH], entrypoint=[])
    subject = f"image {tag}"
    targets = targets_of(image_interpreters(tag))
    minors = sorted({str(t.minor) for t in targets}, key=lambda m: tuple(int(x) for x in m.split(".")))
    lines = [f"echo \"claim {t.executable_name} $({t.executable_name} -c {shlex.quote(_CLAIM)} 2>&1)\""
             for t in targets]
    cases: list[LauncherCase] = []
    results = []
    if config.exit_code == 0:
        parsed = LauncherConfig.parse(config.stdout)
        default_minor = parsed.default_version or minors[-1]
        cases = launcher_cases(minors, default_minor, parsed.default.value)
        lines += [_case_line(index, case) for index, case in enumerate(cases)]
    else:
        results.append(CheckResult(subject, LAUNCHER, Status.FAIL, "no launcher configuration in the image"))
    run = engine.run(tag, ["/bin/bash", "-c", "\n".join(lines)], entrypoint=[])
    answers = {}
    for line in run.stdout.splitlines():
        kind, _, rest = line.partition(" ")
        key, _, value = rest.partition(" ")
        answers[(kind, key)] = value.strip()
    for target in targets:
        freethreaded = target.variant is Variant.FREETHREADED
        got = answers.get(("claim", target.executable_name), "")
        claim = "1 False" if freethreaded else "0 True"
        results.append(CheckResult(subject, INTERPRETER, Status.PASS if got == claim else Status.FAIL,
                                   f"{target.executable_name}: Py_GIL_DISABLED and GIL enabled = {got or 'no answer'}"
                                   + ("" if got == claim else f" (expected {claim})"), target.install_tag))
    for index, case in enumerate(cases):
        got = answers.get(("case", str(index)), "")
        expected = f"{int(case.freethreaded)} {case.minor}"
        ok = got == expected
        results.append(CheckResult(subject, LAUNCHER, Status.PASS if ok else Status.FAIL,
                                   f"Py_GIL_DISABLED and minor = {got or 'no answer'}"
                                   + ("" if ok else f" (expected {expected})"), case.name))
    return results
