"""The interpreter launcher: its configuration, compilation and installation (the rules live in launcher.c)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dualpy.errors import BuildFailed, UsageError
from dualpy.tags import Variant

CONFIG_RELATIVE_PATH = Path("etc/dualpy-launcher.conf")
# Freestanding and static: no dynamic loader and no libc start-up before the one execve (see launcher.c).
COMPILE_FLAGS = ("-O2", "-static", "-nostdlib", "-ffreestanding", "-fno-builtin", "-fno-stack-protector",
                 "-fno-tree-loop-distribute-patterns", "-fno-asynchronous-unwind-tables")
# The C launcher's own limits (launcher.c): it refuses, never truncates, anything longer.
PATH_MAX = 4096
CONFIG_MAX = 65536
MAX_INTERPRETERS = 64
_REQUEST_RE = re.compile(r"^3\.(0|[1-9]\d{0,2})(t?)$")
_MINOR_RE = re.compile(r"^3\.(0|[1-9]\d{0,2})$")
_INSTALL_DIR_RE = re.compile(r"^cp3(\d+)-cp3(\d+)(t?)$")
# patchlevel.h of a CPython install: "3.15.0rc2" marks a pre-release
_PY_VERSION_RE = re.compile(r'^#define\s+PY_VERSION\s+"(3\.\d+\.\d+)((?:a|b|rc)\d+)?', re.MULTILINE)
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class LauncherConfig:
    """A launcher configuration: interpreters by request ('3.14', '3.14t'), the default build and minor."""

    interpreters: dict[str, str]
    default: Variant = Variant.GIL
    default_version: str | None = None

    @classmethod
    def parse(cls, text: str) -> LauncherConfig:
        """The configuration in a file's text (lenient: the C launcher is the judge of a hand-edited file)."""
        interpreters: dict[str, str] = {}
        default = Variant.GIL
        default_version = None
        for line in text.splitlines():
            words = line.strip().split(None, 2)
            if not words or words[0].startswith("#"):
                continue
            if words[0] == "default" and len(words) > 1:
                default = Variant(words[1])
            elif words[0] == "default-version" and len(words) > 1:
                default_version = words[1]
            elif words[0] == "interpreter" and len(words) == 3:
                interpreters[words[1]] = words[2]
        return cls(interpreters, default, default_version)


def source_path() -> Path:
    """The launcher's C source, shipped inside the package."""
    return Path(__file__).with_name("launcher.c")


def _request_key(request: str) -> tuple[int, str]:
    """Sort key: by minor as a number (3.9 before 3.13), the GIL build before the t build."""
    match = _REQUEST_RE.match(request)
    return (int(match[1]), match[2]) if match else (-1, request)


def newest_stable_minor(interpreters: Mapping[str, str], prereleases: Collection[str] = ()) -> str | None:
    """The newest minor ('3.14') among the interpreters that is not a pre-release; the newest of all if all are."""
    minors = sorted({request.rstrip("t") for request in interpreters}, key=_request_key)
    stable = [minor for minor in minors if minor not in prereleases]
    chosen = stable or minors
    return chosen[-1] if chosen else None


def render_config(interpreters: Mapping[str, str], default: Variant, default_version: str | None = None,
                  prereleases: Collection[str] = ()) -> str:
    """The configuration file text for interpreters keyed by request ('3.14', '3.14t').

    Several minors are fine (a multi-Python image lists all its interpreters). The default minor, which
    rules 2, 3 and 5 use without a .python-version, is default_version, else the newest minor not in
    prereleases (minors like '3.15' whose interpreters are pre-releases); it is always written out.
    """
    if len(interpreters) > MAX_INTERPRETERS:
        raise UsageError(f"launcher: {len(interpreters)} interpreters, the launcher takes at most {MAX_INTERPRETERS}")
    for request, path in interpreters.items():
        if not _REQUEST_RE.match(request):
            raise UsageError(f"launcher: {request!r} is not an interpreter name like 3.14 or 3.14t")
        if _CONTROL_RE.search(path):
            raise UsageError(f"launcher: the path of {request} holds a control character or line break: {path!r}")
        if not path.startswith("/"):
            raise UsageError(f"launcher: the path of {request} must be absolute: {path!r}")
        if len(path.encode()) >= PATH_MAX:
            raise UsageError(f"launcher: the path of {request} is longer than {PATH_MAX - 1} bytes")
    version = default_version or newest_stable_minor(interpreters, prereleases)
    if version is not None:
        if not _MINOR_RE.match(version):
            raise UsageError(f"launcher: default version {version!r} is not a minor like 3.14")
        if not any(request.rstrip("t") == version for request in interpreters):
            raise UsageError(f"launcher: default version {version} has no interpreter among "
                             f"{', '.join(sorted(interpreters, key=_request_key))}")
    lines = ["# dualpy launcher configuration (written by dualpy; rules: docs/guide/launcher.md in dualpy)",
             f"default {default.value}"]
    if version is not None:
        lines.append(f"default-version {version}")
    lines += [f"interpreter {request} {interpreters[request]}" for request in sorted(interpreters, key=_request_key)]
    text = "\n".join(lines) + "\n"
    if len(text.encode()) >= CONFIG_MAX:
        raise UsageError(f"launcher: the configuration would be over {CONFIG_MAX - 1} bytes")
    return text


