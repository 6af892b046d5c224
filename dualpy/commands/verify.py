"""`dualpy verify`: one verdict a release pipeline can gate on."""

from __future__ import annotations

from pathlib import Path

import typer

from dualpy import console
from dualpy.verify import Report, verify_image, verify_wheelhouse
from dualpy.verify.report import print_table, write_reports

app = typer.Typer(help="Prove wheels fit their interpreters and keep the GIL off; prove the launcher chooses right.",
                  no_args_is_help=True)

JSON_HELP = "Write the JSON report here ('-' for stdout)."


def _finish(report: Report, json_path: Path | None, junit_path: Path | None, markdown_path: Path | None) -> None:
    if str(json_path) == "-":
        console.set_quiet(True)
    else:
        print_table(report)
    write_reports(report, json_path, junit_path, markdown_path)
    if report.failed:
        raise typer.Exit(1)


@app.command("wheels")
def wheels(
    wheelhouse: Path = typer.Argument(..., help="A directory of wheels."),
    image: str = typer.Option(None, "--image", help="A dualpy image for the runtime checks (without: static only)."),
    json_path: Path = typer.Option(None, "--json", help=JSON_HELP),
    junit_path: Path = typer.Option(None, "--junit", help="Write a JUnit XML report here."),
    markdown_path: Path = typer.Option(None, "--markdown", help="Write a Markdown report here."),
    strict: bool = typer.Option(False, "--strict", help="Warnings fail too."),
    allow_gil: bool = typer.Option(False, "--allow-gil", help="A re-enabled GIL is a warning, not a failure."),
    with_deps: bool = typer.Option(False, "--with-deps", help="Install dependencies too (needs the index)."),
    test_command: str = typer.Option(None, "--test-command", help="Run this under each interpreter after install."),
) -> None:
    """Static checks of every wheel, then install, import and GIL checks in each interpreter of the image."""
    report = verify_wheelhouse(wheelhouse, image, allow_gil=allow_gil, with_deps=with_deps,
                               test_command=test_command, strict=strict)
    _finish(report, json_path, junit_path, markdown_path)


@app.command("image")
def image(
    tag: str = typer.Argument(..., help="A dualpy image."),
    json_path: Path = typer.Option(None, "--json", help=JSON_HELP),
    junit_path: Path = typer.Option(None, "--junit", help="Write a JUnit XML report here."),
    markdown_path: Path = typer.Option(None, "--markdown", help="Write a Markdown report here."),
    strict: bool = typer.Option(False, "--strict", help="Warnings fail too."),
) -> None:
    """Each launcher rule picks the build it should; python3.X and python3.Xt are what they claim."""
    report = verify_image(tag, strict=strict)
    _finish(report, json_path, junit_path, markdown_path)
