"""Dual CPython images: spec (pure), rendered build context (pure), the host's wheels, build, inspect.

Read in the order data flows: spec.py (what decides the content) → render.py (Dockerfile and context) →
tools.py (the wheels the image installs) → build.py (sources, base, engine build) → inspect.py (the result).
"""

from dualpy.images.build import BuildReport, DedupeSummary, build_image, resolve_pythons
from dualpy.images.inspect import (
    ImageInspection,
    InterpreterFacts,
    LauncherFacts,
    image_interpreters,
    image_targets,
    inspect_image,
)
from dualpy.images.render import render_context_files, render_dockerfile, render_launcher_config, write_context
from dualpy.images.spec import (
    LABEL_PREFIX,
    LAUNCHER_CONFIG_PATH,
    ImageSpec,
    PythonRelease,
    default_tag,
    default_tag_for,
)
from dualpy.images.suites import manylinux_platforms
from dualpy.images.tools import download_image_wheels

__all__ = [
    "LABEL_PREFIX", "LAUNCHER_CONFIG_PATH", "BuildReport", "DedupeSummary", "ImageInspection", "ImageSpec",
    "InterpreterFacts", "LauncherFacts", "PythonRelease", "build_image", "default_tag", "default_tag_for",
    "download_image_wheels", "image_interpreters", "image_targets", "inspect_image", "manylinux_platforms",
    "render_context_files", "render_dockerfile", "render_launcher_config", "resolve_pythons", "write_context",
]
