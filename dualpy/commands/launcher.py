"""`dualpy launcher`: one `python` that picks the GIL or the free-threaded build."""

from __future__ import annotations

from pathlib import Path

import typer

from dualpy import console
from dualpy.commands import command_group
from dualpy.errors import UsageError
from dualpy.launcher import CONFIG_RELATIVE_PATH, LauncherConfig, discover, install, parse_interpreter_options
from dualpy.tags import parse_variants

app = command_group("The interpreter launcher (python/python3 picking a build by dualpy's rules).")


@app.command("install")
def install_command(
    prefix: Path = typer.Option(..., "--prefix", help="Install into PREFIX/bin/python and PREFIX/etc/."),
    python: list[str] = typer.Option([], "--python", help="An interpreter: 3.13=/path/python3.13 (repeatable)."),
    default: str = typer.Option("gil", "--default", help="gil or freethreaded: the build rule 5 picks."),
    root: Path = typer.Option(Path("/opt/python"), "--root", help="Where to discover interpreters without --python."),
    default_version: str | None = typer.Option(
        None, "--default-version",
        help="The minor rules 2, 3 and 5 use without a .python-version (default: the newest stable one)."),
    json_output: bool = typer.Option(False, "--json", help="Write what was installed as JSON to stdout."),
) -> None:
    """Compile and install the launcher for interpreters given with --python, or found under /opt/python."""
    variants = parse_variants(default)
    if len(variants) != 1:
        raise UsageError(f"--default {default}: name one build, gil or freethreaded")
    interpreters = parse_interpreter_options(python) if python else discover(root)
    result = install(prefix, interpreters, variants[0], default_version)
    if json_output:
        console.emit_json(result.to_json())
    else:
        # markup=False: paths are the user's text, not rich markup
        console.stdout.print(f"{result.launcher} (default {result.default.value} {result.default_version}): "
                             + ", ".join(f"{k} -> {v}" for k, v in result.interpreters.items()), markup=False)


@app.command("show")
def show(
    prefix: Path = typer.Option(Path("/usr/local"), "--prefix", help="Where the launcher is installed."),
    json_output: bool = typer.Option(False, "--json", help="Write JSON to stdout."),
) -> None:
    """Show the launcher's interpreters and default."""
    config = prefix / CONFIG_RELATIVE_PATH
    if not config.is_file():
        raise UsageError(f"no launcher configuration at {config}: run `dualpy launcher install --prefix {prefix}`")
    settings = LauncherConfig.parse(config.read_text(errors="replace"))
    if json_output:
        console.emit_json({"config": str(config), "default": settings.default.value,
                           "default_version": settings.default_version, "interpreters": settings.interpreters})
    else:
        console.stdout.print(f"{config} (default {settings.default.value} {settings.default_version or ''})".rstrip(),
                             markup=False)
        for request, path in settings.interpreters.items():
            console.stdout.print(f"  {request} -> {path!r}" if not path.isprintable() else f"  {request} -> {path}",
                                 markup=False)


def register(root: typer.Typer) -> None:
    """Add the `dualpy launcher` group to the root app."""
    root.add_typer(app, name="launcher")
