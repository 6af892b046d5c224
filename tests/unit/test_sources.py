import hashlib

import pytest

from dualpy.errors import ChecksumMismatch, SourceUnavailable
from dualpy.recipes import Release, UpstreamSource
from dualpy.sources import fetch_release


@pytest.fixture
def tarball(tmp_path):
    path = tmp_path / "upstream" / "Python-3.13.99.tar.xz"
    path.parent.mkdir()
    path.write_bytes(b"pretend tarball" * 1000)
    return path


def release_for(tarball, *sources, sha256=None):
    digest = sha256 or hashlib.sha256(tarball.read_bytes()).hexdigest()
    return Release("3.13.99", digest, tuple(sources))


def test_next_source_serves_when_the_first_fails(tmp_path, tarball):
    release = release_for(tarball, UpstreamSource(f"file://{tmp_path}/missing.tar.xz"),
                          UpstreamSource(f"file://{tarball}"))
    fetched = fetch_release(release, destination_dir=tmp_path / "cache")
    assert fetched.served_by == f"file://{tarball}"
    assert fetched.path.read_bytes() == tarball.read_bytes()
    again = fetch_release(release, destination_dir=tmp_path / "cache")
    assert again.cached and again.served_by == "cache"


def test_wrong_checksum_is_refused_with_both_digests_and_nothing_cached(tmp_path, tarball):
    expected = "0" * 64
    release = release_for(tarball, UpstreamSource(f"file://{tarball}"), sha256=expected)
    with pytest.raises(SourceUnavailable, match="checksum mismatch"):
        fetch_release(release, destination_dir=tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == []


def test_local_source_file_with_wrong_checksum_prints_both_digests(tmp_path, tarball):
    release = release_for(tarball, UpstreamSource("file:///nowhere"), sha256="1" * 64)
    actual = hashlib.sha256(tarball.read_bytes()).hexdigest()
    with pytest.raises(ChecksumMismatch) as caught:
        fetch_release(release, local_file=tarball, destination_dir=tmp_path / "cache")
    assert actual in str(caught.value) and "1" * 64 in str(caught.value)
    assert list((tmp_path / "cache").iterdir()) == []


def test_corrupt_cache_entry_is_replaced(tmp_path, tarball):
    release = release_for(tarball, UpstreamSource(f"file://{tarball}"))
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / release.filename).write_bytes(b"truncated")
    fetched = fetch_release(release, destination_dir=cache)
    assert not fetched.cached
    assert fetched.path.read_bytes() == tarball.read_bytes()


def test_no_source_answers(tmp_path, tarball):
    release = release_for(tarball, UpstreamSource(f"file://{tmp_path}/a"), UpstreamSource(f"file://{tmp_path}/b"))
    with pytest.raises(SourceUnavailable, match="--source FILE"):
        fetch_release(release, destination_dir=tmp_path / "cache")
