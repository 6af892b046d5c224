"""dualpy.options: flags typed once at the edge; list flags take commas and repetition; no flag silently ignored."""

from __future__ import annotations

from pathlib import Path

import pytest

from dualpy.cli import main
from dualpy.errors import ConfigurationError, UsageError
from dualpy.images import default_tag_for
from dualpy.options import (
    PIPELINE_FLAGS,
    StressRequest,
    pipeline_options,
    refuse_without,
    releases_of,
    split_list,
    variants_of,
)
from dualpy.sources.recipes import find_release
from dualpy.tags import ALL_VARIANTS, Variant


def _project(tmp_path: Path, table: str = "") -> Path:
    (tmp_path / "pyproject.toml").write_text(f"[project]\nname = 'x'\nversion = '1'\n\n[tool.dualpy]\n{table}\n")
    return tmp_path


def test_split_list_takes_commas_and_repetition_in_order_once_each() -> None:
    assert split_list(["3.13,3.14", " 3.15 ", "3.14", "", " , "]) == ("3.13", "3.14", "3.15")
    assert split_list([]) == ()


def test_releases_of_types_every_request_once() -> None:
    releases = releases_of(["3.13,3.14", "3.13.15", "3.15"])
    newest_313 = find_release("3.13")[1].version
    assert [r.version for r in releases] == [newest_313, find_release("3.14")[1].version,
                                             find_release("3.15")[1].version][: len(releases)]
    assert len({r.version for r in releases}) == len(releases)


@pytest.mark.parametrize("request_text", ["3.12", "latest", "3.13,banana"])
def test_releases_of_names_the_flag_and_the_request(request_text: str) -> None:
    with pytest.raises(UsageError) as caught:
        releases_of([request_text], "--python")
    bad = next(part for part in request_text.split(",") if part not in ("3.13",))
    assert str(caught.value).startswith(f"--python {bad}: no recipe for Python")
    assert caught.value.return_code == 2


def test_variants_of_takes_commas_and_repetition() -> None:
    assert variants_of(["freethreaded", "gil"]) == ALL_VARIANTS
    assert variants_of(["t"]) == (Variant.FREETHREADED,)
    with pytest.raises(UsageError, match="^--variants is empty"):
        variants_of([" , "])
    with pytest.raises(UsageError, match="^DUALPY_VARIANTS: "):
        variants_of(["turbo"], "DUALPY_VARIANTS")


def test_refuse_without_names_both_flags() -> None:
    refuse_without("--threads", "--stress", given=False)
    with pytest.raises(UsageError) as caught:
        refuse_without("--threads", "--stress", given=True)
    assert str(caught.value) == "--threads has no effect without --stress: add --stress, or drop --threads"


def test_pipeline_options_type_every_value_and_keep_its_source(tmp_path: Path) -> None:
    project = _project(tmp_path, 'pythons = ["3.14"]\nstress = true\nmanylinux = "2_28"')
    options = pipeline_options(project, {"DUALPY_STRESS_ITERATIONS": "3"},
                               {"pythons": ["3.13,3.14"], "variants": ["t"], "output-dir": tmp_path / "out"},
                               tests=tmp_path)
    assert [r.version for r in options.releases] == [find_release("3.13")[1].version,
                                                     find_release("3.14")[1].version]
    assert options.variants == (Variant.FREETHREADED,)
    assert options.output_dir == tmp_path / "out" and options.report_dir == tmp_path / "out"
    assert options.stress == StressRequest(None, 3, tmp_path)
    assert options.floor.glibc == (2, 28)
    assert options.sources["pythons"] == "--python" and options.sources["variants"] == "--variants"
    assert options.sources["stress-iterations"] == "DUALPY_STRESS_ITERATIONS"
    assert options.sources["stress"].endswith("pyproject.toml [tool.dualpy]")
    assert not options.python_defaulted


def test_pipeline_options_default_to_the_newest_final_release(tmp_path: Path) -> None:
    options = pipeline_options(_project(tmp_path), {}, {})
    assert [r.release for r in options.releases] == [find_release(None)[1]]
    assert options.python_defaulted and options.stress is None and options.floor.glibc == (2, 28)
    assert default_tag_for([r.release for r in options.releases]).startswith("dualpy/cpython:")


