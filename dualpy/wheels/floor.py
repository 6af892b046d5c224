"""The glibc floor of a wheels build: the policy its wheels promise and the compiler settings that keep it (pure).

A floor 2_X compiles with zig for <arch>-linux-gnu.2.X: zig links against stubs holding only the symbols glibc 2.X
had, so no newer symbol can be linked, whatever the image's own glibc; auditwheel then repairs to
manylinux_2_X_<arch>. `native` is the image's own gcc and a plain repair (the wheel needs the image's glibc).
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dualpy.errors import ConfigurationError, UsageError
from dualpy.paths import data_dir

NATIVE = "native"
DEFAULT_FLOOR = "2_28"  # cibuildwheel's default image is manylinux_2_28
FLOOR_FILE = Path("tools") / "floor.toml"  # under the shipped recipes folder
ZIG_MOUNT = "/dualpy/zig"  # the unpacked ziglang wheel, read-only
WRAPPERS_MOUNT = "/dualpy/floor"  # the wrapper scripts of one floor and arch, read-only
ZIG_CACHE_MOUNT = "/dualpy/zig-cache"  # zig's own cache (libc stubs per target), shared by the runs of the host
REPORT_MARKER = "dualpy-floor-report: "  # the repair script prints this before the symbols it found
ARCHES = ("x86_64", "aarch64")
_FLOOR_RE = re.compile(r"^(?:manylinux_)?2_(\d+)$")
_LEGACY = {"manylinux2014": "2_17", "manylinux2010": "2_12", "manylinux1": "2_5"}
_VERSION_RE = re.compile(r"^(GLIBC|GLIBCXX|CXXABI)_(\d+(?:\.\d+)*)$")
_NUMBERS_RE = re.compile(r"^\d+(?:\.\d+)*$")


@dataclass(frozen=True)
class PinnedWheel:
    """One architecture's ziglang wheel: its file name on the index and its sha256."""

    filename: str
    sha256: str


@dataclass(frozen=True)
class CxxLimits:
    """The newest libstdc++ symbol versions a manylinux policy allows (GLIBCXX_x, CXXABI_y)."""

    glibcxx: tuple[int, ...]
    cxxabi: tuple[int, ...]


@dataclass(frozen=True)
class FloorData:
    """recipes/tools/floor.toml: the pinned zig and the floors auditwheel repairs to."""

    zig_version: str
    wheels: Mapping[str, PinnedWheel]
    floors: Mapping[tuple[int, int], CxxLimits]


def _numbers(text: object, where: str) -> tuple[int, ...]:
    if not isinstance(text, str) or not _NUMBERS_RE.match(text):
        raise ConfigurationError(f"{where}: must be a version like \"3.4.24\", not {text!r}")
    return tuple(int(part) for part in text.split("."))


def _wheel(table: object, where: str) -> PinnedWheel:
    if not isinstance(table, dict) or set(table) != {"filename", "sha256"}:
        raise ConfigurationError(f"{where}: must be a table of filename and sha256")
    filename, sha256 = table["filename"], table["sha256"]
    if not isinstance(filename, str) or not filename.endswith(".whl") or "/" in filename:
        raise ConfigurationError(f"{where}: filename must be a wheel's file name, not {filename!r}")
    if not isinstance(sha256, str) or not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ConfigurationError(f"{where}: sha256 must be 64 lower-case hex digits")
    return PinnedWheel(filename, sha256)


