"""Unit tests stay pure: the engine and the network raise if touched by accident."""

from __future__ import annotations

import socket

import pytest


@pytest.fixture(autouse=True)
def _no_outside_world(monkeypatch, request):
    def refuse(*_args, **_kwargs):
        raise AssertionError("a unit test reached for the network or the Docker engine")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr("dualpy.engine.client", refuse)
    yield
