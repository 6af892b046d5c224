"""`dualpy recipes`: the CPython releases dualpy can build."""

from __future__ import annotations

import typer
from rich.table import Table

from dualpy import console
from dualpy.recipes import load_recipes
from dualpy.tags import ALL_VARIANTS

app = typer.Typer(help="CPython releases dualpy can build.", no_args_is_help=True)


@app.command("list")
def list_recipes(json_output: bool = typer.Option(False, "--json", help="Write JSON to stdout.")) -> None:
    """List every release with its checksum, sources and per-variant ABI tags."""
    recipes = load_recipes()
    rows = []
    for minor in sorted(recipes, reverse=True):
        recipe = recipes[minor]
        for release in sorted(recipe.releases, key=lambda r: r.sort_key, reverse=True):
            rows.append({
                "version": release.version,
                "minor": str(minor),
                "latest": release == recipe.latest,
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
        table.add_row(row["version"] + (" (latest)" if row["latest"] else ""), tags, row["sha256"][:16] + "…",
                      "\n".join(row["sources"]))
    console.stdout.print(table)
