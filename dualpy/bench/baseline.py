"""`dualpy bench IMAGE --baseline IMAGE2`: the same pyperformance benchmarks in two images' builds, compared.

Which interpreters to pair is pure (`choose_baseline_pairs`); running them is `run_baseline`. Ratios are IMAGE's
time over IMAGE2's (below 1: IMAGE is faster), with pyperf's significance test and the geometric mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dualpy import engine
from dualpy.bench.pyperformance import PYPERFORMANCE_VERSION, BenchmarkRatio, SuiteComparison, compare
from dualpy.bench.run import run_pyperformance
from dualpy.errors import ContainerFailed, UsageError
from dualpy.images.inspect import image_targets
from dualpy.images.spec import LABEL_PREFIX
from dualpy.tags import PythonMinor, PythonTarget, Variant


@dataclass(frozen=True)
class BaselinePair:
    """One build present in both images: the interpreter measured in IMAGE and in the baseline."""

    variant: Variant
    image: PythonTarget
    baseline: PythonTarget


def _describe(targets: Sequence[PythonTarget]) -> str:
    return ", ".join(t.request for t in targets) or "no CPython under /opt/python"


def choose_baseline_pairs(image: str, image_targets_: Sequence[PythonTarget], baseline: str,
                          baseline_targets: Sequence[PythonTarget], minor: PythonMinor | None,
                          variants: Sequence[Variant], default_minor: PythonMinor | None = None) -> list[BaselinePair]:
    """The builds to compare: one minor (asked, else IMAGE's default when the baseline has it, else the newest both
    hold), in each asked variant; a one-line UsageError when the baseline lacks what is asked (pure)."""
    common = sorted({t.minor for t in image_targets_} & {t.minor for t in baseline_targets})
    if minor is not None:
        for name, targets in ((image, image_targets_), (baseline, baseline_targets)):
            if not any(t.minor == minor for t in targets):
                raise UsageError(f"{name} has no Python {minor} (it has {_describe(targets)}): pick a --python "
                                 "both images hold")
        chosen = minor
    elif default_minor is not None and default_minor in common:
        chosen = default_minor
    elif common:
        chosen = common[-1]
    else:
        raise UsageError(f"{image} ({_describe(image_targets_)}) and {baseline} ({_describe(baseline_targets)}) hold "
                         "no Python minor in common: --baseline compares builds of the same Python")
    pairs = []
    for variant in variants:
        target = PythonTarget(chosen, variant)
        missing = [name for name, targets in ((image, image_targets_), (baseline, baseline_targets))
                   if target not in targets]
        if missing:
            raise UsageError(f"{missing[0]} has no {target.request} interpreter: pass --variants with the builds "
                             "both images hold")
        pairs.append(BaselinePair(variant, target, target))
    return pairs


def refuse_same_image(image: str, image_id: str, baseline: str, baseline_id: str) -> None:
    """Comparing an image with itself measures noise, not a difference: refuse it, even under two tags (pure)."""
    if image_id == baseline_id:
        same = "the same tag" if image == baseline else f"two tags of one image ({image_id[:19]})"
        raise UsageError(f"{image} and --baseline {baseline} are {same}: name the other build to compare against")


def ratio_json(row: BenchmarkRatio) -> dict[str, object]:
    """One benchmark of a baseline comparison: compare() pairs (baseline, image) in its (gil, freethreaded) slots."""
    return {"ratio": round(row.ratio, 3), "significant": row.significant, "image": row.freethreaded.to_json(),
            "baseline": row.gil.to_json()}


@dataclass(frozen=True)
class BaselineReport:
    """IMAGE over its baseline, per build, on the same pyperformance benchmarks."""

    image: str
    image_id: str
    baseline: str
    baseline_id: str
    python: str
    fast: bool
    requested: tuple[str, ...]
    comparisons: dict[str, SuiteComparison]  # by variant: gil, freethreaded
    seconds: dict[str, float]

    def to_json(self) -> dict[str, object]:
        """The `bench --baseline --json` document."""
        return {
            "image": self.image, "image_id": self.image_id, "baseline": self.baseline,
            "baseline_id": self.baseline_id, "python": self.python, "pyperformance": PYPERFORMANCE_VERSION,
            "fast": self.fast, "requested": list(self.requested), "seconds": dict(self.seconds),
            "variants": {
                variant: {"geometric_mean": round(c.geometric_mean, 3) if c.benchmarks else None,
                          "significant": sum(r.significant for r in c.benchmarks),
                          "per_benchmark": {r.name: ratio_json(r) for r in c.benchmarks},
                          "missing": list(c.missing)}
                for variant, c in self.comparisons.items()
            },
        }


def run_baseline(image: str, baseline: str, *, python: str | None, variants: Sequence[Variant],
                 benchmarks: tuple[str, ...], fast: bool) -> BaselineReport:
    """Run the benchmarks in each paired build of both images (IMAGE, then the baseline, build by build)."""
    image_facts, baseline_facts = engine.image_facts(image), engine.image_facts(baseline)
    refuse_same_image(image, image_facts.id, baseline, baseline_facts.id)
    default = image_facts.labels.get(f"{LABEL_PREFIX}.cpython.version")
    pairs = choose_baseline_pairs(image, image_targets(image), baseline, image_targets(baseline),
                                  PythonMinor.parse(python) if python else None, variants,
                                  PythonMinor.parse(default) if default else None)
    comparisons: dict[str, SuiteComparison] = {}
    seconds: dict[str, float] = {}
    for pair in pairs:
        key = pair.variant.value
        measured, seconds[f"{key} image"] = run_pyperformance(image, f"{pair.image.prefix}/bin/python", benchmarks,
                                                              fast, f"{key}, {image}")
        reference, seconds[f"{key} baseline"] = run_pyperformance(
            baseline, f"{pair.baseline.prefix}/bin/python", benchmarks, fast, f"{key}, {baseline}")
        comparisons[key] = compare(reference, measured, benchmarks)
        if not comparisons[key].benchmarks:
            raise ContainerFailed(f"no benchmark ran in both images' {pair.image.request} ({', '.join(benchmarks)}): "
                                  "check the names with `pyperformance list` and the log above")
    return BaselineReport(image, image_facts.id, baseline, baseline_facts.id, str(pairs[0].image.minor), fast,
                          benchmarks, comparisons, seconds)
