import os
import re
import tomllib

import pytest

from dualpy.cli import main
from dualpy.config import Setting, read_project_table, resolve
from dualpy.errors import ConfigurationError, UsageError


@pytest.fixture(autouse=True)
def _no_dualpy_variables(monkeypatch):
    """The CLI tests read os.environ: a DUALPY_* variable set on the machine running them must not leak in."""
    for name in list(os.environ):
        if name.startswith("DUALPY_"):
            monkeypatch.delenv(name)


def project(tmp_path, table: str):
    (tmp_path / "pyproject.toml").write_text(f"[project]\nname = 'x'\nversion = '1'\n\n[tool.dualpy]\n{table}\n")
    return tmp_path


def test_defaults_then_file_then_env_then_flags(tmp_path):
    directory = project(tmp_path, 'pythons = ["3.13"]\ntest-command = "pytest"\nallow-gil = true')
    config = resolve(directory, {}, {})
    assert config.value("pythons") == ["3.13"]
    assert config.settings["pythons"].source.endswith("pyproject.toml [tool.dualpy]")
    assert config.value("variants") == ["gil", "freethreaded"] and config.settings["variants"].source == "default"
    env = {"DUALPY_PYTHONS": "3.13 3.14", "DUALPY_ALLOW_GIL": "0", "DUALPY_TEST_COMMAND": ""}
    config = resolve(directory, env, {})
    assert config.value("pythons") == ["3.13", "3.14"] and config.settings["pythons"].source == "DUALPY_PYTHONS"
    assert config.value("allow-gil") is False
    assert config.value("test-command") == "pytest", "an empty variable counts as unset"
    config = resolve(directory, env, {"pythons": ["3.13.5"], "allow-gil": True, "output-dir": "out"})
    assert config.value("pythons") == ["3.13.5"] and config.settings["pythons"].source == "--pythons"
    assert config.value("allow-gil") is True and config.value("output-dir") == "out"


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


# What follows pins each rule on its own (issue 16: every mutant of config.py is killed or listed as equivalent).

KNOWN_KEYS = ("pythons, variants, image, test-command, allow-gil, output-dir, stress, stress-threads, "
              "stress-iterations, manylinux, require-classifier, system-packages")


def test_every_default_with_its_source_and_as_json(tmp_path):
    config = resolve(tmp_path, {}, {})
    assert config.to_json() == {
        "pythons": {"value": [], "source": "default"},
        "variants": {"value": ["gil", "freethreaded"], "source": "default"},
        "image": {"value": None, "source": "default"},
        "test-command": {"value": None, "source": "default"},
        "allow-gil": {"value": False, "source": "default"},
        "output-dir": {"value": "wheelhouse", "source": "default"},
        "stress": {"value": False, "source": "default"},
        "stress-threads": {"value": None, "source": "default"},
        "stress-iterations": {"value": 10, "source": "default"},
        "manylinux": {"value": "2_28", "source": "default"},
        "require-classifier": {"value": False, "source": "default"},
        "system-packages": {"value": [], "source": "default"},
    }
    assert list(config.settings) == KNOWN_KEYS.split(", ")


@pytest.mark.parametrize(
    ("key", "toml", "variable", "env_text", "env_value", "flag"),
    [("pythons", '["3.13"]', "DUALPY_PYTHONS", "3.14", ["3.14"], ["3.13.5"]),
     ("variants", '["gil"]', "DUALPY_VARIANTS", "freethreaded", ["freethreaded"], ["gil", "freethreaded"]),
     ("image", '"from-file"', "DUALPY_IMAGE", "from-env", "from-env", "from-flag"),
     ("test-command", '"pytest"', "DUALPY_TEST_COMMAND", "pytest -x", "pytest -x", "pytest -q"),
     ("allow-gil", "true", "DUALPY_ALLOW_GIL", "0", False, True),
     ("output-dir", '"file-out"', "DUALPY_OUTPUT_DIR", "env-out", "env-out", "flag-out"),
     ("stress", "true", "DUALPY_STRESS", "no", False, True),
     ("stress-threads", "4", "DUALPY_STRESS_THREADS", " 8 ", 8, 2),
     ("stress-iterations", "3", "DUALPY_STRESS_ITERATIONS", "20", 20, 1),
     ("manylinux", '"2_28"', "DUALPY_MANYLINUX", "manylinux2014", "manylinux2014", "2_34")],
)
def test_each_layer_beats_the_one_below(tmp_path, key, toml, variable, env_text, env_value, flag):
    directory = project(tmp_path, f"{key} = {toml}")
    where = f"{directory / 'pyproject.toml'} [tool.dualpy]"
    file_value = resolve(directory, {}, {}).settings[key]
    assert file_value == Setting(tomllib.loads(f"v = {toml}")["v"], where)
    assert resolve(directory, {variable: env_text}, {}).settings[key] == Setting(env_value, variable)
    assert resolve(directory, {variable: env_text}, {key: flag}).settings[key] == Setting(flag, f"--{key}")
    assert resolve(tmp_path / "none", {}, {key: flag}).settings[key] == Setting(flag, f"--{key}")
    assert resolve(directory, {variable: ""}, {}).settings[key] == file_value, "an empty variable counts as unset"


