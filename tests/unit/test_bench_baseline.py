"""`bench IMAGE --baseline IMAGE2`: which builds are paired, refusals in one line, and the comparison's JSON (pure,
on pyperf results recorded in real runs)."""

import json
from pathlib import Path

import pytest

from dualpy.bench.baseline import BaselineReport, choose_baseline_pairs, refuse_same_image
from dualpy.bench.pyperformance import compare, parse_pyperf
from dualpy.errors import UsageError
from dualpy.tags import PythonMinor, PythonTarget, Variant

DATA = Path(__file__).parent / "data" / "pyperf"
BOTH = (Variant.GIL, Variant.FREETHREADED)
M313, M314, M315 = PythonMinor(3, 13), PythonMinor(3, 14), PythonMinor(3, 15)


def targets(*requests):
    found = []
    for request in requests:
        minor = PythonMinor.parse(request.rstrip("t"))
        found.append(PythonTarget(minor, Variant.FREETHREADED if request.endswith("t") else Variant.GIL))
    return tuple(found)


def load(name):
    return parse_pyperf(json.loads((DATA / name).read_text()))


def test_the_asked_minor_pairs_each_asked_build():
    pairs = choose_baseline_pairs("a", targets("3.13", "3.13t", "3.14", "3.14t"), "b", targets("3.14", "3.14t"),
                                  M314, BOTH)
    assert [(p.variant, p.image.request, p.baseline.request) for p in pairs] == [
        (Variant.GIL, "3.14", "3.14"), (Variant.FREETHREADED, "3.14t", "3.14t")]


def test_without_python_the_images_default_minor_when_the_baseline_has_it_else_the_newest_in_common():
    image, baseline = targets("3.13", "3.14", "3.15"), targets("3.13", "3.14")
    assert choose_baseline_pairs("a", image, "b", baseline, None, (Variant.GIL,), M313)[0].image.minor == M313
    assert choose_baseline_pairs("a", image, "b", baseline, None, (Variant.GIL,), M315)[0].image.minor == M314
    assert choose_baseline_pairs("a", image, "b", baseline, None, (Variant.GIL,))[0].image.minor == M314


def test_a_baseline_without_the_asked_python_names_what_it_has():
    with pytest.raises(UsageError) as info:
        choose_baseline_pairs("new:1", targets("3.14", "3.14t"), "old:1", targets("3.13", "3.13t"), M314, BOTH)
    assert str(info.value) == "old:1 has no Python 3.14 (it has 3.13, 3.13t): pick a --python both images hold"


def test_a_missing_build_is_named():
    with pytest.raises(UsageError, match="^old:1 has no 3.14t interpreter: pass --variants"):
        choose_baseline_pairs("new:1", targets("3.14", "3.14t"), "old:1", targets("3.14"), None, BOTH)
    assert len(choose_baseline_pairs("new:1", targets("3.14", "3.14t"), "old:1", targets("3.14"), None,
                                     (Variant.GIL,))) == 1


def test_images_with_no_minor_in_common_are_refused():
    with pytest.raises(UsageError, match="hold no Python minor in common"):
        choose_baseline_pairs("a", targets("3.15"), "b", targets("3.13"), None, BOTH)


def test_the_same_image_twice_is_refused_even_under_two_tags():
    with pytest.raises(UsageError, match="are the same tag"):
        refuse_same_image("x:1", "sha256:aa", "x:1", "sha256:aa")
    with pytest.raises(UsageError, match=r"are two tags of one image \(sha256:aa\)"):
        refuse_same_image("x:1", "sha256:aa", "y:2", "sha256:aa")
    refuse_same_image("x:1", "sha256:aa", "y:2", "sha256:bb")


def test_the_report_is_image_over_baseline_with_significance_and_what_is_missing():
    baseline = load("nbody-3.13.15.json")  # recorded in dualpy/cpython:3.13.15, GIL build
    image = load("two-benchmarks-3.13.15t.json")  # the same image's free-threaded build
    comparison = compare(baseline, image, ("nbody", "json_loads"))
    report = BaselineReport("img", "sha256:1", "base", "sha256:2", "3.13", True, ("nbody", "json_loads"),
                            {"gil": comparison}, {"gil image": 1.0, "gil baseline": 2.0})
    document = report.to_json()
    row = document["variants"]["gil"]["per_benchmark"]["nbody"]
    assert row["ratio"] == pytest.approx(image["nbody"].mean / baseline["nbody"].mean, abs=1e-3)
    assert row["image"]["mean"] == image["nbody"].mean and row["baseline"]["mean"] == baseline["nbody"].mean
    assert row["significant"] is True
    assert document["variants"]["gil"]["missing"] == ["json_loads"]
    assert document["variants"]["gil"]["geometric_mean"] == pytest.approx(row["ratio"], abs=1e-3)
    assert (document["image"], document["baseline"], document["python"]) == ("img", "base", "3.13")


