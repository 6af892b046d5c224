"""The only code that knows the docker SDK: typed functions in, dataclasses out, one-line errors.

Read in this order: this file (the client and its errors), images.py (local images: facts, history, build,
import), containers.py (run a command, find and remove containers), transfer.py (registries and archives).
Every other module calls the functions re-exported here and never sees an SDK object.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

from dualpy.errors import EngineUnavailable

ENGINE_FIX = "start one (`dockerd &`, or `apt-get install docker.io`), or point DOCKER_HOST at a running engine"


def _sdk() -> Any:
    """The docker SDK module, imported on first use.

    Importing docker costs ~0.2 s, so commands that never reach the engine skip it. The SDK ships no type
    information: it is `Any` here, and no SDK object leaves this package.
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
    """The docker client whose engine has answered a ping (for this package only: call the typed functions)."""
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


# Imported after client() exists: the submodules call it through this package (`engine.client()`), so a test
# that replaces dualpy.engine.client replaces it for every function.
from dualpy.engine.containers import (  # noqa: E402
    ContainerFacts,
    Mount,
    RunResult,
    list_containers,
    remove_containers,
    run,
)
from dualpy.engine.images import (  # noqa: E402
    ImageFacts,
    LayerHistory,
    build,
    image_exists,
    image_facts,
    image_history,
    import_rootfs,
    pull,
)
from dualpy.engine.transfer import (  # noqa: E402
    load_image,
    pull_image,
    push_image,
    registry_credentials,
    remove_image,
    save_image,
    tag_image,
)

__all__ = [
    "ENGINE_FIX", "ContainerFacts", "ImageFacts", "LayerHistory", "Mount", "RunResult", "build", "client",
    "engine_version", "ensure_running", "image_exists", "image_facts", "image_history", "import_rootfs",
    "list_containers", "load_image", "pull", "pull_image", "push_image", "registry_credentials",
    "remove_containers", "remove_image", "run", "save_image", "tag_image",
]
