"""Local images: facts, history, pull, import of a root filesystem, build from a context directory."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dualpy.engine import _client
from dualpy.errors import BuildFailed, image_absent
from dualpy.tags import python_named_by


@dataclass(frozen=True)
class ImageFacts:
    """What the engine knows of a local image."""

    tag: str
    id: str
    size: int
    labels: Mapping[str, str]
    repo_digests: tuple[str, ...]


@dataclass(frozen=True)
class LayerHistory:
    """One entry of an image's history: the instruction that made a layer and what it weighs."""

    id: str
    created: int
    created_by: str
    size: int
    comment: str
    tags: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "created": self.created, "created_by": self.created_by, "size": self.size,
                "comment": self.comment, "tags": list(self.tags)}


def _get_image(tag: str) -> Any:
    try:
        return _client.client().images.get(tag)
    except _client.sdk().errors.ImageNotFound:
        raise image_absent(tag, python_named_by(tag)) from None


def image_exists(tag: str) -> bool:
    """True when the local engine has the image."""
    try:
        _client.client().images.get(tag)
    except _client.sdk().errors.ImageNotFound:
        return False
    return True


def image_facts(tag: str) -> ImageFacts:
    """Return id, size and labels of a local image, or raise ImageNotFound."""
    attrs = _get_image(tag).attrs
    return ImageFacts(
        tag=tag,
        id=str(attrs["Id"]),
        size=int(attrs.get("Size", 0)),
        labels={str(k): str(v) for k, v in ((attrs.get("Config") or {}).get("Labels") or {}).items()},
        repo_digests=tuple(str(d) for d in attrs.get("RepoDigests") or ()),
    )


def image_history(tag: str) -> tuple[LayerHistory, ...]:
    """The layers of a local image, newest first, as the engine records them."""
    _get_image(tag)
    return tuple(
        LayerHistory(
            id=str(entry.get("Id", "")),
            created=int(entry.get("Created") or 0),
            created_by=str(entry.get("CreatedBy") or ""),
            size=int(entry.get("Size") or 0),
            comment=str(entry.get("Comment") or ""),
            tags=tuple(str(t) for t in entry.get("Tags") or ()),
        )
        for entry in _client.client().api.history(tag)
    )


def pull(reference: str) -> bool:
    """Try to pull an image; True on success, False when no registry serves it."""
    try:
        _client.client().images.pull(reference)
    except _client.engine_errors():  # no registry, no such image, auth: all mean "not available here"
        return False
    return True


def import_rootfs(tarball: Path, tag: str, changes: Sequence[str] = ()) -> str:
    """Import a root filesystem tarball as an image; return its id."""
    repository, _, tag_part = tag.rpartition(":") if ":" in tag.rsplit("/", 1)[-1] else (tag, "", "")
    # import_image_from_stream declares chunked encoding but sends the file raw ("invalid byte in chunk
    # length" from the engine); a path makes docker-py send the file with its length.
    result = _client.client().api.import_image(
        src=str(tarball), repository=repository, tag=tag_part or "latest", changes=list(changes) or None
    )
    text = result if isinstance(result, str) else result.decode()
    for line in text.splitlines():
        try:
            status = json.loads(line)
        except ValueError:
            continue
        if isinstance(status, dict) and "error" in status:
            raise BuildFailed(f"docker import failed: {status['error']}")
    return image_facts(tag).id


def build(
    context_dir: Path,
    tag: str,
    on_line: Callable[[str], None],
    build_args: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    dockerfile: str = "Dockerfile",
    no_cache: bool = False,
) -> str:
    """Build an image from a context directory, streaming each output line; return the image id."""
    image_id: str | None = None
    stream = _client.client().api.build(
        path=str(context_dir),
        dockerfile=dockerfile,
        tag=tag,
        rm=True,
        forcerm=True,
        decode=True,
        buildargs=dict(build_args or {}),
        labels=dict(labels or {}),
        network_mode="host",
        nocache=no_cache,
    )
    for chunk in stream:
        if "error" in chunk:
            detail = (chunk.get("errorDetail") or {}).get("message") or chunk["error"]
            raise BuildFailed(f"image build failed: {str(detail).strip()}")
        if "stream" in chunk:
            for line in str(chunk["stream"]).splitlines():
                if line.strip():
                    on_line(line)
        aux = chunk.get("aux")
        if isinstance(aux, dict) and "ID" in aux:
            image_id = str(aux["ID"])
    return image_id or image_facts(tag).id
