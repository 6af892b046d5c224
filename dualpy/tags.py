"""Variants, ABI tags, cibuildwheel identifiers and extension suffixes (pure)."""

from __future__ import annotations

import enum
import platform
import re
from dataclasses import dataclass

from dualpy.errors import UsageError


class Variant(enum.Enum):
    """One of the two builds of a CPython release."""

    GIL = "gil"
    FREETHREADED = "freethreaded"

    @property
    def abi_suffix(self) -> str:
        """The ABI flag the variant adds to tags and names: '' or 't'."""
        return "t" if self is Variant.FREETHREADED else ""


ALL_VARIANTS: tuple[Variant, ...] = (Variant.GIL, Variant.FREETHREADED)

_VARIANT_ALIASES = {
    "gil": Variant.GIL,
    "default": Variant.GIL,
    "freethreaded": Variant.FREETHREADED,
    "free-threaded": Variant.FREETHREADED,
    "ft": Variant.FREETHREADED,
    "t": Variant.FREETHREADED,
    "nogil": Variant.FREETHREADED,
}


def parse_variants(text: str) -> tuple[Variant, ...]:
    """Return the variants named in a comma-separated list, in canonical order."""
    names = [part.strip().lower() for part in text.split(",") if part.strip()]
    if not names:
        raise UsageError("no variant given: use --variants gil,freethreaded")
    chosen = set()
    for name in names:
        if name not in _VARIANT_ALIASES:
            raise UsageError(
                f"unknown variant {name!r}: use gil, freethreaded or both (--variants gil,freethreaded)"
            )
        chosen.add(_VARIANT_ALIASES[name])
    return tuple(v for v in ALL_VARIANTS if v in chosen)


_MINOR_RE = re.compile(r"^(?:cp)?3\.?(\d{1,2})$")
RELEASE_RE = re.compile(r"^3\.(\d{1,2})\.(\d+)(?:(a|b|rc)(\d+))?$")
"""A CPython release version as python.org spells it: 3.14.7, 3.15.0rc2 (groups: minor, micro, pre, pre number).

The one release-version pattern: PythonMinor.parse, recipes and the Debian version mapping all use it."""



def python_named_by(image_tag: str) -> str:
    """The --python an image tag names (dualpy/cpython:3.13.15 -> 3.13.15, :3.14 -> 3.14); 3.14 when it names none."""
    version = image_tag.rpartition(":")[2]
    minor_only = version.count(".") == 1 and RELEASE_RE.match(version + ".0") is not None
    return version if RELEASE_RE.match(version) or minor_only else "3.14"

@dataclass(frozen=True, order=True)
class PythonMinor:
    """A CPython feature release, such as 3.13."""

    major: int
    minor: int

    @classmethod
    def parse(cls, text: str) -> PythonMinor:
        """Return the minor named by '3.13', '313', 'cp313' or a full version '3.13.5'."""
        text = text.strip()
        full = RELEASE_RE.match(text)
        if full:
            return cls(3, int(full.group(1)))
        match = _MINOR_RE.match(text)
        if not match or len(text.replace("cp", "")) < 3:
            raise UsageError(f"{text!r} is not a CPython version: write it like 3.13 or 3.13.15")
        return cls(3, int(match.group(1)))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"

    @property
    def nodot(self) -> str:
        """'313' for 3.13."""
        return f"{self.major}{self.minor}"

    @property
    def supports_freethreading(self) -> bool:
        """Free-threaded builds exist from 3.13 on (PEP 703)."""
        return (self.major, self.minor) >= (3, 13)


def machine_arch() -> str:
    """This machine's architecture in wheel-platform spelling (x86_64, aarch64, ...)."""
    arch = platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(arch, arch)


@dataclass(frozen=True, order=True)
class PythonTarget:
    """One interpreter: a minor version and a variant (cp313 or cp313t)."""

    minor: PythonMinor
    variant: Variant

    @property
    def abi_tag(self) -> str:
        """The wheel ABI tag: 'cp313' or 'cp313t'."""
        return f"cp{self.minor.nodot}{self.variant.abi_suffix}"

    @property
    def interpreter_tag(self) -> str:
        """The wheel interpreter tag: 'cp313' for both variants."""
        return f"cp{self.minor.nodot}"

    @property
    def install_tag(self) -> str:
        """The manylinux directory name under /opt/python: 'cp313-cp313t'."""
        return f"{self.interpreter_tag}-{self.abi_tag}"

    @property
    def prefix(self) -> str:
        """Where the interpreter is installed in a dualpy image."""
        return f"/opt/python/{self.install_tag}"

    @property
    def executable_name(self) -> str:
        """'python3.13' or 'python3.13t'."""
        return f"python{self.minor}{self.variant.abi_suffix}"

    @property
    def request(self) -> str:
        """The launcher request that names exactly this interpreter: '3.13' or '3.13t'."""
        return f"{self.minor}{self.variant.abi_suffix}"

    def identifier(self, arch: str | None = None, libc: str = "manylinux") -> str:
        """The cibuildwheel build identifier: 'cp313t-manylinux_x86_64'."""
        return f"{self.abi_tag}-{libc}_{arch or machine_arch()}"

    def ext_suffix(self, arch: str | None = None) -> str:
        """The extension-module suffix: '.cpython-313t-x86_64-linux-gnu.so'."""
        return f".cpython-{self.minor.nodot}{self.variant.abi_suffix}-{arch or machine_arch()}-linux-gnu.so"

    def __str__(self) -> str:
        return self.request


def targets_for(minor: PythonMinor, variants: tuple[Variant, ...]) -> tuple[PythonTarget, ...]:
    """Return the interpreters of one minor for the given variants."""
    if Variant.FREETHREADED in variants and not minor.supports_freethreading:
        raise UsageError(f"Python {minor} has no free-threaded build: use --variants gil")
    return tuple(PythonTarget(minor, v) for v in variants)


_IDENTIFIER_RE = re.compile(r"^cp(\d)(\d+)(t?)-(manylinux|musllinux)_(\w+)$")


def parse_identifier(identifier: str) -> tuple[PythonTarget, str]:
    """Return the target and architecture of a cibuildwheel identifier."""
    match = _IDENTIFIER_RE.match(identifier)
    if not match:
        raise UsageError(f"{identifier!r} is not a CPython build identifier like cp313t-manylinux_x86_64")
    major, minor, t, _libc, arch = match.groups()
    variant = Variant.FREETHREADED if t else Variant.GIL
    return PythonTarget(PythonMinor(int(major), int(minor)), variant), arch


def target_for_abi_tag(abi_tag: str) -> PythonTarget | None:
    """Return the target whose ABI tag is 'cp313' or 'cp313t'; None for abi3, none, etc."""
    match = re.match(r"^cp(\d)(\d+)(t?)$", abi_tag)
    if not match:
        return None
    major, minor, t = match.groups()
    return PythonTarget(PythonMinor(int(major), int(minor)), Variant.FREETHREADED if t else Variant.GIL)
