"""`dualpy pipeline` without an engine: an sdist's settings come from inside it, and the summary's JSON shape."""

from __future__ import annotations

import io
import json
import tarfile
from dataclasses import replace
from pathlib import Path

import pytest

import dualpy.commands.pipeline as pipeline_command
import dualpy.pipeline as pipeline_module
from dualpy import console
from dualpy import sdist as sdist_module
from dualpy.cli import main
from dualpy.config import resolve
from dualpy.errors import BuildFailed, ConfigurationError, UsageError
from dualpy.options import pipeline_options
from dualpy.pipeline import PipelineResult
from dualpy.verify.model import CheckResult, Report, Status
from dualpy.wheels import WheelRecord

INSIDE = '[project]\nname = "demo"\nversion = "1.0"\n[tool.dualpy]\npythons = ["3.13"]\nvariants = ["freethreaded"]\n'


def _sdist(directory: Path, members: dict[str, bytes | str], name: str = "demo-1.0.tar.gz") -> Path:
    """An sdist holding members; a str value makes a symlink to that target."""
    path = directory / name
    with tarfile.open(path, "w:gz") as archive:
        for member, content in members.items():
            info = tarfile.TarInfo(member)
            if isinstance(content, str):
                info.type, info.linkname = tarfile.SYMTYPE, content
                archive.addfile(info)
            else:
                info.size = len(content)
                archive.addfile(info, io.BytesIO(content))
    return path


def test_an_sdist_is_configured_by_its_own_pyproject_not_by_the_directory_beside_it(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.dualpy]\npythons = ["3.14"]\nbogus = 1\n')  # not this one
    sdist = _sdist(tmp_path, {"demo-1.0/PKG-INFO": b"", "demo-1.0/pyproject.toml": INSIDE.encode()})
    resolved = resolve(sdist, {}, {})
    assert resolved.value("pythons") == ["3.13"] and resolved.value("variants") == ["freethreaded"]
    assert resolved.settings["pythons"].source == f"{sdist}:demo-1.0/pyproject.toml [tool.dualpy]"


def test_only_the_top_level_pyproject_of_an_sdist_counts(tmp_path):
    sdist = _sdist(tmp_path, {"demo-1.0/tests/data/pyproject.toml": INSIDE.encode(), "demo-1.0/setup.py": b""})
    assert resolve(sdist, {}, {}).value("pythons") == []


def test_a_bad_setting_inside_an_sdist_names_the_member(tmp_path):
    sdist = _sdist(tmp_path, {"demo-1.0/pyproject.toml": b'[tool.dualpy]\npythonz = ["3.13"]\n'})
    with pytest.raises(ConfigurationError, match=r"demo-1.0.tar.gz:demo-1.0/pyproject.toml: unknown key"):
        resolve(sdist, {}, {})


def test_a_linked_pyproject_in_an_sdist_is_refused(tmp_path):
    sdist = _sdist(tmp_path, {"demo-1.0/pyproject.toml": "/etc/passwd"})
    with pytest.raises(ConfigurationError, match="not a regular file"):
        resolve(sdist, {}, {})


def test_an_oversized_pyproject_in_an_sdist_is_not_read(tmp_path, monkeypatch):
    monkeypatch.setattr(sdist_module, "MAX_PYPROJECT_BYTES", 64)
    sdist = _sdist(tmp_path, {"demo-1.0/pyproject.toml": INSIDE.encode()})
    with pytest.raises(ConfigurationError, match="more than a pyproject.toml needs"):
        resolve(sdist, {}, {})


def test_the_search_through_an_sdist_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(sdist_module, "MAX_MEMBERS", 3)
    members: dict[str, bytes | str] = {f"demo-1.0/f{i}": b"" for i in range(5)}
    sdist = _sdist(tmp_path, {**members, "demo-1.0/pyproject.toml": INSIDE.encode()})
    assert resolve(sdist, {}, {}).value("pythons") == []


@pytest.mark.parametrize("content", [b"not a tarball", b"\x1f\x8b\x08\x00broken gzip"])
def test_a_file_that_is_no_sdist_is_bad_input(tmp_path, content):
    sdist = tmp_path / "demo-1.0.tar.gz"
    sdist.write_bytes(content)
    with pytest.raises(UsageError, match="not a readable sdist") as caught:
        resolve(sdist, {}, {})
    assert caught.value.return_code == 2


def test_the_pipeline_command_passes_the_sdist_settings_on(tmp_path, monkeypatch, capsys):
    (tmp_path / "pyproject.toml").write_text("this is not TOML [")  # the directory beside the sdist is not read
    sdist = _sdist(tmp_path, {"demo-1.0/pyproject.toml": INSIDE.encode()})
    seen = {}

    def fake_run(options):
        seen.update(project=options.project, pythons=[r.version for r in options.releases],
                    source=options.sources["pythons"])
        raise UsageError("stop here")

    monkeypatch.setattr(pipeline_command, "run_pipeline", fake_run)
    assert main(["pipeline", str(sdist)]) == 2
    assert seen == {"project": sdist, "pythons": ["3.13.15"],
                    "source": f"{sdist}:demo-1.0/pyproject.toml [tool.dualpy]"}
    assert "stop here" in capsys.readouterr().err


def _record(filename: str, variant: str) -> WheelRecord:
    return WheelRecord(filename, "demo", "1.0", "3.13", variant, [], "0" * 64, "cibuildwheel", "img", "sha256:1")


