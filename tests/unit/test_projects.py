"""The C-extension test projects are rendered from one template; the committed files can't drift from it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

RENDER = Path(__file__).parent.parent / "projects" / "_template" / "render.py"
_spec = importlib.util.spec_from_file_location("dualpy_test_render", RENDER)
assert _spec and _spec.loader
render = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(render)

RENDERED = render.rendered_projects()
TEMPLATES = {name: (render.TEMPLATE_DIR / name).read_text() for name in render.TEMPLATES}
SPECS = render.load_specs((render.TEMPLATE_DIR / "projects.toml").read_text())


@pytest.mark.parametrize("path", sorted(RENDERED), ids=lambda p: str(p.relative_to(render.PROJECTS_DIR)))
def test_committed_file_is_its_rendering(path):
    assert path.is_file(), f"{path} is missing: run python3 tests/projects/_template/render.py"
    assert path.read_text() == RENDERED[path], f"{path} differs: run python3 tests/projects/_template/render.py"


def test_every_extension_project_is_rendered_and_keeps_its_behaviour():
    assert set(SPECS) == {"ext-freethreading", "ext-gil-only", "ext-refuses-t", "ext-abi3", "uv-frontend"}
    for name, spec in SPECS.items():
        source = (render.PROJECTS_DIR / name / "src" / f"{spec['module']}.c").read_text()
        assert ("Py_mod_gil" in source) is (name not in ("ext-gil-only", "ext-refuses-t")), name
        assert ("#error" in source) is (name == "ext-refuses-t"), name
        assert f"PyInit_{spec['module']}(void)" in source
    abi3_setup = (render.PROJECTS_DIR / "ext-abi3" / "setup.py").read_text()
    assert "py_limited_api" in abi3_setup and "Py_GIL_DISABLED" in abi3_setup  # hand-written, not rendered
    uv = (render.PROJECTS_DIR / "uv-frontend" / "pyproject.toml").read_text()
    assert 'build-frontend = "build[uv]"' in uv


def test_a_typo_in_a_template_is_an_error():
    broken = {**TEMPLATES, "setup.py.in": TEMPLATES["setup.py.in"].replace("@MODULE@", "@MODUL@", 1)}
    with pytest.raises(ValueError, match="MODUL"):
        render.render(SPECS["ext-gil-only"], broken)


def test_an_unknown_key_in_the_table_is_an_error():
    with pytest.raises(ValueError, match="gil-not-usd"):
        render.load_specs('[x]\ndistribution = "a"\nmodule = "a"\nsummary = "a"\ngil-not-usd = true\n')
