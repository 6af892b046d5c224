"""`dualpy base`: a Debian base image built from the Debian archive (no registry needed)."""

from __future__ import annotations

import typer

from dualpy import console
from dualpy.commands import command_group
from dualpy.images.base import build_base

app = command_group("Minimal Debian base images from the Debian archive.")


@app.command("build")
def build(
    suite: str = typer.Option(None, "--suite", help="Debian suite: bullseye, bookworm (default) or trixie."),
    tag: str = typer.Option(None, "--tag", help="Image tag (default dualpy/debian:<suite>)."),
    debian_mirror: str = typer.Option(None, "--debian-mirror", help="Debian archive URL (default: the host's apt)."),
) -> None:
    """Build a minimal Debian image with debootstrap and docker import."""
    result = build_base(suite, tag, debian_mirror)
    console.stdout.print(result)


def register(root: typer.Typer) -> None:
    """Add the `dualpy base` group to the root app."""
    root.add_typer(app, name="base")