def parse_floor_data(document: Mapping[str, Any], where: str) -> FloorData:
    """floor.toml's tables as typed values; a ConfigurationError naming the field otherwise (pure)."""
    zig = document.get("zig")
    if not isinstance(zig, dict) or not isinstance(zig.get("version"), str) or not isinstance(zig.get("wheels"), dict):
        raise ConfigurationError(f"{where}: needs [zig] with version and [zig.wheels.<arch>] tables")
    unknown = sorted(set(zig["wheels"]) - set(ARCHES))
    if unknown:
        raise ConfigurationError(f"{where}: [zig.wheels.{unknown[0]}]: dualpy builds for {', '.join(ARCHES)}")
    wheels = {arch: _wheel(table, f"{where}: [zig.wheels.{arch}]") for arch, table in zig["wheels"].items()}
    floors_table = document.get("floors")
    if not isinstance(floors_table, dict) or not floors_table:
        raise ConfigurationError(f"{where}: needs a [floors] table of \"2_X\" = {{ glibcxx, cxxabi }}")
    floors = {}
    for name, limits in floors_table.items():
        match = _FLOOR_RE.match(name)
        if not match or not isinstance(limits, dict) or set(limits) != {"glibcxx", "cxxabi"}:
            raise ConfigurationError(f"{where}: [floors] {name}: write \"2_X\" = {{ glibcxx = …, cxxabi = … }}")
        floors[(2, int(match[1]))] = CxxLimits(_numbers(limits["glibcxx"], f"{where}: [floors] {name} glibcxx"),
                                               _numbers(limits["cxxabi"], f"{where}: [floors] {name} cxxabi"))
    return FloorData(zig["version"], wheels, floors)


def load_floor_data(path: Path | None = None) -> FloorData:
    """recipes/tools/floor.toml, validated (one-line ConfigurationError)."""
    path = path or data_dir("recipes") / FLOOR_FILE
    try:
        document = tomllib.loads(path.read_text())
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot be read ({exc.strerror}): reinstall dualpy") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path}: not valid TOML ({exc})") from None
    return parse_floor_data(document, str(path))


@functools.cache
def floor_data() -> FloorData:
    """The shipped floor data (read once)."""
    return load_floor_data()


@dataclass(frozen=True)
class Floor:
    """The oldest glibc a build's wheels promise: (2, 28), or None for `native` (the image's own)."""

    glibc: tuple[int, int] | None

    def __str__(self) -> str:
        return NATIVE if self.glibc is None else f"{self.glibc[0]}_{self.glibc[1]}"

    @property
    def native(self) -> bool:
        """True when the image's own compiler builds and auditwheel tags by what the symbols need."""
        return self.glibc is None

    @property
    def level(self) -> str:
        """The glibc release, e.g. '2.28' ('' for native)."""
        return "" if self.glibc is None else f"{self.glibc[0]}.{self.glibc[1]}"

    def policy(self, arch: str) -> str:
        """The auditwheel policy of the floor: manylinux_2_28_x86_64."""
        return f"manylinux_{self}_{arch}"

    def zig_target(self, arch: str) -> str:
        """zig's target triple with the glibc version: x86_64-linux-gnu.2.28."""
        return f"{arch}-linux-gnu.{self.level}"


def parse_floor(text: str, floors: Mapping[tuple[int, int], CxxLimits] | None = None) -> Floor:
    """The floor a --manylinux value names: native, 2_28, manylinux_2_28 or manylinux2014 (one of the known floors)."""
    floors = floor_data().floors if floors is None else floors
    value = text.strip()
    if value == NATIVE:
        return Floor(None)
    match = _FLOOR_RE.match(_LEGACY.get(value, value))
    known = ", ".join(f"{a}_{b}" for a, b in sorted(floors))
    if not match:
        raise UsageError(f"--manylinux {text!r}: give a glibc floor like 2_28 (one of {known}) or native")
    glibc = (2, int(match[1]))
    if glibc not in floors:
        raise UsageError(f"--manylinux {text}: auditwheel repairs to {known} only; pick one of them, or native")
    return Floor(glibc)