def test_the_summary_is_a_dataclass_whose_json_gives_each_wheel_its_worst_verdict():
    report = Report("wheels", "out", "img", results=[
        CheckResult("a-1.0-cp313-cp313t-linux_x86_64.whl", "wheel.zip", Status.PASS),
        CheckResult("a-1.0-cp313-cp313t-linux_x86_64.whl", "runtime.gil", Status.FAIL, "re-enabled"),
        CheckResult("a-1.0-cp313-cp313-linux_x86_64.whl", "runtime.import", Status.WARN),
    ])
    result = PipelineResult("out", "demo-1.0.tar.gz",
                            [_record("a-1.0-cp313-cp313t-linux_x86_64.whl", "freethreaded"),
                             _record("a-1.0-cp313-cp313-linux_x86_64.whl", "gil")],
                            report, {"image": 1.04}, {"3.13.15": "img"}, {"json": "out/verify.json"})
    document = json.loads(json.dumps(result.to_json()))
    assert [w["verdict"] for w in document["wheels"]] == ["fail", "warn"]
    assert document["verdict"] == "fail" and document["summary"]["fail"] == 1
    assert document["stage_seconds"] == {"image": 1.0}
    assert set(document) == {"output_dir", "sdist", "images", "wheels", "verdict", "summary", "stage_seconds",
                             "reports", "builds"}


def test_a_failed_build_beside_built_wheels_is_an_error_that_keeps_them(tmp_path, monkeypatch, capsys):
    """One variant failed, the other built and was verified: one document with both, verdict error, exit 3."""
    monkeypatch.setattr(console._settings, "quiet", False)
    (tmp_path / "pyproject.toml").write_text(INSIDE)
    report = Report("wheels", "out", "img", results=[
        CheckResult("a-1.0-cp314-cp314-linux_x86_64.whl", "runtime.import", Status.PASS)])
    failure = "cibuildwheel 4.3.5 failed (exit 1) building cp314t-manylinux_x86_64: #error no t build; full log: x"
    partial = PipelineResult(str(tmp_path / "out"), "a-1.0.tar.gz", [_record("a-1.0-cp314-cp314-linux_x86_64.whl",
                                                                              "gil")],
                             report, {"wheels": 3.0}, {"3.14.7": "img"}, {"markdown": "out/verify.md"},
                             [failure], {"cp314-manylinux_x86_64": {"state": "built"},
                                         "cp314t-manylinux_x86_64": {"state": "failed"}})
    monkeypatch.setattr(pipeline_command, "run_pipeline", lambda options: partial)
    assert main(["pipeline", str(tmp_path), "--json", "--output-dir", str(tmp_path / "out")]) == 3
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert document["verdict"] == "error" and document["stage"] == "wheels" and document["exit_code"] == 3
    assert document["error"] == failure and document["build_errors"] == [failure]
    assert [w["filename"] for w in document["wheels"]] == ["a-1.0-cp314-cp314-linux_x86_64.whl"]
    assert document["builds"]["cp314t-manylinux_x86_64"]["state"] == "failed"
    assert f"error: {failure}" in captured.err


def test_a_build_error_with_json_writes_one_error_document_and_exits_3(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(console._settings, "quiet", False)  # --json silences progress: not for later tests
    (tmp_path / "pyproject.toml").write_text(INSIDE)

    def failing_run(options):
        error = BuildFailed("cibuildwheel 4.3.5 failed (exit 1) building cp314-manylinux_x86_64; full log: x.log")
        error.stage = "wheels"
        raise error

    monkeypatch.setattr(pipeline_command, "run_pipeline", failing_run)
    assert main(["pipeline", str(tmp_path), "--json", "--output-dir", str(tmp_path / "out")]) == 3
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert document == {"output_dir": str(tmp_path / "out"), "sdist": None, "images": {}, "wheels": [],
                        "verdict": "error", "stage": "wheels",
                        "error": "cibuildwheel 4.3.5 failed (exit 1) building cp314-manylinux_x86_64; full log: x.log",
                        "exit_code": 3, "summary": {"pass": 0, "warn": 0, "fail": 0, "skip": 0},
                        "stage_seconds": {}, "reports": {}}
    assert "error: cibuildwheel 4.3.5 failed" in captured.err


def test_bad_input_with_json_is_an_error_document_too_and_exits_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(console._settings, "quiet", False)
    assert main(["pipeline", str(tmp_path / "absent"), "--json"]) == 2
    document = json.loads(capsys.readouterr().out)
    assert (document["verdict"], document["stage"], document["exit_code"], document["output_dir"]) == (
        "error", "setup", 2, "")
    assert main(["pipeline", str(tmp_path / "absent")]) == 2
    assert capsys.readouterr().out == ""  # without --json, stdout stays empty


def test_the_pipeline_names_the_stage_where_it_stopped(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text(INSIDE)
    monkeypatch.setattr(pipeline_module.engine, "ensure_running", lambda: None)
    monkeypatch.setattr(pipeline_module.engine, "image_exists", lambda tag: True)

    def no_sdist(project, destination):
        raise BuildFailed("building the sdist failed")

    monkeypatch.setattr(pipeline_module, "_build_sdist", no_sdist)
    options = pipeline_options(tmp_path, {}, {"output-dir": tmp_path / "out"})
    with pytest.raises(BuildFailed) as raised:
        pipeline_module.run_pipeline(options)
    assert raised.value.stage == "sdist" and raised.value.return_code == 3
    bad = replace(pipeline_options(tmp_path, {}, {"pythons": ["3.13"], "output-dir": tmp_path / "out"}),
                  project=tmp_path / "nothing-here")
    with pytest.raises(UsageError) as early:
        pipeline_module.run_pipeline(bad)
    assert early.value.stage == "setup"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == []  # the staging dir is gone
