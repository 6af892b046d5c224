"""pyperformance results of an image's two builds: parse pyperf JSON, compare benchmark by benchmark (pure)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dualpy.errors import UsageError

PYPERFORMANCE_VERSION = "1.14.0"
SUITES = ("kernels", "pyperformance")

# The default subset: pure-Python benchmarks without third-party requirements (one shared venv, nothing to
# compile for a free-threaded interpreter), each a few seconds with --fast, covering the interpreter's main
# paths: calls and attributes (richards, deltablue, chaos, go, raytrace), floats (nbody, float, spectral_norm),
# integers (fannkuch, nqueens), generators, the json/pickle C accelerators, regular expressions, and a
# deep-recursion solver (hexiom). Measured with --fast: both builds of 3.14 in 4.8 min on 2 quiet cores (10 min on
# 2 busy ones); without --fast several times that.
DEFAULT_BENCHMARKS = (
    "chaos", "deltablue", "fannkuch", "float", "generators", "go", "hexiom", "json_dumps", "json_loads",
    "nbody", "nqueens", "pickle_pure_python", "raytrace", "regex_v8", "richards", "spectral_norm",
    "unpack_sequence",
)

# Two-sided 95 % critical values of Student's t by degrees of freedom (what pyperf's compare_to uses);
# beyond the table the nearest lower entry is taken, which errs towards "not significant".
_T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
        11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093,
        20: 2.086, 21: 2.080, 22: 2.074, 23: 2.069, 24: 2.064, 25: 2.060, 26: 2.056, 27: 2.052, 28: 2.048,
        29: 2.045, 30: 2.042, 40: 2.021, 50: 2.009, 60: 2.000, 80: 1.990, 100: 1.984, 200: 1.960}


def format_timing(mean: float, stdev: float) -> str:
    """A pyperf-style 'mean ± stdev' with the unit the mean calls for (s, ms or us), both in that unit."""
    scale, unit = (1.0, "s") if mean >= 1 else (1e3, "ms") if mean >= 1e-3 else (1e6, "us")

    def number(value: float) -> str:
        return f"{value:.3g}" if value < 100 else f"{value:.0f}"  # 140, not 1.4e+02

    return f"{number(mean * scale)} {unit} ± {number(stdev * scale)} {unit}"


def select_benchmarks(request: str | None) -> tuple[str, ...]:
    """The benchmarks a --benchmarks value names: comma-separated names, or the default subset for None."""
    if request is None:
        return DEFAULT_BENCHMARKS
    names = tuple(dict.fromkeys(part.strip() for part in request.split(",") if part.strip()))
    if not names:
        raise UsageError("--benchmarks is empty: pass pyperformance benchmark names, e.g. --benchmarks nbody,go")
    bad = [name for name in names if not name.replace("_", "").replace("-", "").isalnum()]
    if bad:
        raise UsageError(f"--benchmarks: {bad[0]!r} is not a pyperformance benchmark name (letters, digits, _ -)")
    return names


def geometric_mean(values: Sequence[float]) -> float:
    """The geometric mean of positive values (the suite-wide ratio, as pyperformance reports it)."""
    if not values or any(v <= 0 for v in values):
        raise ValueError("the geometric mean needs positive values")
    return math.exp(math.fsum(math.log(v) for v in values) / len(values))


def t_critical(degrees_of_freedom: int) -> float:
    """The two-sided 95 % critical value of Student's t (table lookup, rounding the freedom down)."""
    if degrees_of_freedom < 1:
        return math.inf
    return _T95[max(k for k in _T95 if k <= degrees_of_freedom)]


def t_score(first: Sequence[float], second: Sequence[float]) -> float:
    """Two-sample t statistic with pooled variance (pyperf's tscore; valid for unequal sample sizes too)."""
    freedom = len(first) + len(second) - 2
    if freedom < 1:
        return 0.0
    mean1, mean2 = statistics.fmean(first), statistics.fmean(second)
    pooled = (math.fsum((x - mean1) ** 2 for x in first) + math.fsum((x - mean2) ** 2 for x in second)) / freedom
    error = pooled * (1 / len(first) + 1 / len(second))
    if error == 0:
        return math.inf if mean1 != mean2 else 0.0
    return (mean1 - mean2) / math.sqrt(error)