@pytest.mark.parametrize(("flags", "tests", "flag"), [
    ({"stress-threads": 4}, None, "--threads"),
    ({"stress-iterations": 2}, None, "--iterations"),
    ({}, Path("tests"), "--tests"),
])
def test_a_stress_flag_without_stress_is_a_usage_error(tmp_path: Path, flags: dict, tests: Path | None,
                                                       flag: str) -> None:
    with pytest.raises(UsageError, match=f"^{flag} has no effect without --stress"):
        pipeline_options(_project(tmp_path), {}, flags, tests=tests)


def test_stress_settings_from_the_environment_alone_are_not_an_error(tmp_path: Path) -> None:
    options = pipeline_options(_project(tmp_path), {"DUALPY_STRESS_THREADS": "4"}, {})
    assert options.stress is None


def test_bad_values_are_named_by_the_flag_as_typed(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"^--threads: 1: give at least 2$"):
        pipeline_options(_project(tmp_path), {}, {"stress": True, "stress-threads": 1})
    with pytest.raises(ConfigurationError, match=r"^--python: no recipe for Python '3\.12'"):
        pipeline_options(_project(tmp_path), {}, {"pythons": ["3.13,3.12"]})
    with pytest.raises(UsageError, match="no such project directory or sdist"):
        pipeline_options(tmp_path / "absent", {}, {})
    assert set(PIPELINE_FLAGS.values()) >= {"--python", "--threads", "--iterations"}


def test_the_pipeline_command_takes_commas_in_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = {}

    def fake_run(options):
        seen["versions"] = [r.version for r in options.releases]
        raise UsageError("stop here")

    monkeypatch.setattr("dualpy.commands.pipeline.run_pipeline", fake_run)
    assert main(["pipeline", str(_project(tmp_path)), "--python", "3.13,3.14", "--python", "3.15"]) == 2
    assert len(seen["versions"]) == 3


def test_the_pipeline_command_refuses_threads_without_stress(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["pipeline", str(_project(tmp_path)), "--threads", "4"]) == 2
    assert "--threads has no effect without --stress" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--benchmarks", "nbody"], ["--fast"], ["--suite", "kernels", "--fast"]])
def test_bench_refuses_pyperformance_flags_with_the_kernels(argv: list[str], capsys: pytest.CaptureFixture) -> None:
    assert main(["bench", "img:1", *argv]) == 2
    assert f"{argv[-1] if argv[-1].startswith('--') else argv[0]} has no effect without --suite pyperformance" in (
        capsys.readouterr().err)


def test_bench_takes_benchmarks_by_commas_and_repetition(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = {}

    def fake_run(tag, threads, repeat, python, *, suite, benchmarks, fast):
        seen.update(tag=tag, suite=suite, benchmarks=benchmarks, fast=fast)
        raise UsageError("stop here")

    monkeypatch.setattr("dualpy.commands.bench.run_bench", fake_run)
    argv = ["bench", "img:1", "--suite", "pyperformance", "--benchmarks", "nbody,go", "--benchmarks", "richards"]
    assert main([*argv, "--fast"]) == 2
    assert seen == {"tag": "img:1", "suite": "pyperformance", "benchmarks": ("nbody", "go", "richards"), "fast": True}


def test_suites_take_commas_and_repetition(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = {}

    def fake_lookup(version, suites, mirror):
        seen["suites"] = suites
        raise UsageError("stop here")

    monkeypatch.setattr("dualpy.commands.recipes.lookup_signed", fake_lookup)
    assert main(["recipes", "add", "3.14.8", "--suites", "trixie,bookworm", "--suites", "bullseye"]) == 2
    assert seen["suites"] == ("trixie", "bookworm", "bullseye")


def test_system_packages_come_from_the_flag_the_table_or_the_variable(tmp_path: Path) -> None:
    project = _project(tmp_path, 'system-packages = ["libyaml-dev"]')
    assert pipeline_options(project, {}, {}).system_packages == ("libyaml-dev",)
    flagged = pipeline_options(project, {}, {"system-packages": ["libzstd-dev,libyaml-dev", "zlib1g-dev"]})
    assert flagged.system_packages == ("libzstd-dev", "libyaml-dev", "zlib1g-dev")
    assert flagged.sources["system-packages"] == "--system-packages"
    assert pipeline_options(project, {"DUALPY_SYSTEM_PACKAGES": "a1 b2"}, {}).system_packages == ("a1", "b2")
    with pytest.raises(ConfigurationError, match=r"^--system-packages: 'Yaml' is not a Debian package name"):
        pipeline_options(project, {}, {"system-packages": ["Yaml"]})
