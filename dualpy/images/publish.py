"""Images leave the machine: push to a registry by digest, pull back with proof, save/load archives for air gaps."""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import tarfile
import tempfile
import time
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, BinaryIO

from dualpy import console, engine
from dualpy.errors import PublishFailed, UsageError
from dualpy.files import atomic_write_text, sha256_file
from dualpy.images.registry import Credentials, ImageReference, fetch_manifest

LABEL_VERSION = "io.dualpy.version"
LABEL_CPYTHON = "io.dualpy.cpython.version"
LABEL_RELEASES = "io.dualpy.cpython.releases"
MAX_ARCHIVE_MANIFEST = 1 << 20


@dataclass(frozen=True)
class PushResult:
    """Where an image went and the digest that names its content there."""

    tag: str
    destination: str
    digest: str
    reference: str  # registry/name@sha256:…: what a consumer pins
    image_id: str
    replaced: str | None  # the digest --force overwrote, if any
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PullResult:
    """A pulled image and the proof that it is a dualpy image (and, with --digest, the one asked for)."""

    reference: str
    image_id: str
    repo_digests: list[str]
    dualpy_version: str
    cpython_versions: str
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ArchiveResult:
    """An image archive on disk: its path, size and sha256 (also written beside it as FILE.sha256)."""

    path: str
    sha256: str
    size_bytes: int
    images: list[str]
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def checksum_path(archive: Path) -> Path:
    """The sidecar that carries an archive's sha256 in `sha256sum` format."""
    return archive.with_name(archive.name + ".sha256")


def push(tag: str, destination: str, credentials: Credentials | None = None, force: bool = False) -> PushResult:
    """Push a local image to registry/name:tag; refuse to move a tag that holds other content unless force."""
    started = time.monotonic()
    target = ImageReference.parse(destination)
    if target.digest or not target.tag:
        raise UsageError(f"{destination}: push to a tag (registry/name:tag); the digest is what the push returns")
    facts = engine.image_facts(tag)
    credentials = credentials or engine.registry_credentials(target.registry)
    existing = fetch_manifest(target, credentials)
    replaced = None
    if existing and existing.config_digest != facts.id:
        if not force:
            raise UsageError(f"{target} already holds other content ({existing.digest}); push to a new tag, "
                             "or pass --force to move the tag")
        replaced = existing.digest
    engine.tag_image(tag, target)
    console.step(f"pushing {tag} to {target}")
    digest = engine.push_image(target, credentials, lambda line: console.info(f"  {line}"))
    console.info(f"  {target.name}@{digest}")
    return PushResult(tag, str(target), digest, f"{target.name}@{digest}", facts.id, replaced,
                      round(time.monotonic() - started, 1))


def pull(reference: str, credentials: Credentials | None = None, digest: str | None = None) -> PullResult:
    """Pull an image and prove it: dualpy's labels present and, when digest is given, that exact manifest."""
    started = time.monotonic()
    parsed = ImageReference.parse(reference)
    if digest is not None:
        digest = digest.strip()
        if parsed.digest and parsed.digest != digest:
            raise UsageError(f"{reference} names {parsed.digest}, but --digest says {digest}: give one digest")
        parsed.pinned_to(digest)  # refuses a digest of the wrong form before anything is pulled
    credentials = credentials or engine.registry_credentials(parsed.registry)
    console.step(f"pulling {parsed}")
    facts = engine.pull_image(parsed, credentials, lambda line: console.info(f"  {line}"))
    wanted = digest or parsed.digest
    if wanted and f"{parsed.name}@{wanted}" not in facts.repo_digests:
        raise PublishFailed(f"{parsed} arrived with digest(s) {', '.join(facts.repo_digests) or 'none'}, "
                            f"not {wanted}: the registry serves other content under this name")
    missing = [label for label in (LABEL_VERSION, LABEL_CPYTHON) if not facts.labels.get(label)]
    if missing:
        raise PublishFailed(f"{parsed} is not a dualpy image (no {', '.join(missing)} label): "
                            "pull images that `dualpy images build` made")
    releases = facts.labels.get(LABEL_RELEASES) or facts.labels[LABEL_CPYTHON]  # several in a multi-Python image
    return PullResult(str(parsed), facts.id, list(facts.repo_digests), facts.labels[LABEL_VERSION], releases,
                      round(time.monotonic() - started, 1))


