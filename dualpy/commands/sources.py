"""`dualpy sources`: download CPython source tarballs and prove their sha256 twice (recipe + signed Debian index)."""

from __future__ import annotations

from pathlib import Path

import typer

from dualpy import console
from dualpy.commands import command_group
from dualpy.errors import SourceNotProven
from dualpy.sources.fetch import fetch_release
from dualpy.sources.recipes import find_release
from dualpy.sources.signed import SignedVerdict, configured_suites, judge_signed, lookup_signed

app = command_group("CPython source tarballs, checksum-verified.")


@app.command("fetch")
def fetch(
    version: str = typer.Argument(..., help="A release (3.13.15) or a minor (3.13, its latest release)."),
    source: Path = typer.Option(None, "--source", help="Use this local tarball instead of downloading."),
    debian_mirror: str = typer.Option(None, "--debian-mirror", help="Debian archive URL (default: the host's apt)."),
    suites: list[str] = typer.Option([], "--suites",
                               help="Debian suites whose signed index to search, in order "
                                    "(default: $DUALPY_DEBIAN_SUITES, else unstable,testing,experimental,stable,"
                                    "stable-backports)."),
    require_signed: bool = typer.Option(False, "--require-signed",
                                        help="Fail unless the Debian archive's signed index lists the tarball "
                                             "with the recipe's sha256."),
    json_output: bool = typer.Option(False, "--json", help="Write JSON to stdout."),
) -> None:
    """Check the recipe's sha256 against the Debian archive's signed index, then download, verify and cache the
    tarball. A disagreement is an error naming both digests; a release the index does not list is a warning
    (an error with --require-signed)."""
    recipe, release = find_release(version)
    console.set_quiet(json_output)
    console.step(f"Python {release.version}")
    lookup = lookup_signed(release.version, configured_suites(",".join(suites) if suites else None), debian_mirror)
    verdict = judge_signed(release, str(recipe.path), lookup)  # raises on a disagreement, before any download
    _say(verdict, require_signed)
    fetched = fetch_release(release, local_file=source, debian_mirror=debian_mirror)
    if json_output:
        console.emit_json({
            "version": release.version, "path": str(fetched.path), "sha256": fetched.sha256,
            "served_by": fetched.served_by, "cached": fetched.cached,
            "recipe": {"path": str(recipe.path), "sha256": release.sha256},
            "signed_index": {
                "status": verdict.status,
                "sha256": verdict.signed_sha256,
                "suite": lookup.index.suite if lookup.index else None,
                "date": lookup.index.release.date if lookup.index else None,
                "signed_by": list(lookup.index.signed_by) if lookup.index else [],
                "path": lookup.found.path if lookup.found else None,
                "searched": list(lookup.searched),
                "message": verdict.message,
            },
        })
        return
    signed = verdict.signed_sha256 or f"none ({verdict.status})"
    console.stdout.print(
        f"{fetched.path}\n  sha256 {fetched.sha256}\n  served by {fetched.served_by}\n"
        f"  recipe        {release.sha256}  ({recipe.path.name})\n"
        f"  signed index  {signed}", markup=False,
    )


def _say(verdict: SignedVerdict, require_signed: bool) -> None:
    """Report the second source: info when it agrees, a warning when it is silent (an error if required)."""
    if verdict.status == "agrees":
        console.info(f"  second source: {verdict.message}")
        return
    if require_signed:
        raise SourceNotProven(f"{verdict.message}; --require-signed asks for both: drop it to accept one source")
    console.warn(verdict.message)


def register(root: typer.Typer) -> None:
    """Add the `dualpy sources` group to the root app."""
    root.add_typer(app, name="sources")
