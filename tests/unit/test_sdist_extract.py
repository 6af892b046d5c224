"""dualpy.sdist.extract: hostile sdists are refused before anything is written, with or without tarfile's filters.

Debian 12's Python 3.11.2 has no extraction filters (PEP 706 came in 3.11.4): its tarfile.extractall() takes no
`filter` argument and tarfile has no data_filter. The `without_filters` runtime recreates exactly that, so every
hostile archive is tried against the checks alone as well as against the checks plus the data filter.
"""

from __future__ import annotations

import io
import stat
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dualpy.errors import UsageError
from dualpy.sdist import extract, symlink_names, unsafe_reason

# 3.12 and 3.13 warn when extractall() runs without a filter, which is what the 3.11.2 runtime must do
pytestmark = pytest.mark.filterwarnings("ignore:Python 3.14 will, by default, filter:DeprecationWarning")

Entry = tuple[str, bytes, str]  # (member name, type, data or link target)


def _archive(path: Path, entries: list[tuple[str, bytes, str]], modes: dict[str, int] | None = None) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, kind, payload in entries:
            info = tarfile.TarInfo(name)
            info.type = kind
            info.mode = (modes or {}).get(name, 0o755 if kind == tarfile.DIRTYPE else 0o644)
            if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE):
                info.linkname = payload
                archive.addfile(info)
            elif kind == tarfile.REGTYPE:
                data = payload.encode()
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
            else:
                archive.addfile(info)
    return path


