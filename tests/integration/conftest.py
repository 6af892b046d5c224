"""Everything under tests/integration is the slow tier: `-m "not docker"` leaves it out, whatever else it needs."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/integration/" in str(item.path) and item.get_closest_marker("docker") is None:
            item.add_marker(pytest.mark.docker)