@pytest.mark.parametrize("unset", [None, [], ()])
def test_flags_left_empty_count_as_unset(tmp_path, unset):
    directory = project(tmp_path, 'pythons = ["3.13"]')
    config = resolve(directory, {"DUALPY_IMAGE": "img"}, {"pythons": unset, "image": unset})
    assert config.settings["pythons"].value == ["3.13"] and config.settings["image"] == Setting("img", "DUALPY_IMAGE")


def test_list_flags_become_lists_and_false_flags_still_win(tmp_path):
    flags = {"pythons": ("3.13",), "variants": ("gil",), "allow-gil": False}
    config = resolve(tmp_path, {"DUALPY_ALLOW_GIL": "1"}, flags)
    assert config.settings["pythons"] == Setting(["3.13"], "--pythons")
    assert config.settings["variants"] == Setting(["gil"], "--variants")
    assert config.settings["allow-gil"] == Setting(False, "--allow-gil")


@pytest.mark.parametrize("text", ["1", "true", "TRUE", "True", "yes", "YES", "on", "On", " on "])
def test_allow_gil_true_values(tmp_path, text):
    assert resolve(tmp_path, {"DUALPY_ALLOW_GIL": text}, {}).settings["allow-gil"] == Setting(True, "DUALPY_ALLOW_GIL")


@pytest.mark.parametrize("text", ["0", "false", "FALSE", "False", "no", "NO", "off", "Off", " off ", " "])
def test_allow_gil_false_values(tmp_path, text):
    directory = project(tmp_path, "allow-gil = true")
    setting = resolve(directory, {"DUALPY_ALLOW_GIL": text}, {}).settings["allow-gil"]
    assert setting == Setting(False, "DUALPY_ALLOW_GIL")


@pytest.mark.parametrize("text", ["maybe", "2", "y", "n", "enabled", "1 0"])
def test_allow_gil_other_values_are_refused_with_the_fix(tmp_path, text):
    with pytest.raises(ConfigurationError) as caught:
        resolve(tmp_path, {"DUALPY_ALLOW_GIL": text}, {})
    assert str(caught.value) == f"DUALPY_ALLOW_GIL={text!r}: must be true or false (1/0)"


@pytest.mark.parametrize("text", ["3.13,3.14", "3.13, 3.14", "3.13 3.14", " 3.13,,3.14 ", "3.13\t3.14", "3.13 ,3.14"])
def test_pythons_variable_splits_on_commas_and_spaces(tmp_path, text):
    assert resolve(tmp_path, {"DUALPY_PYTHONS": text}, {}).value("pythons") == ["3.13", "3.14"]


def test_variants_variable_splits_like_pythons(tmp_path):
    assert resolve(tmp_path, {"DUALPY_VARIANTS": "freethreaded, gil"}, {}).value("variants") == ["freethreaded", "gil"]


def test_string_variables_are_kept_as_written(tmp_path):
    config = resolve(tmp_path, {"DUALPY_TEST_COMMAND": " pytest, -x ", "DUALPY_IMAGE": "a,b"}, {})
    assert (config.value("test-command"), config.value("image")) == (" pytest, -x ", "a,b")


def test_unknown_key_message_lists_the_known_keys(tmp_path):
    directory = project(tmp_path, 'zzz = 1\nimagez = "x"')
    with pytest.raises(ConfigurationError) as caught:
        resolve(directory, {}, {})
    assert str(caught.value) == (f"{directory / 'pyproject.toml'}: unknown key [tool.dualpy] imagez; "
                                 f"known keys: {KNOWN_KEYS}")


@pytest.mark.parametrize(
    ("table", "message"),
    [('pythons = "3.13"', "pythons must be a list of strings, not '3.13'"),
     ('pythons = ["3.13", 3]', "pythons must be a list of strings, not ['3.13', 3]"),
     ("variants = [1]", "variants must be a list of strings, not [1]"),
     ("image = true", "image must be a string, not True"),
     ("test-command = 3", "test-command must be a string, not 3"),
     ('output-dir = ["out"]', "output-dir must be a string, not ['out']"),
     ("allow-gil = 1", "allow-gil must be true or false, not 1"),
     ("allow-gil = 'yes'", "allow-gil must be true or false, not 'yes'")],
)
def test_type_errors_per_kind_name_the_file_key_and_type(tmp_path, table, message):
    directory = project(tmp_path, table)
    with pytest.raises(ConfigurationError) as caught:
        resolve(directory, {}, {})
    assert str(caught.value) == f"{directory / 'pyproject.toml'}: [tool.dualpy] {message}"


