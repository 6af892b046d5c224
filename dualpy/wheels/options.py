"""The settings each cibuildwheel process gets: CIBW_* variables merged over the project's own (pure)."""

from __future__ import annotations

import json
import math
import os
import re
import shlex
from collections.abc import Mapping, Sequence, Set
from typing import Any

from dualpy.wheels.cibw import venv_dir
from dualpy.wheels.compiler import apt_cache_arguments, volume_arguments
from dualpy.wheels.floor import compiler_environment, repair_command
from dualpy.wheels.plan import BuildPlan, split_plan
from dualpy.wheels.project import CibuildwheelTable, Project
from dualpy.wheels.system_packages import before_all

RUN_LABEL = "io.dualpy.wheels-run"  # on each build container, so an interrupted run removes only its own
_SAFE_WORD_RE = re.compile(r"^[\w@%+=:,./-]+$")


def bash_word(value: str) -> str:
    """A value quoted so that cibuildwheel's bash-syntax environment parser gives it back unchanged."""
    if _SAFE_WORD_RE.match(value):
        return value
    if "'" not in value:
        return f"'{value}'"
    # cibuildwheel's evaluator does not join '...'"'"'...' pieces, so a value holding ' is double-quoted.
    return '"' + re.sub(r'(["\\$`])', r"\\\1", value) + '"'


def _environment_option(value: Any) -> str:
    """The project's `environment` in cibuildwheel's string form (a TOML table becomes NAME="value" pairs)."""
    if not value:
        return ""
    if isinstance(value, dict):
        return " ".join(f'{name}="{text}"' for name, text in value.items())
    return str(value)


def _overrides_set(table: CibuildwheelTable, option: str) -> bool:
    return any(option in override for override in table.get("overrides", []) or [])


def _as_list_of_commands(value: Any) -> list[str]:
    """A cibuildwheel command option as written: one string, or a list of commands run in turn."""
    if value is None or value == "":
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return value.split() if isinstance(value, str) else [str(v) for v in value]


def container_engine_option(table: CibuildwheelTable, host_env: Mapping[str, str], run_token: str,
                            extra_args: Sequence[str] = ()) -> str:
    """The project's container-engine setting plus a label that marks this run's containers (and extra_args:
    the floor compiler's mounts)."""
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
    ours = " ".join(shlex.quote(arg) for arg in [f"--label={RUN_LABEL}={run_token}", *extra_args])
    return f"{base}; {key}: {ours}"


def _network_settings(
    table: CibuildwheelTable, pip_environment: Mapping[str, str], host_env: Mapping[str, str]
) -> dict[str, str]:
    """The variable that carries the pip settings into the container, kept beneath the project's environment."""
    if not pip_environment:
        return {}
    if _overrides_set(table, "environment"):
        # A CIBW_ENVIRONMENT variable would also replace the overrides' environments; environment-pass is
        # applied beneath whatever environment each identifier gets.
        passed = host_env.get("CIBW_ENVIRONMENT_PASS_LINUX") or host_env.get("CIBW_ENVIRONMENT_PASS")
        names = passed.split() if passed is not None else _as_list(table.get("environment-pass"))
        return {"CIBW_ENVIRONMENT_PASS_LINUX": " ".join(dict.fromkeys([*names, *pip_environment]))}
    base = host_env.get("CIBW_ENVIRONMENT_LINUX") or host_env.get("CIBW_ENVIRONMENT")
    if base is None:
        base = _environment_option(table.get("environment"))
    ours = " ".join(f"{name}={bash_word(value)}" for name, value in pip_environment.items())
    return {"CIBW_ENVIRONMENT_LINUX": f"{base} {ours}".strip()}


def _enable_list(value: Any) -> list[str]:
    return value.split() if isinstance(value, str) else [str(v) for v in value or []]


def enable_groups(section: CibuildwheelTable) -> list[str]:
    """The enable groups the project names, at the top level or in a platform table, once each."""
    tables = [section, *(v for v in section.values() if isinstance(v, dict))]
    return list(dict.fromkeys(g for table in tables for g in _enable_list(table.get("enable"))))


def unknown_enable_groups(section: CibuildwheelTable, known: Set[str]) -> list[str]:
    """The enable groups the project names that a cibuildwheel release rejects."""
    return [g for g in enable_groups(section) if g not in known]


