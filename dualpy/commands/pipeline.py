"""`dualpy pipeline`: image, sdist, wheels, verify, summary — one command."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.table import Table

from dualpy import console
from dualpy.errors import BuildFailed, DualpyError
from dualpy.options import pipeline_options
from dualpy.pipeline import error_document, run_pipeline
from dualpy.signals import terminate_as_interrupt


def pipeline(
    project: Path = typer.Argument(..., help="A project directory or an sdist."),
    python: list[str] = typer.Option([], "--python", help="Pythons: 3.14, or 3.13,3.14 (commas or repeated). "
                                     "Else [tool.dualpy] pythons, else the newest final release."),
    variants: list[str] = typer.Option([], "--variants", help="gil, freethreaded, or both (default both)."),
    image: str = typer.Option(None, "--image", help="Build container (default dualpy/cpython:<version>)."),
    test_command: str = typer.Option(None, "--test-command", help="Run after install, in build and verify."),
    allow_gil: bool = typer.Option(None, "--allow-gil/--no-allow-gil", help="A re-enabled GIL only warns."),
    output_dir: Path = typer.Option(None, "--output-dir", help="Where the sdist, wheels and manifest land."),
    report_dir: Path = typer.Option(None, "--report-dir",
                                    help="Where verify.json, .junit.xml and .md go (default: output dir)."),
    strict: bool = typer.Option(False, "--strict", help="Verify warnings fail too."),
    stress: bool = typer.Option(None, "--stress/--no-stress",
                                help="Run the project's tests under N threads in each free-threaded build."),
    threads: int = typer.Option(None, "--threads", help="Threads per test for --stress (default: cores, >= 2)."),
    iterations: int = typer.Option(None, "--iterations", help="Iterations per thread for --stress (default 10)."),
    tests: Path = typer.Option(None, "--tests", help="The tests --stress runs (default: the sdist's tests/)."),
    manylinux: str = typer.Option(None, "--manylinux",
                                  help="The glibc floor the wheels are built for and checked against: 2_28 "
                                       "(default), 2_17, any 2_X auditwheel knows, or native (the image's gcc)."),
    older_suite: str = typer.Option(None, "--older-suite",
                                    help="Also install and import every wheel in the same releases built on this "
                                         "older Debian suite (bullseye: glibc 2.31), check runtime.older-glibc."),
    system_packages: list[str] = typer.Option([], "--system-packages",
                                              help="Debian packages the build needs (libyaml-dev; commas or "
                                                   "repeated), installed in the build container first."),
    require_classifier: bool = typer.Option(None, "--require-classifier/--no-require-classifier",
                                            help="A t wheel without the Free Threading classifier warns."),
    json_output: bool = typer.Option(False, "--json", help="Write the summary as JSON to stdout."),
    config_file: Path = typer.Option(None, "--config-file",
                                     help="Read [tool.dualpy] from this TOML file instead of the project's."),
) -> None:
    """Build the image if absent, the sdist, the wheels from the sdist, verify them, and print one summary."""
    flags = {"pythons": python, "variants": variants, "image": image, "test-command": test_command,
             "allow-gil": allow_gil, "output-dir": output_dir, "stress": stress, "stress-threads": threads,
             "stress-iterations": iterations, "manylinux": manylinux, "require-classifier": require_classifier,
             "system-packages": system_packages}
    console.set_quiet(json_output)
    where = str(output_dir) if output_dir else ""
    try:
        # an sdist's [tool.dualpy] is read from inside it
        options = pipeline_options(project, os.environ, flags, strict=strict, report_dir=report_dir, tests=tests,
                                   older_suite=older_suite, config_file=config_file)
        where = str(options.output_dir)
        with terminate_as_interrupt():  # CI cancels with SIGTERM: staging files and containers are cleaned up
            result = run_pipeline(options)
    except DualpyError as exc:
        if json_output:  # a script reads one document whatever happened; the one-line error still goes to stderr
            console.emit_json(error_document(exc, where))
        raise
    document = result.to_json()
    if json_output:
        console.emit_json(document)
    else:
        table = Table("file", "serves", "verdict")
        if document["sdist"]:
            table.add_row(console.plain(document["sdist"]), "sdist", "")
        for wheel in document["wheels"]:
            colour = {"pass": "green", "warn": "yellow", "fail": "red"}.get(wheel["verdict"], "white")
            table.add_row(console.plain(wheel["filename"]), wheel["variant"], f"[{colour}]{wheel['verdict']}[/]")
        console.stdout.print(table)
        stages = ", ".join(f"{name} {seconds:.0f}s" for name, seconds in document["stage_seconds"].items())
        counts = document["summary"]
        console.stdout.print(
            f"verdict: {document['verdict'].upper()} ({counts['pass']} checks passed, {counts['warn']} warnings, "
            f"{counts['fail']} failed); {stages}")
        console.stdout.print(f"output: {document['output_dir']}; reports: {document['reports']['markdown']}")
    if result.build_errors:  # the wheels that built are published and verified; the run still failed
        raise BuildFailed(result.build_errors[0])
    if result.report.failed:
        raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    """Add `dualpy pipeline` to the root app."""
    root.command("pipeline")(pipeline)
