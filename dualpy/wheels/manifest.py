"""What each built wheel serves and where it came from: the records of dualpy-manifest.json."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from packaging.utils import parse_wheel_filename

from dualpy import __version__
from dualpy.files import atomic_write_text, sha256_file
from dualpy.tags import PythonMinor, Variant, target_for_abi_tag

MANIFEST_NAME = "dualpy-manifest.json"
MANIFEST_SCHEMA_VERSION = 1
SERVES_BOTH = "both"  # the manifest's variant for a wheel that installs in the GIL and the t build
FIRST_ABI3T_MINOR = PythonMinor(3, 15)  # PEP 803: the free-threaded stable ABI


@dataclass
class WheelRecord:
    """One built wheel as the manifest lists it."""

    filename: str
    project: str
    version: str
    python: str
    variant: str  # gil, freethreaded, or both (py3-none-any, abi3.abi3t)
    tags: list[str]
    sha256: str
    built_by: str
    image: str | None
    image_id: str | None
    note: str = ""
    cibuildwheel: str | None = None  # the release whose run produced it (also for the pure-Python fallback)
    image_digest: str | None = None  # a registry digest, when the image came from one
    manylinux: str | None = None  # the glibc floor it was built for: 2_28, or native (the image's own glibc)
    compiler: str | None = None  # zig (the floor compiler) or the image's gcc
    compiler_version: str | None = None


@dataclass(frozen=True)
class _Serves:
    variant: str
    note: str = ""


def _abi3_note(python: PythonMinor) -> str:
    if python >= FIRST_ABI3T_MINOR:
        return (f"abi3 (limited API) wheel: it serves the GIL build only; free-threaded {python} loads only "
                f"abi3t extensions (PEP 803), so the t build gets its own wheel")
    return ("abi3 (limited API) wheel: it serves the GIL build only; free-threaded "
            f"{python} has no limited API (cpython#111506), so the t build gets its own "
            f"cp{python.nodot}t wheel")


def _serves(abis: set[str], python: PythonMinor) -> _Serves:
    """Which build a wheel with these ABI tags installs in, and the note that says why."""
    if abis == {"none"}:
        return _Serves(SERVES_BOTH, "pure-Python wheel: one py3-none-any wheel serves the GIL and the "
                                    "free-threaded build")
    if {"abi3", "abi3t"} <= abis:
        return _Serves(SERVES_BOTH, f"abi3t (PEP 803) wheel tagged abi3.abi3t: one wheel serves the GIL and the "
                                    f"free-threaded build of {python} and later")
    if "abi3t" in abis:
        # packaging >= 26.1 gives GIL interpreters abi3 but not abi3t, so pip there skips an abi3t-only tag.
        return _Serves(Variant.FREETHREADED.value,
                       f"abi3t (PEP 803) wheel: its extension loads in both builds of {python}, but installers "
                       "take an abi3t-only tag in free-threaded interpreters alone; tag it abi3.abi3t to serve both")
    if "abi3" in abis:
        return _Serves(Variant.GIL.value, _abi3_note(python))
    if any(a.endswith("t") for a in abis):
        return _Serves(Variant.FREETHREADED.value)
    return _Serves(Variant.GIL.value)


def wheel_python(filename: str, fallback: PythonMinor) -> PythonMinor:
    """The Python a wheel was built for: from its first cpXY interpreter tag, else the fallback (the build's).

    A stable-ABI tag names the oldest Python the wheel loads in (psutil's cp36-abi3 built for 3.14), so for
    abi3/abi3t wheels the build's Python wins when it is the newer.
    """
    _name, _version, _build, tags = parse_wheel_filename(filename)
    for tag in sorted(tags, key=str):
        target = target_for_abi_tag(tag.interpreter)
        if target is not None:
            stable = tag.abi in ("abi3", "abi3t")
            return max(target.minor, fallback) if stable else target.minor
    return fallback


def describe_wheel(
    path: Path,
    python: PythonMinor,
    built_by: str,
    image: str | None,
    image_id: str | None,
    cibuildwheel: str | None = None,
    image_digest: str | None = None,
) -> WheelRecord:
    """The manifest record of a built wheel: which interpreter it serves, and why, from its tags."""
    name, version, _build, tags = parse_wheel_filename(path.name)
    serves = _serves({t.abi for t in tags}, python)
    return WheelRecord(path.name, str(name), str(version), str(python), serves.variant,
                       sorted(str(t) for t in tags), sha256_file(path), built_by, image, image_id, serves.note,
                       cibuildwheel, image_digest)


def _read_manifest(path: Path) -> list[dict[str, Any]]:
    try:
        wheels = json.loads(path.read_text()).get("wheels", [])
    except (OSError, ValueError, AttributeError):
        return []
    return [w for w in wheels if isinstance(w, dict)] if isinstance(wheels, list) else []


def write_manifest(
    output_dir: Path, records: Sequence[WheelRecord], extra: Sequence[dict[str, Any]] | None = None,
    identifiers: Mapping[str, Mapping[str, Any]] | None = None,
) -> Path:
    """Write dualpy-manifest.json atomically, keeping earlier entries whose files are still there; with
    identifiers, the state of each cibuildwheel identifier of this build (built, failed, skipped, …)."""
    path = output_dir / MANIFEST_NAME
    new = [asdict(r) for r in records]
    names = {r["filename"] for r in new} | {e.get("filename") for e in extra or []}
    kept = [e for e in _read_manifest(path)
            if e.get("filename") not in names and (output_dir / str(e.get("filename", ""))).exists()]
    document = {"schema_version": MANIFEST_SCHEMA_VERSION, "dualpy": __version__,
                "wheels": kept + new + list(extra or [])}
    if identifiers is not None:
        document["identifiers"] = {name: dict(state) for name, state in identifiers.items()}
    return atomic_write_text(path, json.dumps(document, indent=2) + "\n")
