"""`dualpy images push|pull|save|load`: images leave the machine by registry or by archive."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from dualpy import console, publish
from dualpy.errors import UsageError
from dualpy.registry import Credentials

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


def register(app: typer.Typer) -> None:
    """Add the four commands to the `images` group."""

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
