"""Render the C-extension test projects from one template (docker-library's apply-templates, in small).

    python3 tests/projects/_template/render.py           write every project's generated files
    python3 tests/projects/_template/render.py --check   exit 1 naming each file that differs from its rendering

render() is pure: tests/unit/test_projects.py compares its output with the committed files.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

TEMPLATE_DIR = Path(__file__).parent
PROJECTS_DIR = TEMPLATE_DIR.parent
GIL_SLOT = "#ifdef Py_GIL_DISABLED\n    {Py_mod_gil, Py_MOD_GIL_NOT_USED},\n#endif\n"
_PLACEHOLDER = re.compile(r"@([A-Z_]+)@")
TEMPLATES = ("module.c.in", "pyproject.toml.in", "setup.py.in")
KEYS = {"distribution", "module", "summary", "gil-not-used", "own-setup", "pyproject-tail", "refuses-freethreading"}
REFUSE_T = '#ifdef Py_GIL_DISABLED\n#error "this extension does not support the free-threaded build"\n#endif\n\n'


def load_specs(text: str) -> dict[str, dict[str, object]]:
    """The projects table (projects.toml), each entry checked for unknown and missing keys."""
    specs = tomllib.loads(text)
    for name, spec in specs.items():
        unknown = set(spec) - KEYS
        missing = {"distribution", "module", "summary", "gil-not-used"} - set(spec)
        if unknown or missing:
            raise ValueError(f"projects.toml [{name}]: unknown keys {sorted(unknown)}, missing {sorted(missing)}")
    return specs


def _fill(template: str, values: dict[str, str]) -> str:
    """The template with each @KEY@ replaced; a placeholder left over (a typo in a template) is an error."""
    text = _PLACEHOLDER.sub(lambda m: values.get(m[1], m[0]), template)
    if leftover := _PLACEHOLDER.findall(text):
        raise ValueError(f"unfilled placeholders: {leftover}")
    return text


def render(spec: dict[str, object], templates: dict[str, str]) -> dict[str, str]:
    """Relative path -> text of every file the template makes for one project."""
    module = str(spec["module"])
    values = {"MODULE": module, "DISTRIBUTION": str(spec["distribution"]), "SUMMARY": str(spec["summary"]),
              "GIL_SLOT": GIL_SLOT if spec["gil-not-used"] else "",
              "REFUSE_T": REFUSE_T if spec.get("refuses-freethreading") else ""}
    files = {
        f"src/{module}.c": _fill(templates["module.c.in"], values),
        "pyproject.toml": _fill(templates["pyproject.toml.in"], values) + str(spec.get("pyproject-tail", "")),
    }
    if not spec.get("own-setup"):
        files["setup.py"] = _fill(templates["setup.py.in"], values)
    return files


def rendered_projects() -> dict[Path, str]:
    """Absolute path -> text of every generated file of every project."""
    templates = {name: (TEMPLATE_DIR / name).read_text() for name in TEMPLATES}
    out = {}
    for name, spec in load_specs((TEMPLATE_DIR / "projects.toml").read_text()).items():
        for relative, text in render(spec, templates).items():
            out[PROJECTS_DIR / name / relative] = text
    return out


def main(argv: list[str]) -> int:
    stale = []
    for path, text in rendered_projects().items():
        if path.is_file() and path.read_text() == text:
            continue
        if "--check" in argv:
            stale.append(str(path.relative_to(PROJECTS_DIR.parent.parent)))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {path.relative_to(PROJECTS_DIR.parent.parent)}")
    for path in stale:
        print(f"{path} differs from its template: run python3 tests/projects/_template/render.py", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
