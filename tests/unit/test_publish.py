"""Image references, registry answers and archive checks: the pure parts of images push/pull/save/load."""

from __future__ import annotations

import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from dualpy.errors import PublishFailed, UsageError
from dualpy.images.publish import check_archive, checksum_path, load
from dualpy.images.registry import Credentials, ImageReference, describe_manifest, parse_challenge


@pytest.mark.parametrize(
    ("text", "registry", "repository", "tag", "digest"),
    [
        ("127.0.0.1:5000/dualpy/cpython:3.14.7", "127.0.0.1:5000", "dualpy/cpython", "3.14.7", None),
        ("localhost/x:y", "localhost", "x", "y", None),
        ("ghcr.io/org/img", "ghcr.io", "org/img", None, None),
        ("debian:trixie-slim", "docker.io", "library/debian", "trixie-slim", None),
        ("org/img:1", "docker.io", "org/img", "1", None),
        ("reg.example:443/a/b:t@sha256:" + "a" * 64, "reg.example:443", "a/b", "t", "sha256:" + "a" * 64),
        ("[::1]:5000/a:b", "[::1]:5000", "a", "b", None),
    ],
)
def test_reference_parse(text: str, registry: str, repository: str, tag: str | None, digest: str | None) -> None:
    parsed = ImageReference.parse(text)
    assert (parsed.registry, parsed.repository, parsed.tag, parsed.digest) == (registry, repository, tag, digest)


def test_reference_names_and_loopback() -> None:
    assert ImageReference.parse("127.0.0.1:5000/a/b:c").name == "127.0.0.1:5000/a/b"
    assert str(ImageReference.parse("127.0.0.1:5000/a/b:c")) == "127.0.0.1:5000/a/b:c"
    for text in ("ghcr.io/a/b", "ghcr.io/a/b@sha256:" + "f" * 64, "ghcr.io/a/b:t@sha256:" + "f" * 64):
        assert str(ImageReference.parse(text)) == text
    assert ImageReference.parse("debian:12").name == "library/debian"
    assert ImageReference.parse("debian:12").api_host == "registry-1.docker.io"
    assert ImageReference.parse("127.0.0.2:1/a:b").is_loopback
    assert ImageReference.parse("localhost:1/a:b").is_loopback
    assert ImageReference.parse("[::1]:1/a:b").is_loopback
    assert not ImageReference.parse("ghcr.io/a:b").is_loopback
    assert not ImageReference.parse("10.0.0.1:5000/a:b").is_loopback


@pytest.mark.parametrize(
    "text",
    ["", "UPPER/case:tag", "a b:c", "reg.io/a:b@md5:00", "reg.io/a:" + "t" * 129, "reg.io/a:-bad",
     "a\x1b[31m:b", "reg.io/" + "a" * 5000, "reg.io//a:b", "reg.io/a@sha256:short"],
)
def test_reference_parse_refuses(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        ImageReference.parse(text)
    assert "\n" not in str(caught.value) and str(caught.value).startswith(repr(text))


def test_reference_pinned_to_a_digest() -> None:
    reference = ImageReference.parse("127.0.0.1:5000/dualpy/cpython:3.14.7")
    digest = "sha256:" + "ab" * 32
    pinned = reference.pinned_to(digest)
    assert (pinned.registry, pinned.repository, pinned.tag, pinned.digest) == (
        "127.0.0.1:5000", "dualpy/cpython", "3.14.7", digest)
    assert reference.digest is None
    for bad in ("sha256:" + "ab" * 31, "md5:" + "0" * 32, "sha256:" + "AB" * 32, ""):
        with pytest.raises(UsageError, match="the digest must be sha256: and 64 hex digits"):
            reference.pinned_to(bad)


def test_a_registry_port_is_never_read_as_a_tag() -> None:
    reference = ImageReference.parse("127.0.0.1:5000/name")
    assert (reference.registry, reference.repository, reference.tag) == ("127.0.0.1:5000", "name", None)


def test_challenge_and_credentials_repr() -> None:
    scheme, params = parse_challenge('Bearer realm="https://auth.example/token",service="reg",scope="repository:a:pull"')
    assert scheme == "bearer"
    assert params == {"realm": "https://auth.example/token", "service": "reg", "scope": "repository:a:pull"}
    assert parse_challenge('Basic realm="x"') == ("basic", {"realm": "x"})
    assert "hunter2" not in repr(Credentials("u", "hunter2"))


def test_describe_manifest() -> None:
    body = json.dumps({"mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                       "config": {"digest": "sha256:" + "c" * 64}}).encode()
    described = describe_manifest(body, "sha256:" + "d" * 64)
    assert (described.digest, described.config_digest) == ("sha256:" + "d" * 64, "sha256:" + "c" * 64)
    import hashlib

    assert describe_manifest(body, None).digest == "sha256:" + hashlib.sha256(body).hexdigest()
    index = json.dumps({"mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [],
                        "config": {"digest": "sha256:" + "c" * 64}}).encode()
    assert describe_manifest(index, None).config_digest is None
    for bad in (b"not json", b"[1, 2]"):
        with pytest.raises(PublishFailed):
            describe_manifest(bad, None)


def _tar(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def _manifest(config: str = "c.json", layers: tuple[str, ...] = ("l/layer.tar",)) -> bytes:
    return json.dumps([{"Config": config, "RepoTags": ["a:b"], "Layers": list(layers)}]).encode()


def test_check_archive_accepts_a_whole_archive(tmp_path: Path) -> None:
    check_archive(_tar(tmp_path / "ok.tar", {"manifest.json": _manifest(), "c.json": b"{}", "l/layer.tar": b"x"}))


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ({"c.json": b"{}"}, "no manifest.json"),
        ({"manifest.json": _manifest(), "c.json": b"{}"}, "lacks l/layer.tar"),
        ({"manifest.json": _manifest(), "l/layer.tar": b"x"}, "lacks c.json"),
        ({"manifest.json": b"{not json"}, "not a whole docker save archive"),
        ({"manifest.json": b"[]"}, "no manifest.json listing images"),
        ({"manifest.json": b"[1]"}, "malformed"),
    ],
)
def test_check_archive_refuses(tmp_path: Path, members: dict[str, bytes], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        check_archive(_tar(tmp_path / "bad.tar", members))


def test_check_archive_refuses_truncation_and_noise(tmp_path: Path) -> None:
    whole = _tar(tmp_path / "ok.tar", {"manifest.json": _manifest(), "c.json": b"{}", "l/layer.tar": b"x" * 5000})
    cut = tmp_path / "cut.tar"
    cut.write_bytes(whole.read_bytes()[:3000])
    with pytest.raises(UsageError):
        check_archive(cut)
    noise = tmp_path / "noise.tar"
    noise.write_bytes(os.urandom(4096))
    with pytest.raises(UsageError, match="not a whole docker save archive"):
        check_archive(noise)


def test_load_refuses_before_the_engine(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such archive"):
        load(tmp_path / "absent.tar")
    fifo = tmp_path / "fifo.tar"
    os.mkfifo(fifo)
    with pytest.raises(UsageError, match="not a regular file"):
        load(fifo)
    archive = _tar(tmp_path / "ok.tar", {"manifest.json": _manifest(), "c.json": b"{}", "l/layer.tar": b"x"})
    checksum_path(archive).write_text("0" * 64 + "  ok.tar\n")
    with pytest.raises(UsageError, match="is corrupt"):
        load(archive)
    checksum_path(archive).write_text("garbage\n")
    with pytest.raises(UsageError, match="does not hold a sha256"):
        load(archive)
