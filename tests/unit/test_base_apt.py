"""`images build --base X` refuses, in one line, a base without apt-get (engine faked: no Docker here)."""

from __future__ import annotations

import pytest

from dualpy.engine import RunResult
from dualpy.errors import UsageError
from dualpy.images import base


@pytest.fixture
def fake_engine(monkeypatch):
    """Every image is local; `sh -c 'command -v apt-get'` finds apt-get only in Debian-family images."""
    runs = []

    def run(image, command, **kwargs):
        runs.append((image, [*kwargs["entrypoint"], *command], kwargs["network_mode"]))
        found = not image.startswith("quay.io/pypa/manylinux")
        return RunResult(0 if found else 1, "/usr/bin/apt-get\n" if found else "", "")

    monkeypatch.setattr(base.engine, "image_exists", lambda tag: True)
    monkeypatch.setattr(base.engine, "run", run)
    return runs


def test_a_debian_family_base_is_taken(fake_engine):
    assert base.resolve_base_image("bookworm", "ubuntu:24.04") == base.BaseImage("ubuntu:24.04", "--base")
    assert fake_engine == [("ubuntu:24.04", ["sh", "-c", "command -v apt-get"], "none")]


def test_a_manylinux_base_is_refused_with_the_way_out(fake_engine):
    with pytest.raises(UsageError) as caught:
        base.resolve_base_image("bookworm", "quay.io/pypa/manylinux_2_28_x86_64")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("--base quay.io/pypa/manylinux_2_28_x86_64 has no apt-get")
    assert "pass a Debian or Ubuntu base" in message and "dualpy wheels build --manylinux-image" in message
    assert caught.value.return_code == 2


def test_the_default_bases_are_not_probed(fake_engine):
    base.resolve_base_image("bookworm")  # dualpy's own or debian:<suite>-slim: Debian by construction
    assert fake_engine == []
