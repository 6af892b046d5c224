"""The only module that talks to the Docker engine."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from dualpy.errors import BuildFailed, EngineUnavailable, ImageNotFound, PublishFailed, image_absent
from dualpy.registry import Credentials

ENGINE_FIX = "start one (`dockerd &`, or `apt-get install docker.io`), or point DOCKER_HOST at a running engine"


@functools.cache
def client():
    """Return a docker client whose engine has answered a ping."""
    import docker  # noqa: PLC0415  (importing docker costs ~0.2 s; commands without the engine skip it)

    try:
        engine = docker.from_env(timeout=600)
        engine.ping()
    except Exception as exc:  # docker raises DockerException, requests errors, FileNotFoundError...
        raise EngineUnavailable(f"no Docker engine answers ({_first_line(exc)}): {ENGINE_FIX}") from None
    return engine


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:160] if text else type(exc).__name__


def ensure_running() -> None:
    """Raise EngineUnavailable (one line, with the fix) unless an engine answers."""
    client()


def remove_containers(label: str) -> int:
    """Force-remove every container (running or not) carrying label ("key=value"); return how many went.

    Quiet when the engine is gone or a container was removed meanwhile: this is clean-up after an interrupt.
    """
    removed = 0
    try:
        leftovers = list(client().containers.list(all=True, filters={"label": label}))
    except Exception:  # the engine is gone: nothing it could still run for us
        return 0
    for container in leftovers:
        try:
            container.remove(force=True)
            removed += 1
        except Exception:  # removed meanwhile by its owner's own clean-up
            pass
    return removed


def engine_version() -> str:
    """The engine's server version, e.g. '20.10.24'."""
    return client().version().get("Version", "?")


def image_exists(tag: str) -> bool:
    """True when the local engine has the image."""
    import docker.errors  # noqa: PLC0415

    try:
        client().images.get(tag)
    except docker.errors.ImageNotFound:
        return False
    return True


@dataclass(frozen=True)
class ImageFacts:
    """What the engine knows of a local image."""

    tag: str
    id: str
    size: int
    labels: Mapping[str, str]
    repo_digests: tuple[str, ...]


def _image_not_found(tag: str) -> ImageNotFound:
    return image_absent(tag)


def image_facts(tag: str) -> ImageFacts:
    """Return id, size and labels of a local image, or raise ImageNotFound."""
    import docker.errors  # noqa: PLC0415

    try:
        image = client().images.get(tag)
    except docker.errors.ImageNotFound:
        raise _image_not_found(tag) from None
    attrs = image.attrs
    return ImageFacts(
        tag=tag,
        id=image.id,
        size=int(attrs.get("Size", 0)),
        labels=dict((attrs.get("Config") or {}).get("Labels") or {}),
        repo_digests=tuple(attrs.get("RepoDigests") or ()),
    )


def image_history(tag: str) -> list[dict]:
    """Return the engine's history of an image (one dict per layer)."""
    return client().api.history(tag)


def pull(reference: str) -> bool:
    """Try to pull an image; True on success, False when no registry serves it."""
    try:
        client().images.pull(reference)
    except Exception:  # no registry, no such image, auth: all mean "not available here"
        return False
    return True


