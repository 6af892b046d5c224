"""`dualpy images`: build and inspect dual CPython images."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from dualpy.commands import command_group
from dualpy import console
from dualpy.commands import publish as publish_commands
from dualpy.images import build_image, inspect_image
from dualpy.tags import parse_variants

app = command_group("Dual GIL / free-threaded CPython images.")


@app.command("build")
def build(
    python: str = typer.Option(None, "--python", help="A release (3.14.7), a minor (3.14: its latest), or several "
                               "(3.13,3.14,3.15: one image with every interpreter). Default: the newest final."),
    variants: str = typer.Option("gil,freethreaded", "--variants", help="gil, freethreaded, or both."),
    base: str = typer.Option(None, "--base", help="Base image (default: dualpy/debian:<suite>, built if absent)."),
    tag: str = typer.Option(None, "--tag", help="Image tag (default dualpy/cpython:<version>[-<version>...])."),
    profile: str = typer.Option("fast", "--profile", help="fast, or release (PGO + LTO)."),
    suite: str = typer.Option(None, "--suite", help="Debian suite of the base: bullseye, bookworm (default), trixie."),
    debian_mirror: str = typer.Option(None, "--debian-mirror", help="Debian archive URL (default: the host's apt)."),
    source: Path = typer.Option(None, "--source", help="A local CPython tarball (checked against the recipe)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Rebuild every step (a cold build)."),
    target: str = typer.Option("full", "--target", help="full (also a cibuildwheel build container), or runtime "
                               "(interpreters, launcher and pip; no compiler or headers; tag ends in -runtime)."),
    json_output: bool = typer.Option(False, "--json", help="Write the build report as JSON to stdout."),
) -> None:
    """Build both CPython variants of one or several releases from checksum-verified source into one image."""
    report = build_image(
        python, variants=parse_variants(variants), base=base, tag=tag, profile=profile, suite=suite,
        debian_mirror=debian_mirror, source_file=source, no_cache=no_cache, target=target,
    )
    if json_output:
        console.emit_json(report.to_json())
    else:
        console.stdout.print(report.tag)


@app.command("inspect")
def inspect(
    tag: str = typer.Argument(..., help="Image tag."),
    json_output: bool = typer.Option(False, "--json", help="Write JSON to stdout."),
) -> None:
    """Report each interpreter of an image: version, ABI flags, GIL state, extension suffix, tags; labels; launcher."""
    facts = inspect_image(tag)
    if json_output:
        console.emit_json(facts.to_json())
        return
    table = Table("interpreter", "version", "abiflags", "Py_GIL_DISABLED", "GIL enabled", "EXT_SUFFIX", "first tags")
    for row in facts.interpreters:
        table.add_row(console.plain(row.path), console.plain(row.version), row.abiflags or "''",
                      str(row.py_gil_disabled),
                      str(row.gil_enabled), row.ext_suffix, "\n".join(row.tags))
    console.stdout.print(f"{facts.tag}  {facts.id[:19]}  {facts.size_bytes / 1e6:.0f} MB")
    console.stdout.print(table)
    if facts.launcher:
        version = facts.launcher.default_version
        default = facts.launcher.default + (f" {version}" if version else "")
        console.stdout.print(f"launcher {facts.launcher.path} (default {default}): "
                             + ", ".join(f"{k} -> {v}" for k, v in facts.launcher.interpreters.items()),
                             markup=False)
    else:
        console.stdout.print("launcher: none")
    for key, value in sorted(facts.labels.items()):
        console.stdout.print(f"  {key} = {value}", markup=False)


publish_commands.register(app)