def _toml_value(value: Any) -> str:
    """A TOML value on one line: JSON's string escapes are TOML's too; tables become inline tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        return repr(value)
    if isinstance(value, str):
        # ensure_ascii would split astral characters into surrogate escapes, which TOML refuses; DEL must be escaped
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise ValueError(f"{value!r} has no TOML form dualpy writes")


def config_file_text(section: CibuildwheelTable, known: Set[str]) -> str | None:
    """A config file with the project's [tool.cibuildwheel] minus the enable groups this release rejects.

    cibuildwheel appends CIBW_ENABLE to the project's list, so an unknown group (xxhash names "pyodide-eol",
    which 3.4.1 lacks; zstandard names "cpython-freethreading", which 4.x removed) can only be dropped from the
    options file itself: this text goes to `--config-file`, while requires-python and dependency groups are
    still read from the project's own pyproject.toml. None when every group is known.
    """
    if not unknown_enable_groups(section, known):
        return None
    kept: CibuildwheelTable = {}
    for key, value in section.items():
        if isinstance(value, dict) and "enable" in value:
            kept[key] = {**value, "enable": [g for g in _enable_list(value["enable"]) if g in known]}
        else:
            kept[key] = value
    if "enable" in kept:
        kept["enable"] = [g for g in _enable_list(kept["enable"]) if g in known]
    lines = ["# Written by dualpy: the project's [tool.cibuildwheel] without the enable groups this release rejects.",
             "[tool.cibuildwheel]"]
    lines += [f"{json.dumps(key)} = {_toml_value(value)}" for key, value in kept.items()]
    return "\n".join(lines) + "\n"


def container_settings(plan: BuildPlan, pip_environment: Mapping[str, str]) -> dict[str, str]:
    """What the build container's environment gets from dualpy: the pip settings, and the floor compiler's."""
    return {**pip_environment, **compiler_environment(plan.floor, plan.arch)}


def _repair_set(table: CibuildwheelTable, host_env: Mapping[str, str]) -> bool:
    names = ("CIBW_REPAIR_WHEEL_COMMAND_LINUX", "CIBW_REPAIR_WHEEL_COMMAND")
    return ("repair-wheel-command" in table or _overrides_set(table, "repair-wheel-command")
            or any(name in host_env for name in names))


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
    CIBW_BUILD names the exact identifiers (the default "*" would also pick musllinux and pull its image).
    A glibc floor mounts its compiler, sets CC and the rest, and repairs to the floor's policy; a project's own
    repair command is kept (AUDITWHEEL_PLAT gives its `auditwheel repair` the floor).
    """
    host_env = os.environ if host_env is None else host_env
    table = project.cibuildwheel_table
    env = {
        "CIBW_BUILD": " ".join(plan.identifiers),
        "CIBW_ARCHS_LINUX": plan.arch,
        "CIBW_CONTAINER_ENGINE_LINUX": container_engine_option(
            table, host_env, run_token,
            [*volume_arguments(plan.floor, plan.arch),
             *apt_cache_arguments(plan.system_packages, plan.identifiers[0])]),
    }
    repair = repair_command(plan.floor)
    if repair and not _repair_set(table, host_env):
        env["CIBW_REPAIR_WHEEL_COMMAND_LINUX"] = repair
    if plan.image:
        env[f"CIBW_MANYLINUX_{plan.arch.upper()}_IMAGE"] = plan.image
    if plan.release.enable and plan.freethreaded:
        env["CIBW_ENABLE"] = plan.release.enable  # cibuildwheel appends this variable to the project's list
    if plan.system_packages:
        own = host_env.get("CIBW_BEFORE_ALL_LINUX") or host_env.get("CIBW_BEFORE_ALL") or table.get("before-all")
        env["CIBW_BEFORE_ALL_LINUX"] = before_all(plan.system_packages, " && ".join(_as_list_of_commands(own)))
    env.update(_network_settings(table, container_settings(plan, pip_environment), host_env))
    if test_command is not None:
        env["CIBW_TEST_COMMAND"] = test_command
    if audits_on_host(plan) and "audit-command" not in table and "CIBW_AUDIT_COMMAND" not in host_env:
        # cibuildwheel 4.x audits abi3 wheels with abi3audit in a venv made by virtualenv.pyz, downloaded from
        # GitHub: beyond the package index, where many build machines reach nothing. dualpy runs the same audit
        # from its own cached abi3audit venv after the build (wheels.build), so cibuildwheel's is switched off.
        env["CIBW_AUDIT_COMMAND"] = ""
    return env


def audits_on_host(plan: BuildPlan) -> bool:
    """Whether this plan's cibuildwheel release has the host-side abi3 audit (4.0 and later)."""
    major = plan.release.version.partition(".")[0]
    return major.isdigit() and int(major) >= 4


def process_environment(cibw_env: Mapping[str, str], pip_environment: Mapping[str, str]) -> dict[str, str]:
    """The environment cibuildwheel itself runs with: the host's, dualpy's CIBW_* settings, and the pip
    settings only when they travel by environment-pass (their /host paths mean nothing on the host)."""
    env = {**os.environ, **cibw_env}
    if "CIBW_ENVIRONMENT_PASS_LINUX" in cibw_env:
        env.update(pip_environment)
    return env


def describe_config(
    project: Project,
    plans: Sequence[BuildPlan],
    pip_env: Mapping[str, str],
    test_command: str | None,
    jobs: int = 1,
    selections: Sequence[Sequence[str]] | None = None,
) -> dict[str, Any]:
    """The merged settings dualpy will hand to each cibuildwheel process (what --print-config shows)."""
    runs: list[dict[str, Any]] = []
    for group, plan in enumerate(plans):
        for part in split_plan(plan, jobs):
            cibw_env = cibuildwheel_environment(part, project, pip_env, test_command)
            runs.append({
                "cibuildwheel": part.release.version,
                "cibuildwheel_venv": str(venv_dir(part.release)),
                "side_by_side_group": group,  # processes of one group run at the same time
                "image": part.image or "cibuildwheel's manylinux default",
                "identifiers": list(part.identifiers),
                "selected_by_cibuildwheel": list(selections[len(runs)]) if selections else None,
                "cibuildwheel_environment": cibw_env,
                "container_environment": container_settings(part, pip_env),
                "manylinux": str(part.floor),
                "network_settings_via": ("environment-pass" if "CIBW_ENVIRONMENT_PASS_LINUX" in cibw_env
                                         else "CIBW_ENVIRONMENT_LINUX"),
            })
    return {"project": str(project.path), "project_cibuildwheel": project.cibuildwheel_table, "runs": runs}
