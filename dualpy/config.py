"""[tool.dualpy] in pyproject.toml, overridden by DUALPY_* variables, overridden by flags (as cibuildwheel layers)."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dualpy.errors import ConfigurationError, UsageError
from dualpy.recipes import find_release
from dualpy.tags import parse_variants

# key in [tool.dualpy] -> (type, environment variable, default)
SETTINGS: dict[str, tuple[type, str, Any]] = {
    "pythons": (list, "DUALPY_PYTHONS", []),
    "variants": (list, "DUALPY_VARIANTS", ["gil", "freethreaded"]),
    "image": (str, "DUALPY_IMAGE", None),
    "test-command": (str, "DUALPY_TEST_COMMAND", None),
    "allow-gil": (bool, "DUALPY_ALLOW_GIL", False),
    "output-dir": (str, "DUALPY_OUTPUT_DIR", "wheelhouse"),
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

    def __getitem__(self, key: str) -> Any:
        return self.settings[key].value

    def as_json(self) -> dict:
        return {key: {"value": s.value, "source": s.source} for key, s in self.settings.items()}


def _type_name(kind: type) -> str:
    return {list: "a list of strings", str: "a string", bool: "true or false"}[kind]


def read_project_table(project_dir: Path) -> tuple[dict, str]:
    """The [tool.dualpy] table of a project and the name of its file (empty when absent)."""
    pyproject = project_dir / "pyproject.toml"
    if not pyproject.is_file():
        return {}, str(pyproject)
    try:
        document = tomllib.loads(pyproject.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{pyproject}: not valid TOML ({exc})") from None
    table = document.get("tool", {}).get("dualpy", {})
    if not isinstance(table, dict):
        raise ConfigurationError(f"{pyproject}: [tool.dualpy] must be a table")
    return table, str(pyproject)


def _from_file(key: str, value: Any, where: str) -> Any:
    kind = SETTINGS[key][0]
    ok = isinstance(value, kind) and (kind is not list or all(isinstance(v, str) for v in value))
    if kind is str and isinstance(value, bool):
        ok = False
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
    return text


def _validate(key: str, value: Any, source: str) -> None:
    try:
        if key == "pythons":
            for python in value:
                find_release(python)
        elif key == "variants" and value:
            parse_variants(",".join(value))
    except UsageError as exc:
        raise ConfigurationError(f"{source}: {exc}") from None


def resolve(project_dir: Path, env: Mapping[str, str], cli: Mapping[str, Any]) -> ResolvedConfig:
    """Layer defaults < [tool.dualpy] < DUALPY_* < flags; unknown keys and wrong types are errors naming the file."""
    table, where = read_project_table(project_dir)
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
        if flag is not None and flag != [] and flag != ():
            setting = Setting(list(flag) if isinstance(flag, (list, tuple)) else flag, f"--{key}")
        _validate(key, setting.value, setting.source)
        settings[key] = setting
    return ResolvedConfig(settings)
