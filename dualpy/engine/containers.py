"""Containers: run a command in a fresh one, list and remove them by label."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from dualpy.engine import _client
from dualpy.engine.images import image_exists
from dualpy.errors import EngineUnavailable, image_absent
from dualpy.tags import python_named_by

REMOVAL_TIMEOUT_SECONDS = 60
REMOVAL_POLL_SECONDS = 0.5


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
    docker_client = _client.client()
    if not image_exists(image):
        raise image_absent(image, python_named_by(image))
    container = docker_client.containers.create(
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
        except _client.engine_errors():  # already gone (auto-removed or engine stopped): nothing left to clean
            pass
    return RunResult(int(status.get("StatusCode", 1)), stdout, stderr)


def _remove_container(container_id: str, force: bool) -> bool:
    try:
        _client.client().containers.get(container_id).remove(force=force)
    except _client.engine_errors():  # already gone (auto-removed, its owner's clean-up, engine stopped)
        return False
    return True


def list_containers(label: str) -> tuple[ContainerFacts, ...]:
    """The containers (running or not) carrying label ("key=value")."""
    return tuple(
        ContainerFacts(str(c.id), str(c.name), str(c.status), {str(k): str(v) for k, v in (c.labels or {}).items()})
        for c in _client.client().containers.list(all=True, filters={"label": label})
    )


def remove_containers(label: str, timeout: float = REMOVAL_TIMEOUT_SECONDS) -> tuple[ContainerFacts, ...]:
    """Force-remove every container (running or not) carrying label ("key=value"), waiting until the engine
    lists none; return those still listed when timeout ran out.

    Quiet when the engine is gone or a container was removed meanwhile: this is clean-up after an interrupt.
    The engine may still be finishing a removal its owner began, or a creation whose client was killed
    mid-request, so one empty listing is not trusted until a second, a moment later, agrees.
    """
    gone: tuple[type[BaseException], ...] = (EngineUnavailable, *_client.engine_errors())
    deadline = time.monotonic() + timeout
    empty_listings = 0
    while True:
        try:
            leftovers = list_containers(label)
        except gone:  # the engine is gone: nothing it could still run for us
            return ()
        empty_listings = 0 if leftovers else empty_listings + 1
        if empty_listings == 2 or time.monotonic() > deadline:
            return leftovers
        for container in leftovers:
            if container.status != "removing":  # a removal under way answers 409 to another
                _remove_container(container.id, force=True)
        time.sleep(REMOVAL_POLL_SECONDS)