class _HashingWriter:
    """A binary stream that hashes and counts what passes through it."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self.stream.write(data)


def save(tags: list[str], output: Path) -> ArchiveResult:
    """Write the images into a `docker save` archive (temp file, then rename) and its FILE.sha256 beside it."""
    started = time.monotonic()
    if not tags:
        raise UsageError("no image to save: name at least one tag")
    if output.exists() and not output.is_file():
        raise UsageError(f"{output} exists and is not a regular file: choose another -o path")
    output = output.absolute()
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            writer = _HashingWriter(stream)
            console.step(f"saving {', '.join(tags)} to {output}")
            engine.save_image(tags, writer)  # type: ignore[arg-type]  # duck-typed: write() is all it uses
        Path(temp_name).chmod(0o644)
        Path(temp_name).replace(output)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    sha256 = writer.digest.hexdigest()
    atomic_write_text(checksum_path(output), f"{sha256}  {output.name}\n")
    return ArchiveResult(str(output), sha256, writer.size, list(tags), round(time.monotonic() - started, 1))


def _expected_checksum(archive: Path) -> str | None:
    sidecar = checksum_path(archive)
    if not sidecar.is_file():
        return None
    with sidecar.open("rb") as stream:
        words = stream.read(4096).decode("ascii", errors="replace").split()
    if not words or len(words[0]) != 64 or any(c not in "0123456789abcdef" for c in words[0]):
        raise UsageError(f"{sidecar} does not hold a sha256: remove it or restore it from the sender")
    return words[0]


def check_archive(archive: Path) -> None:
    """Walk a `docker save` archive once (streamed) and raise UsageError unless it is whole and consistent."""
    members: set[str] = set()
    manifest: Any = None
    try:
        with tarfile.open(archive, "r|*") as stream:
            for member in stream:
                members.add(member.name.removeprefix("./"))
                if member.name.removeprefix("./") == "manifest.json" and member.isfile():
                    if member.size > MAX_ARCHIVE_MANIFEST:
                        raise UsageError(f"{archive}: manifest.json is over 1 MiB; not a docker save archive")
                    extracted = stream.extractfile(member)
                    manifest = json.load(io.BytesIO(extracted.read() if extracted else b""))
    except (tarfile.TarError, EOFError, OSError, ValueError, zlib.error) as exc:
        raise UsageError(f"{archive} is not a whole docker save archive ({exc}): copy it again") from None
    if not isinstance(manifest, list) or not manifest:
        raise UsageError(f"{archive} has no manifest.json listing images: not a docker save archive")
    for entry in manifest:
        if not isinstance(entry, dict):
            raise UsageError(f"{archive}: manifest.json is malformed")
        needed = [entry.get("Config"), *(entry.get("Layers") or [])]
        absent = [str(name) for name in needed if not isinstance(name, str) or name not in members]
        if absent:
            raise UsageError(f"{archive} lacks {absent[0]} named in its manifest: the archive is truncated or "
                             "corrupt; copy it again")


def load(archive: Path) -> ArchiveResult:
    """Check an archive (its FILE.sha256 when present, then its structure) and load it into the engine."""
    started = time.monotonic()
    try:
        mode = archive.stat().st_mode
    except OSError:
        raise UsageError(f"{archive}: no such archive") from None
    if not stat.S_ISREG(mode):
        raise UsageError(f"{archive} is not a regular file: give the path of a `dualpy images save` archive")
    expected = _expected_checksum(archive)
    console.step(f"checking {archive}")
    actual = sha256_file(archive)
    if expected and expected != actual:
        raise UsageError(f"{archive} has sha256 {actual}, but {checksum_path(archive).name} says {expected}: "
                         "the archive is corrupt; copy it again")
    check_archive(archive)
    engine.ensure_running()
    console.step(f"loading {archive}")
    with archive.open("rb") as stream:
        loaded = engine.load_image(stream)
    return ArchiveResult(str(archive), actual, archive.stat().st_size, loaded, round(time.monotonic() - started, 1))
