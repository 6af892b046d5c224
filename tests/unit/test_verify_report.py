"""Report formats: JSON against the documented schema, JUnit against the JUnit XSD, Markdown, exit codes."""

from __future__ import annotations

import io
import json
import os
import stat
from pathlib import Path
from xml.etree import ElementTree

import jsonschema
import pytest
import xmlschema
from rich.console import Console

from dualpy.cli import main
from dualpy.errors import UsageError
from dualpy.verify.model import CheckResult, Report, Status
from dualpy.verify.report import SCHEMA_PATH, print_table, to_json, to_junit, to_markdown, write_reports
from tests.conftest import make_wheel

JUNIT_XSD = Path(__file__).parent.parent / "data" / "junit.xsd"


def sample(strict=False) -> Report:
    return Report("wheels", "/w", "dualpy/cpython:3.13.15", "sha256:abc", 1.5, strict, [
        CheckResult("a.whl", "wheel.record", Status.PASS, "3 files match"),
        CheckResult("a.whl", "runtime.gil", Status.FAIL, "the GIL was re-enabled by importing mod <&>", "cp313-cp313t"),
        CheckResult("b 1.0 cp313", "wheelhouse.pairing", Status.WARN, "no t twin"),
        CheckResult("c.whl", "runtime.match", Status.SKIP, "not tested"),
    ])


def test_json_report_validates_against_the_schema():
    document = to_json(sample())
    jsonschema.validate(document, json.loads(SCHEMA_PATH.read_text()))
    assert document["verdict"] == "fail" and document["summary"] == {"pass": 1, "warn": 1, "fail": 1, "skip": 1}


def test_junit_report_validates_and_counts_failures():
    schema = xmlschema.XMLSchema(str(JUNIT_XSD))
    text = to_junit(sample())
    schema.validate(text)
    assert 'failures="1"' in text and 'skipped="1"' in text and "&lt;&amp;&gt;" in text
    strict = to_junit(sample(strict=True))
    schema.validate(strict)
    assert '<testsuites name="dualpy verify wheels" tests="4" failures="2"' in strict


def test_markdown_names_the_verdict_and_each_check():
    text = to_markdown(sample())
    assert text.startswith("### ❌ dualpy verify wheels: fail")
    assert "`runtime.gil`" in text and "cp313-cp313t" in text


def test_strict_turns_warnings_into_failure():
    report = Report("wheels", "/w", results=[CheckResult("x", "wheelhouse.pairing", Status.WARN, "")])
    assert not report.failed
    report.strict = True
    assert report.failed