def wrapper_scripts(floor: Floor, arch: str, zig_version: str) -> dict[str, str]:
    """File name -> text of the scripts mounted at /dualpy/floor/bin: cc, c++, ar, ranlib, repair (pure).

    Scripts rather than `zig cc -target …` in CC, because CMake, meson and setuptools each split CC differently;
    a path is read the same way by all. zig targets a triple, so it does not search the image's own include and
    library directories: they are added after zig's libc headers (-idirafter) and, when linking, after the
    project's own -L (so a library built in before-all, or installed by apt, is found).
    """
    zig = f"{ZIG_MOUNT}/ziglang/zig"
    target = floor.zig_target(arch)
    multiarch = f"{arch}-linux-gnu"
    header = (f"#!/bin/sh\n# Written by dualpy: zig {zig_version} for {target}, so that no symbol newer than glibc "
              f"{floor.level} is linked.\n")
    compile_flags = (f"-target {target} -fno-sanitize=undefined -idirafter /usr/local/include "
                     f"-idirafter /usr/include/{multiarch} -idirafter /usr/include")

    def compiler(driver: str) -> str:
        return (header
                + "for arg; do\n"
                + "    case $arg in -c|-S|-E|-M|-MM|--version|-v|-dumpversion|-dumpmachine)\n"
                + f"        exec {zig} {driver} {compile_flags} \"$@\";;\n    esac\ndone\n"
                + f"exec {zig} {driver} {compile_flags} \"$@\" -L/usr/local/lib -L/usr/lib/{multiarch}\n")

    policy = floor.policy(arch)
    repair = (f"#!/bin/sh\n# Written by dualpy: auditwheel repair to {policy}; when it refuses, print what needs a "
              "newer glibc\n# on one line (dualpy reads it and names the symbol or library).\n"
              f"auditwheel repair --plat {policy} -w \"$2\" \"$1\" && exit 0\nstatus=$?\n"
              "for python in /opt/_internal/tools/bin/python /opt/_internal/pipx/venvs/auditwheel/bin/python; do\n"
              "    if [ -x \"$python\" ]; then\n"
              f"        printf '%s%s\\n' '{REPORT_MARKER}' \"$(\"$python\" {WRAPPERS_MOUNT}/manylinux_audit.py "
              "--external \"$1\")\"\n        break\n    fi\ndone\nexit $status\n")
    return {"cc": compiler("cc"), "c++": compiler("c++"), "ar": f"{header}exec {zig} ar \"$@\"\n",
            "ranlib": f"{header}exec {zig} ranlib \"$@\"\n", "repair": repair}


def compiler_environment(floor: Floor, arch: str) -> dict[str, str]:
    """The variables that make every build backend compile with the floor's wrappers (empty for native)."""
    if floor.native:
        return {}
    bin_dir = f"{WRAPPERS_MOUNT}/bin"
    return {
        "CC": f"{bin_dir}/cc", "CXX": f"{bin_dir}/c++", "AR": f"{bin_dir}/ar", "RANLIB": f"{bin_dir}/ranlib",
        # setuptools takes LDSHARED whole when set (sysconfig's says gcc); LDCXXSHARED for C++ extensions
        "LDSHARED": f"{bin_dir}/cc -shared", "LDCXXSHARED": f"{bin_dir}/c++ -shared",
        "ZIG_GLOBAL_CACHE_DIR": ZIG_CACHE_MOUNT, "ZIG_LOCAL_CACHE_DIR": ZIG_CACHE_MOUNT,
        "AUDITWHEEL_PLAT": floor.policy(arch),  # a project's own `auditwheel repair` command gets the floor too
    }


def repair_command(floor: Floor) -> str | None:
    """cibuildwheel's repair-wheel-command for the floor (None for native: cibuildwheel's default)."""
    return None if floor.native else f"{WRAPPERS_MOUNT}/bin/repair {{wheel}} {{dest_dir}}"


def _version_key(version: str) -> tuple[str, tuple[int, ...]] | None:
    match = _VERSION_RE.match(version)
    return (match[1], tuple(int(p) for p in match[2].split("."))) if match else None


@dataclass(frozen=True)
class Excess:
    """One thing that needs more than the floor: a symbol of the wheel's own files, or a library it links."""

    version: str  # GLIBC_2.34, GLIBCXX_3.4.30
    symbol: str
    library: str | None = None  # a library from the image the wheel links, None for the wheel's own files

    @property
    def what(self) -> str:
        """The symbol, or the library and its symbol, as the message names it."""
        own = f"{self.symbol}@{self.version}"
        return own if self.library is None else f"{self.library} (from the image; {own})"

    @property
    def glibc(self) -> str | None:
        """The glibc release a GLIBC_x.y version needs ('2.34'); None for libstdc++ versions."""
        key = _version_key(self.version)
        return ".".join(map(str, key[1][:2])) if key and key[0] == "GLIBC" else None


