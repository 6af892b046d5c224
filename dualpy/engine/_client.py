"""The engine connection: the docker SDK imported on first use, the client that has answered a ping, its errors.

Private to dualpy.engine: its sibling modules call these functions; every other module calls the typed
functions the package re-exports.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

from dualpy.errors import EngineUnavailable

ENGINE_FIX = "start one (`dockerd &`, or `apt-get install docker.io`), or point DOCKER_HOST at a running engine"


def sdk() -> Any:
    """The docker SDK module, imported on first use.

    Importing docker costs ~0.2 s, so commands that never reach the engine skip it. The SDK ships no type
    information: it is `Any` here, and no SDK object leaves this package.
    """
    return importlib.import_module("docker")


def engine_errors() -> tuple[type[BaseException], ...]:
    """What the SDK raises when the engine refuses or is gone: its own errors, requests' and the socket's."""
    requests_exceptions = importlib.import_module("requests.exceptions")
    return (sdk().errors.DockerException, requests_exceptions.RequestException, OSError)


def first_line(exc: BaseException) -> str:
    """The first line of an SDK error, at most 160 characters (the one-line message's detail)."""
    text = str(exc).strip().splitlines()
    return text[0][:160] if text else type(exc).__name__


@functools.cache
def client() -> Any:
    """The docker client whose engine has answered a ping (for the engine package only)."""
    docker = sdk()
    try:
        engine = docker.from_env(timeout=600)
        engine.ping()
    except engine_errors() as exc:
        raise EngineUnavailable(f"no Docker engine answers ({first_line(exc)}): {ENGINE_FIX}") from None
    return engine


def ensure_running() -> None:
    """Raise EngineUnavailable (one line, with the fix) unless an engine answers."""
    client()


def engine_version() -> str:
    """The engine's server version, e.g. '20.10.24'."""
    return str(client().version().get("Version", "?"))