def split_by_process(name):
    """The recorded suite as two pyperf documents: worker processes 1-5 and 6-10 (the calibration run in both),
    like two shorter runs of one interpreter: real values whose differences are partly noise, partly drift."""
    document = json.loads((DATA / name).read_text())
    early, late = json.loads(json.dumps(document)), json.loads(json.dumps(document))
    for suite, keep in ((early, slice(1, 6)), (late, slice(6, 11))):
        for benchmark in suite["benchmarks"]:
            benchmark["runs"] = benchmark["runs"][:1] + benchmark["runs"][keep]
    raw = {b["metadata"]["name"]: [[v for run in s["benchmarks"][i]["runs"] for v in run.get("values", [])]
                                   for s in (early, late)]
           for i, b in enumerate(document["benchmarks"])}
    return parse_pyperf(early), parse_pyperf(late), raw


def test_two_runs_compared_benchmark_by_benchmark_on_recorded_values():
    baseline, image, raw = split_by_process("two-benchmarks-3.13.15t.json")
    comparison = compare(baseline, image, ("nbody", "json_loads"))
    rows = {r.name: r for r in comparison.benchmarks}
    assert list(rows) == ["nbody", "json_loads"]  # in the requested order
    for name, (early, late) in raw.items():
        assert len(early) == len(late) == 10
        assert rows[name].ratio == pytest.approx((sum(late) / 10) / (sum(early) / 10))
    # pyperf's test on these values: nbody drifted 12 % (t = -4.54 on 18 degrees, critical 2.101), json_loads'
    # 9 % is within its noise (t = 0.76)
    assert rows["nbody"].ratio == pytest.approx(1.120, abs=1e-3) and rows["nbody"].significant
    assert rows["json_loads"].ratio == pytest.approx(0.907, abs=1e-3) and not rows["json_loads"].significant
    assert comparison.geometric_mean == pytest.approx((1.1199922 * 0.9070146) ** 0.5)
    assert comparison.missing == ()


def test_the_baseline_report_counts_significant_rows_and_inverts_when_swapped():
    baseline, image, _ = split_by_process("two-benchmarks-3.13.15t.json")
    forward, backward = compare(baseline, image), compare(image, baseline)
    report = BaselineReport("late", "sha256:2", "early", "sha256:1", "3.13", True, ("json_loads", "nbody"),
                            {"freethreaded": forward}, {})
    variant = report.to_json()["variants"]["freethreaded"]
    assert variant["significant"] == 1
    assert variant["geometric_mean"] == round(forward.geometric_mean, 3)
    assert variant["per_benchmark"]["nbody"]["image"]["mean"] == image["nbody"].mean
    assert variant["per_benchmark"]["nbody"]["baseline"]["mean"] == baseline["nbody"].mean
    assert forward.geometric_mean * backward.geometric_mean == pytest.approx(1.0)
    assert [r.significant for r in forward.benchmarks] == [r.significant for r in backward.benchmarks]


def test_a_benchmark_that_ran_in_one_image_only_is_missing_and_left_out_of_the_mean():
    baseline, image, _ = split_by_process("two-benchmarks-3.13.15t.json")
    del image["json_loads"]
    comparison = compare(baseline, image, ("nbody", "json_loads", "go"))
    assert [r.name for r in comparison.benchmarks] == ["nbody"]
    assert comparison.missing == ("go", "json_loads")
    assert comparison.geometric_mean == pytest.approx(comparison.benchmarks[0].ratio)
    report = BaselineReport("late", "sha256:2", "early", "sha256:1", "3.13", True, ("nbody", "json_loads", "go"),
                            {"gil": compare({}, image, ("nbody",))}, {})
    assert report.to_json()["variants"]["gil"] == {"geometric_mean": None, "significant": 0, "per_benchmark": {},
                                                   "missing": ["nbody"]}


def test_the_printed_table_names_both_images_and_the_image_over_baseline_ratio(capsys, monkeypatch):
    from dualpy import console
    from dualpy.commands.bench import _print_baseline

    monkeypatch.setattr(console.stdout, "_width", 160)  # a terminal wide enough that no header wraps

    baseline, image, _ = split_by_process("two-benchmarks-3.13.15t.json")
    comparison = compare(baseline, image, ("nbody", "json_loads", "go"))
    report = BaselineReport("clang:1", "sha256:2", "gcc:1", "sha256:1", "3.13", True, ("nbody", "json_loads", "go"),
                            {"freethreaded": comparison}, {})
    _print_baseline(report)
    captured = capsys.readouterr()
    assert "gcc:1 mean ± stdev" in captured.out and "clang:1 mean ± stdev" in captured.out
    assert "clang:1 ÷ gcc:1" in captured.out
    nbody = next(line for line in captured.out.splitlines() if "nbody" in line)
    assert "1.120" in nbody and "significant" in nbody and "not significant" not in nbody
    assert f"{comparison.geometric_mean:.3f}" in next(line for line in captured.out.splitlines()
                                                       if "geometric mean" in line)
    assert "not measured in both images: go" in captured.err
