"""`dualpy readiness`: is every package of a dependency list ready for the free-threaded build?"""

from __future__ import annotations

from pathlib import Path

import typer

from dualpy import console
from dualpy.errors import UsageError
from dualpy.images import default_tag
from dualpy.options import refuse_without, split_list
from dualpy.readiness.inputs import KIND_NAMES, read_dependency_set
from dualpy.readiness.judge import EXIT_CODES
from dualpy.readiness.report import summary_line, table, to_markdown
from dualpy.readiness.run import DEFAULT_IMPORT_TIMEOUT, ThreadStress, run_readiness
from dualpy.signals import terminate_as_interrupt
from dualpy.sources.recipes import find_release
from dualpy.tags import PythonMinor
from dualpy.verify.report import check_writable, write_text_report
from dualpy.verify.stress import default_threads


def readiness(
    requirements: Path = typer.Argument(..., help="requirements*.txt (with -r/-c includes), pyproject.toml, "
                                        "pylock.toml or uv.lock."),
    python: str = typer.Option("3.14", "--python", help="The free-threaded Python to judge with (3.14)."),
    image: str = typer.Option(None, "--image", help="A dualpy image with that Python's t and GIL "
                              "interpreters (default dualpy/cpython:<latest release of --python>)."),
    kind: str = typer.Option(None, "--kind", help=f"Read the file as {' | '.join(KIND_NAMES)} (default: "
                             "from its name)."),
    group: list[str] = typer.Option([], "--group", help="Also judge this optional-dependencies extra or "
                                    "dependency group of a pyproject.toml (commas or repeated)."),
    import_timeout: float = typer.Option(DEFAULT_IMPORT_TIMEOUT, "--import-timeout", min=1,
                                         help="Seconds one module's import may take before it counts as hung."),
    stress: bool = typer.Option(False, "--stress", help="Also run each requested package's own tests (from its "
                                "sdist) under pytest-run-parallel; a test failing only in threads makes it not ready."),
    threads: int = typer.Option(None, "--threads", help="Threads per test for --stress (default: cores, >= 2)."),
    iterations: int = typer.Option(None, "--iterations", help="Iterations per thread for --stress (default 2)."),
    json_output: bool = typer.Option(False, "--json", help="Write the report as JSON to stdout."),
    markdown: Path = typer.Option(None, "--markdown", help="Also write the report as Markdown to this file "
                                  "(a job summary)."),
) -> None:
    """Install every package of a dependency list under free-threaded Python and say which are ready."""
    minor = PythonMinor.parse(python)
    if not minor.supports_freethreading:
        raise UsageError(f"--python {python}: free-threaded builds begin with 3.13: pass --python 3.14")
    refuse_without("--threads", "--stress", threads is not None and not stress)
    refuse_without("--iterations", "--stress", iterations is not None and not stress)
    thread_stress = ThreadStress(threads or default_threads(), iterations or 2) if stress else None
    dependencies = read_dependency_set(requirements, kind, list(split_list(group)))
    if markdown is not None:
        check_writable(markdown)  # a bad path is said before minutes of installing, not after
    console.set_quiet(json_output)
    for note in dependencies.notes:
        console.warn(note)
    with terminate_as_interrupt():  # CI cancels with SIGTERM: the container is removed on the way out
        report = run_readiness(dependencies, image or default_tag(find_release(python)[1].version), minor,
                               import_timeout=import_timeout,
                               stress=thread_stress)
    if markdown is not None:
        write_text_report(markdown, to_markdown(report))
    if json_output:
        console.emit_json(report.to_json())
    else:
        console.stdout.print(table(report))
        console.stdout.print(summary_line(report), markup=False)
    code = EXIT_CODES[report.verdict]
    if code:
        raise typer.Exit(code)


def register(root: typer.Typer) -> None:
    """Add `dualpy readiness` to the root app."""
    root.command("readiness")(readiness)
