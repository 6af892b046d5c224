"""Which cibuildwheel release builds which free-threaded Python (recipes/tools/cibuildwheel.toml), its environment."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from dualpy.errors import BuildFailed, ConfigurationError, UsageError
from dualpy.tags import PythonMinor
from dualpy.wheels import cibw
from dualpy.wheels.cibw import choose_releases, load_releases, release, releases, venv_python

M = PythonMinor


@pytest.mark.parametrize(
    ("minors", "expected"),
    [([M(3, 13)], {"3.4.1": ["3.13"]}),
     ([M(3, 14)], {"4.3.5": ["3.14"]}),
     ([M(3, 15)], {"4.3.5": ["3.15"]}),
     ([M(3, 14), M(3, 13)], {"3.4.1": ["3.13", "3.14"]}),  # one release can do both: one run
     ([M(3, 13), M(3, 15)], {"3.4.1": ["3.13"], "4.3.5": ["3.15"]})],
)
def test_each_t_python_goes_to_a_release_that_builds_it(minors, expected):
    chosen = {r.version: [str(m) for m in group] for r, group in choose_releases(minors).items()}
    assert chosen == expected


def test_releases_know_their_limits():
    assert M(3, 13) not in release("4.3.5").freethreaded_minors  # 4.x removed cp313t
    assert M(3, 15) not in release("3.4.1").freethreaded_minors  # 3.4 knows no cp315t
    assert release("3.4.1").needs_enable and not release("4.3.5").needs_enable
    assert [r.series for r in releases()] == [4, 3]


def test_a_python_without_a_t_build_is_refused():
    with pytest.raises(UsageError, match="3.12t"):
        choose_releases([M(3, 12)])
    with pytest.raises(UsageError, match="known are"):
        release("2.0.0")


def _fake_run(calls: list, install_code: int):
    """Stands in for `python -m venv` (makes bin/python) and `pip install` (exits install_code)."""

    def run(command, **kwargs):
        calls.append(command)
        if "venv" in command:
            bin_dir = Path(command[-1]) / "bin"
            bin_dir.mkdir(parents=True)
            (bin_dir / "python").write_text("")
            return subprocess.CompletedProcess(command, 0, "", "")
        return subprocess.CompletedProcess(command, install_code, "", "ERROR: no matching distribution\n")

    return run


def test_a_failed_install_leaves_no_environment_to_reuse(tmp_path, monkeypatch):
    monkeypatch.setenv("DUALPY_CACHE_DIR", str(tmp_path))
    calls = []
    monkeypatch.setattr(cibw.subprocess, "run", _fake_run(calls, install_code=1))
    with pytest.raises(BuildFailed, match="no matching distribution"):
        venv_python(release("3.4.1"))
    assert list((tmp_path / "cibuildwheel").iterdir()) == []
    assert any("cibuildwheel==3.4.1" in c for c in calls)


def test_a_made_environment_is_renamed_into_place_and_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("DUALPY_CACHE_DIR", str(tmp_path))
    calls = []
    monkeypatch.setattr(cibw.subprocess, "run", _fake_run(calls, install_code=0))
    python = venv_python(release("3.4.1"))
    assert python == tmp_path / "cibuildwheel" / "3.4.1" / "bin" / "python" and python.exists()
    assert len(calls) == 2
    assert venv_python(release("3.4.1")) == python and len(calls) == 2  # reused, not made again
    assert [p.name for p in (tmp_path / "cibuildwheel").iterdir()] == ["3.4.1"]


# --- the release table is data, validated on load ---

def test_the_shipped_table_is_read_newest_first_with_typed_minors():
    newest, oldest = load_releases()
    assert (newest.version, oldest.version) == ("4.3.5", "3.4.1")
    assert newest.freethreaded_minors == {M(3, 14), M(3, 15)} and newest.enable is None
    assert oldest.enable == "cpython-freethreading"


@pytest.mark.parametrize(
    ("text", "message"),
    [("[[releases]\n", "not valid TOML"),
     ("", "at least one [[releases]]"),
     ('[[releases]]\nversion = "x.y"\nfreethreaded = ["3.14"]\n', "version must be"),
     ('[[releases]]\nversion = "4.0.0"\nfreethreaded = []\n', "freethreaded must be"),
     ('[[releases]]\nversion = "4.0.0"\nfreethreaded = ["three"]\n', "not a CPython version"),
     ('[[releases]]\nversion = "4.0.0"\nfreethreaded = ["3.14"]\nenable = 1\n', "enable must be"),
     ('[[releases]]\nversion = "4.0.0"\nfreethreaded = ["3.14"]\npin = 1\n', "unknown key(s) pin"),
     ('[[releases]]\nversion = "4.0.0"\nfreethreaded = ["3.14"]\n' * 2, "listed twice")],
)
def test_a_bad_table_is_one_configuration_error_naming_the_file(tmp_path, text, message):
    path = tmp_path / "cibuildwheel.toml"
    path.write_text(text)
    with pytest.raises(ConfigurationError) as caught:
        load_releases(path)
    assert message in str(caught.value) and str(path) in str(caught.value)
    assert len(str(caught.value).splitlines()) == 1
    with pytest.raises(ConfigurationError, match="cannot be read"):
        load_releases(tmp_path / "missing.toml")
