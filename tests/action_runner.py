"""Run a composite action's steps the way the GitHub runner does, for tests: no runner, no network.

What it reproduces, from the runner's documented behaviour: each `run:` step is a file executed with
`bash --noprofile --norc -eo pipefail {0}` in the workspace; `${{ }}` expressions in `env:` (and `with:`)
are evaluated before the step starts and reach the script only as environment variables; every step gets
fresh GITHUB_OUTPUT / GITHUB_STEP_SUMMARY / GITHUB_ENV / GITHUB_PATH files, read back after it ends
(`name=value`, or `name<<DELIMITER` … `DELIMITER` for multiline values); a failed step skips the later
steps; the action's outputs are its `outputs.*.value` expressions evaluated at the end. What it does not:
`uses:` steps — the caller supplies their outputs (e.g. setup-python's `python-path`).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]  # what `shell: bash` runs, with the script's path


class FileCommandError(ValueError):
    """A GITHUB_OUTPUT-style file the runner would refuse (the step would fail)."""


def parse_file_command(text: str) -> dict[str, str]:
    """Read a GITHUB_OUTPUT / GITHUB_ENV file as the runner does: `k=v` lines and `k<<DELIM` blocks."""
    values: dict[str, str] = {}
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line:
            continue
        equals, heredoc = line.find("="), line.find("<<")
        if equals >= 0 and (heredoc < 0 or equals < heredoc):
            name, value = line[:equals], line[equals + 1:]
        elif heredoc >= 0:
            name, delimiter = line[:heredoc], line[heredoc + 2:]
            block: list[str] = []
            while True:
                if index >= len(lines):
                    raise FileCommandError(f"Invalid value. Matching delimiter not found '{delimiter}'")
                candidate = lines[index]
                index += 1
                if candidate == delimiter:
                    break
                block.append(candidate)
            value = "\n".join(block)
        else:
            raise FileCommandError(f"Invalid format '{line}'")
        if not name:
            raise FileCommandError("Invalid format: a name is required")
        values[name] = value
    return values


@dataclass
class StepRecord:
    """One step as run: its id, outcome, outputs and what it printed."""

    id: str
    name: str
    outcome: str  # success, failure or skipped
    outputs: dict[str, str] = field(default_factory=dict)
    stdout: str = ""
    stderr: str = ""
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class ActionRun:
    """The whole run: every step, the action's outputs, the job summary the runner would show."""

    steps: list[StepRecord]
    outputs: dict[str, str]
    summary: str

    @property
    def succeeded(self) -> bool:
        return all(step.outcome != "failure" for step in self.steps)

    def step(self, step_id: str) -> StepRecord:
        return next(step for step in self.steps if step.id == step_id)

    def log(self) -> str:
        return "\n".join(f"--- {s.id or s.name} ({s.outcome})\n{s.stdout}{s.stderr}" for s in self.steps)


def evaluate(text: str, context: Mapping[str, Any]) -> str:
    """Substitute every `${{ a.b.c }}` (or `${{ a.b || c.d }}`) in text from the context, as the runner would.

    Missing step outputs and secrets are '' as on the runner; `||` gives its first non-empty operand.
    """
    def one(match: re.Match[str]) -> str:
        for operand in match.group(1).split("||"):
            value = path(operand.strip())
            if value:
                return value
        return ""

    def path(expression: str) -> str:
        if not re.fullmatch(r"[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*", expression):
            raise AssertionError(f"the test runner evaluates only context paths, not {expression!r}")
        value: Any = context
        parts = expression.split(".")
        for depth, part in enumerate(parts):
            if not isinstance(value, Mapping):
                raise AssertionError(f"{expression}: {'.'.join(parts[:depth])} is not an object")
            if part not in value:
                if parts[0] in ("steps", "secrets") and depth >= 1:
                    return ""
                raise AssertionError(f"{expression}: unknown to the test runner (teach it, or fix the action)")
            value = value[part]
        return str(value)

    return EXPRESSION.sub(one, text)


