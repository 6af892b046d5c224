"""Markers the integration tier uses besides `docker` (to move into pyproject.toml's marker list at merge)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "network: reaches the Debian archive this host's apt uses (no engine; runs in CI)"
    )
