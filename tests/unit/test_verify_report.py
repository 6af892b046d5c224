"""Report formats: JSON against the documented schema, JUnit against the JUnit XSD, Markdown, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import xmlschema

from dualpy.cli import main
from dualpy.verify.model import CheckResult, Report, Status
from dualpy.verify.report import SCHEMA_PATH, to_json, to_junit, to_markdown, write_reports

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


def test_static_only_verify_of_a_good_and_a_bad_wheel_exits_1(tmp_path, capsys):
    from tests.unit.test_verify_static import make_wheel

    make_wheel(tmp_path, "demo-1.0-cp313-cp313t-manylinux_2_17_x86_64.whl",
               {"demo.cpython-313-x86_64-linux-gnu.so": b""})
    assert main(["verify", "wheels", str(tmp_path), "--json", str(tmp_path / "r.json")]) == 1
    report = json.loads((tmp_path / "r.json").read_text())
    assert ("demo-1.0-cp313-cp313t-manylinux_2_17_x86_64.whl", "wheel.ext-suffix") in {
        (r["subject"], r["check"]) for r in report["results"] if r["status"] == "fail"}
