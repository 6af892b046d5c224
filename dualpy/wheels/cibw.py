"""Which cibuildwheel release builds which free-threaded Python, and its cached virtual environment."""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from dualpy import console
from dualpy.errors import BuildFailed, ConfigurationError, UsageError
from dualpy.paths import cache_dir, data_dir
from dualpy.tags import PythonMinor

RELEASES_FILE = Path("tools") / "cibuildwheel.toml"  # under the shipped recipes folder


@dataclass(frozen=True)
class CibuildwheelRelease:
    """A pinned cibuildwheel release and the CPython minors whose t builds it can make."""

    version: str
    freethreaded_minors: frozenset[PythonMinor]
    enable: str | None = None  # the CIBW_ENABLE group its t runs need (3.x: "cpython-freethreading" for cp313t)

    @property
    def needs_enable(self) -> bool:
        """True when its free-threaded identifiers sit behind an enable group (3.x)."""
        return self.enable is not None

    @property
    def series(self) -> int:
        """The major version: 3 or 4."""
        return Version(self.version).major


def _is_version(text: str) -> bool:
    try:
        Version(text)
    except InvalidVersion:
        return False
    return True


def _release_from_table(table: object, where: str) -> CibuildwheelRelease:
    """One [[releases]] entry as a typed release; a ConfigurationError naming the field otherwise."""
    if not isinstance(table, dict):
        raise ConfigurationError(f"{where}: must be a table with version and freethreaded")
    unknown = set(table) - {"version", "freethreaded", "enable"}
    if unknown:
        raise ConfigurationError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}: "
                                 "use version, freethreaded, enable")
    version = table.get("version")
    if not isinstance(version, str) or not _is_version(version):
        raise ConfigurationError(f"{where}: version must be a release string like \"4.3.5\"")
    minors = table.get("freethreaded")
    if not isinstance(minors, list) or not minors or not all(isinstance(m, str) for m in minors):
        raise ConfigurationError(f"{where}: freethreaded must be a non-empty list of minors like [\"3.14\"]")
    try:
        parsed = frozenset(PythonMinor.parse(m) for m in minors)
    except UsageError as exc:
        raise ConfigurationError(f"{where}: freethreaded: {exc}") from None
    enable = table.get("enable")
    if enable is not None and (not isinstance(enable, str) or not enable):
        raise ConfigurationError(f"{where}: enable must be a cibuildwheel enable group like \"cpython-freethreading\"")
    return CibuildwheelRelease(version, parsed, enable)


def load_releases(path: Path | None = None) -> tuple[CibuildwheelRelease, ...]:
    """The releases of recipes/tools/cibuildwheel.toml, newest first, validated (one-line ConfigurationError)."""
    path = path or data_dir("recipes") / RELEASES_FILE
    try:
        document = tomllib.loads(path.read_text())
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot be read ({exc.strerror}): reinstall dualpy") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path}: not valid TOML ({exc})") from None
    tables = document.get("releases")
    if not isinstance(tables, list) or not tables:
        raise ConfigurationError(f"{path}: needs at least one [[releases]] table")
    releases = [_release_from_table(t, f"{path}: releases[{n}]") for n, t in enumerate(tables)]
    versions = [r.version for r in releases]
    if len(set(versions)) != len(versions):
        raise ConfigurationError(f"{path}: a cibuildwheel version is listed twice ({', '.join(versions)})")
    return tuple(sorted(releases, key=lambda r: Version(r.version), reverse=True))


@functools.cache
def releases() -> tuple[CibuildwheelRelease, ...]:
    """The pinned releases, newest first: 4.x removed cp313t, 3.4.x knows no cp315t (read once)."""
    return load_releases()


def release(version: str) -> CibuildwheelRelease:
    """The pinned release with this version."""
    for candidate in releases():
        if candidate.version == version:
            return candidate
    raise UsageError(f"dualpy pins no cibuildwheel {version}: known are {', '.join(r.version for r in releases())}")


def choose_releases(minors: Iterable[PythonMinor]) -> dict[CibuildwheelRelease, tuple[PythonMinor, ...]]:
    """Group the requested minors by the cibuildwheel release that builds them: one release when one can do all."""
    wanted = sorted(set(minors))
    pinned = releases()
    for candidate in pinned:
        if all(m in candidate.freethreaded_minors for m in wanted):
            return {candidate: tuple(wanted)}
    groups: dict[CibuildwheelRelease, list[PythonMinor]] = {}
    for minor in wanted:
        chosen = next((r for r in pinned if minor in r.freethreaded_minors), None)
        if chosen is None:
            known = sorted({m for r in pinned for m in r.freethreaded_minors})
            raise UsageError(f"no cibuildwheel release dualpy knows builds Python {minor}t: "
                             f"supported are {', '.join(str(m) for m in known)}")
        groups.setdefault(chosen, []).append(minor)
    return {chosen: tuple(group) for chosen, group in groups.items()}


def venv_dir(chosen: CibuildwheelRelease) -> Path:
    """Where the release's virtual environment lives: <cache>/cibuildwheel/<version>."""
    return cache_dir() / "cibuildwheel" / chosen.version


def _usable(python: Path) -> bool:
    # The venv's python is a symlink to the interpreter that made it; it dangles once that one is gone.
    return python.exists()


def venv_python(chosen: CibuildwheelRelease) -> Path:
    """The interpreter of the release's cached virtual environment, created (once) if absent."""
    final = venv_dir(chosen)
    python = final / "bin" / "python"
    if _usable(python):
        return python
    root = final.parent
    root.mkdir(parents=True, exist_ok=True)
    if final.exists():  # left by an interpreter that is gone: make it again
        shutil.rmtree(final, ignore_errors=True)
    # Built aside and renamed into place, so a half-made environment is never found and reused.
    temp = Path(tempfile.mkdtemp(dir=root, prefix=f".{chosen.version}-"))
    console.info(f"  installing cibuildwheel {chosen.version} into {final} (once)")
    try:
        subprocess.run([sys.executable, "-m", "venv", str(temp)], check=True, capture_output=True)
        # pip reads the host's config files and PIP_* variables, so the index and CA are the host's.
        result = subprocess.run(
            [str(temp / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             f"cibuildwheel=={chosen.version}"],
            capture_output=True, text=True,
        )
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["?"])[-1]
            raise BuildFailed(
                f"installing cibuildwheel {chosen.version} failed ({last}): check the host's pip settings"
            )
        try:
            temp.replace(final)  # `python -m` keeps working after the move; console scripts would not
        except OSError:
            if not _usable(python):  # another dualpy finished first; use its copy, else the error stands
                raise
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    return python

