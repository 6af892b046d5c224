"""The py3-none-any fallback builds from a copy of the tree, leaving build output behind."""

from __future__ import annotations

from dualpy.wheels.pure import ignore_artifacts


def test_the_pure_wheel_is_built_from_a_copy_of_the_tree(tmp_path):
    project = tmp_path / "pure"
    (project / "src" / "pure_demo").mkdir(parents=True)
    (project / "src" / "pure_demo" / "__init__.py").write_text("")
    (project / "build").mkdir()
    (project / "build" / "junk").write_text("")
    copied = ignore_artifacts(str(project), ["src", "build", "x.egg-info", ".wheelhouse.dualpy-1", "a.py"])
    assert copied == {"build", "x.egg-info", ".wheelhouse.dualpy-1"}
