"""`dualpy config`: the resolved [tool.dualpy] settings and where each came from."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.table import Table

from dualpy import console
from dualpy.commands import command_group
from dualpy.config import resolve
from dualpy.errors import UsageError

# "\\[" keeps "[tool.dualpy]" literal in the help, which typer renders as rich markup.
app = command_group("dualpy's configuration ([tool.dualpy], DUALPY_* variables, flags).")


@app.command("show")
def show(
    project: Path = typer.Argument(..., help="A project directory."),
    json_output: bool = typer.Option(False, "--json", help="Write JSON to stdout."),
) -> None:
    """Print each setting, its value and where it came from."""
    if not project.is_dir():
        raise UsageError(f"{project}: no such project directory")
    config = resolve(project, os.environ, {})
    if json_output:
        console.emit_json(config.to_json())
        return
    table = Table("setting", "value", "from")
    for key, setting in config.settings.items():
        table.add_row(key, console.plain(repr(setting.value)), console.plain(setting.source))
    console.stdout.print(table)


def register(root: typer.Typer) -> None:
    """Add the `dualpy config` group to the root app."""
    root.add_typer(app, name="config")
