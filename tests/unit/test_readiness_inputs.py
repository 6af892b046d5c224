"""Dependency lists read for `dualpy readiness`: every kind, includes, and hostile files (pure and fast)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from dualpy.errors import UsageError
from dualpy.readiness import inputs
from dualpy.readiness.inputs import (
    InputKind,
    detect_kind,
    logical_lines,
    parse_pylock,
    parse_pyproject,
    parse_requirements_text,
    parse_uv_lock,
    read_bounded,
    read_dependency_set,
)


def names(dependencies: inputs.DependencySet) -> list[str]:
    return [str(r) for r in dependencies.requested]


@pytest.mark.parametrize(("name", "kind"), [
    ("requirements.txt", InputKind.REQUIREMENTS), ("requirements-dev.in", InputKind.REQUIREMENTS),
    ("deps.txt", InputKind.REQUIREMENTS), ("requirements", InputKind.REQUIREMENTS),
    ("pyproject.toml", InputKind.PYPROJECT), ("pylock.toml", InputKind.PYLOCK),
    ("pylock.web.toml", InputKind.PYLOCK), ("uv.lock", InputKind.UV_LOCK),
])
def test_kind_from_the_file_name(name: str, kind: InputKind) -> None:
    assert detect_kind(Path("some/dir") / name) is kind


@pytest.mark.parametrize("name", ["setup.py", "Pipfile.lock", "pylock.a.b.toml", "poetry.lock", "x.toml"])
def test_unknown_kind_is_one_line_naming_the_fix(name: str) -> None:
    with pytest.raises(UsageError, match="unknown kind of dependency list.*--kind") as caught:
        detect_kind(Path(name))
    assert "\n" not in str(caught.value)


def test_kind_option_wins_and_is_checked() -> None:
    assert detect_kind(Path("deps.cfg"), "uv.lock") is InputKind.UV_LOCK
    with pytest.raises(UsageError, match="--kind poetry: give one of requirements, pyproject, pylock, uv.lock"):
        detect_kind(Path("x"), "poetry")


def test_logical_lines_join_continuations_and_drop_comments() -> None:
    text = "# header\n\nsix==1.17.0  # pinned\nrequests \\\n  >=2.31\nurl#frag==1\n  \ntrailing \\"
    assert list(logical_lines(text)) == [(3, "six==1.17.0"), (4, "requests >=2.31"), (6, "url#frag==1"),
                                         (8, "trailing")]


def test_requirements_with_extras_markers_and_includes() -> None:
    text = ("requests[socks] >= 2.31 ; python_version >= '3.11'\n-r base.txt\n--requirement=other.txt\n"
            "-cpins.txt\n--constraint 'my pins.txt'\n")
    entries, notes = parse_requirements_text(text, "r.txt")
    first = entries[0]
    assert isinstance(first, inputs.Requested)
    assert first.name == "requests" and first.requirement.extras == {"socks"}
    assert str(first.requirement.marker) == 'python_version >= "3.11"'
    assert first.origin == "r.txt:1"
    assert [(e.target, e.role) for e in entries[1:] if isinstance(e, inputs.Include)] == [
        ("base.txt", "requirement"), ("other.txt", "requirement"), ("pins.txt", "constraint"),
        ("my pins.txt", "constraint")]
    assert notes == []


def test_index_and_hash_options_are_noted_not_obeyed() -> None:
    text = "--index-url https://evil.example/simple\n-i https://x\nsix==1.17.0 --hash=sha256:abc\n--pre\n"
    entries, notes = parse_requirements_text(text, "r.txt")
    assert [str(e) for e in entries] == ["six==1.17.0"]
    assert notes == ["r.txt:1: --index-url ignored: readiness installs with the host's pip settings",
                     "r.txt:2: -i ignored: readiness installs with the host's pip settings",
                     "r.txt:3: --hash ignored: readiness installs with the host's pip settings",
                     "r.txt:4: --pre ignored: readiness installs with the host's pip settings"]


@pytest.mark.parametrize(("text", "message"), [
    ("-e .\n", r"r.txt:1: -e \.: an editable or local project cannot be judged"),
    ("./local/pkg\n", r"r.txt:1: \./local/pkg: a local path cannot be judged"),
    ("--frobnicate\n", r"r.txt:1: unknown option --frobnicate"),
    ("six\n-r\n", r"r.txt:2: -r needs a file name"),
    ("-r 'a.txt\n", r"r.txt:1: unbalanced quotes"),
    ("-r a.txt b.txt\n", r"r.txt:1: .*give one file name"),
    ("six===\n", r"r.txt:1: 'six===' is not a requirement"),
    ("\n\nfoo bar baz\n", r"r.txt:3: 'foo bar baz' is not a requirement"),
])
def test_bad_lines_name_file_and_line(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message) as caught:
        parse_requirements_text(text, "r.txt")
    assert "\n" not in str(caught.value)


def test_includes_are_relative_to_the_including_file(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "requirements.txt").write_text("six\n-r sub/base.txt\n-c pins.txt\n")
    (tmp_path / "sub" / "base.txt").write_text("idna>=3\n-r more.txt\n")
    (tmp_path / "sub" / "more.txt").write_text("markupsafe\n")
    (tmp_path / "pins.txt").write_text("idna==3.10\n-r pins2.txt\n")
    (tmp_path / "pins2.txt").write_text("six==1.17.0\n")
    result = read_dependency_set(tmp_path / "requirements.txt")
    assert result.kind is InputKind.REQUIREMENTS
    assert names(result) == ["six", "idna>=3", "markupsafe"]
    assert [str(c) for c in result.constraints] == ["idna==3.10", "six==1.17.0"]  # -r inside -c constrains


def test_a_diamond_of_includes_is_not_a_cycle(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("-r a.txt\n-r b.txt\n")
    (tmp_path / "a.txt").write_text("-r common.txt\n")
    (tmp_path / "b.txt").write_text("-r common.txt\n")
    (tmp_path / "common.txt").write_text("six\n")
    assert names(read_dependency_set(tmp_path / "requirements.txt")) == ["six", "six"]


def test_include_cycle_is_named(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("six\n-r a.txt\n")
    (tmp_path / "a.txt").write_text("-r requirements.txt\n")
    with pytest.raises(UsageError, match=r"cycle \(requirements.txt -> a.txt -> requirements.txt\)"):
        read_dependency_set(tmp_path / "requirements.txt")


def test_self_include_is_a_cycle(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("-r ./requirements.txt\n")
    with pytest.raises(UsageError, match="cycle"):
        read_dependency_set(tmp_path / "requirements.txt")


def test_symlink_loop_in_an_include_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("six\n-r loop.txt\n")
    (tmp_path / "loop.txt").symlink_to(tmp_path / "loop.txt")
    with pytest.raises(UsageError, match=r"loop.txt: cannot read it \(.*") as caught:
        read_dependency_set(tmp_path / "requirements.txt")
    assert "\n" not in str(caught.value)


def test_a_symlink_loop_as_the_argument(tmp_path: Path) -> None:
    (tmp_path / "a.txt").symlink_to(tmp_path / "b.txt")
    (tmp_path / "b.txt").symlink_to(tmp_path / "a.txt")
    with pytest.raises(UsageError, match="a.txt: cannot read it"):
        read_dependency_set(tmp_path / "a.txt")


def test_includes_nest_boundedly(tmp_path: Path) -> None:
    depth = inputs.MAX_INCLUDE_DEPTH + 2
    for level in range(depth):
        (tmp_path / f"r{level}.txt").write_text(f"pkg{level}\n-r r{level + 1}.txt\n")
    (tmp_path / f"r{depth}.txt").write_text("last\n")
    with pytest.raises(UsageError, match=f"nest deeper than {inputs.MAX_INCLUDE_DEPTH}"):
        read_dependency_set(tmp_path / "r0.txt")


def test_missing_include_is_named(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("-r nowhere.txt\n")
    with pytest.raises(UsageError, match=r"nowhere.txt: cannot read it \(No such file or directory\)"):
        read_dependency_set(tmp_path / "requirements.txt")


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "requirements.txt"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []
    reader = threading.Thread(target=lambda: outcome.append(pytest.raises(UsageError, read_bounded, fifo).value))
    reader.start()
    reader.join(5)
    assert not reader.is_alive(), "reading a FIFO blocked"
    assert "not a regular file" in str(outcome[0])


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a regular file"):
        read_dependency_set(tmp_path / "requirements.txt" if False else tmp_path, kind="requirements")


def test_a_huge_file_is_refused_unread(tmp_path: Path) -> None:
    huge = tmp_path / "requirements.txt"
    with huge.open("wb") as stream:
        stream.truncate(inputs.MAX_FILE_BYTES + 1)  # sparse: the refusal must not depend on reading it all
    with pytest.raises(UsageError, match="larger than 16 MiB"):
        read_dependency_set(huge)


def test_a_limit_is_exact(tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    path.write_text("a" * 10)
    assert read_bounded(path, limit=10) == "a" * 10
    with pytest.raises(UsageError, match="larger than"):
        read_bounded(path, limit=9)


def test_binary_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_bytes(b"six\n\xff\xfe\x00")
    with pytest.raises(UsageError, match=r"not UTF-8 text \(byte 4\)"):
        read_dependency_set(path)


def test_a_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_bytes(b"\xef\xbb\xbfsix==1.17.0\n")
    assert names(read_dependency_set(path)) == ["six==1.17.0"]


def test_too_many_requirements(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inputs, "MAX_REQUIREMENTS", 3)
    path = tmp_path / "requirements.txt"
    path.write_text("a\nb\nc\n")
    assert len(read_dependency_set(path).requested) == 3
    path.write_text("a\nb\nc\nd\n")
    with pytest.raises(UsageError, match="more than 3 requirements"):
        read_dependency_set(path)


def test_an_empty_list_is_usage(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("# nothing\n--pre\n")
    with pytest.raises(UsageError, match="lists no requirement"):
        read_dependency_set(path)


PYPROJECT = """
[project]
name = "My_Service"
dependencies = ["httpx>=0.27", "orjson ; platform_python_implementation == 'CPython'"]
[project.optional-dependencies]
fast = ["uvloop"]
all = ["my-service[fast,extra]"]
extra = ["six"]
[dependency-groups]
test = ["pytest", {include-group = "lint"}]
lint = ["ruff"]
"""


def test_pyproject_dependencies_only_by_default() -> None:
    result = parse_pyproject(PYPROJECT)
    assert result.kind is InputKind.PYPROJECT
    assert names(result) == ["httpx>=0.27", 'orjson; platform_python_implementation == "CPython"']
    assert result.requested[0].origin == "pyproject.toml:project.dependencies"


def test_pyproject_groups_extras_and_self_references() -> None:
    assert names(parse_pyproject(PYPROJECT, groups=["all"]))[2:] == ["six", "uvloop"]  # extras in name order
    assert names(parse_pyproject(PYPROJECT, groups=["test"]))[2:] == ["pytest", "ruff"]
    assert parse_pyproject(PYPROJECT, groups=["fast"]).requested[2].origin == \
        "pyproject.toml:optional-dependencies.fast"


def test_pyproject_unknown_group_lists_the_known_ones() -> None:
    with pytest.raises(UsageError, match=r"no optional-dependencies extra or dependency group 'docs' \(this file "
                                         r"has: all, extra, fast, lint, test\)"):
        parse_pyproject(PYPROJECT, groups=["docs"])


def test_pyproject_group_cycle_is_bounded() -> None:
    text = '[project]\nname = "a"\n[dependency-groups]\nx = [{include-group = "y"}]\ny = [{include-group = "x"}]\n'
    with pytest.raises(UsageError, match="deeper than"):
        parse_pyproject(text, groups=["x"])
    selfish = '[project]\nname = "a"\n[project.optional-dependencies]\nx = ["a[x]"]\n'
    with pytest.raises(UsageError, match="deeper than"):
        parse_pyproject(selfish, groups=["x"])


@pytest.mark.parametrize(("text", "message"), [
    ("[tool.x]\n", r"no \[project\] table"),
    ('[project]\nname = "a"\ndynamic = ["dependencies"]\n', "dependencies are dynamic"),
    ('[project]\ndependencies = "six"\n', "expected a list of requirement strings"),
    ('[project]\ndependencies = ["six", 3]\n', "expected a list of requirement strings"),
    ('[project]\ndependencies = ["six ==="]\n', "is not a requirement"),
    ('[project]\noptional-dependencies = 1\n', "must be tables"),
    ("[project\n", "not valid TOML"),
])
def test_bad_pyproject(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_pyproject(text)


def test_groups_only_for_pyproject(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("six\n")
    with pytest.raises(UsageError, match="--group dev: groups belong to a pyproject.toml, not a requirements file"):
        read_dependency_set(path, groups=["dev"])


PYLOCK = """
lock-version = "1.0"
created-by = "pip"
[[packages]]
name = "six"
version = "1.17.0"
[[packages.wheels]]
url = "https://files.example/six-1.17.0-py2.py3-none-any.whl"
[[packages]]
name = "colorama"
version = "0.4.6"
marker = "sys_platform == 'win32'"
[[packages]]
name = "mine"
directory = { path = "." }
[[packages]]
name = "fromgit"
version = "1.0"
vcs = { type = "git", url = "https://x/y.git", commit-id = "abc" }
"""


def test_pylock_pins_with_markers_and_skips_non_index_sources(tmp_path: Path) -> None:
    path = tmp_path / "pylock.toml"
    path.write_text(PYLOCK)
    result = read_dependency_set(path)
    assert result.kind is InputKind.PYLOCK and result.source == path
    assert names(result) == ["six==1.17.0", 'colorama==0.4.6; sys_platform == "win32"']
    assert result.notes == ("pylock.toml:packages[2]: mine is not from an index (VCS, directory or archive): skipped",
                            "pylock.toml:packages[3]: fromgit is not from an index (VCS, directory or archive): "
                            "skipped")


@pytest.mark.parametrize(("text", "message"), [
    ('lock-version = "2.0"\n', r"lock-version 2.0 is not a PEP 751 lock"),
    ("[[packages]]\n", r"lock-version \(missing\)"),
    ('lock-version = "1.0"\npackages = 3\n', "must be an array of tables"),
    ('lock-version = "1.0"\npackages = [3]\n', "expected a table"),
    ('lock-version = "1.0"\n[[packages]]\nname = 3\nversion = "1"\n', "needs a string name and version"),
    ('lock-version = "1.0"\n[[packages]]\nname = "a"\nversion = "1"\nmarker = "os ="\n', "not an environment marker"),
    ('lock-version = "1.0"\n[[packages]]\nname = "a"\nversion = "1"\nmarker = 3\n', "marker must be a string"),
])
def test_bad_pylock(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_pylock(text)


UV_LOCK = """
version = 1
revision = 2
requires-python = ">=3.11"

