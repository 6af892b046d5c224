"""Load and validate images/suites.toml: per Debian suite, its glibc and the image's package names (pure)."""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from dualpy.errors import ConfigurationError, UsageError
from dualpy.paths import data_dir

_GLIBC_RE = re.compile(r"^2\.(\d+)$")
# Debian policy 5.6.1: lower-case letters, digits, + - . ; at least two characters, starting alphanumeric.
_PACKAGE_RE = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")
_SUITE_RE = re.compile(r"^[a-z][a-z0-9-]*$")
_SUITE_KEYS = {"version", "glibc", "build-packages", "runtime-packages"}
# slim-packages: the runtime target's shared libraries (`images build --target runtime`);
# clang-packages: what `images build --compiler clang` installs in its builder stages (clang-NN, llvm-NN, lld-NN).
_OPTIONAL_KEYS = {"slim-packages", "clang-packages"}
_CLANG_RE = re.compile(r"^clang-(\d+)$")
# manylinux1 (PEP 513), manylinux2010 (PEP 571) and manylinux2014 (PEP 599) name glibc 2.5, 2.12 and 2.17.
_LEGACY_MANYLINUX = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}


@dataclass(frozen=True)
class Suite:
    """A Debian suite an image can start from: its glibc and the packages the image installs, by their names."""

    name: str
    version: str
    glibc_minor: int
    build_packages: tuple[str, ...]
    runtime_packages: tuple[str, ...]
    slim_packages: tuple[str, ...] = ()
    clang_packages: tuple[str, ...] = ()

    @property
    def clang_version(self) -> str | None:
        """The major version of the suite's clang package ('19'), None when the suite lists none."""
        majors = [m.group(1) for m in map(_CLANG_RE.match, self.clang_packages) if m]
        return majors[0] if majors else None

    @property
    def glibc(self) -> str:
        """'2.36' for bookworm."""
        return f"2.{self.glibc_minor}"

    def manylinux_platforms(self, arch: str) -> list[str]:
        """Wheel platform tags this suite's glibc runs, newest first."""
        return manylinux_platforms(arch, self.glibc_minor)


def manylinux_platforms(arch: str, glibc_minor: int) -> list[str]:
    """Wheel platform tags a glibc 2.<glibc_minor> system runs, newest first (pip does not expand them)."""
    platforms = [f"manylinux_2_{minor}_{arch}" for minor in range(glibc_minor, 4, -1)]
    return platforms + [f"{name}_{arch}" for minor, name in _LEGACY_MANYLINUX.items() if minor <= glibc_minor]


@dataclass(frozen=True)
class Suites:
    """Every suite the data file knows, and the one used when --suite is not given."""

    default: str
    known: dict[str, Suite]

    def find(self, name: str) -> Suite:
        """The suite called name, or a one-line UsageError naming the known ones."""
        suite = self.known.get(name.strip().lower())
        if suite is None:
            raise UsageError(
                f"unknown Debian suite {name!r}: dualpy knows {', '.join(self.known)} "
                "(add one to images/suites.toml, or pass --suite with one of those)"
            )
        return suite


def _fail(path: Path, message: str) -> ConfigurationError:
    return ConfigurationError(f"{path}: {message}")


def _packages(value: object, path: Path, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(p, str) for p in value):
        raise _fail(path, f"{where} must be a non-empty list of package names")
    bad = [p for p in value if not _PACKAGE_RE.match(p)]
    if bad:
        raise _fail(path, f"{where}: {bad[0]!r} is not a Debian package name")
    if len(set(value)) != len(value):
        raise _fail(path, f"{where} names a package twice")
    return tuple(value)


def _clang_packages(table: dict[str, object], path: Path, name: str) -> tuple[str, ...]:
    if "clang-packages" not in table:
        return ()
    packages = _packages(table["clang-packages"], path, f"suites.{name}.clang-packages")
    if not any(_CLANG_RE.match(p) for p in packages):
        raise _fail(path, f"[suites.{name}] clang-packages must name a versioned clang package, like \"clang-19\"")
    return packages


def parse_suites(document: dict[str, object], path: Path) -> Suites:
    """Return the Suites a TOML document describes, or raise ConfigurationError naming the file and the fix."""
    unknown = set(document) - {"default", "suites"}
    if unknown:
        raise _fail(path, f"unknown key(s) {', '.join(sorted(unknown))}; known: default, suites")
    tables = document.get("suites")
    if not isinstance(tables, dict) or not tables:
        raise _fail(path, "needs at least one [suites.NAME] table")
    known: dict[str, Suite] = {}
    for name, table in tables.items():
        if not _SUITE_RE.match(name) or not isinstance(table, dict):
            raise _fail(path, f"[suites.{name}] must be a table named by a lower-case suite name")
        extra = set(table) - _SUITE_KEYS - _OPTIONAL_KEYS
        missing = _SUITE_KEYS - set(table)
        if extra or missing:
            problem = f"unknown key {sorted(extra)[0]!r}" if extra else f"needs {sorted(missing)[0]} = ..."
            raise _fail(path, f"[suites.{name}] {problem}; keys: {', '.join(sorted(_SUITE_KEYS))}")
        glibc = _GLIBC_RE.match(str(table["glibc"]))
        if not glibc or int(glibc.group(1)) < 5:
            raise _fail(path, f"[suites.{name}] glibc must be a string like \"2.36\"")
        known[name] = Suite(
            name=name,
            version=str(table["version"]),
            glibc_minor=int(glibc.group(1)),
            build_packages=_packages(table["build-packages"], path, f"suites.{name}.build-packages"),
            runtime_packages=_packages(table["runtime-packages"], path, f"suites.{name}.runtime-packages"),
            slim_packages=(_packages(table["slim-packages"], path, f"suites.{name}.slim-packages")
                           if "slim-packages" in table else ()),
            clang_packages=_clang_packages(table, path, name),
        )
    default = document.get("default")
    if not isinstance(default, str) or default not in known:
        raise _fail(path, f"default must name one of the suites ({', '.join(known)})")
    return Suites(default, known)


def load_suites(path: Path | None = None) -> Suites:
    """Return the suites of images/suites.toml (or of path), validated."""
    path = path or data_dir("images") / "suites.toml"
    try:
        document = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise _fail(path, f"is not valid TOML ({exc})") from None
    return parse_suites(document, path)


@functools.cache
def _shipped() -> Suites:
    return load_suites()


def find_suite(name: str | None = None) -> Suite:
    """The shipped suite called name (the default suite when None), or a one-line UsageError."""
    suites = _shipped()
    return suites.find(name or suites.default)


def default_suite() -> str:
    """The suite images and bases use unless --suite says otherwise."""
    return _shipped().default