def test_reports_are_written_and_the_job_summary_appended(tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    write_reports(sample(), tmp_path / "r.json", tmp_path / "r.xml", tmp_path / "r.md")
    assert json.loads((tmp_path / "r.json").read_text())["kind"] == "wheels"
    assert (tmp_path / "r.xml").read_text().startswith("<?xml")
    assert summary.read_text().startswith("earlier\n### ❌")
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize("setup", ["missing", "empty"])
def test_bad_wheelhouse_exits_2(tmp_path, capsys, setup):
    target = tmp_path / "wheelhouse"
    if setup == "empty":
        target.mkdir()
    assert main(["verify", "wheels", str(target)]) == 2
    assert "wheelhouse" in capsys.readouterr().err


def test_static_only_verify_of_a_good_and_a_bad_wheel_exits_1(tmp_path):
    from tests.unit.test_verify_static import make_wheel

    make_wheel(tmp_path, "demo-1.0-cp313-cp313t-manylinux_2_17_x86_64.whl",
               {"demo.cpython-313-x86_64-linux-gnu.so": b""})
    assert main(["verify", "wheels", str(tmp_path), "--json-file", str(tmp_path / "r.json")]) == 1
    report = json.loads((tmp_path / "r.json").read_text())
    assert ("demo-1.0-cp313-cp313t-manylinux_2_17_x86_64.whl", "wheel.ext-suffix") in {
        (r["subject"], r["check"]) for r in report["results"] if r["status"] == "fail"}


# Hostile names and paths (issue 13): shown, never interpreted; report files never written through.

HOSTILE = "[red]x\x1b[31m|`<b>$x$ @me #1 :+1:\r\x00\x9b[/]\ud800.whl"


def hostile() -> Report:
    return Report("wheels", "/w[/]", "img`|", None, 0.1, False, [
        CheckResult(HOSTILE, "wheel.record", Status.FAIL, "a|b\x1b]8;;http://x\x07link\x1b]8;;\x07\nline two"),
        CheckResult("[red]x.whl", "wheel.zip", Status.PASS, "[bold]fine[/]", "cp313\x0c"),
        CheckResult("c.whl", "runtime.match", Status.SKIP, "\x00\x01\x1f\x7f\ufffe\uffff"),
    ])


def _unescaped_pipes(line: str) -> int:
    return len(line.replace("\\\\", "").replace("\\|", "")) - len(line.replace("\\\\", "").replace("\\|", "")
                                                                 .replace("|", ""))


def test_junit_with_control_characters_is_valid_xml():
    text = to_junit(hostile())
    xmlschema.XMLSchema(str(JUNIT_XSD)).validate(text)
    root = ElementTree.fromstring(text.encode())
    suite_names = [suite.get("name") for suite in root]
    assert suite_names[0] == "[red]x\\x1b[31m|`<b>$x$ @me #1 :+1:\\x0d\\x00\\x9b[/]\\ud800.whl"
    failure = root.find("./testsuite/testcase/failure")
    assert failure.text == "a|b\\x1b]8;;http://x\\x07link\\x1b]8;;\\x07\nline two"
    assert "\\x00\\x01\\x1f\\x7f\\ufffe\\uffff" in text


def test_markdown_escapes_names_and_messages():
    text = to_markdown(hostile())
    assert "\x1b" not in text and "\r" not in text and "\x00" not in text and "\ud800" not in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and "check" not in line]
    assert all(_unescaped_pipes(row) == 6 for row in rows), rows
    assert "\\[red\\]x\\\\x1b\\[31m\\|\\`\\<b\\>\\$x\\$ \\@me \\#1 \\:+1\\:" in rows[0]
    assert "| \\[red\\]x.whl | `wheel.zip` | cp313\\\\x0c | ✅ pass | \\[bold\\]fine\\[/\\] |" in rows
    assert text.splitlines()[2].startswith("/w\\[/\\] in img\\`\\| — 1 passed")


def test_job_summary_gets_the_escaped_markdown(tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    write_reports(hostile(), None, None, None)
    written = summary.read_text()
    assert written == to_markdown(hostile()) + "\n"
    assert "\x1b" not in written and "[red]" not in written


def test_job_summary_that_cannot_be_written_is_a_warning(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "missing" / "summary.md"))
    write_reports(sample(), None, None, None)
    assert "cannot append to $GITHUB_STEP_SUMMARY" in capsys.readouterr().err


def test_terminal_table_shows_names_literally(monkeypatch):
    from dualpy import console

    buffer = io.StringIO()
    monkeypatch.setattr(console, "stdout", Console(file=buffer, width=400, highlight=False, soft_wrap=True))
    print_table(hostile())
    out = buffer.getvalue()
    assert "\x1b" not in out and "\r" not in out
    assert "[red]x.whl" in out and "[bold]fine[/]" in out and "[red]x\\x1b[31m" in out
    assert "FAIL: 1 passed, 0 warnings, 1 failed in 0.1s" in out


def test_json_report_keeps_the_text_and_escapes_it_itself(tmp_path):
    write_reports(hostile(), tmp_path / "r.json", None, None)
    raw = (tmp_path / "r.json").read_text()
    assert raw.isascii() and "\x1b" not in raw
    document = json.loads(raw)
    jsonschema.validate(document, json.loads(SCHEMA_PATH.read_text()))
    assert document["results"][1]["subject"] == "[red]x.whl"


def test_report_path_that_is_a_directory_exits_2_and_leaves_nothing(tmp_path, capsys):
    from tests.unit.test_verify_static import make_wheel

    wheelhouse = tmp_path / "wheelhouse"
    wheelhouse.mkdir()
    make_wheel(wheelhouse, "demo-1.0-py3-none-any.whl", {"demo/__init__.py": b""})
    reports = tmp_path / "reports"
    reports.mkdir()
    assert main(["verify", "wheels", str(wheelhouse), "--json-file", str(reports)]) == 2
    assert "is a directory; give the report a file name" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports", "wheelhouse"]
    assert list(reports.iterdir()) == []


