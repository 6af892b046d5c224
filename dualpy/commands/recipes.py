"""`dualpy recipes`: the CPython releases dualpy can build."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from dualpy import console
from dualpy.commands import command_group
from dualpy.errors import SourceNotProven, UsageError
from dualpy.files import atomic_write_text
from dualpy.sources.debian import archive_url, orig_tarball_name
from dualpy.sources.recipes import draft_release, insert_release, load_recipes
from dualpy.sources.signed import configured_suites, lookup_signed, probe_url
from dualpy.tags import ALL_VARIANTS, RELEASE_RE, PythonMinor

app = command_group("CPython releases dualpy can build.")


@app.command("list")
def list_recipes(json_output: bool = typer.Option(False, "--json", help="Write JSON to stdout.")) -> None:
    """List every release with its checksum, sources and per-variant ABI tags."""
    recipes = load_recipes()
    rows: list[dict[str, Any]] = []
    for minor in sorted(recipes, reverse=True):
        recipe = recipes[minor]
        for release in sorted(recipe.releases, key=lambda r: r.sort_key, reverse=True):
            rows.append({
                "version": release.version,
                "minor": str(minor),
                "latest": release == recipe.latest,
                "prerelease": release.is_prerelease,
                "sha256": release.sha256,
                "sources": [s.describe() for s in release.sources],
                "variants": {
                    v.value: {
                        "abi_tag": recipe.target(v).install_tag,
                        "configure": list(recipe.configure_flags(v, "fast")),
                    }
                    for v in ALL_VARIANTS
                },
                "recipe": str(recipe.path),
            })
    if json_output:
        console.emit_json({"recipes": rows})
        return
    table = Table("version", "ABI tags", "sha256", "sources")
    for row in rows:
        tags = " ".join(v["abi_tag"] for v in row["variants"].values())
        label = row["version"] + (" (pre-release)" if row["prerelease"] else "")
        label += " (latest)" if row["latest"] else ""
        table.add_row(label, tags, row["sha256"][:16] + "…",
                      "\n".join(row["sources"]))
    console.stdout.print(table)


@app.command("add")
def add(
    version: str = typer.Argument(..., help="The new release, as python.org spells it (3.14.8, 3.15.0rc3)."),
    write: bool = typer.Option(False, "--write", help="Insert the entry into recipes/3.X.toml (atomically)."),
    debian_mirror: str = typer.Option(None, "--debian-mirror", help="Debian archive URL (default: the host's apt)."),
    suites: list[str] = typer.Option([], "--suites", help="Debian suites whose signed index to search, in order "
                                     "(commas or repeated)."),
) -> None:
    """Draft a [[releases]] entry from the Debian archive's signed index: sha256, Debian pool path, python.org URL.

    Prints the TOML to stdout (or inserts it with --write) and says on stderr what it could not confirm.
    """
    if not RELEASE_RE.match(version.strip()):
        raise UsageError(f"{version!r} is not a CPython release version like 3.14.8 or 3.15.0rc3")
    version = version.strip()
    lookup = lookup_signed(version, configured_suites(",".join(suites) if suites else None), debian_mirror)
    name = orig_tarball_name(version)
    if lookup.found is None or lookup.index is None:
        listed = "; ".join(f"{suite}: {', '.join(v) or 'none'}" for suite, v in lookup.others.items())
        problems = "; ".join(lookup.failures)
        raise SourceNotProven(
            f"no signed Debian index lists {name} (searched {', '.join(lookup.searched) or 'none'}"
            + (f"; they list {listed}" if listed else "") + (f"; unreadable: {problems}" if problems else "")
            + "): nothing to draft from; write the entry by hand from two named sources"
        )
    found, index = lookup.found, lookup.index
    served, answer = probe_url(f"{archive_url(debian_mirror)}/{found.path}")
    signers = ", ".join(key[-16:] for key in index.signed_by)
    provenance = (f"the Debian archive's signed {index.suite} index (InRelease dated {index.release.date}, signed by "
                  f"{signers}; {found.package} {found.debian_version}), drafted by `dualpy recipes add`")
    unconfirmed = ["a second, independent source (python.org's release page, docker-library/python): "
                   "find one, compare, and name it here",
                   "the python.org URL (not reachable from here)"]
    if not served:
        unconfirmed.append(f"that the archive serves {found.path} ({answer} when drafted)")
    entry = draft_release(version, found.sha256, found.path, provenance, unconfirmed)
    for item in unconfirmed:
        console.warn(f"not confirmed: {item}")
    if not write:
        console.stdout.print(entry, markup=False, end="")
        return
    recipes = load_recipes()
    minor = PythonMinor.parse(version)
    recipe = recipes.get(minor)
    if recipe is None:
        raise UsageError(f"no recipe for Python {minor}: create recipes/{minor}.toml from the newest one "
                         "(change minor, keep [variants] and [profiles]), then run this again")
    text = insert_release(recipe.path.read_text(), entry, version, recipe.path)
    atomic_write_text(recipe.path, text, mode=recipe.path.stat().st_mode & 0o777)
    console.info(f"added {version} to {recipe.path}")


def register(root: typer.Typer) -> None:
    """Add the `dualpy recipes` group to the root app."""
    root.add_typer(app, name="recipes")
