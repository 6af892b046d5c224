"""[tool.dualpy] in pyproject.toml, overridden by DUALPY_* variables, overridden by flags (as cibuildwheel layers)."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dualpy.errors import ConfigurationError, UsageError
from dualpy.sdist import MAX_PYPROJECT_BYTES, read_top
from dualpy.sources.recipes import find_release
from dualpy.tags import parse_variants
from dualpy.verify.stress import DEFAULT_ITERATIONS
from dualpy.wheels.floor import DEFAULT_FLOOR, parse_floor
from dualpy.wheels.system_packages import parse_system_packages

# key in [tool.dualpy] -> (type, environment variable, default)
SETTINGS: dict[str, tuple[type, str, Any]] = {
    "pythons": (list, "DUALPY_PYTHONS", []),
    "variants": (list, "DUALPY_VARIANTS", ["gil", "freethreaded"]),
    "image": (str, "DUALPY_IMAGE", None),
    "test-command": (str, "DUALPY_TEST_COMMAND", None),
    "allow-gil": (bool, "DUALPY_ALLOW_GIL", False),
    "output-dir": (str, "DUALPY_OUTPUT_DIR", "wheelhouse"),
    "stress": (bool, "DUALPY_STRESS", False),
    "stress-threads": (int, "DUALPY_STRESS_THREADS", None),
    "stress-iterations": (int, "DUALPY_STRESS_ITERATIONS", DEFAULT_ITERATIONS),
    "manylinux": (str, "DUALPY_MANYLINUX", DEFAULT_FLOOR),  # the glibc floor of the wheels, or native
    "require-classifier": (bool, "DUALPY_REQUIRE_CLASSIFIER", False),
    "system-packages": (list, "DUALPY_SYSTEM_PACKAGES", []),
}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Setting:
    """A resolved value and where it came from: 'default', 'FILE [tool.dualpy]', an env var, or a flag."""

    value: Any
    source: str


@dataclass(frozen=True)
class ResolvedConfig:
    """The pipeline's settings after layering."""

    settings: dict[str, Setting]

    def value(self, key: str) -> Any:
        """The layered value of a setting, as config files and flags spell it (options.py types it)."""
        return self.settings[key].value

    def flag(self, key: str) -> str:
        """How an error names a setting: the flag as typed, the variable, or the file and key that set it."""
        return _naming(key, self.settings[key].source)

    def to_json(self) -> dict[str, dict[str, Any]]:
        """The documented `config show --json` shape: each key's value and where it came from."""
        return {key: {"value": s.value, "source": s.source} for key, s in self.settings.items()}


def _naming(key: str, source: str) -> str:
    """A setting as an error names it: the flag as typed, the variable, or 'FILE [tool.dualpy] key'."""
    return source if source.startswith(("--", "DUALPY_")) or source == "default" else f"{source} {key}"


def _type_name(kind: type) -> str:
    return {list: "a list of strings", str: "a string", bool: "true or false", int: "a whole number"}[kind]


def read_project_table(project: Path) -> tuple[dict[str, Any], str]:
    """The [tool.dualpy] table of a project directory or an sdist, and where it was read (empty when absent)."""
    if project.is_file():
        return _sdist_table(project)
    pyproject = project / "pyproject.toml"
    if not pyproject.is_file():
        return {}, str(pyproject)
    return _dualpy_table(pyproject.read_bytes(), str(pyproject)), str(pyproject)


def _sdist_table(sdist: Path) -> tuple[dict[str, Any], str]:
    """[tool.dualpy] from the sdist's own top-level pyproject.toml (dualpy.sdist's bounded scan)."""
    top = read_top(sdist)
    if top.pyproject is None:
        return {}, top.pyproject_location
    return _dualpy_table(top.pyproject, top.pyproject_location), top.pyproject_location


