"""The interpreter launcher: its configuration, compilation and installation (the rules live in launcher.c)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from dualpy.errors import BuildFailed, UsageError
from dualpy.tags import Variant

CONFIG_RELATIVE_PATH = Path("etc/dualpy-launcher.conf")
# Freestanding and static: no dynamic loader and no libc start-up before the one execve (see launcher.c).
COMPILE_FLAGS = ("-O2", "-static", "-nostdlib", "-ffreestanding", "-fno-builtin", "-fno-stack-protector",
                 "-fno-tree-loop-distribute-patterns", "-fno-asynchronous-unwind-tables")
_REQUEST_RE = re.compile(r"^3\.\d+t?$")
_INSTALL_DIR_RE = re.compile(r"^cp3(\d+)-cp3(\d+)(t?)$")


def source_path() -> Path:
    """The launcher's C source, shipped inside the package."""
    return Path(__file__).with_name("launcher.c")


def render_config(interpreters: Mapping[str, str], default: Variant, default_version: str | None = None) -> str:
    """The configuration file text for interpreters keyed by request ('3.13', '3.13t')."""
    lines = ["# dualpy launcher configuration (written by dualpy; rules: see dualpy's README)",
             f"default {default.value}"]
    if default_version:
        lines.append(f"default-version {default_version}")
    for request, path in sorted(interpreters.items()):
        if not _REQUEST_RE.match(request):
            raise UsageError(f"launcher: {request!r} is not an interpreter name like 3.13 or 3.13t")
        if "\n" in path:
            raise UsageError(f"launcher: the path of {request} has a line break")
        lines.append(f"interpreter {request} {path}")
    return "\n".join(lines) + "\n"


def parse_config(text: str) -> tuple[dict[str, str], Variant]:
    """The interpreters (request -> path) and the default variant of a configuration file."""
    interpreters: dict[str, str] = {}
    default = Variant.GIL
    for line in text.splitlines():
        words = line.strip().split(None, 2)
        if not words or words[0].startswith("#"):
            continue
        if words[0] == "default" and len(words) > 1:
            default = Variant(words[1])
        elif words[0] == "interpreter" and len(words) == 3:
            interpreters[words[1]] = words[2]
    return interpreters, default


def compile_launcher(output: Path, cc: str | None = None) -> Path:
    """Compile launcher.c into output (atomically) and return it."""
    compiler = cc or os.environ.get("CC") or "cc"
    if shutil.which(compiler) is None:
        raise UsageError(f"no C compiler {compiler!r} on PATH: install gcc (apt-get install gcc) or set CC")
    output.parent.mkdir(parents=True, exist_ok=True)
    temp = output.with_name(f".{output.name}.tmp")
    result = subprocess.run([compiler, *COMPILE_FLAGS, "-o", str(temp), str(source_path())],
                            capture_output=True, text=True)
    if result.returncode != 0:
        temp.unlink(missing_ok=True)
        raise BuildFailed(f"compiling the launcher failed: {result.stderr.strip().splitlines()[-1:]}")
    os.replace(temp, output)
    return output


def discover(root: Path = Path("/opt/python")) -> dict[str, str]:
    """Interpreters installed in manylinux layout under root, keyed by request ('3.13', '3.13t')."""
    found = {}
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


def parse_interpreter_options(values: list[str]) -> dict[str, str]:
    """Turn --python 3.13=/path values into a request -> path mapping, checking each path runs."""
    interpreters = {}
    for value in values:
        request, sep, path = value.partition("=")
        if not sep or not _REQUEST_RE.match(request):
            raise UsageError(f"--python {value}: write it as 3.13=/path/to/python3.13 or 3.13t=/path/to/python3.13t")
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            raise UsageError(f"--python {value}: {path} is not an executable file")
        interpreters[request] = os.path.abspath(path)
    return interpreters


def install(prefix: Path, interpreters: Mapping[str, str], default: Variant = Variant.GIL) -> dict:
    """Install the launcher as prefix/bin/python (and python3) with its configuration; return what was written."""
    if not interpreters:
        raise UsageError("no interpreters to launch: pass --python 3.13=PATH (and 3.13t=PATH), "
                         "or install CPython under /opt/python")
    if not any(r.endswith("t") == (default is Variant.FREETHREADED) for r in interpreters):
        raise UsageError(f"--default {default.value}: no {default.value} interpreter among {', '.join(interpreters)}")
    prefix = prefix.absolute()
    config = prefix / CONFIG_RELATIVE_PATH
    binary = prefix / "bin" / "python"
    config.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=config.parent, delete=False, prefix=".dualpy-launcher.") as stream:
        stream.write(render_config(interpreters, default))
    os.chmod(stream.name, 0o644)
    compile_launcher(binary)
    os.replace(stream.name, config)
    link = prefix / "bin" / "python3"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to("python")
    return {"launcher": str(binary), "links": [str(link)], "config": str(config),
            "default": default.value, "interpreters": dict(interpreters)}