def test_report_path_that_is_a_symlink_is_replaced_not_written_through(tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("keep me\n")
    link = tmp_path / "r.json"
    link.symlink_to(target)
    dangling = tmp_path / "r.xml"
    dangling.symlink_to(tmp_path / "nowhere" / "x.xml")
    write_reports(sample(), link, dangling, None)
    assert target.read_text() == "keep me\n"
    assert not link.is_symlink() and json.loads(link.read_text())["kind"] == "wheels"
    assert not dangling.is_symlink() and dangling.read_text().startswith("<?xml")
    assert not (tmp_path / "nowhere").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["precious.txt", "r.json", "r.xml"]


@pytest.mark.parametrize("through_symlink", [False, True])
def test_report_path_that_is_a_fifo_is_refused_without_hanging(tmp_path, through_symlink):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    path = fifo
    if through_symlink:
        path = tmp_path / "r.xml"
        path.symlink_to(fifo)
    with pytest.raises(UsageError, match="is not a regular file .* or to stdout with '-'"):
        write_reports(sample(), None, path, None)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_report_in_an_unwritable_place_is_a_usage_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(UsageError, match="cannot write the report to"):
        write_reports(sample(), blocker / "r.json", None, None)


def test_dash_writes_the_report_to_stdout(capsys):
    write_reports(sample(), Path("-"), None, None)
    assert json.loads(capsys.readouterr().out)["verdict"] == "fail"


def test_every_check_id_is_in_the_schema():
    import importlib
    import json as _json
    from pathlib import Path as _Path

    from dualpy.verify import abi, audit, record, runtime, static, stress

    readiness = importlib.import_module("dualpy.verify.readiness")  # the package re-exports a function of that name

    ids = {static.ZIP, static.FILENAME, static.TAGS, static.PATHS, static.METADATA, record.RECORD, abi.EXT_SUFFIX,
           abi.ABI3_FREETHREADED, abi.PAIRING, runtime.MATCH, runtime.INSTALL, runtime.IMPORT, runtime.GIL,
           runtime.TEST_COMMAND, runtime.LAUNCHER, runtime.INTERPRETER, audit.MANYLINUX, audit.ABI3AUDIT,
           readiness.CLASSIFIER, readiness.READINESS, stress.STRESS}
    schema = _json.loads((_Path(static.__file__).parent / "schema.json").read_text())
    enum = schema["properties"]["results"]["items"]["properties"]["check"]["enum"]
    assert ids == set(enum)


@pytest.mark.parametrize(("argv", "message"), [
    (["--test-command", "true"], "--test-command has no effect without --image"),
    (["--allow-gil"], "--allow-gil has no effect without --image"),
    (["--no-deps"], "--with-deps/--no-deps has no effect without --image"),
    (["--stress"], "--stress has no effect without --image"),
    (["--image", "img:1", "--threads", "4"], "--threads has no effect without --stress"),
    (["--image", "img:1", "--iterations", "2"], "--iterations has no effect without --stress"),
    (["--image", "img:1", "--tests", "."], "--tests has no effect without --stress"),
])
def test_a_verify_flag_that_cannot_act_is_a_usage_error(tmp_path, capsys, argv, message):
    assert main(["verify", "wheels", str(tmp_path), *argv]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""


def test_verify_json_goes_to_stdout_alone_and_json_file_to_a_file(tmp_path, capsys, monkeypatch):
    from dualpy import console

    monkeypatch.setattr(console._settings, "quiet", False)
    wheelhouse = tmp_path / "wh"
    wheelhouse.mkdir()
    make_wheel(wheelhouse)
    assert main(["verify", "wheels", str(wheelhouse), "--json", "--json-file", str(tmp_path / "r.json")]) in (0, 1)
    out = capsys.readouterr().out
    assert json.loads(out) == json.loads((tmp_path / "r.json").read_text())