def _dualpy_table(data: bytes, where: str) -> dict[str, Any]:
    """The [tool.dualpy] table of a pyproject.toml's bytes; ConfigurationError naming `where` when unusable."""
    try:
        document = tomllib.loads(data.decode())
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"{where}: not valid TOML ({exc})") from None
    tool = document.get("tool", {})
    table = tool.get("dualpy", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        raise ConfigurationError(f"{where}: [tool.dualpy] must be a table")
    return table


def _from_file(key: str, value: Any, where: str) -> Any:
    kind = SETTINGS[key][0]
    if kind is list:
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    else:
        ok = isinstance(value, kind) and not (kind in (str, int) and isinstance(value, bool))
    if not ok:
        raise ConfigurationError(f"{where}: [tool.dualpy] {key} must be {_type_name(kind)}, not {value!r}")
    return value


def _from_env(key: str, text: str, variable: str) -> Any:
    kind = SETTINGS[key][0]
    if kind is list:
        return [part for part in text.replace(",", " ").split() if part]
    if kind is bool:
        if text.strip().lower() in _TRUE:
            return True
        if text.strip().lower() in _FALSE:
            return False
        raise ConfigurationError(f"{variable}={text!r}: must be true or false (1/0)")
    if kind is int:
        try:
            return int(text.strip())
        except ValueError:
            raise ConfigurationError(f"{variable}={text!r}: must be a whole number") from None
    return text


def _validate(key: str, value: Any, source: str) -> None:
    """Refuse a value that cannot be used; the error names where it came from (the flag as typed, a variable or
    the file and key)."""
    where = _naming(key, source)
    try:
        if key == "pythons":
            for python in value:
                find_release(python)
        elif key == "variants" and value:
            parse_variants(",".join(value))
        elif key == "manylinux":
            parse_floor(value)
        elif key == "system-packages":
            parse_system_packages(value, where="")  # the wrapper below names where it came from
        elif key in ("stress-threads", "stress-iterations") and value is not None:
            least = 2 if key == "stress-threads" else 1
            if value < least:
                raise UsageError(f"{value}: give at least {least}")
    except UsageError as exc:
        raise ConfigurationError(f"{where}: {exc}") from None


def read_config_file(path: Path) -> tuple[dict[str, Any], str]:
    """The [tool.dualpy] table of a --config-file (a pyproject.toml-shaped TOML file), read at most 1 MiB."""
    if not path.is_file():
        raise UsageError(f"--config-file {path}: no such file (give a TOML file with a [tool.dualpy] table)")
    with path.open("rb") as stream:
        data = stream.read(MAX_PYPROJECT_BYTES + 1)
    if len(data) > MAX_PYPROJECT_BYTES:
        raise ConfigurationError(f"{path}: larger than {MAX_PYPROJECT_BYTES} bytes; not a configuration file")
    return _dualpy_table(data, str(path)), str(path)


def resolve(project: Path, env: Mapping[str, str], cli: Mapping[str, Any],
            config_file: Path | None = None, flag_names: Mapping[str, str] | None = None) -> ResolvedConfig:
    """Layer defaults < [tool.dualpy] < DUALPY_* < flags; unknown keys and wrong types are errors naming the file.

    project is a directory or an sdist; an sdist's settings come from its own pyproject.toml. A config_file
    (--config-file) replaces the project's table, as cibuildwheel's --config-file does. flag_names maps a key to
    the flag that sets it (--python for pythons); a flag's value names that flag as its source.
    """
    table, where = read_config_file(config_file) if config_file else read_project_table(project)
    unknown = sorted(set(table) - set(SETTINGS))
    if unknown:
        raise ConfigurationError(f"{where}: unknown key [tool.dualpy] {unknown[0]}; known keys: "
                                 f"{', '.join(SETTINGS)}")
    settings = {}
    for key, (_kind, variable, default) in SETTINGS.items():
        setting = Setting(default, "default")
        if key in table:
            setting = Setting(_from_file(key, table[key], where), f"{where} [tool.dualpy]")
        if env.get(variable, "") != "":  # an empty variable is unset, as CI templates leave them
            setting = Setting(_from_env(key, env[variable], variable), variable)
        flag = cli.get(key)
        if flag is not None and flag not in ([], ()):
            setting = Setting(list(flag) if isinstance(flag, (list, tuple)) else flag,
                              (flag_names or {}).get(key, f"--{key}"))
        _validate(key, setting.value, setting.source)
        settings[key] = setting
    return ResolvedConfig(settings)
