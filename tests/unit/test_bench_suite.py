"""pyperformance results: pyperf JSON from real runs (3.13.15 and 3.13.15t, --fast), ratios and pyperf's t-test."""

import json
from pathlib import Path

import pytest

from dualpy.bench.pyperformance import (
    DEFAULT_BENCHMARKS,
    BenchmarkResult,
    compare,
    format_timing,
    geometric_mean,
    is_significant,
    parse_pyperf,
    select_benchmarks,
    t_critical,
    t_score,
)
from dualpy.bench.run import BenchSummary, KernelRatio, failed_benchmarks, kernel_warnings, pyperformance_failures
from dualpy.errors import UsageError

DATA = Path(__file__).parent / "data" / "pyperf"


def load(name):
    return parse_pyperf(json.loads((DATA / name).read_text()))


def test_a_one_benchmark_file_takes_its_name_from_the_common_metadata():
    results = load("nbody-3.13.15.json")
    assert list(results) == ["nbody"]
    nbody = results["nbody"]
    assert len(nbody.values) == 20  # 10 runs of 2 values; the calibration run and warm-ups left out
    assert nbody.mean == pytest.approx(0.08078450285001963)  # pyperf's own Benchmark.mean() on this file
    assert nbody.stdev == pytest.approx(0.02354552977608589)


def test_a_suite_file_names_each_benchmark_in_its_metadata():
    results = load("two-benchmarks-3.13.15t.json")
    assert sorted(results) == ["json_loads", "nbody"]
    assert results["json_loads"].mean == pytest.approx(4.528215097656663e-05)
    assert results["nbody"].stdev == pytest.approx(0.02327376181650476)


def test_t_score_and_significance_match_pyperf_compare_to():
    gil, ft = load("nbody-3.13.15.json")["nbody"], load("two-benchmarks-3.13.15t.json")["nbody"]
    assert t_score(gil.values, ft.values) == pytest.approx(-28.652208530644412)  # pyperf._utils.tscore
    assert is_significant(gil.values, ft.values)
    assert not is_significant([1.0, 1.2, 0.9, 1.1], [1.05, 1.15, 0.95, 1.0])


def test_critical_values_follow_pyperfs_table():
    assert t_critical(1) == 12.706
    assert t_critical(38) == 2.042  # 20 + 20 values (--fast)
    assert t_critical(45) == 2.021
    assert t_critical(500) == 1.960
    assert t_critical(0) == float("inf")


def test_identical_samples_are_not_significant_and_constant_different_ones_are():
    assert t_score([1.0, 1.0], [1.0, 1.0]) == 0.0
    assert is_significant([1.0, 1.0], [2.0, 2.0])
    assert t_score([1.0], [2.0]) == 0.0  # no degree of freedom: nothing to conclude


def test_comparison_ratio_is_freethreaded_over_gil_and_lists_what_is_missing():
    gil, ft = load("nbody-3.13.15.json"), load("two-benchmarks-3.13.15t.json")
    comparison = compare(gil, ft, ("json_loads", "nbody"))
    assert [b.name for b in comparison.benchmarks] == ["nbody"]
    assert comparison.missing == ("json_loads",)
    assert comparison.benchmarks[0].ratio == pytest.approx(0.2928940722000107 / 0.08078450285001963)
    document = comparison.to_json()
    assert document["per_benchmark"]["nbody"]["significant"] is True
    assert document["significant"] == 1
    assert set(document["per_benchmark"]["nbody"]["gil"]) == {"mean", "stdev", "values"}


def test_a_name_pyperformance_runs_as_several_benchmarks_is_measured_when_one_of_them_is():
    from dualpy.bench.pyperformance import BenchmarkResult

    runs = {n: BenchmarkResult(n, [1.0, 1.1]) for n in ("xml_etree_parse", "xml_etree_generate", "nbody")}
    comparison = compare(runs, runs, ("xml_etree", "nbody", "xml_etree_iterparse", "go"))
    assert [b.name for b in comparison.benchmarks] == ["nbody", "xml_etree_generate", "xml_etree_parse"]
    assert comparison.missing == ("go", "xml_etree_iterparse")


def test_geometric_mean_of_ratios():
    assert geometric_mean([2.0, 0.5]) == pytest.approx(1.0)
    assert geometric_mean([1.1]) == pytest.approx(1.1)
    comparison = compare({"a": BenchmarkResult("a", (1.0, 1.0)), "b": BenchmarkResult("b", (1.0, 1.0))},
                         {"a": BenchmarkResult("a", (4.0, 4.0)), "b": BenchmarkResult("b", (1.0, 1.0))})
    assert comparison.geometric_mean == pytest.approx(2.0)
    with pytest.raises(ValueError):
        geometric_mean([])


def test_subset_selection():
    assert select_benchmarks(None) == DEFAULT_BENCHMARKS
    assert len(DEFAULT_BENCHMARKS) == len(set(DEFAULT_BENCHMARKS))
    assert select_benchmarks(" nbody, go,nbody ") == ("nbody", "go")
    with pytest.raises(UsageError, match="empty"):
        select_benchmarks(" , ")
    with pytest.raises(UsageError, match="not a pyperformance benchmark name"):
        select_benchmarks("nbody;rm -rf /")


def test_a_pyperf_document_without_values_is_refused():
    with pytest.raises(ValueError):
        parse_pyperf({"metadata": {"name": "x"}, "benchmarks": [{"runs": [{"warmups": [[1, 0.1]]}]}]})


