"""`dualpy sources`: download and verify CPython source tarballs."""

from __future__ import annotations

from pathlib import Path

import typer

from dualpy import console
from dualpy.recipes import find_release
from dualpy.sources import fetch_release

app = typer.Typer(help="CPython source tarballs, checksum-verified.", no_args_is_help=True)


@app.command("fetch")
def fetch(
    version: str = typer.Argument(..., help="A release (3.13.15) or a minor (3.13, its latest release)."),
    source: Path = typer.Option(None, "--source", help="Use this local tarball instead of downloading."),
    debian_mirror: str = typer.Option(None, "--debian-mirror", help="Debian archive URL (default: the host's apt)."),
    json_output: bool = typer.Option(False, "--json", help="Write JSON to stdout."),
) -> None:
    """Download a release's tarball into the cache, verify its sha256, and say which source served it."""
    _recipe, release = find_release(version)
    console.set_quiet(json_output)
    console.step(f"Python {release.version}")
    fetched = fetch_release(release, local_file=source, debian_mirror=debian_mirror)
    if json_output:
        console.emit_json({"version": release.version, "path": str(fetched.path), "sha256": fetched.sha256,
                           "served_by": fetched.served_by, "cached": fetched.cached})
    else:
        console.stdout.print(f"{fetched.path}\n  sha256 {fetched.sha256}\n  served by {fetched.served_by}")
