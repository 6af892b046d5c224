"""Runtime checks in the image: install, import, GIL state, test command; and the launcher's choices."""

from __future__ import annotations

import json
import os
import shlex
from typing import Any

from dualpy import engine
from dualpy.errors import ContainerFailed, UsageError
from dualpy.images import image_interpreters
from dualpy.pipconfig import container_environment, container_mounts, host_pip_settings
from dualpy.probes import probe_source
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
        "wheelhouse": WHEELHOUSE_MOUNT,
        "with_deps": with_deps,
        "test_command": test_command,
        "wheels": [{"file": f.path.name, "modules": list(f.top_level)} for f in facts],
    }
    volumes, env = pip_access(with_deps)
    volumes[os.path.realpath(wheelhouse)] = {"bind": WHEELHOUSE_MOUNT, "mode": "ro"}
    matched: dict[str, list[str]] = {f.path.name: [] for f in facts}
    results: list[CheckResult] = []
    for install_tag in interpreters:
        python = f"/opt/python/{install_tag}/bin/python"
        run = engine.run(tag, [python, "-c", probe_source("verify_wheels"), json.dumps(request)],
                         volumes=volumes, environment=env, entrypoint=[])
        if run.exit_code != 0:
            raise ContainerFailed(f"the verify probe failed under {python} in {tag} (exit {run.exit_code}): "
                                  f"{_tail(run.stderr)}")
        try:
            report = json.loads(run.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            raise ContainerFailed(f"the verify probe under {python} in {tag} printed no report: "
                                  f"{_tail(run.stderr or run.stdout)}") from None
        freethreaded = report["Py_GIL_DISABLED"] == 1
        for wheel in report["wheels"]:
            if not wheel["matched"]:
                continue
            matched[wheel["file"]].append(install_tag)
            results += _wheel_results(wheel, install_tag, freethreaded, allow_gil)
    for wheel, tags in matched.items():
        if tags:
            results.append(CheckResult(wheel, MATCH, Status.PASS, "installs on " + ", ".join(tags)))
        else:
            message = f"its tags match no interpreter of {tag} ({', '.join(interpreters)}): not tested"
            results.append(CheckResult(wheel, MATCH, Status.WARN, message))
    return results


def _tail(output: str) -> str:
    """The last lines of a container's output, on one line (an error message is one line)."""
    return " / ".join(line.strip() for line in output.strip().splitlines()[-3:])[-300:] or "no output"


def _wheel_results(wheel: dict[str, Any], interpreter: str, freethreaded: bool, allow_gil: bool) -> list[CheckResult]:
    name = wheel["file"]
    install = wheel["install"]
    if not install["ok"]:
        return [CheckResult(name, INSTALL, Status.FAIL, install["output"], interpreter)]
    results = [CheckResult(name, INSTALL, Status.PASS, "", interpreter)]
    imported = wheel["import"]
    if imported.get("crashed"):
        message = f"the interpreter died importing (exit {imported['returncode']}): {imported['output']}"
        results.append(CheckResult(name, IMPORT, Status.FAIL, message, interpreter))
        return results
    errors = {m: r["error"] for m, r in imported["modules"].items() if not r["ok"]}
    if errors:
        results.append(CheckResult(name, IMPORT, Status.FAIL,
                                   "; ".join(f"{m}: {e}" for m, e in errors.items()), interpreter))
    else:
        message = "imported " + ", ".join(imported["modules"])
        results.append(CheckResult(name, IMPORT, Status.PASS, message, interpreter))
    if freethreaded:
        if imported["gil_enabled"]:
            culprits = ", ".join(imported["gil_reenabled_by"]) or "an unknown module"
            results.append(CheckResult(
                name, GIL, Status.WARN if allow_gil else Status.FAIL,
                f"the GIL was re-enabled by importing {culprits} (it does not declare Py_mod_gil = "
                "Py_MOD_GIL_NOT_USED)", interpreter))
        else:
            results.append(CheckResult(name, GIL, Status.PASS, "the GIL stays off after import", interpreter))
    if "test_command" in wheel:
        test = wheel["test_command"]
        results.append(CheckResult(name, TEST_COMMAND, Status.PASS if test["ok"] else Status.FAIL,
                                   "" if test["ok"] else f"exit {test['returncode']}: {test['output']}", interpreter))
    return results


def launcher_cases(version: str, default: str) -> list[tuple[str, dict[str, str], str, str, int]]:
    """(case id, environment, arguments, .python-version text, expected Py_GIL_DISABLED) per launcher rule (pure)."""
    minor = ".".join(version.split(".")[:2])
    return [
        (f"rule1 DUALPY_PYTHON={minor}", {"DUALPY_PYTHON": minor}, "", "", 0),
        (f"rule1 DUALPY_PYTHON={minor}t", {"DUALPY_PYTHON": f"{minor}t"}, "", "", 1),
        (f"rule1 DUALPY_PYTHON={minor}+freethreaded", {"DUALPY_PYTHON": f"{minor}+freethreaded"}, "", "", 1),
        (f"rule1 DUALPY_PYTHON={minor}+gil", {"DUALPY_PYTHON": f"{minor}+gil"}, "", "", 0),
        ("rule1 DUALPY_PYTHON=t", {"DUALPY_PYTHON": "t"}, "", "", 1),
        ("rule1 DUALPY_PYTHON=gil", {"DUALPY_PYTHON": "gil"}, "", "", 0),
        ("rule2 -X gil=0", {}, "-X gil=0", "", 1),
        ("rule2 -X gil=1", {}, "-X gil=1", "", 0),
        ("rule3 PYTHON_GIL=0", {"PYTHON_GIL": "0"}, "", "", 1),
        ("rule3 PYTHON_GIL=1", {"PYTHON_GIL": "1"}, "", "", 0),
        (f"rule4 .python-version {minor}t", {}, "", f"{minor}t", 1),
        (f"rule4 .python-version {minor}", {}, "", minor, 0),
        (f"rule5 default {default}", {}, "", "", 1 if default == "freethreaded" else 0),
    ]


_PROBE = "import sysconfig; print(sysconfig.get_config_var('Py_GIL_DISABLED'))"
_CLAIM = ("import sys, sysconfig; print(sysconfig.get_config_var('Py_GIL_DISABLED'), "
          "getattr(sys, '_is_gil_enabled', lambda: True)())")


def check_image(tag: str) -> list[CheckResult]:
    """Each launcher rule picks the build it should; python3.X and python3.Xt are what they claim."""
    facts = engine.image_facts(tag)
    version = facts.labels.get("io.dualpy.cpython.version")
    if not version:
        raise UsageError(f"{tag} has no io.dualpy.cpython.version label: is it a dualpy image?")
    config = engine.run(tag, ["cat", "/usr/local/etc/dualpy-launcher.conf"], entrypoint=[])
    results = []
    subject = f"image {tag}"
    minor = ".".join(version.split(".")[:2])
    interpreters = image_interpreters(tag)
    lines = []
    for install_tag in interpreters:
        executable = f"python{minor}{'t' if install_tag.endswith('t') else ''}"
        lines.append(f"echo \"claim {executable} $({executable} -c {shlex.quote(_CLAIM)} 2>&1)\"")
    if config.exit_code == 0:
        from dualpy.launcher import parse_config  # noqa: PLC0415

        _known, default = parse_config(config.stdout)
        for index, (_case, env, args, pin, _expected) in enumerate(launcher_cases(version, default.value)):
            directory = f"/tmp/dualpy-case-{index}"
            setup = f"mkdir -p {directory} && cd {directory}"
            if pin:
                setup += f" && echo {shlex.quote(pin)} > .python-version"
            assignments = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
            lines.append(f"({setup} && echo \"case {index} $(env -u PYTHON_GIL -u DUALPY_PYTHON {assignments} "
                         f"python {args} -c {shlex.quote(_PROBE)} 2>&1 | tail -n 1)\")")
    else:
        results.append(CheckResult(subject, LAUNCHER, Status.FAIL, "no launcher configuration in the image"))
    run = engine.run(tag, ["/bin/bash", "-c", "\n".join(lines)], entrypoint=[])
    answers = {}
    for line in run.stdout.splitlines():
        kind, _, rest = line.partition(" ")
        key, _, value = rest.partition(" ")
        answers[(kind, key)] = value.strip()
    for install_tag in interpreters:
        freethreaded = install_tag.endswith("t")
        executable = f"python{minor}{'t' if freethreaded else ''}"
        got = answers.get(("claim", executable), "")
        claim = "1 False" if freethreaded else "0 True"
        results.append(CheckResult(subject, INTERPRETER, Status.PASS if got == claim else Status.FAIL,
                                   f"{executable}: Py_GIL_DISABLED and GIL enabled = {got or 'no answer'}"
                                   + ("" if got == claim else f" (expected {claim})"), install_tag))
    if config.exit_code == 0:
        for index, (case, _env, _args, _pin, expected) in enumerate(launcher_cases(version, default.value)):
            got = answers.get(("case", str(index)), "")
            ok = got == str(expected)
            results.append(CheckResult(subject, LAUNCHER, Status.PASS if ok else Status.FAIL,
                                       f"Py_GIL_DISABLED={got or 'no answer'}"
                                       + ("" if ok else f" (expected {expected})"), case))
    return results
