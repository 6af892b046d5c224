"""benchmarks/performance.py: what a full run records and renders (pure parts; the run itself is not for CI)."""

import importlib.util
from pathlib import Path

import pytest

from dualpy.bench.pyperformance import BenchmarkResult, compare
from dualpy.bench.run import BenchReport, RawRun, SuiteRun, summarize

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def performance():
    spec = importlib.util.spec_from_file_location("benchmarks_performance", ROOT / "benchmarks" / "performance.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def report(seconds: float) -> dict:
    return {"tag": "t", "version": "3.14.7", "variants": ["gil"], "seconds": seconds, "size_bytes": 6e8,
            "cached_steps": 20, "total_steps": 26}


def test_a_cold_build_records_its_time_and_a_cached_one_keeps_it(performance):
    cold = performance.build_row(report(1500.0), {}, 1.2, "2026-11-25", cold=True)
    assert cold["cold"] == {"seconds": 1500.0, "date": "2026-11-25", "load_average_at_start": 1.2}
    assert cold["cached_steps"] == "20/26"
    cached = performance.build_row(report(2.0), cold, 0.5, "2026-11-26", cold=False)
    assert cached["seconds"] == 2.0 and cached["cold"] == cold["cold"]
    assert "cold" not in performance.build_row(report(2.0), {}, 0.5, "2026-11-26", cold=False)


def suite_row(gil_times, ft_times):
    gil = {"a": BenchmarkResult("a", gil_times), "b": BenchmarkResult("b", gil_times)}
    ft = {"a": BenchmarkResult("a", ft_times), "b": BenchmarkResult("b", ft_times), "c": BenchmarkResult("c", [1.0])}
    return compare(gil, ft, ("a", "b")).to_json()


def test_a_pair_renders_its_ratio_table_and_verdict_against_the_goal(performance):
    row = {"kind": "pair", "started": "17:00 UTC", "load_average_at_start": 0.3, "pyperformance": "1.14.0",
           "fast": True, "reference": {"label": "Debian", "seconds": 200.0},
           "compared": {"label": "dualpy", "seconds": 210.0}, **suite_row([1.0, 1.01, 0.99], [1.05, 1.06, 1.04])}
    text = "\n".join(performance.render_pair("bench-313", row))
    assert "Geometric mean **1.05**, goal ≤ 1.03 ✗ (missed)" in text
    assert "| a | 1 s ± 0.01 s | 1.05 s ± 0.01 s | 1.050 | significant |" in text
    assert "Not measured in both: c." in text
    row.update(suite_row([1.0, 1.01, 0.99], [1.0, 1.02, 0.98]))
    assert "goal ≤ 1.03 ✓" in "\n".join(performance.render_pair("bench-313", row))


def test_a_bench_renders_suite_kernels_scaling_plot_and_warnings(performance):
    timings = {"single": [1.0, 1.1, 0.9], "threads": {"1": 1.0, "2": 1.1}, "processes": {"1": 1.0, "2": 1.0}}
    raw = RawRun.from_json({"kernels": {"k": timings}})
    gil = {"a": BenchmarkResult("a", [1.0, 1.0])}
    ft = {"a": BenchmarkResult("a", [1.2, 1.2])}
    suite = SuiteRun("1.14.0", True, ("a",), compare(gil, ft, ("a",)), {"gil": 100.0, "freethreaded": 120.0})
    bench = BenchReport("img", "sha256:x", 2, 2, 5, "3.14.7", summarize(raw, raw), {"gil": raw}, suite).to_json()
    row = {"kind": "bench", "started": "17:10 UTC", "load_average_at_start": 0.2, "image": "img", "seconds": 540,
           "plot": "speedup.png", "bench": bench}
    text = "\n".join(performance.render_bench("bench-314-release", row))
    assert "geometric mean **1.2**, goal ≤ 1.1 ✗ (missed)" in text
    assert "| 2 | 1.82× | 1.82× | 2.00× | 2.00× |" in text
    assert "![speed-up against workers](speedup.png)" in text
    assert "9.0 min in all, of which pyperformance 100 s GIL + 120 s t" in text
    assert "Warnings of that run:\n- k: t/GIL runs range" in text


def test_runtime_sizes_are_compared_with_one_interpreter_and_the_official_slim_image(performance):
    official = performance.OFFICIAL_SLIM
    sizes = {"dual": {"tag": "d", "size_bytes": 125e6, "compressed_bytes": 46e6},
             "single": {"tag": "s", "size_bytes": 113e6, "compressed_bytes": 42e6}, "official_slim": official}
    text = "\n".join(performance.render_runtime(sizes))
    assert "**1.106**, goal ≤ 1.1 ✗ (missed)" in text
    assert f"**{46e6 / official['compressed_bytes']:.3f}**" in text
    sizes["dual"]["size_bytes"] = 120e6
    assert "**1.062**, goal ≤ 1.1 ✓" in "\n".join(performance.render_runtime(sizes))


def test_the_whole_document_names_the_machine(performance):
    text = performance.render({"machine": {"node": "vm", "cpu": "AMD EPYC", "cores": 2, "memory_gib": 23.5,
                                           "kernel": "6.1", "saved": "2026-11-25 17:30 UTC"}})
    assert "Machine: `vm`, 2 × AMD EPYC, 23.5 GiB" in text


def test_every_step_has_a_runner_and_a_runner_reads_earlier_results_only_when_it_runs(performance):
    import argparse

    runners = performance.step_runners({}, argparse.Namespace(lock=None, cold=False, fast=True), ("nbody",))
    assert set(runners) == set(performance.STEPS)
    with pytest.raises(KeyError, match="builds"):  # bench-313 needs build-313's tag: looked up now, not before
        runners["bench-313"]()


def test_the_full_run_goes_in_parts_and_a_stopped_run_keeps_what_both_builds_measured(performance, monkeypatch):
    names = ("a", "b", "c", "d", "e")
    calls, saved = [], []

    def fake_run(tag, interpreter, part, fast, label, failures):
        calls.append((interpreter, part))
        if "cp314t" in interpreter and part == ("e",):
            raise KeyboardInterrupt  # the run is stopped while t runs its last part
        failures.extend(f"ERROR: Benchmark {n} failed: Benchmark died" for n in part
                        if n == "b" or (n == "c" and "cp314t" in interpreter))
        slower = 1.2 if "cp314t" in interpreter else 1.0
        renamed = {"d": "d_results_name"}  # pyperformance's argparse runs as many_optionals and subparsers
        return {renamed.get(n, n): BenchmarkResult(n, [slower, slower]) for n in part
                if n != "b" and not (n == "c" and slower > 1)}, 10.0

    monkeypatch.setattr(performance, "pyperformance_names", lambda tag, interpreter: names)
    monkeypatch.setattr(performance, "run_pyperformance", fake_run)
    monkeypatch.setattr(performance, "save", lambda results: saved.append(results["benchmarks"]["bench-314-full"]))
    results: dict = {}
    with pytest.raises(KeyboardInterrupt):
        performance.bench_full(results, "img", fast=True, chunk=2)
    assert [part for _, part in calls] == [("a", "b"), ("c", "d"), ("e",), ("a", "b"), ("c", "d"), ("e",)]
    row = results["benchmarks"]["bench-314-full"]
    assert row["names"] == 5 and row["names_run"] == 4 and row["not_reached"] == ["e"]
    assert list(row["per_benchmark"]) == ["a", "d_results_name"]
    assert row["missing"] == ["b", "c"]  # failed in both builds; measured in one only
    assert row["geometric_mean"] == 1.2
    assert row["failures"]["freethreaded"] == ["ERROR: Benchmark b failed: Benchmark died",
                                               "ERROR: Benchmark c failed: Benchmark died"]
    assert len(saved) == 5  # after each part of each build
    text = "\n".join(performance.render_pair("bench-314-full", row))
    assert "The run stopped after 4 of the 5 names of `pyperformance list -b all`; not reached: e." in text
