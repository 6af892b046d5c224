"""`images inspect`: what each interpreter of an image says about itself, the image's labels and its launcher."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dualpy import engine, launcher
from dualpy.errors import BuildFailed
from dualpy.images.spec import LAUNCHER_CONFIG_PATH
from dualpy.tags import PythonTarget, target_for_abi_tag

LAUNCHER_PATH = "/usr/local/bin/python"

_PROBE = r"""
import json, platform, sys, sysconfig
from packaging import tags
gil = getattr(sys, "_is_gil_enabled", lambda: True)()
print(json.dumps({
    "path": sys.executable,
    "version": sys.version.split()[0],
    "abiflags": sys.abiflags,
    "Py_GIL_DISABLED": sysconfig.get_config_var("Py_GIL_DISABLED"),
    "gil_enabled": gil,
    "EXT_SUFFIX": sysconfig.get_config_var("EXT_SUFFIX"),
    "tags": [str(t) for t in list(tags.sys_tags())[:3]],
    "compiler": platform.python_compiler(),
    "CC": sysconfig.get_config_var("CC"),
}))
"""

# cp39-cp39 is finalize.sh's link for cibuildwheel's helper scripts, not an interpreter of the image.
_INSPECT_SCRIPT = f"""
for interpreter in /opt/python/cp3*-cp3*/bin/python; do
    case "$interpreter" in */cp39-cp39/*) continue;; esac
    "$interpreter" -c '{_PROBE}'
done
echo '--- launcher'
cat {LAUNCHER_CONFIG_PATH} 2>/dev/null || true
"""


@dataclass(frozen=True)
class InterpreterFacts:
    """What one interpreter of an image reports about itself."""

    path: str
    version: str
    abiflags: str
    py_gil_disabled: int | None
    gil_enabled: bool
    ext_suffix: str
    tags: tuple[str, ...]
    compiler: str = ""  # what compiled the interpreter: platform.python_compiler(), e.g. "GCC 12.2.0", "Clang 19.1.7"
    extension_cc: str = ""  # sysconfig's CC: what extension builds in the image compile with

    @classmethod
    def from_probe(cls, data: Mapping[str, Any]) -> InterpreterFacts:
        """Read the probe's JSON line."""
        disabled = data.get("Py_GIL_DISABLED")
        return cls(
            path=str(data["path"]), version=str(data["version"]), abiflags=str(data["abiflags"]),
            py_gil_disabled=None if disabled is None else int(disabled), gil_enabled=bool(data["gil_enabled"]),
            ext_suffix=str(data["EXT_SUFFIX"]), tags=tuple(str(t) for t in data["tags"]),
            compiler=str(data.get("compiler") or ""), extension_cc=str(data.get("CC") or ""),
        )

    def to_json(self) -> dict[str, object]:
        return {"path": self.path, "version": self.version, "abiflags": self.abiflags,
                "Py_GIL_DISABLED": self.py_gil_disabled, "gil_enabled": self.gil_enabled,
                "EXT_SUFFIX": self.ext_suffix, "tags": list(self.tags), "compiler": self.compiler,
                "CC": self.extension_cc}


@dataclass(frozen=True)
class LauncherFacts:
    """The image's launcher: where it is, its configuration file, its default build and its interpreters."""

    path: str
    config: str
    default: str
    interpreters: Mapping[str, str]
    default_version: str | None = None  # shown by `images inspect`; not in its JSON (its shape predates it)

    def to_json(self) -> dict[str, object]:
        return {"path": self.path, "config": self.config, "default": self.default,
                "interpreters": dict(self.interpreters)}


@dataclass(frozen=True)
class ImageInspection:
    """An image's interpreters, labels and launcher, as `images inspect` reports them."""

    tag: str
    id: str
    size_bytes: int
    labels: Mapping[str, str]
    interpreters: tuple[InterpreterFacts, ...]
    launcher: LauncherFacts | None

    def to_json(self) -> dict[str, object]:
        """The `images inspect --json` document."""
        return {"tag": self.tag, "id": self.id, "size_bytes": self.size_bytes, "labels": dict(self.labels),
                "interpreters": [i.to_json() for i in self.interpreters],
                "launcher": self.launcher.to_json() if self.launcher else None}


def parse_inspection_output(stdout: str) -> tuple[tuple[InterpreterFacts, ...], LauncherFacts | None]:
    """Read the inspect script's output: one JSON line per interpreter, then the launcher configuration (pure)."""
    probe_text, _, launcher_text = stdout.partition("--- launcher\n")
    interpreters = tuple(InterpreterFacts.from_probe(json.loads(line))
                         for line in probe_text.splitlines() if line.startswith("{"))
    if not launcher_text.strip():
        return interpreters, None
    config = launcher.LauncherConfig.parse(launcher_text)
    return interpreters, LauncherFacts(LAUNCHER_PATH, LAUNCHER_CONFIG_PATH, config.default.value,
                                       dict(config.interpreters), config.default_version)


def inspect_image(tag: str) -> ImageInspection:
    """Run the image and report, per interpreter, path, version, ABI facts and first tags, plus labels and launcher."""
    facts = engine.image_facts(tag)
    result = engine.run(tag, ["/bin/sh", "-c", _INSPECT_SCRIPT], entrypoint=[])
    if result.exit_code != 0:
        raise BuildFailed(f"inspecting {tag} failed (exit {result.exit_code}): {result.stderr.strip()[-300:]}")
    interpreters, launcher_facts = parse_inspection_output(result.stdout)
    return ImageInspection(tag, facts.id, facts.size, dict(facts.labels), interpreters, launcher_facts)


def parse_install_tags(listing: str) -> list[str]:
    """The install tags in an `ls -d /opt/python/cp3*-cp3*` listing, sorted, without cp39's link (pure)."""
    return sorted(p.rsplit("/", 1)[1] for p in listing.split() if not p.endswith("/cp39-cp39"))


def image_interpreters(tag: str) -> list[str]:
    """The install tags (cp313-cp313, cp313-cp313t, ...) of an image's interpreters, without cp39's link."""
    result = engine.run(tag, ["/bin/sh", "-c", "ls -d /opt/python/cp3*-cp3*"], entrypoint=[])
    return parse_install_tags(result.stdout)


def targets_of(install_tags: list[str]) -> tuple[PythonTarget, ...]:
    """The targets (3.13, 3.13t, 3.14, ...) of manylinux install tags, oldest minor first, GIL first (pure)."""
    found = (target_for_abi_tag(install_tag.partition("-")[2]) for install_tag in install_tags)
    return tuple(sorted((t for t in found if t is not None), key=lambda t: (t.minor, t.variant.abi_suffix)))


def image_targets(tag: str) -> tuple[PythonTarget, ...]:
    """The interpreters of an image as targets (3.13, 3.13t, 3.14, ...), oldest minor first."""
    return targets_of(image_interpreters(tag))
