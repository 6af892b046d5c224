"""The unit tier can't reach outside by accident (tests/unit/conftest.py), and the tiers are declared."""

from __future__ import annotations

import socket
import tomllib
from pathlib import Path

import docker
import pytest

from dualpy import engine

from .conftest import OutsideWorld

ROOT = Path(__file__).parent.parent.parent


@pytest.mark.parametrize("address", [("192.0.2.1", 443), ("2001:db8::1", 443), ("pypi.org", 443)])
def test_a_connection_off_this_machine_raises(address):
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock, pytest.raises(OutsideWorld):
        sock.connect(address)


def test_the_engine_raises_however_it_is_reached():
    for reach in (engine.ensure_running, docker.from_env, lambda: docker.APIClient(base_url="unix://x.sock")):
        with pytest.raises(OutsideWorld):
            reach()


def test_loopback_stays_open():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=5):
            pass


def test_the_tiers_are_declared_markers():
    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    names = {marker.split(":")[0] for marker in options["markers"]}
    assert names == {"docker", "lint", "network", "aarch64"}
    assert "--strict-markers" in options["addopts"]
