"""mkdocs hook: the tables the site generates from the code, so they cannot drift from it.

A page asks for a table with a marker line: `<!-- generated: settings -->` (the [tool.dualpy] settings, from
dualpy.config.SETTINGS and the options of `dualpy pipeline`) or `<!-- generated: errors -->` (the error classes
and their exit codes, from dualpy.errors). tests/unit/test_docs.py checks the tables against the code.
"""

from __future__ import annotations

import inspect
from typing import Any

import typer

from dualpy import errors
from dualpy.cli import app
from dualpy.config import SETTINGS
from dualpy.options import PIPELINE_FLAGS

# The pipeline option of each setting whose flag is not `--KEY`.
# What an empty default ([] or None) means; every such setting needs an entry (the test checks).
DEFAULT_MEANS = {
    "pythons": "the newest final release dualpy has a recipe for",
    "image": "`dualpy/cpython:<releases>` (`images.default_tag_for`), built when absent",
    "test-command": "the project's `[tool.cibuildwheel]` one",
    "system-packages": "none",
    "stress-threads": "the machine's cores, at least 2",
}
# How the value is written, beyond its type.
FORMS = {
    "pythons": "`3.14`, `3.14.7`; the variable takes `\"3.13 3.14\"` or `\"3.13,3.14\"`",
    "variants": "`gil`, `freethreaded`",
    "stress-threads": "at least 2",
    "stress-iterations": "at least 1",
    "manylinux": "`2_28`, `manylinux_2_28`, `2_17`, `manylinux2014`, any `2_X` auditwheel can repair to, or "
                 "`native` (the image's own gcc)",
}
TYPE_NAMES = {list: "list of strings", str: "string", bool: "boolean", int: "whole number"}


def pipeline_options() -> dict[str, Any]:
    """Each option of `dualpy pipeline` by every spelling (`--allow-gil` and `--no-allow-gil` alike)."""
    command = typer.main.get_command(app).commands["pipeline"]  # type: ignore[attr-defined]
    return {opt: param for param in command.params if param.param_type_name == "option"
            for opt in (*param.opts, *param.secondary_opts)}


def _default(key: str, value: Any) -> str:
    if value in (None, []):
        return DEFAULT_MEANS[key]
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, list):
        return ", ".join(f"`{item}`" for item in value)
    return f"`{value}`"


def settings_table() -> str:
    """The Markdown table of every [tool.dualpy] key: type, variable, pipeline flag, default."""
    options = pipeline_options()
    rows = ["| `[tool.dualpy]` key | type | variable | flag of `dualpy pipeline` | default |", "|---|---|---|---|---|"]
    for key, (kind, variable, default) in SETTINGS.items():
        option = options[PIPELINE_FLAGS.get(key, f"--{key}")]
        flags = " / ".join(f"`{flag}`" for flag in (*option.opts, *option.secondary_opts))
        form = f" ({FORMS[key]})" if key in FORMS else ""
        rows.append(f"| `{key}` | {TYPE_NAMES[kind]}{form} | `{variable}` | {flags} | {_default(key, default)} |")
    return "\n".join(rows)


def error_classes() -> list[type[errors.DualpyError]]:
    """dualpy.errors' classes in the order the module defines them."""
    found = [value for value in vars(errors).values()
             if inspect.isclass(value) and issubclass(value, errors.DualpyError)]
    return sorted(found, key=lambda kind: inspect.getsourcelines(kind)[1])


def errors_table() -> str:
    """The Markdown table of every error class: its exit code and what it means."""
    rows = ["| exit code | error | when |", "|---|---|---|"]
    for kind in error_classes():
        doc = (kind.__doc__ or "").strip().splitlines()[0]
        rows.append(f"| {kind.return_code} | `{kind.__name__}` | {doc} |")
    return "\n".join(rows)


MARKERS = {"<!-- generated: settings -->": settings_table, "<!-- generated: errors -->": errors_table}


def render(markdown: str) -> str:
    """The page with each marker line replaced by its table."""
    return "\n".join(MARKERS[line.strip()]() if line.strip() in MARKERS else line for line in markdown.split("\n"))


def on_page_markdown(markdown: str, **_: Any) -> str:
    return render(markdown)