@pytest.fixture(params=["with_filters", "without_filters"])
def runtime(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """The tarfile of this interpreter, or of 3.11.2 (no data_filter; extractall() refuses `filter=`).

    Yields the keyword arguments of every extractall() call, so a test can tell which path ran.
    """
    calls: list[dict[str, Any]] = []
    original = tarfile.TarFile.extractall
    filters = request.param == "with_filters" and hasattr(tarfile, "data_filter")  # 3.11.0-3.11.3 have none

    def extractall(self: tarfile.TarFile, *args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        if request.param == "without_filters" and "filter" in kwargs:
            raise TypeError("TarFile.extractall() got an unexpected keyword argument 'filter'")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(tarfile.TarFile, "extractall", extractall)
    if request.param == "without_filters":
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    yield calls
    assert calls, "extract() never reached extractall()"
    assert all(("filter" in call) == filters for call in calls)


SAFE: list[Entry] = [
    ("demo-1.0", tarfile.DIRTYPE, ""),
    ("demo-1.0/pyproject.toml", tarfile.REGTYPE, "[project]\n"),
    ("demo-1.0/README", tarfile.REGTYPE, "hello\n"),
    ("demo-1.0/run.sh", tarfile.REGTYPE, "#!/bin/sh\n"),
    ("demo-1.0/docs/README", tarfile.SYMTYPE, "../README"),
    ("demo-1.0/docs/same", tarfile.SYMTYPE, "README"),  # ends at another link: fine
    ("demo-1.0/copy", tarfile.LNKTYPE, "demo-1.0/README"),
    ("./demo-1.0/tests/test_a.py", tarfile.REGTYPE, "def test(): pass\n"),
]


def test_a_safe_sdist_extracts_whole_with_privileges_dropped(tmp_path: Path, runtime: list[dict[str, Any]]) -> None:
    sdist = _archive(tmp_path / "demo-1.0.tar.gz", SAFE,
                     modes={"demo-1.0/run.sh": 0o4775, "demo-1.0/README": 0o666})
    extract(sdist, tmp_path / "out")
    top = tmp_path / "out" / "demo-1.0"
    assert (top / "docs" / "README").read_text() == "hello\n" and (top / "docs" / "README").is_symlink()
    assert (top / "docs" / "same").read_text() == "hello\n"
    assert (top / "copy").read_text() == "hello\n" and (top / "copy").stat().st_nlink == 2
    assert (top / "tests" / "test_a.py").read_text() == "def test(): pass\n"
    assert stat.S_IMODE((top / "run.sh").stat().st_mode) == 0o755  # executable kept, set-uid and group write gone
    assert stat.S_IMODE((top / "README").stat().st_mode) == 0o644


def test_only_the_named_members_are_written(tmp_path: Path, runtime: list[dict[str, Any]]) -> None:
    sdist = _archive(tmp_path / "demo-1.0.tar.gz", SAFE)
    extract(sdist, tmp_path / "out", {"./demo-1.0/tests/test_a.py"})
    assert [p.relative_to(tmp_path / "out").as_posix() for p in sorted((tmp_path / "out").rglob("*"))] == [
        "demo-1.0", "demo-1.0/tests", "demo-1.0/tests/test_a.py"]


HOSTILE: dict[str, tuple[list[Entry], str]] = {
    "absolute name": ([("/tmp/evil", tarfile.REGTYPE, "x")], "has an absolute name"),
    "dot-dot name": ([("demo-1.0/../../evil", tarfile.REGTYPE, "x")], "has '..' in its name"),
    "absolute symlink": ([("demo-1.0/l", tarfile.SYMTYPE, "/etc")], "symbolic link to the absolute path '/etc'"),
    "symlink out": ([("demo-1.0/l", tarfile.SYMTYPE, "../../evil")], "points outside the archive"),
    "symlink out by one": ([("l", tarfile.SYMTYPE, "..")], "points outside the archive"),
    "symlink chain": ([("demo-1.0/a", tarfile.SYMTYPE, "."), ("demo-1.0/b", tarfile.SYMTYPE, "a/../..")],
                      "target goes through the symbolic link 'demo-1.0/a'"),
    "write through a symlink": ([("demo-1.0/l", tarfile.SYMTYPE, "."), ("demo-1.0/l/x", tarfile.REGTYPE, "x")],
                                "name that goes through the symbolic link 'demo-1.0/l'"),
    "write through a later symlink": ([("demo-1.0/l/x", tarfile.REGTYPE, "x"), ("demo-1.0/l", tarfile.SYMTYPE, ".")],
                                      "name that goes through the symbolic link 'demo-1.0/l'"),
    "absolute hard link": ([("demo-1.0/h", tarfile.LNKTYPE, "/etc/passwd")], "has an absolute hard link target"),
    "dot-dot hard link": ([("demo-1.0/h", tarfile.LNKTYPE, "../etc/passwd")], "has '..' in its hard link target"),
    "hard link through a symlink": ([("demo-1.0/l", tarfile.SYMTYPE, "."), ("demo-1.0/h", tarfile.LNKTYPE,
                                                                             "demo-1.0/l/x")],
                                    "hard link target that goes through the symbolic link"),
    "hard link to a symlink": ([("demo-1.0/a/s", tarfile.SYMTYPE, "../.."), ("h", tarfile.LNKTYPE, "demo-1.0/a/s")],
                               "is a hard link to a symbolic link"),
    "character device": ([("demo-1.0/null", tarfile.CHRTYPE, "")], "is a device"),
    "block device": ([("demo-1.0/sda", tarfile.BLKTYPE, "")], "is a device"),
    "fifo": ([("demo-1.0/pipe", tarfile.FIFOTYPE, "")], "is a FIFO"),
    "empty name": ([("./", tarfile.REGTYPE, "x")], "has an empty name"),
    "empty symlink": ([("demo-1.0/l", tarfile.SYMTYPE, "")], "empty target"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_member_is_refused_before_anything_is_written(tmp_path: Path, case: str) -> None:
    # No runtime fixture: nothing may reach extractall(); the checks alone refuse, on any Python.
    entries, reason = HOSTILE[case]
    sdist = _archive(tmp_path / "demo-1.0.tar.gz", [("demo-1.0/pyproject.toml", tarfile.REGTYPE, ""), *entries])
    destination = tmp_path / "box" / "out"
    destination.mkdir(parents=True)
    with pytest.raises(UsageError, match=f"the member .* {reason}.*refused") as caught:
        extract(sdist, destination)
    assert str(caught.value).count("\n") == 0 and str(sdist) in str(caught.value)
    assert list((tmp_path / "box").rglob("*")) == [destination]  # nothing written, inside or beside it


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_member_is_refused_under_both_runtimes(tmp_path: Path, case: str, monkeypatch: pytest.MonkeyPatch,
                                                         ) -> None:
    """Without data_filter (3.11.2) the refusal is the same: it never depended on the filter."""
    monkeypatch.delattr(tarfile, "data_filter", raising=False)
    entries, reason = HOSTILE[case]
    sdist = _archive(tmp_path / "demo-1.0.tar.gz", entries)
    with pytest.raises(UsageError, match=reason):
        extract(sdist, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_unsafe_reason_resolves_symlinks_from_their_own_directory() -> None:
    def link(name: str, target: str) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.type, info.linkname = tarfile.SYMTYPE, target
        return info

    assert unsafe_reason(link("a/b/c", "../../x"), frozenset()) is None  # a/b/../../x = x, inside
    assert unsafe_reason(link("a/b/c", "../../../x"), frozenset()) is not None
    assert unsafe_reason(link("a/b/c", "./../d/./e"), frozenset()) is None
    assert unsafe_reason(link("a/b/c", "d/../../../.."), frozenset()) is not None
    members = [link("a/l", "b"), link("a/m", "l")]
    links = symlink_names(members)
    assert links == {"a/l", "a/m"}
    assert [unsafe_reason(m, links) for m in members] == [None, None]
    assert unsafe_reason(link("a/n", "l/x"), links) is not None  # through a/l
    assert symlink_names([link("./a//l/", ".")]) == {"a/l"}


def test_an_unreadable_archive_is_one_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tar")
    with pytest.raises(UsageError, match="not a readable sdist"):
        extract(junk, tmp_path / "out")