def parse_config(text: str) -> tuple[dict[str, str], Variant]:
    """The interpreters (request -> path) and the default variant of a configuration file."""
    config = LauncherConfig.parse(text)
    return config.interpreters, config.default


def compile_launcher(output: Path, cc: str | None = None, extra_flags: Collection[str] = ()) -> Path:
    """Compile launcher.c into output (atomically) and return it; cc may be a cross compiler."""
    compiler = cc or os.environ.get("CC") or "cc"
    if shutil.which(compiler) is None:
        raise UsageError(f"no C compiler {compiler!r} on PATH: install gcc (apt-get install gcc) or set CC")
    output.parent.mkdir(parents=True, exist_ok=True)
    temp = output.with_name(f".{output.name}.tmp")
    result = subprocess.run([compiler, *COMPILE_FLAGS, *extra_flags, "-o", str(temp), str(source_path())],
                            capture_output=True, text=True)
    if result.returncode != 0:
        temp.unlink(missing_ok=True)
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise BuildFailed(f"compiling the launcher with {compiler} failed: {last}")
    temp.replace(output)
    return output


def discover(root: Path = Path("/opt/python")) -> dict[str, str]:
    """Interpreters installed in manylinux layout under root, keyed by request ('3.13', '3.13t')."""
    found: dict[str, str] = {}
    if not root.is_dir():
        return found
    for directory in sorted(root.iterdir()):
        match = _INSTALL_DIR_RE.match(directory.name)
        if not match or directory.is_symlink():
            continue
        minor, _abi_minor, t = match.groups()
        executable = directory / "bin" / f"python3.{minor}{t}"
        if executable.is_file() and os.access(executable, os.X_OK):
            found[f"3.{minor}{t}"] = str(executable)
    return found


def prerelease_minors(interpreters: Mapping[str, str]) -> set[str]:
    """The minors ('3.15') whose installed interpreters are pre-releases, read from their patchlevel.h."""
    minors = set()
    for request, executable in interpreters.items():
        header = Path(executable).parent.parent / "include" / f"python{request}" / "patchlevel.h"
        try:
            match = _PY_VERSION_RE.search(header.read_text(errors="replace"))
        except OSError:
            continue
        if match and match[2]:
            minors.add(request.rstrip("t"))
    return minors


def parse_interpreter_options(values: list[str]) -> dict[str, str]:
    """Turn --python 3.13=/path values into a request -> path mapping, checking each path runs."""
    interpreters = {}
    for value in values:
        request, sep, path = value.partition("=")
        if not sep or not _REQUEST_RE.match(request):
            raise UsageError(f"--python {value}: write it as 3.14=/path/to/python3.14 or 3.14t=/path/to/python3.14t")
        if not (Path(path).is_file() and os.access(path, os.X_OK)):
            raise UsageError(f"--python {value}: {path} is not an executable file")
        interpreters[request] = os.path.abspath(path)  # noqa: PTH100 (collapses .., keeps symlinks; Path cannot)
    return interpreters


@dataclass(frozen=True)
class Installation:
    """What `launcher install` wrote: the binary, its python3 link, the configuration and its content."""

    launcher: Path
    links: list[Path]
    config: Path
    default: Variant
    interpreters: dict[str, str]
    default_version: str | None = field(default=None)

    def to_json(self) -> dict[str, Any]:
        """The JSON document `dualpy launcher install --json` prints (keys unchanged since the first release)."""
        return {"launcher": str(self.launcher), "links": [str(link) for link in self.links],
                "config": str(self.config), "default": self.default.value, "interpreters": dict(self.interpreters)}


def install(prefix: Path, interpreters: Mapping[str, str], default: Variant = Variant.GIL,
            default_version: str | None = None, prereleases: Collection[str] | None = None) -> Installation:
    """Install the launcher as prefix/bin/python (and python3) with its configuration; return what was written.

    prereleases defaults to what the interpreters' patchlevel.h files say, so a 3.15 release candidate
    installed beside 3.14 does not become the default minor.
    """
    if not interpreters:
        raise UsageError("no interpreters to launch: pass --python 3.14=PATH (and 3.14t=PATH), "
                         "or install CPython under /opt/python")
    if not any(r.endswith("t") == (default is Variant.FREETHREADED) for r in interpreters):
        raise UsageError(f"--default {default.value}: no {default.value} interpreter among {', '.join(interpreters)}")
    if prereleases is None:
        prereleases = prerelease_minors(interpreters)
    text = render_config(interpreters, default, default_version, prereleases)
    prefix = prefix.absolute()
    config = prefix / CONFIG_RELATIVE_PATH
    binary = prefix / "bin" / "python"
    config.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=config.parent, delete=False, prefix=".dualpy-launcher.") as stream:
        stream.write(text)
    written = Path(stream.name)
    written.chmod(0o644)
    try:
        compile_launcher(binary)
    except BaseException:
        written.unlink()
        raise
    written.replace(config)
    link = prefix / "bin" / "python3"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to("python")
    return Installation(binary, [link], config, default, dict(interpreters), LauncherConfig.parse(text).default_version)
