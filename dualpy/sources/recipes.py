"""Load and validate recipes/*.toml: which CPython releases dualpy builds, from where, and how (pure)."""

from __future__ import annotations

import re
import textwrap
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dualpy import console
from dualpy.errors import ConfigurationError, UsageError
from dualpy.paths import data_dir
from dualpy.tags import ALL_VARIANTS, RELEASE_RE, PythonMinor, PythonTarget, Variant

PROFILES = ("fast", "release")
COMPILERS = ("gcc", "clang")  # what compiles the interpreters (`images build --compiler`); gcc first: the default
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
# a < b < rc < final, as PEP 440 orders pre-releases
_PRE_RANK = {"a": 0, "b": 1, "rc": 2, None: 3}


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
    def is_prerelease(self) -> bool:
        """True for an alpha, beta or release candidate (3.15.0rc2)."""
        return release_sort_key(self.version)[2] < _PRE_RANK[None]

    @property
    def sort_key(self) -> tuple[int, int, int, int]:
        return release_sort_key(self.version)


def release_sort_key(version: str) -> tuple[int, int, int, int]:
    """(minor, micro, pre-release rank, pre-release number): sorts 3.15.0b3 < 3.15.0rc1 < 3.15.0 < 3.15.1."""
    match = RELEASE_RE.match(version)
    if match is None:
        raise UsageError(f"{version!r} is not a CPython release version like 3.14.7 or 3.15.0rc2")
    minor, micro, pre, pre_number = match.groups()
    return (int(minor), int(micro), _PRE_RANK[pre], int(pre_number or 0))


@dataclass(frozen=True)
class Recipe:
    """How to build every release of one CPython minor."""

    minor: PythonMinor
    configure: dict[Variant, tuple[str, ...]]
    profiles: dict[str, tuple[str, ...]]
    releases: tuple[Release, ...]
    path: Path
    compilers: dict[str, tuple[str, ...]] = field(default_factory=dict)  # extra configure flags per compiler

    @property
    def newest(self) -> Release:
        """The newest release of the minor, pre-releases included."""
        return max(self.releases, key=lambda r: r.sort_key)

    @property
    def latest(self) -> Release:
        """The release a request for the minor picks: the newest final one, or the newest pre-release if none."""
        finals = [r for r in self.releases if not r.is_prerelease]
        return max(finals or self.releases, key=lambda r: r.sort_key)

    def configure_flags(self, variant: Variant, profile: str = "fast", compiler: str = "gcc") -> tuple[str, ...]:
        """The configure flags of one variant under a profile (fast or release) and a compiler (gcc or clang)."""
        if profile not in self.profiles:
            raise UsageError(f"unknown profile {profile!r}: use one of {', '.join(sorted(self.profiles))}")
        if compiler not in COMPILERS:
            raise UsageError(f"--compiler {compiler!r} is unknown: use one of {', '.join(COMPILERS)}")
        return self.configure[variant] + self.profiles[profile] + self.compilers.get(compiler, ())

    def target(self, variant: Variant) -> PythonTarget:
        return PythonTarget(self.minor, variant)


def _fail(path: Path, message: str) -> ConfigurationError:
    return ConfigurationError(f"{path}: {message}")


