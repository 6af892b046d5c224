"""`dualpy verify`: one verdict a release pipeline can gate on."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import typer

from dualpy import console
from dualpy.commands import command_group
from dualpy.errors import UsageError
from dualpy.options import refuse_without
from dualpy.verify import Report, verify_image, verify_wheelhouse
from dualpy.verify.audit import parse_policy
from dualpy.verify.report import print_table, to_json, write_reports, write_text_report
from dualpy.verify.stress import DEFAULT_ITERATIONS, StressSettings, default_threads, extract_sdist_tests

app = command_group("Prove wheels fit their interpreters and keep the GIL off; prove the launcher chooses right.")

JSON_HELP = "Write the JSON report to stdout and nothing else there (progress and the table stay off stdout)."
JSON_FILE_HELP = "Also write the JSON report to this file."


def _finish(report: Report, json_output: bool, json_file: Path | None, junit_path: Path | None,
            markdown_path: Path | None) -> None:
    if json_output:
        write_text_report(Path("-"), json.dumps(to_json(report), indent=2) + "\n")
    else:
        print_table(report)
    write_reports(report, json_file, junit_path, markdown_path)
    if report.failed:
        raise typer.Exit(1)


def _sdist_tests(wheelhouse: Path, scratch: Path) -> Path:
    sdists = sorted(wheelhouse.glob("*.tar.gz"))
    if len(sdists) != 1:
        raise UsageError(f"--stress needs the tests: pass --tests DIR (found {len(sdists)} sdists in {wheelhouse})")
    return extract_sdist_tests(sdists[0], scratch)


@app.command("wheels")
def wheels(
    wheelhouse: Path = typer.Argument(..., help="A directory of wheels."),
    image: str = typer.Option(None, "--image", help="A dualpy image for the runtime checks (without: static only)."),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
    json_file: Path = typer.Option(None, "--json-file", help=JSON_FILE_HELP),
    junit_path: Path = typer.Option(None, "--junit", help="Write a JUnit XML report here."),
    markdown_path: Path = typer.Option(None, "--markdown", help="Write a Markdown report here."),
    strict: bool = typer.Option(False, "--strict", help="Warnings fail too."),
    allow_gil: bool = typer.Option(False, "--allow-gil", help="A re-enabled GIL is a warning, not a failure."),
    with_deps: bool = typer.Option(None, "--with-deps/--no-deps",
                                   help="Install each wheel's dependencies from the index, as cibuildwheel's test "
                                        "step does (--no-deps: the wheel alone, offline)."),
    test_command: str = typer.Option(None, "--test-command", help="Run this under each interpreter after install."),
    stress: bool = typer.Option(False, "--stress", help="Run the tests under N threads in each free-threaded build."),
    threads: int = typer.Option(None, "--threads", help="Threads per test for --stress (default: the cores, >= 2)."),
    iterations: int = typer.Option(None, "--iterations",
                                   help=f"Iterations per thread for --stress (default {DEFAULT_ITERATIONS})."),
    tests: Path = typer.Option(None, "--tests", help="The tests --stress runs (default: an sdist's in WHEELHOUSE)."),
    older_image: str = typer.Option(None, "--older-image",
                                    help="Also install and import each wheel in this image of the same release on "
                                         "an older glibc (`images build --suite bullseye`): runtime.older-glibc."),
    manylinux: str = typer.Option(None, "--manylinux",
                                  help="Fail wheels needing a newer glibc than this (2_28 = manylinux_2_28); "
                                       "without --image the symbols are scanned on the host."),
    require_classifier: bool = typer.Option(False, "--require-classifier",
                                            help="A t wheel without the Free Threading classifier warns (else: a "
                                                 "note)."),
) -> None:
    """Static checks of every wheel, then install, import and GIL checks in each interpreter of the image."""
    for flag, given in (("--test-command", test_command is not None), ("--allow-gil", allow_gil),
                        ("--with-deps/--no-deps", with_deps is not None), ("--stress", stress)):
        refuse_without(flag, "--image", given and not image)
    for flag, given in (("--threads", threads is not None), ("--iterations", iterations is not None),
                        ("--tests", tests is not None)):
        refuse_without(flag, "--stress", given and not stress)
    if json_output:
        console.set_quiet(True)
    with tempfile.TemporaryDirectory(prefix="dualpy-verify-") as scratch:
        settings = None
        if stress:
            settings = StressSettings(threads or default_threads(), iterations or DEFAULT_ITERATIONS,
                                      tests or _sdist_tests(wheelhouse, Path(scratch)))
        report = verify_wheelhouse(wheelhouse, image, allow_gil=allow_gil, with_deps=with_deps is not False,
                                   test_command=test_command, strict=strict, stress=settings,
                                   manylinux=parse_policy(manylinux) if manylinux else None,
                                   older_image=older_image, require_classifier=require_classifier)
    _finish(report, json_output, json_file, junit_path, markdown_path)


@app.command("image")
def image(
    tag: str = typer.Argument(..., help="A dualpy image."),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
    json_file: Path = typer.Option(None, "--json-file", help=JSON_FILE_HELP),
    junit_path: Path = typer.Option(None, "--junit", help="Write a JUnit XML report here."),
    markdown_path: Path = typer.Option(None, "--markdown", help="Write a Markdown report here."),
    strict: bool = typer.Option(False, "--strict", help="Warnings fail too."),
) -> None:
    """Each launcher rule picks the build it should; python3.X and python3.Xt are what they claim."""
    if json_output:
        console.set_quiet(True)
    report = verify_image(tag, strict=strict)
    _finish(report, json_output, json_file, junit_path, markdown_path)


def register(root: typer.Typer) -> None:
    """Add the `dualpy verify` group to the root app."""
    root.add_typer(app, name="verify")
