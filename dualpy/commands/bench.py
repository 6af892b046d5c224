"""`dualpy bench`: single-thread cost and thread scaling of an image's two builds."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from dualpy import console
from dualpy.bench.baseline import BaselineReport, run_baseline
from dualpy.bench.pyperformance import SuiteComparison, format_timing, select_benchmarks
from dualpy.bench.run import BenchReport, plot, pyplot, run_bench
from dualpy.errors import UsageError
from dualpy.options import refuse_without, variants_of


def bench(
    tag: str = typer.Argument(..., help="A dual image, e.g. dualpy/cpython:3.13.15."),
    threads: int | None = typer.Option(None, "--threads", help="Up to this many threads (default: CPU count)."),
    repeat: int = typer.Option(5, "--repeat", min=1, help="Runs per measurement (the median is kept)."),
    json_output: bool = typer.Option(False, "--json", help="Write the report as JSON to stdout."),
    plot_file: Path | None = typer.Option(None, "--plot", help="Write a PNG of speed-up vs threads."),
    python: str = typer.Option(None, "--python", help="Which minor of a multi-Python image (default: the "
                               "image's default release)."),
    suite: str = typer.Option("kernels", "--suite", help="kernels (quick, home-made) or pyperformance (the "
                              "suite CPython uses; installed in the container from your package index)."),
    benchmarks: list[str] = typer.Option([], "--benchmarks", help="pyperformance benchmarks, comma-separated "
                                         "or repeated (default: a 17-benchmark subset; both builds in about 5 "
                                         "min with --fast on 2 cores)."),
    fast: bool = typer.Option(False, "--fast", help="pyperformance --fast: fewer runs, wider confidence."),
    baseline: str | None = typer.Option(None, "--baseline", help="Another image: run the same pyperformance benchmarks "
                                 "in both images' builds and report TAG's time over its (needs --suite "
                                 "pyperformance)."),
    variants: list[str] = typer.Option([], "--variants", help="With --baseline: the builds to compare (gil, "
                                       "freethreaded; default both)."),
) -> None:
    """Time the GIL and the free-threaded build: single-thread cost (kernels or pyperformance) and scaling.

    With --baseline IMAGE2: the same pyperformance benchmarks in TAG's and IMAGE2's builds, TAG ÷ IMAGE2.
    """
    pyperformance = suite == "pyperformance"
    refuse_without("--benchmarks", "--suite pyperformance", bool(benchmarks) and not pyperformance)
    refuse_without("--fast", "--suite pyperformance", fast and not pyperformance)
    refuse_without("--baseline", "--suite pyperformance", baseline is not None and not pyperformance)
    refuse_without("--variants", "--baseline", bool(variants) and baseline is None)
    if baseline is not None and (plot_file or threads is not None):
        raise UsageError(f"{'--plot' if plot_file else '--threads'} measures thread scaling, which --baseline does "
                         "not run: drop it, or run `dualpy bench TAG` without --baseline")
    console.set_quiet(json_output)
    if baseline is not None:
        chosen = select_benchmarks(",".join(benchmarks) if benchmarks else None)
        compared = run_baseline(tag, baseline, python=python, variants=variants_of(variants or ["gil,freethreaded"]),
                                benchmarks=chosen, fast=fast)
        if json_output:
            console.emit_json(compared.to_json())
        else:
            _print_baseline(compared)
        return
    if plot_file:
        pyplot()  # a missing matplotlib is said before a run of minutes, not after it
    chosen = select_benchmarks(",".join(benchmarks) if benchmarks else None) if pyperformance else ()
    report = run_bench(tag, threads, repeat, python, suite=suite, benchmarks=chosen, fast=fast)
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
    _print_suite(report)
    for warning in report.warnings:
        console.warn(warning)


def _comparison_table(comparison: SuiteComparison, titles: tuple[str, str], *, ratio_title: str,
                      digits: int) -> Table:
    first, second = titles
    table = Table("benchmark", f"{first} mean ± stdev", f"{second} mean ± stdev", ratio_title, "significance")
    for row in comparison.benchmarks:
        table.add_row(row.name, format_timing(row.gil.mean, row.gil.stdev),
                      format_timing(row.freethreaded.mean, row.freethreaded.stdev), f"{row.ratio:.{digits}f}",
                      "significant" if row.significant else "not significant")
    table.add_row("geometric mean", "", "", f"{comparison.geometric_mean:.{digits}f}", "")
    return table


def _print_suite(report: BenchReport) -> None:
    if report.suite is None:
        return
    comparison = report.suite.comparison
    table = _comparison_table(comparison, ("GIL", "free-threaded"), ratio_title="t ÷ GIL", digits=2)
    console.stdout.print(f"pyperformance {report.suite.version}{' --fast' if report.suite.fast else ''}, "
                         f"single-thread time, free-threaded ÷ GIL:", markup=False)
    console.stdout.print(table)
    if comparison.missing:
        console.warn(f"not measured in both builds: {', '.join(comparison.missing)}")


def _print_baseline(report: BaselineReport) -> None:
    for variant, comparison in report.comparisons.items():
        # compare(baseline, image): the baseline sits in the first slot
        table = _comparison_table(comparison, (report.baseline, report.image), ratio_title="ratio", digits=3)
        console.stdout.print(f"pyperformance{' --fast' if report.fast else ''}, Python {report.python} {variant}: "
                             f"{report.image} ÷ {report.baseline} (below 1: {report.image} is faster)", markup=False)
        console.stdout.print(table)
        if comparison.missing:
            console.warn(f"{variant}: not measured in both images: {', '.join(comparison.missing)}")


def register(root: typer.Typer) -> None:
    """Add `dualpy bench` to the root app."""
    root.command("bench")(bench)
