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
    ) -> None:
        """Time pure-Python CPU kernels under the GIL and the free-threaded build: cost and scaling."""
        console.set_quiet(json_output)
        report = run_bench(tag, threads, repeat)
        if plot_file:
            plot(report, plot_file)
        if json_output:
            console.emit_json(report)
            return
        ratio = report["single_thread_ratio"]
        table = Table("kernel", "GIL s", "free-threaded s", "t ÷ GIL", "spread")
        for name, row in ratio["per_kernel"].items():
            table.add_row(name, f"{row['gil_seconds']:.3f}", f"{row['freethreaded_seconds']:.3f}",
                          f"{row['ratio']:.2f}", f"{row['spread'][0]:.2f}–{row['spread'][1]:.2f}")
        table.add_row("overall (geo. mean)", "", "", f"{ratio['overall']:.2f}", "")
        console.stdout.print(f"single-thread cost, {report['image']} (Python {report['version']}):")
        console.stdout.print(table)
        scaling = Table("workers", "threads GIL", "threads free-threaded", "processes GIL", "processes free-threaded")
        for n in report["speedup"]["gil"]:
            scaling.add_row(n, f"{report['speedup']['gil'][n]:.2f}×", f"{report['speedup']['freethreaded'][n]:.2f}×",
                            f"{report['multiprocessing_speedup']['gil'][n]:.2f}×",
                            f"{report['multiprocessing_speedup']['freethreaded'][n]:.2f}×")
        console.stdout.print(f"throughput speed-up ({report['cpu_count']} CPUs):")
        console.stdout.print(scaling)