[[package]]
name = "colorama"
version = "0.4.6"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "click"
version = "8.1.8"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "colorama", marker = "sys_platform == 'win32'" }]

[[package]]
name = "Six"
version = "1.17.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "service"
version = "0.1.0"
source = { editable = "." }
dependencies = [{ name = "click" }, { name = "colorama", marker = "os_name == 'nt'" }]
[package.optional-dependencies]
extra = [{ name = "six" }]
"""


def test_uv_lock_registry_packages_with_edge_markers() -> None:
    result = parse_uv_lock(UV_LOCK)
    assert result.kind is InputKind.UV_LOCK
    assert names(result) == ['colorama==0.4.6; sys_platform == "win32" or os_name == "nt"', "click==8.1.8",
                             "Six==1.17.0"]
    assert result.notes == ("uv.lock:package[3]: service comes from editable, not an index: skipped",)


@pytest.mark.parametrize(("text", "message"), [
    ("[[package]]\n", "no lock version"),
    ("version = 1\npackage = [1]\n", "must be an array of tables"),
    ('version = 1\n[[package]]\nname = "a"\nsource = { registry = "x" }\n', "needs a string name and version"),
])
def test_bad_uv_lock(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_uv_lock(text)


def test_every_kind_through_the_reader(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "uv.lock").write_text(UV_LOCK)
    assert read_dependency_set(tmp_path / "pyproject.toml", groups=["fast"]).requested[-1].name == "uvloop"
    uv = read_dependency_set(tmp_path / "uv.lock")
    assert uv.source == tmp_path / "uv.lock" and len(uv.requested) == 3
    (tmp_path / "deps").write_text("six\n")
    assert names(read_dependency_set(tmp_path / "deps", kind="requirements")) == ["six"]
