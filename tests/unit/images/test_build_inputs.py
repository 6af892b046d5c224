"""What `images build` decides before it touches the engine: releases, suite, tools download (pure)."""

from pathlib import Path

import pytest

from dualpy.errors import UsageError
from dualpy.images import build as build_module
from dualpy.images.build import BuildProgress, resolve_pythons
from dualpy.images.suites import find_suite
from dualpy.images.tools import pip_download_command
from dualpy.tags import PythonMinor


def test_one_or_several_pythons():
    assert [p.version for p in resolve_pythons("3.13.15")] == ["3.13.15"]
    assert [p.version for p in resolve_pythons(" 3.13.15, 3.14.6 ,")] == ["3.13.15", "3.14.6"]


def test_no_python_asks_the_recipes_for_their_default(monkeypatch):
    asked = []

    def find_release(request):
        asked.append(request)
        from dualpy.sources.recipes import find_release as real

        return real("3.14.6")

    monkeypatch.setattr(build_module, "find_release", find_release)
    assert [p.version for p in resolve_pythons(None)] == ["3.14.6"]
    assert asked == [None]


@pytest.mark.parametrize("request_text", [",", "3.99", "3.13,3.99"])
def test_unknown_or_empty_pythons_are_usage_errors(request_text):
    with pytest.raises(UsageError):
        resolve_pythons(request_text)


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"python": "3.13.15,3.13.5"}, "two releases of Python 3.13"),
    ({"python": "3.13.15", "suite": "buster"}, "unknown Debian suite 'buster'"),
    ({"python": "3.13.15,3.14.6", "source_file": Path("x.tar.xz")}, "--source is one release's tarball"),
])
def test_bad_requests_fail_before_the_engine(kwargs, needle):
    with pytest.raises(UsageError) as info:  # the unit conftest makes any engine call fail differently
        build_module.build_image(**kwargs)
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_tool_wheels_are_fetched_for_the_suite_glibc_and_the_minor(tmp_path):
    command = pip_download_command(PythonMinor(3, 14), find_suite("bullseye"), "x86_64", tmp_path, tmp_path)
    platforms = [command[i + 1] for i, word in enumerate(command) if word == "--platform"]
    assert platforms[0] == "manylinux_2_31_x86_64" and "manylinux_2_36_x86_64" not in platforms
    assert command[command.index("--python-version") + 1] == "3.14"
    assert "cp314" in command and "--only-binary=:all:" in command


def test_build_progress_counts_steps_cache_hits_and_reads_the_dedupe_line(tmp_path):
    with (tmp_path / "log").open("w") as log:
        progress = BuildProgress(log)
        for line in ("Step 1/3 : FROM x", " ---> Using cache", "Step 2/3 : RUN y",
                     '{"root": "/opt/python", "files_linked": 7, "bytes_saved": 1234}'):
            progress(line)
    assert (progress.total_steps, progress.cached_steps) == (2, 1)
    assert progress.dedupe is not None and progress.dedupe.to_json() == {
        "root": "/opt/python", "files_linked": 7, "bytes_saved": 1234}
    assert (tmp_path / "log").read_text().count("\n") == 4
