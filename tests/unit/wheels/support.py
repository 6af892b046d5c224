"""What the wheels unit tests share: the test projects, pip settings as the container sees them, small builders."""

from __future__ import annotations

import zipfile
from pathlib import Path

from dualpy.options import releases_of
from dualpy.tags import ALL_VARIANTS
from dualpy.wheels import plan_builds

PROJECTS = Path(__file__).parents[2] / "projects"
PIP_ENV = {"PIP_CERT": "/host/etc/ssl/certs/ca-certificates.crt",
           "PIP_EXTRA_INDEX_URL": "file:///host/opt/pypi/simple file:///host/opt/more/simple"}


def one_plan(python="3.13", variants=ALL_VARIANTS, image=None):
    """The single plan of one Python on x86_64."""
    (plan,) = plan_builds(releases_of([python]), variants, image, False, arch="x86_64")
    return plan


def make_wheel(directory: Path, name: str) -> Path:
    """A tiny zip under a wheel's file name."""
    path = directory / name
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x.txt", "x")
    return path
