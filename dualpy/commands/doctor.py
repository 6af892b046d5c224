"""`dualpy doctor`: what this machine has for dualpy's work."""

from __future__ import annotations

import typer
from rich.table import Table

from dualpy import console
from dualpy.doctor import examine


def doctor(
    json_output: bool = typer.Option(False, "--json", help="Write JSON to stdout."),
    offline: bool = typer.Option(False, "--offline", help="Skip the source reachability checks."),
) -> None:
    """Report the engine, debootstrap, the cache dir and which CPython sources are reachable."""
    findings = examine(check_sources=not offline)
    if json_output:
        console.emit_json({"ok": all(f.ok for f in findings),
                           "findings": [f.to_json() for f in findings]})
    else:
        table = Table("check", "", "detail", "fix")
        for f in findings:
            state = "[green]ok[/]" if f.ok else "[red]no[/]"
            table.add_row(f.name, state, console.plain(f.detail), console.plain(f.fix))
        console.stdout.print(table)
    if not all(f.ok for f in findings if f.name in ("engine", "cache dir")):
        raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    """Add `dualpy doctor` to the root app."""
    root.command("doctor")(doctor)