def summary(spread, ft_curve):
    ratio = {"k": KernelRatio(1.0, spread, 1.0, 1.0)}
    return BenchSummary(1.0, ratio, {"gil": {"1": 1.0, "2": 1.0}, "freethreaded": ft_curve}, {}, {})


def test_kernel_warnings_name_wide_spreads_and_threads_slower_than_one():
    assert kernel_warnings(summary((0.95, 1.05), {"1": 1.0, "2": 1.9})) == []
    wide = kernel_warnings(summary((0.6, 1.4), {"1": 1.0, "2": 1.9}))
    assert len(wide) == 1 and "too wide to conclude" in wide[0]
    slow = kernel_warnings(summary((0.95, 1.05), {"1": 1.0, "2": 0.8}))
    assert len(slow) == 1 and "not conclusive" in slow[0]


def test_an_unknown_suite_is_refused_before_the_engine():
    from dualpy.bench.run import run_bench

    with pytest.raises(UsageError, match="--suite 'micro' is unknown"):
        run_bench("dualpy/cpython:3.13.15", suite="micro")


def test_timings_are_shown_in_the_unit_the_mean_calls_for():
    assert format_timing(0.0808, 0.0235) == "80.8 ms ± 23.5 ms"
    assert format_timing(4.53e-05, 1.28e-05) == "45.3 us ± 12.8 us"
    assert format_timing(1.5, 0.25) == "1.5 s ± 0.25 s"
    assert format_timing(489e-6, 140e-6) == "489 us ± 140 us"


def test_a_suite_run_becomes_the_overall_ratio_and_keeps_the_contract():
    from dualpy.bench.run import BenchReport, RawRun, SuiteRun, summarize

    timings = {"single": [1.0, 1.1, 0.9], "threads": {"1": 1.0, "2": 1.0}, "processes": {"1": 1.0, "2": 1.0}}
    raw = RawRun.from_json({"kernels": {"k": timings}})
    gil, ft = load("nbody-3.13.15.json"), load("two-benchmarks-3.13.15t.json")
    suite = SuiteRun("1.14.0", True, ("nbody",), compare(gil, ft, ("nbody",)), {"gil": 1.0, "freethreaded": 1.0})
    document = BenchReport("i", "sha256:x", 2, 2, 5, "3.13.15", summarize(raw, raw), {"gil": raw}, suite).to_json()
    ratio = document["single_thread_ratio"]
    assert ratio["source"] == "pyperformance" and ratio["kernels_overall"] == 1.0
    assert ratio["overall"] == document["suite"]["geometric_mean"] == round(0.2928940722000107 / 0.08078450285001963, 3)
    assert set(ratio["per_kernel"]["k"]) == {"ratio", "spread", "gil_seconds", "freethreaded_seconds"}
    assert document["single_thread_spread"]["gil"]["k"] == {"min": 0.9, "median": 1.0, "max": 1.1}
    assert list(document)[-1] == "raw" and "speedup" in document
    without = BenchReport("i", "sha256:x", 2, 2, 1, "3.13.15", summarize(raw, raw), {"gil": raw}).to_json()
    assert without["single_thread_ratio"]["source"] == "kernels" and "suite" not in without
    assert without["warnings"][0].startswith("--repeat 1")


def test_pyperformance_error_lines_and_the_benchmarks_they_name():
    # lines as pyperformance 1.14.0 printed them for the t build of 3.14.7 (benchmarks/results-performance.json)
    log = "\n".join([
        "[ 3/11] asyncio_tcp...", "ERROR: Benchmark asyncio_tcp failed: Benchmark died",
        "Traceback (most recent call last):", "RuntimeError: /tmp/v/bin/python failed with exit code 1",
        "ERROR: Benchmark asyncio_tcp_ssl failed: Benchmark died", "  ", "Command failed with exit code 1",
        "ERROR: Benchmark asyncio_tcp failed: Benchmark died", "ok: many_optionals"])
    lines = pyperformance_failures(log)
    assert lines == ["ERROR: Benchmark asyncio_tcp failed: Benchmark died",
                     "RuntimeError: /tmp/v/bin/python failed with exit code 1",
                     "ERROR: Benchmark asyncio_tcp_ssl failed: Benchmark died", "Command failed with exit code 1"]
    assert failed_benchmarks(lines) == {"asyncio_tcp", "asyncio_tcp_ssl"}
    assert failed_benchmarks(["Command failed with exit code 1"]) == set()


def test_a_pyperformance_run_without_a_report_is_one_line_that_marks_its_cut(monkeypatch):
    from dualpy import engine
    from dualpy.bench import run
    from dualpy.errors import ContainerFailed

    stderr = "Collecting pyperformance\n" + "x" * 500 + "\nERROR: No matching distribution found for pyperf\n"
    monkeypatch.setattr(run, "pip_access", lambda: ({}, {}))
    monkeypatch.setattr(run.engine, "run", lambda *args, **kwargs: engine.RunResult(1, "", stderr))
    with pytest.raises(ContainerFailed) as failed:
        run.run_pyperformance("img:1", "/opt/python/cp314-cp314t/bin/python", ("nbody",), fast=True)
    message = str(failed.value)
    assert "\n" not in message and "(exit 1): …" in message
    assert message.endswith("ERROR: No matching distribution found for pyperf")
