import pytest

from dualpy.cli import main
from dualpy.config import resolve
from dualpy.errors import ConfigurationError


def project(tmp_path, table: str):
    (tmp_path / "pyproject.toml").write_text(f"[project]\nname = 'x'\nversion = '1'\n\n[tool.dualpy]\n{table}\n")
    return tmp_path


def test_defaults_then_file_then_env_then_flags(tmp_path):
    directory = project(tmp_path, 'pythons = ["3.13"]\ntest-command = "pytest"\nallow-gil = true')
    config = resolve(directory, {}, {})
    assert config["pythons"] == ["3.13"] and config.settings["pythons"].source.endswith("pyproject.toml [tool.dualpy]")
    assert config["variants"] == ["gil", "freethreaded"] and config.settings["variants"].source == "default"
    env = {"DUALPY_PYTHONS": "3.13 3.14", "DUALPY_ALLOW_GIL": "0", "DUALPY_TEST_COMMAND": ""}
    config = resolve(directory, env, {})
    assert config["pythons"] == ["3.13", "3.14"] and config.settings["pythons"].source == "DUALPY_PYTHONS"
    assert config["allow-gil"] is False
    assert config["test-command"] == "pytest", "an empty variable counts as unset"
    config = resolve(directory, env, {"pythons": ["3.13.5"], "allow-gil": True, "output-dir": "out"})
    assert config["pythons"] == ["3.13.5"] and config.settings["pythons"].source == "--pythons"
    assert config["allow-gil"] is True and config["output-dir"] == "out"


def test_unknown_key_names_the_key_and_the_file(tmp_path):
    with pytest.raises(ConfigurationError) as caught:
        resolve(project(tmp_path, 'pythonz = ["3.13"]'), {}, {})
    assert "pythonz" in str(caught.value) and "pyproject.toml" in str(caught.value)


@pytest.mark.parametrize(("table", "key"), [('pythons = "3.13"', "pythons"), ("allow-gil = 1", "allow-gil"),
                                            ("image = true", "image"), ("variants = [1]", "variants")])
def test_wrong_types_name_the_key_the_type_and_the_file(tmp_path, table, key):
    with pytest.raises(ConfigurationError) as caught:
        resolve(project(tmp_path, table), {}, {})
    assert f"[tool.dualpy] {key} must be" in str(caught.value) and "pyproject.toml" in str(caught.value)


@pytest.mark.parametrize(("env", "message"), [({"DUALPY_PYTHONS": "3.12"}, "DUALPY_PYTHONS"),
                                              ({"DUALPY_ALLOW_GIL": "maybe"}, "DUALPY_ALLOW_GIL"),
                                              ({"DUALPY_VARIANTS": "gil,turbo"}, "DUALPY_VARIANTS")])
def test_bad_environment_values(tmp_path, env, message):
    with pytest.raises(ConfigurationError, match=message):
        resolve(tmp_path, env, {})


def test_config_show_cli(tmp_path, capsys):
    directory = project(tmp_path, 'pythons = ["3.13"]')
    assert main(["config", "show", str(directory), "--json"]) == 0
    assert '"source": "default"' in capsys.readouterr().out
    assert main(["config", "show", str(tmp_path / "nope")]) == 2


@pytest.mark.parametrize(("table", "args"), [('pythonz = ["3.13"]', []), ("", ["--python", "3.12"]),
                                             ("allow-gil = 'yes'", [])])
def test_pipeline_bad_input_is_exit_2_and_writes_nothing(tmp_path, capsys, table, args):
    (tmp_path / "proj").mkdir()
    directory = project(tmp_path / "proj", table)
    out = tmp_path / "out"
    assert main(["pipeline", str(directory), *args, "--output-dir", str(out)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert not out.exists()


def test_pipeline_on_a_non_project_dir(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["pipeline", str(tmp_path), "--python", "3.13", "--output-dir", str(out)]) == 2
    assert "no pyproject.toml or setup.py" in capsys.readouterr().err
    assert not out.exists()
