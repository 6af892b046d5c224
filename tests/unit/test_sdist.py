"""dualpy.sdist: the one bounded reader of untrusted sdists (config, wheels and verify all use it)."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from dualpy import sdist as sdist_module
from dualpy.errors import ConfigurationError, UsageError
from dualpy.sdist import list_members, read_top


def _sdist(directory: Path, members: dict[str, bytes], kinds: dict[str, bytes] | None = None,
           name: str = "demo-1.0.tar.gz") -> Path:
    path = directory / name
    with tarfile.open(path, "w:gz") as archive:
        for member, data in members.items():
            info = tarfile.TarInfo(member)
            info.type = (kinds or {}).get(member, tarfile.REGTYPE)
            if info.type == tarfile.SYMTYPE:
                info.linkname = data.decode()
                archive.addfile(info)
                continue
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_read_top_finds_the_top_pyproject_and_setup_py(tmp_path: Path) -> None:
    path = _sdist(tmp_path, {"demo-1.0/setup.py": b"", "demo-1.0/sub/pyproject.toml": b"[x]",
                             "demo-1.0/pyproject.toml": b"[tool.a]\n"})
    top = read_top(path)
    assert (top.root, top.has_setup_py, top.pyproject) == ("demo-1.0", True, b"[tool.a]\n")
    assert top.has_project_file
    assert top.pyproject_location == f"{path}:demo-1.0/pyproject.toml"


def test_read_top_of_an_sdist_without_project_files(tmp_path: Path) -> None:
    top = read_top(_sdist(tmp_path, {"demo-1.0/README": b"", "../pyproject.toml": b"", "pyproject.toml": b""}))
    assert (top.root, top.has_setup_py, top.pyproject, top.has_project_file) == (None, False, None, False)
    assert top.pyproject_location.endswith(":*/pyproject.toml")


def test_read_top_refuses_a_linked_or_oversized_pyproject(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    link = _sdist(tmp_path, {"demo-1.0/pyproject.toml": b"/etc/passwd"},
                  kinds={"demo-1.0/pyproject.toml": tarfile.SYMTYPE})
    with pytest.raises(ConfigurationError, match=r"demo-1.0/pyproject.toml: not a regular file in the sdist"):
        read_top(link)
    monkeypatch.setattr(sdist_module, "MAX_PYPROJECT_BYTES", 4)
    with pytest.raises(ConfigurationError, match=r": 5 bytes, more than a pyproject.toml needs \(4\)"):
        read_top(_sdist(tmp_path, {"demo-1.0/pyproject.toml": b"12345"}, name="big-1.0.tar.gz"))


def test_read_top_gives_up_after_the_member_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sdist_module, "MAX_MEMBERS", 2)
    late = _sdist(tmp_path, {"demo-1.0/a": b"", "demo-1.0/b": b"", "demo-1.0/pyproject.toml": b""})
    assert read_top(late).pyproject is None
    on_time = _sdist(tmp_path, {"demo-1.0/a": b"", "demo-1.0/pyproject.toml": b"x"}, name="t-1.0.tar.gz")
    assert read_top(on_time).pyproject == b"x"


@pytest.mark.parametrize("content", [b"not a tarball", b"\x1f\x8b\x08\x00broken gzip", b""])
def test_an_unreadable_archive_is_one_line_of_bad_input(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "demo-1.0.tar.gz"
    path.write_bytes(content)
    for read in (read_top, list_members):
        with pytest.raises(UsageError, match="not a readable sdist") as caught:
            read(path)
        assert "\n" not in str(caught.value) and caught.value.return_code == 2


def test_list_members_streams_every_member(tmp_path: Path) -> None:
    path = _sdist(tmp_path, {"demo-1.0/a": b"1", "demo-1.0/tests/t.py": b"22"})
    assert [(m.name, m.size) for m in list_members(path)] == [("demo-1.0/a", 1), ("demo-1.0/tests/t.py", 2)]


@pytest.mark.parametrize(("bound", "value", "members", "message"), [
    ("MAX_MEMBERS", 2, {"d/a": b"", "d/b": b"", "d/c": b""}, "more than 2 members"),
    ("MAX_NAME_LENGTH", 8, {"d/" + "n" * 7: b""}, "a member name of 9 characters"),
    ("MAX_TOTAL_BYTES", 1 << 30, {"d/a": b""}, None),
])
def test_list_members_stops_at_each_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bound: str, value: int,
                                           members: dict[str, bytes], message: str | None) -> None:
    monkeypatch.setattr(sdist_module, bound, value)
    path = _sdist(tmp_path, members)
    if message is None:
        assert len(list_members(path)) == 1
        return
    with pytest.raises(UsageError, match=message):
        list_members(path)
    with pytest.raises(UsageError):
        list_members(path)


def test_list_members_stops_when_sizes_add_up_past_the_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sdist_module, "MAX_TOTAL_BYTES", 5 << 30)
    header = tarfile.TarInfo("d/huge")
    header.size = 6 << 30  # the header claims more than the bound; the archive holds only the header
    path = tmp_path / "demo-1.0.tar"
    path.write_bytes(header.tobuf(format=tarfile.GNU_FORMAT) + b"\0" * 1024)
    with pytest.raises(UsageError, match="members add up to more than 5 GiB"):
        list_members(path)