def is_significant(first: Sequence[float], second: Sequence[float]) -> bool:
    """Whether two samples' means differ at the 95 % level (pyperf compare_to's test)."""
    return abs(t_score(first, second)) >= t_critical(len(first) + len(second) - 2)


@dataclass(frozen=True)
class BenchmarkResult:
    """One benchmark's timed values (seconds) in one interpreter, from pyperf's JSON."""

    name: str
    values: tuple[float, ...]

    @property
    def mean(self) -> float:
        return statistics.fmean(self.values)

    @property
    def stdev(self) -> float:
        return statistics.stdev(self.values) if len(self.values) > 1 else 0.0

    def to_json(self) -> dict[str, object]:
        return {"mean": self.mean, "stdev": self.stdev, "values": len(self.values)}


def parse_pyperf(document: Mapping[str, Any]) -> dict[str, BenchmarkResult]:
    """Every benchmark of a pyperf result document (a BenchmarkSuite) with its timed values, by name.

    Warm-up values and calibration runs are left out, as pyperf does; a benchmark's name is in its own
    metadata, else in the document's common metadata (a one-benchmark file).
    """
    common = document.get("metadata", {})
    results: dict[str, BenchmarkResult] = {}
    for benchmark in document.get("benchmarks", []):
        name = str(benchmark.get("metadata", {}).get("name") or common.get("name") or "")
        values = tuple(float(v) for run in benchmark.get("runs", []) for v in run.get("values", []))
        if not name or not values:
            raise ValueError("a pyperf benchmark without a name or timed values")
        results[name] = BenchmarkResult(name, values)
    return results


@dataclass(frozen=True)
class BenchmarkRatio:
    """Free-threaded over GIL mean time of one benchmark, and whether pyperf's test calls the difference real."""

    name: str
    gil: BenchmarkResult
    freethreaded: BenchmarkResult

    @property
    def ratio(self) -> float:
        return self.freethreaded.mean / self.gil.mean

    @property
    def significant(self) -> bool:
        return is_significant(self.gil.values, self.freethreaded.values)

    def to_json(self) -> dict[str, object]:
        return {"ratio": round(self.ratio, 3), "significant": self.significant, "gil": self.gil.to_json(),
                "freethreaded": self.freethreaded.to_json()}


@dataclass(frozen=True)
class SuiteComparison:
    """The suite's benchmarks present in both builds, their ratios and geometric mean; what is missing."""

    benchmarks: tuple[BenchmarkRatio, ...]
    missing: tuple[str, ...]

    @property
    def geometric_mean(self) -> float:
        return geometric_mean([b.ratio for b in self.benchmarks])

    def to_json(self) -> dict[str, object]:
        return {"geometric_mean": round(self.geometric_mean, 3) if self.benchmarks else None,
                "significant": sum(b.significant for b in self.benchmarks),
                "per_benchmark": {b.name: b.to_json() for b in self.benchmarks}, "missing": list(self.missing)}


def compare(gil: Mapping[str, BenchmarkResult], freethreaded: Mapping[str, BenchmarkResult],
            requested: Sequence[str] = ()) -> SuiteComparison:
    """Pair each benchmark measured in both builds (in requested order, then by name); list the others.

    A requested name that pyperformance runs as several benchmarks (xml_etree: xml_etree_parse, ...) counts as
    measured when one of them is.
    """
    common = [n for n in requested if n in gil and n in freethreaded]
    common += sorted(n for n in gil if n in freethreaded and n not in common)
    unmeasured = [n for n in requested if not any(c == n or c.startswith(f"{n}_") for c in common)]
    missing = sorted({*unmeasured, *gil, *freethreaded} - set(common))
    return SuiteComparison(tuple(BenchmarkRatio(n, gil[n], freethreaded[n]) for n in common), tuple(missing))
