"""Scripts that run inside an image's interpreters (read as text and passed to the container)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

from dualpy.errors import ContainerFailed, DualpyError


class ProbeRun(Protocol):
    """What a finished probe container left: dualpy.engine's RunResult."""

    @property
    def exit_code(self) -> int: ...
    @property
    def stdout(self) -> str: ...
    @property
    def stderr(self) -> str: ...


def probe_source(name: str) -> str:
    """The text of a probe script shipped in this folder."""
    return (Path(__file__).parent / f"{name}.py").read_text()


def probe_report(run: ProbeRun, what: str, failure: type[DualpyError] = ContainerFailed) -> Any:
    """The JSON document a probe prints last, or one error naming the probe and its output's tail (pure).

    what names the probe and where it ran ("the verify probe under /opt/python/.../python in IMAGE").
    """
    if run.exit_code != 0:
        raise failure(f"{what} failed (exit {run.exit_code}): {output_tail(run.stderr or run.stdout)}")
    lines = run.stdout.strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, ValueError):
        raise failure(f"{what} printed no report: {output_tail(run.stderr or run.stdout)}") from None


def output_tail(output: str) -> str:
    """The last lines of a container's output, on one line (an error message is one line); "…" marks a cut."""
    text = " / ".join(line.strip() for line in output.strip().splitlines()[-3:])
    return ("…" + text[-300:] if len(text) > 300 else text) or "no output"
