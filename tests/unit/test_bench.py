import pytest

from dualpy.bench.run import RawRun, choose_pair, summarize
from dualpy.errors import UsageError
from dualpy.tags import PythonMinor, PythonTarget, Variant


def raw(single, threads, processes=None):
    processes = processes or threads
    return RawRun.from_json({"kernels": {"k1": {"single": single, "threads": threads, "processes": processes},
                                         "k2": {"single": single, "threads": threads, "processes": processes}}})


def test_ratio_is_freethreaded_time_over_gil_time():
    summary = summarize(raw([1.0, 1.0, 1.2], {"1": 1.0, "2": 2.0}),
                        raw([1.1, 1.1, 1.3], {"1": 1.1, "2": 1.1})).to_json()
    assert summary["single_thread_ratio"]["per_kernel"]["k1"]["ratio"] == pytest.approx(1.1)
    assert summary["single_thread_ratio"]["overall"] == pytest.approx(1.1)
    lo, hi = summary["single_thread_ratio"]["per_kernel"]["k1"]["spread"]
    assert lo < 1.1 < hi


def test_speedup_is_throughput_with_fixed_work_per_thread():
    summary = summarize(raw([1.0], {"1": 1.0, "2": 2.0}), raw([1.0], {"1": 1.0, "2": 1.0})).to_json()
    assert summary["speedup"]["gil"] == {"1": 1.0, "2": 1.0}
    assert summary["speedup"]["freethreaded"] == {"1": 1.0, "2": 2.0}
    assert set(summary["multiprocessing_speedup"]) == {"gil", "freethreaded"}


def test_json_keys_are_the_documented_ones():
    summary = summarize(raw([1.0], {"1": 1.0}), raw([1.0], {"1": 1.0})).to_json()
    assert list(summary) == ["schema_version", "single_thread_ratio", "speedup", "speedup_per_kernel",
                             "multiprocessing_speedup"]
    assert set(summary["single_thread_ratio"]["per_kernel"]["k1"]) == {
        "ratio", "spread", "gil_seconds", "freethreaded_seconds"}


def test_raw_probe_output_round_trips():
    document = {"executable": "/x", "version": "3.14.6", "Py_GIL_DISABLED": 1, "cpu_count": 2,
                "kernels": {"k": {"single": [1.0], "threads": {"1": 1.0}, "processes": {"1": 1.0}}},
                "gil_enabled_after": False}
    assert RawRun.from_json(document).to_json() == document


def targets(*requests):
    return tuple(PythonTarget(PythonMinor.parse(r.rstrip("t")), Variant.FREETHREADED if r.endswith("t")
                              else Variant.GIL) for r in requests)


def test_bench_compares_both_builds_of_one_minor():
    image = targets("3.13", "3.13t", "3.14", "3.14t", "3.15")
    assert choose_pair(image, None, "i")["freethreaded"].request == "3.14t"
    assert choose_pair(image, PythonMinor(3, 13), "i")["gil"].request == "3.13"
    with pytest.raises(UsageError, match="pick one of 3.13, 3.14"):
        choose_pair(image, PythonMinor(3, 15), "i")
    with pytest.raises(UsageError, match="does not hold both builds"):
        choose_pair(targets("3.14"), None, "i")
