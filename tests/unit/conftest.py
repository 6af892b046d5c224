"""Unit tests stay pure: the Docker engine and any non-loopback connection raise if a test reaches them by accident.

cibuildwheel's unit_test/conftest.py does the same for its container engine. Subprocesses are allowed (the CLI is
tested end to end through `python -m dualpy`, the launcher through `cc`); each one that needs an engine points
DOCKER_HOST at a socket that does not exist.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import docker
import pytest

import dualpy.engine._client


class OutsideWorld(AssertionError):
    """A unit test reached for the network or the Docker engine."""


def _is_local(family: int, address: Any) -> bool:
    """True for a Unix socket (not the engine's: that one is refused at the client) or a loopback address."""
    if family == getattr(socket, "AF_UNIX", None):
        return True
    host = address[0] if isinstance(address, tuple) else address
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded(original: Any) -> Any:
    def connect(self: socket.socket, address: Any) -> Any:
        if not _is_local(self.family, address):
            raise OutsideWorld(f"a unit test tried to connect to {address!r}: mark it @pytest.mark.docker or fake it")
        return original(self, address)

    return connect


def _refuse_engine(*_args: object, **_kwargs: object) -> None:
    raise OutsideWorld("a unit test reached for the Docker engine: mark it @pytest.mark.docker or fake the engine")


@pytest.fixture(autouse=True)
def _no_outside_world(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(socket.socket, "connect", _guarded(socket.socket.connect))
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded(socket.socket.connect_ex))
    # dualpy's one door to the engine, and the SDK's own doors behind it: a client made any other way is caught too.
    monkeypatch.setattr(dualpy.engine._client, "client", _refuse_engine)
    monkeypatch.setattr(docker.DockerClient, "__init__", _refuse_engine)
    monkeypatch.setattr(docker.APIClient, "__init__", _refuse_engine)
    yield
