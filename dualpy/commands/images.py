"""`dualpy images`: build and inspect dual CPython images; push, pull, save and load them."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.table import Table

from dualpy import console
from dualpy.commands import command_group
from dualpy.errors import UsageError
from dualpy.images import build_image, inspect_image, publish
from dualpy.images.registry import Credentials
from dualpy.options import releases_of, variants_of

app = command_group("Dual GIL / free-threaded CPython images.")

USERNAME_HELP = "Registry user; the password is read from stdin (default: the engine's stored credentials)."


def _credentials(username: str | None) -> Credentials | None:
    if username is None:
        return None
    if sys.stdin is None or sys.stdin.isatty():
        raise UsageError("--username needs the password on stdin: `printf %s \"$PASSWORD\" | dualpy images … "
                         "--username USER`")
    password = sys.stdin.readline(65536).rstrip("\r\n")
    if not password:
        raise UsageError("--username was given but stdin held no password: pipe the password in")
    return Credentials(username, password)


@app.command("build")
def build(
    python: list[str] = typer.Option([], "--python", help="A release (3.14.7), a minor (3.14: its latest), or "
                                     "several (3.13,3.14,3.15 or repeated: one image with every interpreter). "
                                     "Default: the newest final."),
    variants: list[str] = typer.Option(["gil,freethreaded"], "--variants",
                                       help="gil, freethreaded, or both (commas or repeated)."),
    base: str = typer.Option(None, "--base", help="Base image (default: dualpy/debian:<suite>, built if absent)."),
    tag: str = typer.Option(None, "--tag", help="Image tag (default dualpy/cpython:<version>[-<version>...])."),
    profile: str = typer.Option("fast", "--profile", help="fast, or release (PGO + LTO)."),
    compiler: str | None = typer.Option(None, "--compiler", help="What compiles the interpreters: gcc, or clang "
                                        "(the suite's clang 19; the tail-calling interpreter from 3.14 on). Default: "
                                        "clang for --profile release where the suite has it, else gcc. Extension "
                                        "builds in the image still use gcc."),
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
        releases_of(python) if python else None, variants=variants_of(variants), base=base, tag=tag,
        profile=profile, suite=suite, debian_mirror=debian_mirror, source_file=source, no_cache=no_cache, target=target,
        compiler=compiler,
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
    table = Table("interpreter", "version", "abiflags", "Py_GIL_DISABLED", "GIL enabled", "EXT_SUFFIX", "first tags",
                  "compiled by", "extensions' CC")
    for row in facts.interpreters:
        table.add_row(console.plain(row.path), console.plain(row.version), row.abiflags or "''",
                      str(row.py_gil_disabled),
                      str(row.gil_enabled), row.ext_suffix, "\n".join(row.tags),
                      console.plain(row.compiler), console.plain(row.extension_cc))
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


@app.command("push")
def push(
    tag: str = typer.Argument(..., help="Local image tag."),
    destination: str = typer.Argument(..., help="registry/name:tag to push to."),
    username: str = typer.Option(None, "--username", help=USERNAME_HELP),
    force: bool = typer.Option(False, "--force", help="Move DEST's tag even when it holds other content."),
    json_output: bool = typer.Option(False, "--json", help="Write the result (digest included) as JSON."),
) -> None:
    """Push an image and print the digest that pins it (registry/name@sha256:…)."""
    if json_output:
        console.set_quiet(True)
    result = publish.push(tag, destination, _credentials(username), force)
    if json_output:
        console.emit_json(result.to_json())
    else:
        console.stdout.print(result.reference, markup=False)

@app.command("pull")
def pull(
    reference: str = typer.Argument(..., help="registry/name:tag or registry/name@sha256:…"),
    digest: str = typer.Option(None, "--digest", help="Refuse the image unless it has this manifest digest."),
    username: str = typer.Option(None, "--username", help=USERNAME_HELP),
    json_output: bool = typer.Option(False, "--json", help="Write the result as JSON."),
) -> None:
    """Pull an image and prove it is a dualpy image (and, with --digest, the exact one)."""
    if json_output:
        console.set_quiet(True)
    result = publish.pull(reference, _credentials(username), digest)
    if json_output:
        console.emit_json(result.to_json())
    else:
        console.stdout.print(f"{result.reference} {result.image_id[:19]} (dualpy {result.dualpy_version}, "
                             f"CPython {result.cpython_versions})", markup=False)

@app.command("save")
def save(
    tags: list[str] = typer.Argument(..., help="Local image tag(s)."),
    output: Path = typer.Option(..., "-o", "--output", help="Archive file to write (FILE.sha256 beside it)."),
    json_output: bool = typer.Option(False, "--json", help="Write the result as JSON."),
) -> None:
    """Write images into one archive for a machine with no registry; print its sha256."""
    if json_output:
        console.set_quiet(True)
    result = publish.save(tags, output)
    if json_output:
        console.emit_json(result.to_json())
    else:
        console.stdout.print(f"{result.sha256}  {result.path} ({result.size_bytes / 1e6:.0f} MB)", markup=False)

@app.command("load")
def load(
    archive: Path = typer.Argument(..., help="An archive from `dualpy images save`."),
    json_output: bool = typer.Option(False, "--json", help="Write the result as JSON."),
) -> None:
    """Check an archive (FILE.sha256, structure) and load it into the engine."""
    if json_output:
        console.set_quiet(True)
    result = publish.load(archive)
    if json_output:
        console.emit_json(result.to_json())
    else:
        console.stdout.print(f"{result.sha256}  {result.path}: loaded {', '.join(result.images)}", markup=False)


def register(root: typer.Typer) -> None:
    """Add the `dualpy images` group to the root app."""
    root.add_typer(app, name="images")
