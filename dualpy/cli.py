"""dualpy's command line: parse, call the library, print; errors become one line and an exit code."""

from __future__ import annotations

import importlib
import os
import sys
import traceback

import typer

from dualpy import __version__, console
from dualpy.errors import DualpyError

app = typer.Typer(
    name="dualpy",
    help="Build, ship and verify dual GIL / free-threaded CPython: images, wheels, verdicts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# (module under dualpy.commands, the group name or None for top-level commands)
COMMAND_MODULES = (
    ("recipes", "recipes"),
    ("sources", "sources"),
    ("base", "base"),
    ("images", "images"),
    ("launcher", "launcher"),
    ("wheels", "wheels"),
    ("verify", "verify"),
    ("config", "config"),
    ("doctor", None),
    ("pipeline", None),
    ("bench", None),
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"dualpy {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version_callback, is_eager=True,
                                 help="Print dualpy's version and exit."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
) -> None:
    if debug:
        os.environ["DUALPY_DEBUG"] = "1"


def _register() -> None:
    for module_name, group in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"dualpy.commands.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"dualpy.commands.{module_name}":
                continue  # command group not written yet
            raise
        if group is None:
            module.register(app)
        else:
            app.add_typer(module.app, name=group)


_register()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the process exit code."""
    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="dualpy", standalone_mode=False)
    except DualpyError as exc:
        if os.environ.get("DUALPY_DEBUG"):
            traceback.print_exc()
        console.error(str(exc))
        return exc.return_code
    except typer.Exit as exc:
        return exc.exit_code
    except typer.TyperException as exc:  # click's usage errors, vendored by typer
        exc.show()
        return 2
    except (typer.Abort, KeyboardInterrupt):
        console.error("interrupted")
        return 130
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
