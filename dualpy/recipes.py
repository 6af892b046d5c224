"""Load and validate recipes/*.toml: which CPython releases dualpy builds, from where, and how (pure)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from dualpy.errors import ConfigurationError, UsageError
from dualpy.paths import data_dir
from dualpy.tags import ALL_VARIANTS, PythonMinor, PythonTarget, Variant

PROFILES = ("fast", "release")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_RELEASE_RE = re.compile(r"^3\.(\d+)\.(\d+)(?:(a|b|rc)(\d+))?$")


@dataclass(frozen=True)
class UpstreamSource:
    """A full URL, such as python.org's tarball."""

    url: str

    def describe(self) -> str:
        return self.url


@dataclass(frozen=True)
class DebianArchiveSource:
    """A path inside the Debian archive, resolved against this host's apt mirror."""

    path: str

    def describe(self) -> str:
        return f"debian:{self.path}"


Source = UpstreamSource | DebianArchiveSource


@dataclass(frozen=True)
class Release:
    """One CPython release: version, checksum and the sources to try in order."""

    version: str
    sha256: str
    sources: tuple[Source, ...]

    @property
    def minor(self) -> PythonMinor:
        return PythonMinor.parse(self.version)

    @property
    def filename(self) -> str:
        """The cache name of the source tarball."""
        return f"Python-{self.version}.tar.xz"

    @property
    def sort_key(self) -> tuple:
        major, micro, pre, pre_number = _RELEASE_RE.match(self.version).groups()
        pre_rank = {"a": 0, "b": 1, "rc": 2, None: 3}[pre]
        return (int(major), int(micro), pre_rank, int(pre_number or 0))


@dataclass(frozen=True)
class Recipe:
    """How to build every release of one CPython minor."""

    minor: PythonMinor
    configure: dict[Variant, tuple[str, ...]]
    profiles: dict[str, tuple[str, ...]]
    releases: tuple[Release, ...]
    path: Path

    @property
    def latest(self) -> Release:
        return max(self.releases, key=lambda r: r.sort_key)

    def configure_flags(self, variant: Variant, profile: str = "fast") -> tuple[str, ...]:
        """The configure flags of one variant under a profile (fast or release)."""
        if profile not in self.profiles:
            raise UsageError(f"unknown profile {profile!r}: use one of {', '.join(sorted(self.profiles))}")
        return self.configure[variant] + self.profiles[profile]

    def target(self, variant: Variant) -> PythonTarget:
        return PythonTarget(self.minor, variant)


def _fail(path: Path, message: str) -> ConfigurationError:
    return ConfigurationError(f"{path}: {message}")


def _string_list(value: object, path: Path, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _fail(path, f"{where} must be a list of strings")
    return tuple(value)


def parse_recipe(document: dict, path: Path) -> Recipe:
    """Return the Recipe a TOML document describes, or raise ConfigurationError naming the file."""
    known = {"minor", "variants", "profiles", "releases"}
    unknown = set(document) - known
    if unknown:
        raise _fail(path, f"unknown key(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
    try:
        minor = PythonMinor.parse(str(document["minor"]))
    except (KeyError, UsageError):
        raise _fail(path, "needs minor = \"3.X\"") from None
    variants = document.get("variants", {})
    configure = {}
    for variant in ALL_VARIANTS:
        if variant.value not in variants:
            raise _fail(path, f"needs [variants.{variant.value}] with configure = [...]")
        configure[variant] = _string_list(
            variants[variant.value].get("configure"), path, f"variants.{variant.value}.configure"
        )
    if "--disable-gil" in configure[Variant.GIL] or "--disable-gil" not in configure[Variant.FREETHREADED]:
        raise _fail(path, "--disable-gil belongs in variants.freethreaded.configure and only there")
    profiles = {
        name: _string_list(table.get("configure"), path, f"profiles.{name}.configure")
        for name, table in document.get("profiles", {}).items()
    }
    missing = [p for p in PROFILES if p not in profiles]
    if missing:
        raise _fail(path, f"needs [profiles.{missing[0]}]")
    releases = []
    for entry in document.get("releases", []):
        version = str(entry.get("version", ""))
        match = _RELEASE_RE.match(version)
        if not match or PythonMinor.parse(version) != minor:
            raise _fail(path, f"release {version!r} is not a {minor} version like {minor}.0")
        sha256 = str(entry.get("sha256", "")).lower()
        if not _SHA256_RE.match(sha256):
            raise _fail(path, f"release {version}: sha256 must be 64 hex digits")
        sources: list[Source] = []
        if entry.get("url"):
            sources.append(UpstreamSource(str(entry["url"])))
        for alternative in entry.get("alternatives", []):
            if "url" in alternative:
                sources.append(UpstreamSource(str(alternative["url"])))
            elif "debian" in alternative:
                sources.append(DebianArchiveSource(str(alternative["debian"]).lstrip("/")))
            else:
                raise _fail(path, f"release {version}: an alternative needs url = ... or debian = ...")
        if not sources:
            raise _fail(path, f"release {version} has no source")
        releases.append(Release(version, sha256, tuple(sources)))
    if not releases:
        raise _fail(path, "has no [[releases]]")
    return Recipe(minor, configure, profiles, tuple(releases), path)


def load_recipes(directory: Path | None = None) -> dict[PythonMinor, Recipe]:
    """Return every recipe in the recipes directory, keyed by minor."""
    directory = directory or data_dir("recipes")
    recipes = {}
    for path in sorted(directory.glob("*.toml")):
        try:
            document = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise _fail(path, f"is not valid TOML ({exc})") from None
        recipe = parse_recipe(document, path)
        recipes[recipe.minor] = recipe
    return recipes


def known_versions(recipes: dict[PythonMinor, Recipe]) -> list[str]:
    """All release versions, newest first."""
    releases = [r for recipe in recipes.values() for r in recipe.releases]
    return [r.version for r in sorted(releases, key=lambda r: r.sort_key, reverse=True)]


def find_release(request: str, recipes: dict[PythonMinor, Recipe] | None = None) -> tuple[Recipe, Release]:
    """Return the recipe and release a request names: '3.13.15' exactly, or '3.13' for its latest."""
    recipes = recipes if recipes is not None else load_recipes()
    request = request.strip()
    unknown = UsageError(
        f"no recipe for Python {request!r}: known versions are {', '.join(known_versions(recipes))}"
        " (add one under recipes/)"
    )
    try:
        minor = PythonMinor.parse(request)
    except UsageError:
        raise unknown from None
    recipe = recipes.get(minor)
    if recipe is None:
        raise unknown
    if _RELEASE_RE.match(request):
        for release in recipe.releases:
            if release.version == request:
                return recipe, release
        raise unknown
    return recipe, recipe.latest