def run_action(
    action: Mapping[str, Any],
    *,
    inputs: Mapping[str, str],
    action_path: Path,
    workspace: Path,
    temp: Path,
    uses_outputs: Mapping[str, Mapping[str, str]],
    conditions: Mapping[str, Callable[[Mapping[str, Any]], bool]],
    base_env: Mapping[str, str],
    step_env: Mapping[str, Mapping[str, str]] | None = None,
    extra_context: Mapping[str, Mapping[str, Any]] | None = None,
    timeout: float = 600,
) -> ActionRun:
    """Run a composite action's steps in order; `uses:` steps take their outputs from uses_outputs[id].

    conditions maps each `if:` text the action uses to a predicate over the context, so an `if:` the test
    does not know fails loudly instead of being guessed. step_env adds variables to one step (by id) after
    its own env: — how a test puts a stand-in program on that step's PATH only. extra_context adds contexts
    (matrix, secrets, more of github) for a workflow job's steps run the same way.
    """
    declared = action.get("inputs", {})
    unknown = set(inputs) - set(declared)
    assert not unknown, f"inputs the action does not declare: {unknown}"
    resolved_inputs = {name: str(inputs.get(name, spec.get("default", ""))) for name, spec in declared.items()}
    context: dict[str, Any] = {
        "inputs": resolved_inputs,
        "github": {"action_path": str(action_path), "workspace": str(workspace)},
        "runner": {"temp": str(temp), "os": "Linux"},
        "steps": {},
    }
    for name, values in (extra_context or {}).items():
        context[name] = {**context.get(name, {}), **values}
    summary_parts: list[str] = []
    records: list[StepRecord] = []
    failed = False
    for number, step in enumerate(action["runs"]["steps"]):
        step_id = step.get("id", f"__step{number}")
        name = step.get("name", step.get("uses", step_id))
        condition = step.get("if")
        if condition is not None:
            assert condition in conditions, f"step {name!r}: the test does not know `if: {condition}`"
        run_it = (not failed) if condition is None else (conditions[condition](context) and not failed)
        if not run_it:
            records.append(StepRecord(step_id, name, "skipped"))
            context["steps"][step_id] = {"outputs": {}, "outcome": "skipped"}
            continue
        if "uses" in step:
            outputs = dict(uses_outputs.get(step_id, {}))
            records.append(StepRecord(step_id, name, "success", outputs))
            context["steps"][step_id] = {"outputs": outputs, "outcome": "success"}
            continue
        assert step.get("shell") == "bash", f"step {name!r}: composite run steps must say `shell: bash`"
        files = {kind: temp / f"_runner_file_commands/{kind}_{number}" for kind in
                 ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ENV", "GITHUB_PATH")}
        for path in files.values():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("")
        own_env = {key: evaluate(str(value), context) for key, value in step.get("env", {}).items()}
        env = {**base_env, **{k: str(v) for k, v in files.items()}, "RUNNER_TEMP": str(temp),
               "GITHUB_ACTION_PATH": str(action_path), "GITHUB_WORKSPACE": str(workspace),
               "GITHUB_ACTIONS": "true", "CI": "true", **own_env, **(step_env or {}).get(step_id, {})}
        script = temp / f"_runner_scripts/step_{number}.sh"
        script.parent.mkdir(parents=True, exist_ok=True)
        assert "${{" not in step["run"], f"step {name!r}: an expression inside run: (template injection)"
        script.write_text(step["run"])
        result = subprocess.run([*BASH, str(script)], cwd=workspace, env=env, capture_output=True, text=True,
                                timeout=timeout)
        outputs = parse_file_command(files["GITHUB_OUTPUT"].read_text())
        summary_parts.append(files["GITHUB_STEP_SUMMARY"].read_text())
        outcome = "success" if result.returncode == 0 else "failure"
        failed = failed or outcome == "failure"
        records.append(StepRecord(step_id, name, outcome, outputs, result.stdout, result.stderr, own_env))
        context["steps"][step_id] = {"outputs": outputs, "outcome": outcome}
    outputs = {name: evaluate(str(spec["value"]), context) for name, spec in action.get("outputs", {}).items()}
    return ActionRun(records, outputs, "".join(summary_parts))


def host_env() -> dict[str, str]:
    """The few host variables a runner's step also has (PATH, HOME, locale, the CA bundle pip uses here)."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE",
            "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_CONSTRAINT", "PIP_CONFIG_FILE",
            "PYENV_ROOT", "PYENV_VERSION", "DOCKER_HOST")
    return {key: os.environ[key] for key in keep if key in os.environ}
