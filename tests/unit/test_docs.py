"""The README is a front page, the docs site builds strictly, and its generated tables say what the code says."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from dualpy import errors
from dualpy.config import SETTINGS

ROOT = Path(__file__).parent.parent.parent
README = (ROOT / "README.md").read_text()


def _hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dualpy_docs_hooks", ROOT / "docs" / "hooks.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hooks = _hooks()


def test_the_readme_is_a_front_page() -> None:
    assert len(README.splitlines()) <= 250
    headings = re.findall(r"^## (.+)$", README, re.M)
    assert headings == ["Quick start", "Install", "Commands", "Documentation"]


def test_every_relative_link_of_the_readme_and_contributing_exists() -> None:
    for name in ("README.md", "CONTRIBUTING.md"):
        text = (ROOT / name).read_text()
        targets = [t.split("#")[0] for t in re.findall(r"\]\(([^)\s]+)\)", text) if not t.startswith(("http", "#"))]
        assert targets or name == "CONTRIBUTING.md"
        for target in targets:
            assert (ROOT / target).exists(), f"{name} links to {target}, which does not exist"


def test_the_readme_lists_every_command() -> None:
    from typer.main import get_command

    from dualpy.cli import app

    root = get_command(app)
    names = []
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        names += [f"dualpy {name} {sub}" for sub in subcommands] if subcommands else [f"dualpy {name}"]
    table = README[README.index("## Commands"):README.index("## Documentation")]
    missing = [name for name in names if f"`{name}" not in table]
    assert missing == []


def test_the_settings_table_has_one_row_per_setting_with_a_real_flag() -> None:
    table = hooks.settings_table()
    rows = table.splitlines()[2:]
    assert [row.split("|")[1].strip().strip("`") for row in rows] == list(SETTINGS)
    options = hooks.pipeline_options()
    for key, (_kind, variable, _default) in SETTINGS.items():
        row = rows[list(SETTINGS).index(key)]
        assert f"`{variable}`" in row
        flag = hooks.PIPELINE_FLAGS.get(key, f"--{key}")
        assert f"`{flag}`" in row and flag in options
    assert "| `variants` | list of strings" in table and "| `gil`, `freethreaded` |" in table
    assert ("| `stress-iterations` | whole number (at least 1) | `DUALPY_STRESS_ITERATIONS` | `--iterations` | `10` |"
            in rows)


def test_every_empty_default_is_explained_and_nothing_stale_is_left() -> None:
    empty = {key for key, (_kind, _variable, default) in SETTINGS.items() if default in (None, [])}
    assert set(hooks.DEFAULT_MEANS) == empty
    assert set(hooks.PIPELINE_FLAGS) == set(SETTINGS) and set(hooks.FORMS) <= set(SETTINGS)


def test_the_errors_table_has_every_error_class_and_its_exit_code() -> None:
    rows = hooks.errors_table().splitlines()[2:]
    classes = [value for value in vars(errors).values()
               if isinstance(value, type) and issubclass(value, errors.DualpyError)]
    assert len(rows) == len(classes)
    for kind in classes:
        assert any(row.startswith(f"| {kind.return_code} | `{kind.__name__}` |") for row in rows), kind


def test_markers_become_tables_and_other_lines_stay() -> None:
    page = "# Title\n\n<!-- generated: settings -->\n\ntext <!-- generated: errors --> stays\n"
    rendered = hooks.render(page)
    assert rendered.startswith("# Title\n\n| `[tool.dualpy]` key |") and rendered.endswith(
        "\n\ntext <!-- generated: errors --> stays\n")
    for marker, path in (("settings", "guide/configuration.md"), ("errors", "reference/exit-codes.md")):
        assert f"\n<!-- generated: {marker} -->\n" in (ROOT / "docs" / path).read_text()


@pytest.mark.lint
def test_the_site_builds_strictly(tmp_path: Path) -> None:
    """`mkdocs build --strict`: every page in the nav, every link and anchor resolves, the hook's tables render."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                            cwd=ROOT, capture_output=True, text=True, env=env)
    assert "No module named mkdocs" not in result.stderr, "mkdocs is missing: pip install -e '.[docs]'"
    assert result.returncode == 0, result.stderr[-3000:]
    configuration = (tmp_path / "site" / "guide" / "configuration" / "index.html").read_text()
    assert "DUALPY_STRESS_ITERATIONS" in configuration and "generated: settings" not in configuration
    assert "ContainerFailed" in (tmp_path / "site" / "reference" / "exit-codes" / "index.html").read_text()
    assert "Test tiers" in (tmp_path / "site" / "contributing" / "index.html").read_text()  # CONTRIBUTING.md included
