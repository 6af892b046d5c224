"""dualpy's command line: parse, call the library, print; errors become one line and an exit code."""

from __future__ import annotations

import os
import sys
import traceback

import typer

from dualpy import __version__, console
from dualpy.commands import (
    base,
    bench,
    config,
    doctor,
    images,
    launcher,
    pipeline,
    readiness,
    recipes,
    sources,
    verify,
    wheels,
)
from dualpy.errors import DualpyError

app = typer.Typer(
    name="dualpy",
    help="Build, ship and verify dual GIL / free-threaded CPython: images, wheels, verdicts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help as written: [tool.dualpy] stays literal
)

# Command groups and commands, in the order `dualpy --help` lists them; each module adds itself.
for module in (recipes, sources, base, images, launcher, wheels, verify, config, doctor, pipeline, bench, readiness):
    module.register(app)

def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"dualpy {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version_callback, is_eager=True,  # noqa: ARG001
                                 help="Print dualpy's version and exit."),  # handled by its eager callback
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
) -> None:
    if debug:
        os.environ["DUALPY_DEBUG"] = "1"


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
        show = getattr(exc, "show", None)  # click's exceptions print the usage line with the message
        if callable(show):
            show()
        else:
            console.error(exc.format_message())
        return 2
    except (typer.Abort, KeyboardInterrupt):
        console.error("interrupted")
        return 130
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
