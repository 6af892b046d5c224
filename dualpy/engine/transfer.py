"""Moving images between engines: registries (push and pull by digest) and archives (save and load)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import BinaryIO

from dualpy.engine import _client
from dualpy.engine.images import ImageFacts, image_facts
from dualpy.errors import PublishFailed
from dualpy.images.registry import Credentials, ImageReference


def registry_credentials(registry: str) -> Credentials | None:
    """The credentials the engine's usual config (~/.docker/config.json, its credential helpers) holds for registry."""
    auth = importlib.import_module("docker.auth")
    unreadable: tuple[type[BaseException], ...] = (*_client.engine_errors(), ValueError, KeyError)
    try:
        config = auth.load_config()
        found = auth.resolve_authconfig(config, registry if registry != "docker.io" else None)
    except unreadable:  # an unreadable config or a missing credential helper: no stored credentials
        return None
    if not found or not found.get("username") or not found.get("password"):
        return None
    return Credentials(str(found["username"]), str(found["password"]))


def _auth_config(credentials: Credentials | None) -> dict[str, str] | None:
    return {"username": credentials.username, "password": credentials.password} if credentials else None


def _status_error(status: Mapping[str, object]) -> str | None:
    if "error" in status:
        detail = status.get("errorDetail")
        message = detail.get("message") if isinstance(detail, dict) else None
        return str(message or status["error"]).strip()
    return None


def tag_image(source: str, target: ImageReference) -> None:
    """Give a local image another name: target's registry/repository and tag (latest when it has none)."""
    if not _client.client().api.tag(source, target.name, target.tag or "latest"):
        raise PublishFailed(f"the engine could not tag {source} as {target}")


def push_image(reference: ImageReference, credentials: Credentials | None, on_line: Callable[[str], None]) -> str:
    """Push a local repository:tag to its registry; return the manifest digest the registry reported."""
    digest = None
    try:
        stream = _client.client().api.push(reference.name, tag=reference.tag or "latest", stream=True, decode=True,
                                   auth_config=_auth_config(credentials))
        for status in stream:
            error = _status_error(status)
            if error:
                raise PublishFailed(f"pushing {reference} failed: {error}")
            aux = status.get("aux")
            if isinstance(aux, dict) and aux.get("Digest"):
                digest = str(aux["Digest"])
            elif status.get("status") and status.get("id") is None:
                on_line(str(status["status"]))
    except _client.engine_errors() as exc:  # the registry or the engine is unreachable
        raise PublishFailed(
            f"pushing {reference} failed ({_client.first_line(exc)}): check the registry address"
        ) from None
    if digest is None:
        raise PublishFailed(f"the registry reported no digest for {reference}: the push did not complete")
    return digest


def pull_image(reference: ImageReference, credentials: Credentials | None,
               on_line: Callable[[str], None]) -> ImageFacts:
    """Pull reference (name:tag or name@sha256:…) into the local engine; return its facts."""
    selector = reference.digest or reference.tag or "latest"
    try:
        for status in _client.client().api.pull(reference.name, tag=selector, stream=True, decode=True,
                                         auth_config=_auth_config(credentials)):
            error = _status_error(status)
            if error:
                raise PublishFailed(f"pulling {reference} failed: {error}")
            if status.get("status") and status.get("id") is None:
                on_line(str(status["status"]))
    except _client.engine_errors() as exc:
        raise PublishFailed(f"pulling {reference} failed ({_client.first_line(exc)}): check the reference and "
                            "the registry's credentials") from None
    return image_facts(str(reference))


def remove_image(reference: str) -> None:
    """Remove a local image name (the layers stay while another name uses them)."""
    try:
        _client.client().images.remove(reference, force=True)
    except _client.sdk().errors.ImageNotFound:
        pass


def save_image(tags: Sequence[str], stream: BinaryIO) -> None:
    """Write a `docker save` archive of the images into stream (chunks, never the whole archive in memory)."""
    for tag in tags:
        image_facts(tag)  # absent: the one image-absent error, before anything is written
    for chunk in _client.client().api.get_image(list(tags) if len(tags) > 1 else tags[0]):
        stream.write(chunk)


def load_image(archive: BinaryIO) -> list[str]:
    """Load a `docker save` archive from a stream; return the names (or ids) the engine says it loaded."""
    loaded = []
    try:
        for status in _client.client().api.load_image(archive):
            error = _status_error(status)
            if error:
                raise PublishFailed(f"the engine refused the archive: {error}")
            text = str(status.get("stream") or "")
            for prefix in ("Loaded image: ", "Loaded image ID: "):
                if text.startswith(prefix):
                    loaded.append(text[len(prefix):].strip())
    except _client.engine_errors() as exc:
        raise PublishFailed(f"the engine could not load the archive ({_client.first_line(exc)})") from None
    return loaded
