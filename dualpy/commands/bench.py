"""`dualpy bench`: single-thread cost and thread scaling of an image's two builds."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from dualpy import console
from dualpy.bench import plot, run_bench


def register(app: typer.Typer) -> None:
    @app.command("bench")
    def bench(
        tag: str = typer.Argument(..., help="A dual image, e.g. dualpy/cpython:3.13.15."),
        threads: int = typer.Option(None, "--threads", help="Up to this many threads (default: CPU count)."),
        repeat: int = typer.Option(5, "--repeat", min=1, help="Runs per measurement (the median is kept)."),
        json_output: bool = typer.Option(False, "--json", help="Write the report as JSON to stdout."),
        plot_file: Path = typer.Option(None, "--plot", help="Write a PNG of speed-up vs threads."),
        python: str = typer.Option(None, "--python", help="Which minor of a multi-Python image (default: the "
                                   "image's default release)."),
    ) -> None:
        """Time pure-Python CPU kernels under the GIL and the free-threaded build: cost and scaling."""
        console.set_quiet(json_output)
        report = run_bench(tag, threads, repeat, python)
        if plot_file:
            plot(report, plot_file)
        if json_output:
            console.emit_json(report.to_json())
            return
        summary = report.summary
        table = Table("kernel", "GIL s", "free-threaded s", "t ÷ GIL", "spread")
        for name, row in summary.per_kernel_ratio.items():
            table.add_row(name, f"{row.gil_seconds:.3f}", f"{row.freethreaded_seconds:.3f}",
                          f"{row.ratio:.2f}", f"{row.spread[0]:.2f}–{row.spread[1]:.2f}")
        table.add_row("overall (geo. mean)", "", "", f"{summary.overall_ratio:.2f}", "")
        console.stdout.print(f"single-thread cost, {report.image} (Python {report.version}):", markup=False)
        console.stdout.print(table)
        scaling = Table("workers", "threads GIL", "threads free-threaded", "processes GIL", "processes free-threaded")
        speedup, processes = summary.speedup, summary.multiprocessing_speedup
        for n in speedup["gil"]:
            scaling.add_row(n, f"{speedup['gil'][n]:.2f}×", f"{speedup['freethreaded'][n]:.2f}×",
                            f"{processes['gil'][n]:.2f}×", f"{processes['freethreaded'][n]:.2f}×")
        console.stdout.print(f"throughput speed-up ({report.cpu_count} CPUs):")
        console.stdout.print(scaling)