def _string_list(value: object, path: Path, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _fail(path, f"{where} must be a list of strings")
    return tuple(value)


def parse_recipe(document: dict[str, Any], path: Path) -> Recipe:
    """Return the Recipe a TOML document describes, or raise ConfigurationError naming the file."""
    known = {"minor", "variants", "profiles", "releases", "compilers"}
    unknown = set(document) - known
    if unknown:
        raise _fail(path, f"unknown key(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
    try:
        minor = PythonMinor.parse(str(document["minor"]))
    except (KeyError, UsageError):
        raise _fail(path, "needs minor = \"3.X\"") from None
    configure = _parse_variants(document.get("variants", {}), path)
    profiles = _parse_profiles(document.get("profiles", {}), path)
    releases = [_parse_release(entry, minor, path) for entry in document.get("releases", [])]
    if not releases:
        raise _fail(path, "has no [[releases]]")
    return Recipe(minor, configure, profiles, tuple(releases), path, _parse_compilers(document.get("compilers", {}),
                                                                                      path))


def _parse_variants(variants: dict[str, Any], path: Path) -> dict[Variant, tuple[str, ...]]:
    """The configure flags of each variant; --disable-gil in the free-threaded variant's only."""
    configure: dict[Variant, tuple[str, ...]] = {}
    for variant in ALL_VARIANTS:
        if variant.value not in variants:
            raise _fail(path, f"needs [variants.{variant.value}] with configure = [...]")
        configure[variant] = _string_list(
            variants[variant.value].get("configure"), path, f"variants.{variant.value}.configure"
        )
    if "--disable-gil" in configure[Variant.GIL] or "--disable-gil" not in configure[Variant.FREETHREADED]:
        raise _fail(path, "--disable-gil belongs in variants.freethreaded.configure and only there")
    return configure


def _parse_compilers(tables: object, path: Path) -> dict[str, tuple[str, ...]]:
    """The extra configure flags of each compiler ([compilers.clang] configure = [...]); optional."""
    if not isinstance(tables, dict) or not all(isinstance(t, dict) for t in tables.values()):
        raise _fail(path, "[compilers.NAME] must be tables with configure = [...]")
    unknown = [name for name in tables if name not in COMPILERS]
    if unknown:
        raise _fail(path, f"[compilers.{unknown[0]}] is unknown: compilers are {', '.join(COMPILERS)}")
    return {name: _string_list(table.get("configure"), path, f"compilers.{name}.configure")
            for name, table in tables.items()}


def _parse_profiles(tables: dict[str, Any], path: Path) -> dict[str, tuple[str, ...]]:
    """The configure flags of each profile; every profile dualpy knows must be there."""
    profiles = {
        name: _string_list(table.get("configure"), path, f"profiles.{name}.configure")
        for name, table in tables.items()
    }
    missing = [p for p in PROFILES if p not in profiles]
    if missing:
        raise _fail(path, f"needs [profiles.{missing[0]}]")
    return profiles


def _parse_release(entry: dict[str, Any], minor: PythonMinor, path: Path) -> Release:
    """One [[releases]] entry: a version of this minor, its sha256, and at least one source."""
    version = str(entry.get("version", ""))
    match = RELEASE_RE.match(version)
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
    return Release(version, sha256, tuple(sources))


def load_recipes(directory: Path | None = None) -> dict[PythonMinor, Recipe]:
    """Return every recipe in the recipes directory, keyed by minor."""
    directory = directory or data_dir("recipes")
    recipes: dict[PythonMinor, Recipe] = {}
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


def newest_stable(recipes: dict[PythonMinor, Recipe]) -> tuple[Recipe, Release]:
    """The recipe and release of the newest final (not pre-) release across all recipes."""
    finals = [(recipe, r) for recipe in recipes.values() for r in recipe.releases if not r.is_prerelease]
    if not finals:
        raise UsageError(
            f"no final release in any recipe (known: {', '.join(known_versions(recipes)) or 'none'}): "
            "name one with --python VERSION"
        )
    return max(finals, key=lambda pair: pair[1].sort_key)


def prerelease_notice(recipe: Recipe, release: Release) -> str | None:
    """The sentence that says a request for a minor picked a pre-release (None when it picked a final)."""
    if not release.is_prerelease:
        return None
    return (
        f"Python {recipe.minor} has no final release in {recipe.path.name}: using the pre-release {release.version} "
        f"(name a version to silence this, e.g. --python {release.version})"
    )


_said: set[str] = set()


def find_release(
    request: str | None, recipes: dict[PythonMinor, Recipe] | None = None
) -> tuple[Recipe, Release]:
    """Return the recipe and release a request names: '3.13.15' exactly, '3.13' for its latest, None for the newest.

    A minor picks its newest final release; only a minor with no final release picks a pre-release, and says so
    (a console warning, once per version). None picks the newest final release across all recipes.
    """
    recipes = recipes if recipes is not None else load_recipes()
    if request is None:
        return newest_stable(recipes)
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
    if RELEASE_RE.match(request):
        for release in recipe.releases:
            if release.version == request:
                return recipe, release
        raise unknown
    release = recipe.latest
    notice = prerelease_notice(recipe, release)
    if notice and release.version not in _said:
        _said.add(release.version)
        console.warn(notice)
    return recipe, release


# ---- Drafting a release entry (pure): `dualpy recipes add` feeds it what the signed index says ----


def python_org_url(version: str) -> str:
    """python.org's tarball URL: pre-releases sit in their final version's folder (3.15.0/Python-3.15.0rc2.tar.xz)."""
    match = RELEASE_RE.match(version)
    if match is None:
        raise UsageError(f"{version!r} is not a CPython release version like 3.14.7 or 3.15.0rc2")
    return f"https://www.python.org/ftp/python/3.{match[1]}.{match[2]}/Python-{version}.tar.xz"


def draft_release(version: str, sha256: str, debian_path: str, provenance: str, unconfirmed: list[str]) -> str:
    """The TOML of one [[releases]] entry, its comment naming where the sha256 came from and what is unconfirmed."""
    if not _SHA256_RE.match(sha256):
        raise UsageError(f"{sha256!r} is not a sha256")
    lines = textwrap.wrap(f"sha256 of {version}: {provenance}.", 110, initial_indent="# ", subsequent_indent="#   ")
    for item in unconfirmed:
        lines += textwrap.wrap(f"NOT CONFIRMED: {item}.", 110, initial_indent="# ", subsequent_indent="#   ")
    lines += [
        "[[releases]]",
        f'version = "{version}"',
        f'url = "{python_org_url(version)}"',
        f'sha256 = "{sha256}"',
        f'alternatives = [{{ debian = "{debian_path}" }}]',
    ]
    return "\n".join(lines) + "\n"


_VERSION_LINE_RE = re.compile(r'^version\s*=\s*"([^"]*)"')


def _entry_version(lines: list[str]) -> str | None:
    """The version = "..." of the entry these lines start, looking no further than the next table header."""
    for line in lines:
        if line.lstrip().startswith("["):
            return None
        match = _VERSION_LINE_RE.match(line.strip())
        if match:
            return match[1]
    return None


def insert_release(text: str, entry: str, version: str, path: Path) -> str:
    """Return a recipe file's text with entry placed newest-first among its releases (comments kept with theirs).

    Refuses a version the file already has, and any result parse_recipe would refuse.
    """
    lines = text.splitlines()
    new_key = release_sort_key(version)
    insert_at = len(lines)
    for number, line in enumerate(lines):
        if line.strip() != "[[releases]]":
            continue
        existing = _entry_version(lines[number + 1:])
        if existing == version:
            raise UsageError(f"{path} already has a release {version}: edit it there")
        if existing is not None and RELEASE_RE.match(existing) and release_sort_key(existing) < new_key:
            insert_at = number
            while insert_at > 0 and lines[insert_at - 1].startswith("#"):
                insert_at -= 1
            break
    before, after = lines[:insert_at], lines[insert_at:]
    while before and not before[-1].strip():
        before.pop()
    block = entry.splitlines()
    merged = [*before, "", *block] + (["", *after] if after else [])
    result = "\n".join(merged) + "\n"
    try:
        document = tomllib.loads(result)
    except tomllib.TOMLDecodeError as exc:
        raise _fail(path, f"would not be valid TOML with the new entry ({exc})") from None
    parse_recipe(document, path)
    return result
