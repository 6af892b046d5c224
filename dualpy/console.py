"""Where the library's messages go: the CLI swaps the sink, the library never prints."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from rich.console import Console

stderr = Console(stderr=True, highlight=False, soft_wrap=True)
stdout = Console(highlight=False, soft_wrap=True)

_quiet = False


def set_quiet(quiet: bool) -> None:
    """Silence progress messages (errors still print); used with --json."""
    global _quiet
    _quiet = quiet


def info(message: str) -> None:
    """A progress line on stderr."""
    if not _quiet:
        stderr.print(message, markup=False)


def step(message: str) -> None:
    """A headline for a stage of long work."""
    if not _quiet:
        stderr.print(f"[bold cyan]==>[/] {message}")


def warn(message: str) -> None:
    """A warning on stderr."""
    stderr.print(f"[yellow]warning:[/] {message}")


def error(message: str) -> None:
    """The one-line error the CLI prints before exiting."""
    stderr.print(f"[bold red]error:[/] {message}", markup=True)


def emit_json(document: Any) -> None:
    """Write a JSON document to stdout and nothing else."""
    sys.stdout.write(json.dumps(document, indent=2, sort_keys=False) + "\n")
    sys.stdout.flush()


LineSink = Callable[[str], None]