def import_rootfs(tarball: Path, tag: str, changes: Sequence[str] = ()) -> str:
    """Import a root filesystem tarball as an image; return its id."""
    repository, _, tag_part = tag.rpartition(":") if ":" in tag.rsplit("/", 1)[-1] else (tag, "", "")
    # import_image_from_stream declares chunked encoding but sends the file raw ("invalid byte in chunk
    # length" from the engine); a path makes docker-py send the file with its length.
    result = client().api.import_image(
        src=str(tarball), repository=repository, tag=tag_part or "latest", changes=list(changes) or None
    )
    text = result if isinstance(result, str) else result.decode()
    for line in text.splitlines():
        try:
            status = json.loads(line)
        except ValueError:
            continue
        if "error" in status:
            raise BuildFailed(f"docker import failed: {status['error']}")
    return client().images.get(tag).id


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
    api = client().api
    image_id = None
    stream = api.build(
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
            detail = chunk.get("errorDetail", {}).get("message") or chunk["error"]
            raise BuildFailed(f"image build failed: {detail.strip()}")
        if "stream" in chunk:
            for line in chunk["stream"].splitlines():
                if line.strip():
                    on_line(line)
        if "aux" in chunk and "ID" in chunk["aux"]:
            image_id = chunk["aux"]["ID"]
    if image_id is None:
        image_id = client().images.get(tag).id
    return image_id


@dataclass(frozen=True)
class RunResult:
    """What a finished container left behind."""

    exit_code: int
    stdout: str
    stderr: str


def run(
    image: str,
    command: Sequence[str],
    *,
    environment: Mapping[str, str] | None = None,
    volumes: Mapping[str, Mapping[str, str]] | None = None,
    working_dir: str | None = None,
    entrypoint: Sequence[str] | None = None,
    network_mode: str = "host",
) -> RunResult:
    """Run a command in a fresh container, wait for it, remove it, return its output."""
    engine = client()
    if not image_exists(image):
        raise _image_not_found(image)
    container = engine.containers.create(
        image,
        command=list(command),
        environment=dict(environment or {}),
        volumes={k: dict(v) for k, v in (volumes or {}).items()},
        working_dir=working_dir,
        entrypoint=list(entrypoint) if entrypoint is not None else None,
        network_mode=network_mode,
        labels={"io.dualpy.role": "run"},
    )
    try:
        container.start()
        status = container.wait()
        stdout = container.logs(stdout=True, stderr=False).decode(errors="replace")
        stderr = container.logs(stdout=False, stderr=True).decode(errors="replace")
    finally:
        try:
            container.remove(force=True)
        except Exception:  # already gone (auto-removed or engine stopped): nothing left to clean
            pass
    return RunResult(int(status.get("StatusCode", 1)), stdout, stderr)


def iter_containers(label: str) -> Iterator:
    """Yield containers (running or not) carrying a label."""
    yield from client().containers.list(all=True, filters={"label": label})


# --- moving images between engines: registries (push/pull by digest) and archives (save/load) ---


def registry_credentials(registry: str) -> Credentials | None:
    """The credentials the engine's usual config (~/.docker/config.json, its credential helpers) holds for registry."""
    import docker.auth  # noqa: PLC0415

    try:
        config = docker.auth.load_config()
        found = docker.auth.resolve_authconfig(config, registry if registry != "docker.io" else None)
    except Exception:  # an unreadable config or a missing helper means no stored credentials
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


def tag_image(source: str, reference: str) -> None:
    """Give a local image another name (repository:tag)."""
    repository, _, tag = reference.rpartition(":") if ":" in reference.rsplit("/", 1)[-1] else (reference, "", "")
    if not client().api.tag(source, repository, tag or "latest"):
        raise PublishFailed(f"the engine could not tag {source} as {reference}")


def push_image(reference: str, credentials: Credentials | None, on_line: Callable[[str], None]) -> str:
    """Push a local repository:tag to its registry; return the manifest digest the registry reported."""
    repository, _, tag = reference.rpartition(":")
    digest = None
    try:
        stream = client().api.push(repository, tag=tag, stream=True, decode=True,
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
    except PublishFailed:
        raise
    except Exception as exc:  # requests/docker errors: the registry or engine is unreachable
        raise PublishFailed(f"pushing {reference} failed ({_first_line(exc)}): check the registry address") from None
    if digest is None:
        raise PublishFailed(f"the registry reported no digest for {reference}: the push did not complete")
    return digest


def pull_image(reference: str, credentials: Credentials | None, on_line: Callable[[str], None]) -> ImageFacts:
    """Pull reference (name:tag or name@sha256:…) into the local engine; return its facts."""
    if "@" in reference:
        repository, _, selector = reference.partition("@")
    else:
        repository, _, selector = reference.rpartition(":") if ":" in reference.rsplit("/", 1)[-1] else (
            reference, "", "latest")
    try:
        for status in client().api.pull(repository, tag=selector, stream=True, decode=True,
                                         auth_config=_auth_config(credentials)):
            error = _status_error(status)
            if error:
                raise PublishFailed(f"pulling {reference} failed: {error}")
            if status.get("status") and status.get("id") is None:
                on_line(str(status["status"]))
    except PublishFailed:
        raise
    except Exception as exc:
        raise PublishFailed(f"pulling {reference} failed ({_first_line(exc)}): check the reference and "
                            "the registry's credentials") from None
    return image_facts(reference)


def remove_image(reference: str) -> None:
    """Remove a local image name (the layers stay while another name uses them)."""
    import docker.errors  # noqa: PLC0415

    try:
        client().images.remove(reference, force=True)
    except docker.errors.ImageNotFound:
        pass


def save_image(tags: Sequence[str], stream: BinaryIO) -> None:
    """Write a `docker save` archive of the images into stream (chunks, never the whole archive in memory)."""
    for tag in tags:
        image_facts(tag)  # absent: the one image-absent error, before anything is written
    for chunk in client().api.get_image(list(tags) if len(tags) > 1 else tags[0]):
        stream.write(chunk)


def load_image(archive: BinaryIO) -> list[str]:
    """Load a `docker save` archive from a stream; return the names (or ids) the engine says it loaded."""
    loaded = []
    try:
        for status in client().api.load_image(archive):
            error = _status_error(status)
            if error:
                raise PublishFailed(f"the engine refused the archive: {error}")
            text = str(status.get("stream") or "")
            for prefix in ("Loaded image: ", "Loaded image ID: "):
                if text.startswith(prefix):
                    loaded.append(text[len(prefix):].strip())
    except PublishFailed:
        raise
    except Exception as exc:
        raise PublishFailed(f"the engine could not load the archive ({_first_line(exc)})") from None
    return loaded
