"""`dualpy wheels`: the normal and the free-threaded wheels of a project, built by cibuildwheel."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.table import Table

from dualpy import console
from dualpy.commands import command_group
from dualpy.config import resolve
from dualpy.errors import DualpyError
from dualpy.options import releases_of, split_list, variants_of
from dualpy.wheels import WheelsRequest, build_wheels, print_config
from dualpy.wheels.floor import parse_floor
from dualpy.wheels.system_packages import parse_system_packages

app = command_group("Build GIL and free-threaded wheels with cibuildwheel.")


@app.command("build")
def build(
    project: Path = typer.Argument(..., help="A project directory (pyproject.toml or setup.py) or an sdist .tar.gz."),
    python: list[str] = typer.Option(..., "--python", help="Pythons: 3.14, or 3.13,3.14,3.15 (repeatable)."),
    image: str = typer.Option(None, "--image", help="Build container (default: the dualpy image of every --python "
                              "release, dualpy/cpython:<versions>)."),
    manylinux_image: bool = typer.Option(False, "--manylinux-image", help="Use cibuildwheel's own manylinux images."),
    manylinux: str = typer.Option(None, "--manylinux",
                                  help="The glibc floor: 2_28 (default), 2_17, any 2_X auditwheel knows, or native "
                                       "(the image's gcc)."),
    output_dir: Path = typer.Option(Path("wheelhouse"), "--output-dir", help="Where the wheels land."),
    variants: list[str] = typer.Option(["gil,freethreaded"], "--variants",
                                       help="gil, freethreaded, or both (commas or repeated)."),
    test_command: str = typer.Option(None, "--test-command", help="Overrides the project's test-command."),
    system_packages: list[str] = typer.Option([], "--system-packages",
                                              help="Debian packages the build needs (libyaml-dev; commas or "
                                                   "repeated), installed in the build container first."),
    show_config: bool = typer.Option(False, "--print-config",
                                     help="Print the merged cibuildwheel settings as JSON and exit."),
    jobs: int = typer.Option(None, "--jobs", min=1,
                             help="cibuildwheel processes side by side: 1 builds all identifiers in one; "
                                  "default one per variant on 2+ cores."),
    json_output: bool = typer.Option(False, "--json", help="Write the result as JSON to stdout."),
) -> None:
    """Build the cpXY-cpXY and cpXY-cpXYt wheels of PROJECT for each --python."""
    try:
        config = resolve(project, os.environ, {"manylinux": manylinux, "system-packages": list(split_list(
            system_packages))})
        request = WheelsRequest(project, releases_of(python), image=image, manylinux=manylinux_image,
                                variants=variants_of(variants), output_dir=output_dir, test_command=test_command,
                                jobs=jobs, floor=parse_floor(config.value("manylinux")),
                                system_packages=parse_system_packages(config.value("system-packages"),
                                                                      config.flag("system-packages")))
        if show_config:
            console.emit_json(print_config(request))
            return
        console.set_quiet(json_output)
        result = build_wheels(request)
    except DualpyError as exc:
        if json_output:  # one document whatever happened: a script tells a build error (3) from bad input (2)
            console.emit_json({"output_dir": str(output_dir), "wheels": [], "verdict": "error", "stage": "wheels",
                               "error": str(exc), "exit_code": exc.return_code})
        raise
    if json_output:
        console.emit_json(result.to_json())
        return
    table = Table("wheel", "serves", "built by", "glibc floor")
    for wheel in result.wheels:
        table.add_row(console.plain(wheel.filename), wheel.variant, wheel.built_by,
                      f"{wheel.manylinux} ({wheel.compiler})" if wheel.manylinux else "")
    console.stdout.print(table)
    console.info(f"{len(result.wheels)} wheel(s) in {result.output_dir} ({result.seconds:.0f}s, "
                 f"cibuildwheel {', '.join(result.cibuildwheel_versions)}); log: {result.log_path}")


def register(root: typer.Typer) -> None:
    """Add the `dualpy wheels` group to the root app."""
    root.add_typer(app, name="wheels")
