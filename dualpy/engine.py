"""The only module that talks to the Docker engine: typed values in, dataclasses out, one-line errors."""

from __future__ import annotations

import functools
import importlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from dualpy.errors import BuildFailed, EngineUnavailable, PublishFailed, image_absent
from dualpy.registry import Credentials

ENGINE_FIX = "start one (`dockerd &`, or `apt-get install docker.io`), or point DOCKER_HOST at a running engine"


def _sdk() -> Any:
    """The docker SDK module, imported on first use.

    Importing docker costs ~0.2 s, so commands that never reach the engine skip it. The SDK ships no type
    information: it is `Any` here, and no SDK object leaves this module.
    """
    return importlib.import_module("docker")


def _engine_errors() -> tuple[type[BaseException], ...]:
    """What the SDK raises when the engine refuses or is gone: its own errors, requests' and the socket's."""
    requests_exceptions = importlib.import_module("requests.exceptions")
    return (_sdk().errors.DockerException, requests_exceptions.RequestException, OSError)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:160] if text else type(exc).__name__


@functools.cache
def client() -> Any:
    """The docker client whose engine has answered a ping (internal: call the typed functions below)."""
    docker = _sdk()
    try:
        engine = docker.from_env(timeout=600)
        engine.ping()
    except _engine_errors() as exc:
        raise EngineUnavailable(f"no Docker engine answers ({_first_line(exc)}): {ENGINE_FIX}") from None
    return engine


def ensure_running() -> None:
    """Raise EngineUnavailable (one line, with the fix) unless an engine answers."""
    client()


def engine_version() -> str:
    """The engine's server version, e.g. '20.10.24'."""
    return str(client().version().get("Version", "?"))


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


@dataclass(frozen=True)
class RunResult:
    """What a finished container left behind."""

    exit_code: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class Mount:
    """A host path bound into a container."""

    source: str
    target: str
    read_only: bool = True


@dataclass(frozen=True)
class ContainerFacts:
    """A container the engine lists: id, name, state and labels."""

    id: str
    name: str
    status: str
    labels: Mapping[str, str] = field(default_factory=dict)

    def remove(self, force: bool = True) -> None:
        """Remove this container (quiet when it is already gone)."""
        _remove_container(self.id, force)


def _get_image(tag: str) -> Any:
    try:
        return client().images.get(tag)
    except _sdk().errors.ImageNotFound:
        raise image_absent(tag) from None


def image_exists(tag: str) -> bool:
    """True when the local engine has the image."""
    try:
        client().images.get(tag)
    except _sdk().errors.ImageNotFound:
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
        for entry in client().api.history(tag)
    )


def pull(reference: str) -> bool:
    """Try to pull an image; True on success, False when no registry serves it."""
    try:
        client().images.pull(reference)
    except _engine_errors():  # no registry, no such image, auth: all mean "not available here"
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
    stream = client().api.build(
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


def _volumes(mounts: Sequence[Mount], volumes: Mapping[str, Mapping[str, str]] | None) -> dict[str, dict[str, str]]:
    bound = {k: dict(v) for k, v in (volumes or {}).items()}
    for mount in mounts:
        bound[mount.source] = {"bind": mount.target, "mode": "ro" if mount.read_only else "rw"}
    return bound


def run(
    image: str,
    command: Sequence[str],
    *,
    environment: Mapping[str, str] | None = None,
    volumes: Mapping[str, Mapping[str, str]] | None = None,
    mounts: Sequence[Mount] = (),
    working_dir: str | None = None,
    entrypoint: Sequence[str] | None = None,
    network_mode: str = "host",
) -> RunResult:
    """Run a command in a fresh container, wait for it, remove it, return its output.

    Bind mounts are `mounts` (typed); `volumes` ({host: {"bind": path, "mode": "ro"}}) is the older spelling.
    """
    engine = client()
    if not image_exists(image):
        raise image_absent(image)
    container = engine.containers.create(
        image,
        command=list(command),
        environment=dict(environment or {}),
        volumes=_volumes(mounts, volumes),
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
        except _engine_errors():  # already gone (auto-removed or engine stopped): nothing left to clean
            pass
    return RunResult(int(status.get("StatusCode", 1)), stdout, stderr)


def _remove_container(container_id: str, force: bool) -> bool:
    try:
        client().containers.get(container_id).remove(force=force)
    except _engine_errors():  # already gone (auto-removed, its owner's clean-up, engine stopped)
        return False
    return True


def list_containers(label: str) -> tuple[ContainerFacts, ...]:
    """The containers (running or not) carrying label ("key=value")."""
    return tuple(
        ContainerFacts(str(c.id), str(c.name), str(c.status), {str(k): str(v) for k, v in (c.labels or {}).items()})
        for c in client().containers.list(all=True, filters={"label": label})
    )


def iter_containers(label: str) -> Iterator[ContainerFacts]:
    """Yield the containers carrying label.

    Only the old dualpy/wheels.py calls this; delete it when the wheels/ package (which calls
    remove_containers) replaces that module.
    """
    yield from list_containers(label)


def remove_containers(label: str) -> int:
    """Force-remove every container (running or not) carrying label ("key=value"); return how many went.

    Quiet when the engine is gone or a container was removed meanwhile: this is clean-up after an interrupt.
    """
    gone: tuple[type[BaseException], ...] = (EngineUnavailable, *_engine_errors())
    try:
        leftovers = list_containers(label)
    except gone:  # the engine is gone: nothing it could still run for us
        return 0
    return sum(_remove_container(c.id, force=True) for c in leftovers)


# --- moving images between engines: registries (push/pull by digest) and archives (save/load) ---


def registry_credentials(registry: str) -> Credentials | None:
    """The credentials the engine's usual config (~/.docker/config.json, its credential helpers) holds for registry."""
    auth = importlib.import_module("docker.auth")
    unreadable: tuple[type[BaseException], ...] = (*_engine_errors(), ValueError, KeyError)
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
    except _engine_errors() as exc:  # the registry or the engine is unreachable
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
    except _engine_errors() as exc:
        raise PublishFailed(f"pulling {reference} failed ({_first_line(exc)}): check the reference and "
                            "the registry's credentials") from None
    return image_facts(reference)


def remove_image(reference: str) -> None:
    """Remove a local image name (the layers stay while another name uses them)."""
    try:
        client().images.remove(reference, force=True)
    except _sdk().errors.ImageNotFound:
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
    except _engine_errors() as exc:
        raise PublishFailed(f"the engine could not load the archive ({_first_line(exc)})") from None
    return loaded