def test_values_of_the_right_kind_are_accepted(tmp_path):
    directory = project(tmp_path, 'pythons = []\nvariants = []\nimage = ""\nallow-gil = false\noutput-dir = "o"')
    config = resolve(directory, {}, {})
    keys = ("pythons", "variants", "image", "allow-gil", "output-dir")
    assert tuple(config.value(key) for key in keys) == ([], [], "", False, "o")


@pytest.mark.parametrize(
    ("env", "cli", "message"),
    [({"DUALPY_PYTHONS": "3.13 3.12"}, {}, "DUALPY_PYTHONS: no recipe for Python '3.12'"),
     ({}, {"pythons": ["3.12"]}, "--pythons: no recipe for Python '3.12'"),
     ({"DUALPY_VARIANTS": "gil,turbo"}, {}, "DUALPY_VARIANTS: unknown variant 'turbo'"),
     ({}, {"variants": ["turbo"]}, "--variants: unknown variant 'turbo'")],
)
def test_invalid_values_name_where_they_came_from(tmp_path, env, cli, message):
    with pytest.raises(ConfigurationError) as caught:
        resolve(tmp_path, env, cli)
    assert str(caught.value).startswith(message)


def test_read_project_table_without_a_file(tmp_path):
    assert read_project_table(tmp_path) == ({}, str(tmp_path / "pyproject.toml"))


@pytest.mark.parametrize("text", ["[project]\nname = 'x'\n", "[tool.other]\nkey = 1\n", "[tool]\n"])
def test_read_project_table_without_the_table(tmp_path, text):
    (tmp_path / "pyproject.toml").write_text(text)
    assert read_project_table(tmp_path) == ({}, str(tmp_path / "pyproject.toml"))


def test_read_project_table_returns_the_table(tmp_path):
    directory = project(tmp_path, 'image = "x"')
    assert read_project_table(directory) == ({"image": "x"}, str(directory / "pyproject.toml"))


def test_bad_toml_and_a_non_table_name_the_file(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text("[tool.dualpy\n")
    with pytest.raises(ConfigurationError, match=rf"^{re.escape(str(pyproject))}: not valid TOML \(.+\)$"):
        read_project_table(tmp_path)
    pyproject.write_text("[tool]\ndualpy = 3\n")
    with pytest.raises(ConfigurationError) as caught:
        read_project_table(tmp_path)
    assert str(caught.value) == f"{pyproject}: [tool.dualpy] must be a table"


@pytest.mark.parametrize(
    ("key", "toml", "message"),
    [("stress-threads", "true", "must be a whole number"),
     ("stress-threads", '"4"', "must be a whole number"),
     ("stress-threads", "1", "give at least 2"),
     ("stress-iterations", "0", "give at least 1"),
     ("manylinux", '"2.28"', "--manylinux '2.28'"),
     ("manylinux", '"2_29"', "--manylinux 2_29: auditwheel repairs to 2_17"),
     ("manylinux", "228", "must be a string")],
)
def test_new_keys_refuse_bad_values(tmp_path, key, toml, message):
    (tmp_path / "pyproject.toml").write_text(f"[tool.dualpy]\n{key} = {toml}\n")
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        resolve(tmp_path, {}, {})


def test_integer_variables_refuse_words(tmp_path):
    with pytest.raises(ConfigurationError, match="DUALPY_STRESS_THREADS='many': must be a whole number"):
        resolve(tmp_path, {"DUALPY_STRESS_THREADS": "many"}, {})
    assert resolve(tmp_path, {"DUALPY_STRESS_THREADS": "2"}, {}).value("stress-threads") == 2


def test_a_config_file_replaces_the_projects_table(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.dualpy]\npythons = ["3.13"]\nallow-gil = true\n')
    other = tmp_path / "ci.toml"
    other.write_text('[tool.dualpy]\npythons = ["3.14"]\n')
    config = resolve(tmp_path, {}, {}, other)
    assert config.value("pythons") == ["3.14"] and config.value("allow-gil") is False
    assert config.settings["pythons"].source == f"{other} [tool.dualpy]"
    with pytest.raises(UsageError, match="--config-file .*: no such file"):
        resolve(tmp_path, {}, {}, tmp_path / "absent.toml")
    other.write_text("[tool.dualpy\n")
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        resolve(tmp_path, {}, {}, other)
