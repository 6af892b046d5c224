import pytest

from dualpy.bench import summarize


def raw(single, threads, processes=None):
    processes = processes or threads
    return {"kernels": {"k1": {"single": single, "threads": threads, "processes": processes},
                        "k2": {"single": single, "threads": threads, "processes": processes}}}


def test_ratio_is_freethreaded_time_over_gil_time():
    summary = summarize(raw([1.0, 1.0, 1.2], {"1": 1.0, "2": 2.0}), raw([1.1, 1.1, 1.3], {"1": 1.1, "2": 1.1}))
    assert summary["single_thread_ratio"]["per_kernel"]["k1"]["ratio"] == pytest.approx(1.1)
    assert summary["single_thread_ratio"]["overall"] == pytest.approx(1.1)
    lo, hi = summary["single_thread_ratio"]["per_kernel"]["k1"]["spread"]
    assert lo < 1.1 < hi


def test_speedup_is_throughput_with_fixed_work_per_thread():
    summary = summarize(raw([1.0], {"1": 1.0, "2": 2.0}), raw([1.0], {"1": 1.0, "2": 1.0}))
    assert summary["speedup"]["gil"] == {"1": 1.0, "2": 1.0}
    assert summary["speedup"]["freethreaded"] == {"1": 1.0, "2": 2.0}
    assert set(summary["multiprocessing_speedup"]) == {"gil", "freethreaded"}
