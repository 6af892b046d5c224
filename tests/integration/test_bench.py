"""`dualpy bench` on the real dual image: structure and that both interpreters ran (no timing asserted)."""

import json

import pytest

from tests.conftest import run_dualpy

pytestmark = pytest.mark.docker


def test_bench_reports_both_builds(dual_image, tmp_path):
    plot = tmp_path / "speedup.png"
    args = ["bench", dual_image, "--threads", "2", "--repeat", "1", "--json"]
    try:
        import matplotlib  # noqa: F401

        args += ["--plot", str(plot)]
    except ImportError:
        plot = None
    report = json.loads(run_dualpy(*args).stdout)
    assert report["raw"]["gil"]["Py_GIL_DISABLED"] == 0
    assert report["raw"]["freethreaded"]["Py_GIL_DISABLED"] == 1
    assert report["raw"]["freethreaded"]["gil_enabled_after"] is False
    assert set(report["single_thread_ratio"]["per_kernel"]) == {"int_loop", "dict_str", "tree_walk", "float_kernel"}
    assert report["single_thread_ratio"]["overall"] > 0
    for build in ("gil", "freethreaded"):
        assert set(report["speedup"][build]) == {"1", "2"}
        assert report["speedup"][build]["1"] == 1.0
    assert report["image_id"].startswith("sha256:")
    if plot:
        assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_pyperformance_suite_reports_one_benchmark_with_its_statistics(dual_image):
    args = ["bench", dual_image, "--suite", "pyperformance", "--benchmarks", "nbody", "--fast",
            "--threads", "2", "--repeat", "1", "--json"]
    report = json.loads(run_dualpy(*args).stdout)
    suite = report["suite"]
    assert suite["name"] == "pyperformance" and suite["fast"] is True and suite["missing"] == []
    nbody = suite["per_benchmark"]["nbody"]
    for build in ("gil", "freethreaded"):
        assert nbody[build]["values"] >= 2 and nbody[build]["mean"] > 0 and nbody[build]["stdev"] >= 0
    assert isinstance(nbody["significant"], bool)
    assert report["single_thread_ratio"]["source"] == "pyperformance"
    assert report["single_thread_ratio"]["overall"] == suite["geometric_mean"] == nbody["ratio"]
    assert set(report["speedup"]) == {"gil", "freethreaded"}  # the thread-scaling kernels still run