def _too_new(version: str, floor: Floor, cxx: CxxLimits | None) -> bool:
    key = _version_key(version)
    if key is None or floor.glibc is None:
        return False
    kind, numbers = key
    if kind == "GLIBC":
        return numbers[:2] > floor.glibc
    if cxx is None:
        return False
    return numbers > (cxx.glibcxx if kind == "GLIBCXX" else cxx.cxxabi)


def _newest(symbols: Mapping[str, Mapping[str, list[str]]], floor: Floor, cxx: CxxLimits | None,
            library: str | None) -> list[Excess]:
    found = []
    for versions in symbols.values():
        for version, names in versions.items():
            if _too_new(version, floor, cxx):
                found.append(Excess(version, names[0] if names else "?", library))
    return found


def floor_excesses(entry: Mapping[str, Any], floor: Floor, cxx: CxxLimits | None) -> list[Excess]:
    """What in a wheel's audit entry (the manylinux_audit probe's, with external libraries) needs more than the
    floor, newest first: its own symbols, then each linked library's."""
    found = _newest(entry.get("symbols") or {}, floor, cxx, None)
    for library, facts in sorted((entry.get("external") or {}).items()):
        if isinstance(facts, Mapping):
            found += _newest(facts.get("symbols") or {}, floor, cxx, library)
    return sorted(found, key=_culprit_order, reverse=True)


def _culprit_order(excess: Excess) -> tuple[bool, bool, tuple[int, ...]]:
    """Libraries from the image first (building them in before-all is the usual way out), then glibc versions,
    newest first."""
    kind, numbers = _version_key(excess.version) or ("", ())
    return excess.library is not None, kind == "GLIBC", numbers


def ways_out(needed: str | None = None) -> str:
    """The three ways past a floor the build cannot meet, as the message ends."""
    higher = f"--manylinux {needed.replace('.', '_')}" if needed else "a higher --manylinux floor"
    return (f"ways out: build the library from source in before-all (it then links at the floor), {higher}, "
            "or --manylinux native (the image's glibc)")


def excess_message(wheel: str, floor: Floor, arch: str, excesses: list[Excess]) -> str:
    """The one line for a wheel that cannot be tagged with the floor's policy."""
    first = excesses[0]
    needs = f"glibc {first.glibc}" if first.glibc else f"a libstdc++ newer than {floor.policy(arch)} allows"
    more = f" (and {len(excesses) - 1} more)" if len(excesses) > 1 else ""
    return (f"{wheel} cannot be {floor.policy(arch)}: {first.what} needs {needs}{more}; "
            + ways_out(first.glibc))


_UNDECLARED_RE = re.compile(r"call to undeclared function '(\w+)'")
_UNDEFINED_RE = re.compile(r"undefined (?:symbol|reference to)[: ]+'?`?(\w+)")
_MISSING_LIB_RE = re.compile(r'unable to find (?:dynamic|static) system library "([^"]+)"')


def log_failure(lines: list[str], floor: Floor, arch: str, identifiers: str) -> str | None:
    """The one line for a floor build that failed before its repair: a function zig's glibc headers for the
    floor do not declare, or a library zig could not find (None when the log shows neither)."""
    if floor.native:
        return None
    text = "\n".join(lines)
    if match := _UNDECLARED_RE.search(text) or _UNDEFINED_RE.search(text):
        return (f"building {identifiers} for {floor.policy(arch)}: {match[1]} is not in glibc {floor.level} "
                f"(zig's headers and stubs for that glibc lack it), so it needs a newer glibc; " + ways_out())
    if match := _MISSING_LIB_RE.search(text):
        return (f"building {identifiers} for {floor.policy(arch)}: zig found no library {match[1]!r} in "
                f"/usr/local/lib or /usr/lib/{arch}-linux-gnu; install it in before-all (its -dev package) "
                "or build it there from source, or use --manylinux native")
    return None
