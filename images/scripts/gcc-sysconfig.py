"""Point a clang-built interpreter's build configuration at the image's gcc, as extension builds must see it.

Usage: python -I -B gcc-sysconfig.py PREFIX (run by the interpreter under PREFIX, in its clang builder stage).

The final image carries gcc, not clang: setuptools, meson and cibuildwheel's builds read CC, CXX, LDSHARED and the
like from sysconfig (the _sysconfigdata module, its JSON twin and the config Makefile), so those name gcc and g++
here. The interpreter's own record of what built it stays: platform.python_compiler() and CONFIG_ARGS, and
DUALPY_INTERPRETER_CC keeps the compiler sysconfig named before.
"""

from __future__ import annotations

import json
import pprint
import re
import sys
import sysconfig
from pathlib import Path

# The variables an extension build takes its compiler, linker and archiver from.
TOOL_VARIABLES = ("CC", "CXX", "CPP", "LDSHARED", "LDCXXSHARED", "BLDSHARED", "LINKCC", "MAINCC", "AR")
REPLACEMENTS = (
    (re.compile(r"(?<![\w./+-])(?:/usr/bin/)?clang\+\+-\d+(?![\w.+-])"), "g++"),
    (re.compile(r"(?<![\w./+-])(?:/usr/bin/)?clang-\d+(?![\w.+-])"), "gcc"),
    (re.compile(r"(?<![\w./+-])(?:/usr/bin/)?llvm-ar-\d+(?![\w.+-])"), "ar"),
    (re.compile(r"\s*-fuse-ld=lld(?![\w.-])"), ""),
)


def gcc_value(value: str) -> str:
    for pattern, replacement in REPLACEMENTS:
        value = pattern.sub(replacement, value)
    return value


def retarget(variables: dict[str, object]) -> dict[str, object]:
    changed = dict(variables)
    changed["DUALPY_INTERPRETER_CC"] = variables.get("CC", "")
    for name in TOOL_VARIABLES:
        value = variables.get(name)
        if isinstance(value, str):
            changed[name] = gcc_value(value)
    return changed


def rewrite_sysconfigdata(path: Path) -> None:
    namespace: dict[str, object] = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)  # noqa: S102 - the interpreter's own file
    variables = retarget(namespace["build_time_vars"])  # type: ignore[arg-type]
    path.write_text("# system configuration generated and used by the sysconfig module\n"
                    f"build_time_vars = {pprint.pformat(variables, indent=4)}\n")


def rewrite_vars_json(path: Path) -> None:
    document = json.loads(path.read_text())  # 3.14's flat copy of the config variables
    path.write_text(json.dumps(retarget(document), indent=2) + "\n")


def rewrite_makefile(path: Path) -> None:
    lines = []
    for line in path.read_text().splitlines(keepends=True):
        name = line.split("=", 1)[0].strip()
        lines.append(gcc_value(line) if "=" in line and name in TOOL_VARIABLES else line)
    path.write_text("".join(lines))


def main() -> None:
    prefix = Path(sys.argv[1])
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    if not stdlib.is_relative_to(prefix):
        sys.exit(f"gcc-sysconfig.py: run it with the interpreter under {prefix}, not {sys.executable}")
    found = sorted(stdlib.glob("_sysconfigdata_*.py"))
    if not found:
        sys.exit(f"gcc-sysconfig.py: no _sysconfigdata_*.py in {stdlib}")
    for path in found:
        rewrite_sysconfigdata(path)
    for path in sorted(stdlib.glob("_sysconfig_vars_*.json")):
        rewrite_vars_json(path)
    for path in sorted(stdlib.glob("config-*/Makefile")):
        rewrite_makefile(path)
    names = {name: gcc_value(str(sysconfig.get_config_var(name) or "")) for name in ("CC", "CXX", "LDSHARED")}
    print(f"gcc-sysconfig.py: {prefix}: {names}")


if __name__ == "__main__":
    main()
