"""Verify reports: terminal table, JSON (versioned schema), JUnit XML, Markdown."""

from __future__ import annotations

import json
import os
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from rich.table import Table

from dualpy import __version__, console
from dualpy.verify.model import Report, Status

SCHEMA_VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("schema.json")
_COLOUR = {Status.PASS: "green", Status.WARN: "yellow", Status.FAIL: "red", Status.SKIP: "dim"}
_ICON = {Status.PASS: "✅", Status.WARN: "⚠️", Status.FAIL: "❌", Status.SKIP: "⏭️"}


def to_json(report: Report) -> dict:
    """The report as the documented JSON document (dualpy/verify/schema.json)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": "dualpy",
        "dualpy_version": __version__,
        "kind": report.kind,
        "target": report.target,
        "image": report.image,
        "image_id": report.image_id,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "seconds": round(report.seconds, 2),
        "strict": report.strict,
        "verdict": report.verdict,
        "summary": report.counts(),
        "results": [
            {"subject": r.subject, "check": r.check, "status": r.status.value, "interpreter": r.interpreter,
             "message": r.message}
            for r in report.results
        ],
    }


def to_junit(report: Report) -> str:
    """JUnit XML: one test suite per subject, one test case per check (and interpreter)."""
    suites = ET.Element("testsuites", name=f"dualpy verify {report.kind}")
    by_subject = defaultdict(list)
    for result in report.results:
        by_subject[result.subject].append(result)
    total = failures = skipped = 0
    for subject, results in by_subject.items():
        suite = ET.SubElement(suites, "testsuite", name=subject, tests=str(len(results)))
        suite_failures = suite_skipped = 0
        for result in results:
            name = result.check + (f" [{result.interpreter}]" if result.interpreter else "")
            case = ET.SubElement(suite, "testcase", classname=f"dualpy.{report.kind}", name=name, time="0")
            failing = result.status is Status.FAIL or (report.strict and result.status is Status.WARN)
            if failing:
                suite_failures += 1
                failure = ET.SubElement(case, "failure", message=result.message[:500] or result.check,
                                        type=result.check)
                failure.text = result.message
            elif result.status is Status.SKIP:
                suite_skipped += 1
                ET.SubElement(case, "skipped", message=result.message[:500])
            elif result.message:
                ET.SubElement(case, "system-out").text = (("warning: " if result.status is Status.WARN else "")
                                                          + result.message)
        suite.set("failures", str(suite_failures))
        suite.set("errors", "0")
        suite.set("skipped", str(suite_skipped))
        total += len(results)
        failures += suite_failures
        skipped += suite_skipped
    suites.set("tests", str(total))
    suites.set("failures", str(failures))
    suites.set("errors", "0")
    suites.set("skipped", str(skipped))
    suites.set("time", f"{report.seconds:.2f}")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def to_markdown(report: Report) -> str:
    """A Markdown verdict for a CI job summary."""
    counts = report.counts()
    icon = "❌" if report.failed else "✅"
    lines = [
        f"### {icon} dualpy verify {report.kind}: {report.verdict}",
        "",
        f"{report.target}" + (f" in `{report.image}`" if report.image and report.kind == "wheels" else "")
        + f" — {counts['pass']} passed, {counts['warn']} warnings, {counts['fail']} failed"
        + f" ({report.seconds:.1f}s)",
        "",
        "| subject | check | interpreter | status | detail |",
        "|---|---|---|---|---|",
    ]
    for r in report.results:
        detail = r.message.replace("|", "\\|").replace("\n", " ")[:200]
        status = f"{_ICON[r.status]} {r.status.value}"
        lines.append(f"| `{r.subject}` | `{r.check}` | {r.interpreter} | {status} | {detail} |")
    return "\n".join(lines) + "\n"


def print_table(report: Report) -> None:
    """One row per subject × check on the terminal, coloured by status."""
    table = Table("subject", "check", "interpreter", "status", "detail", title=f"dualpy verify {report.kind}")
    for r in report.results:
        colour = _COLOUR[r.status]
        table.add_row(r.subject, r.check, r.interpreter, f"[{colour}]{r.status.value}[/]",
                      r.message.replace("[", "\\[")[:160])
    console.stderr.print(table)
    counts = report.counts()
    colour = "red" if report.failed else "green"
    console.stderr.print(f"[bold {colour}]{report.verdict.upper()}[/]: {counts['pass']} passed, {counts['warn']} "
                         f"warnings, {counts['fail']} failed in {report.seconds:.1f}s")


def _write(path: Path, text: str) -> None:
    if str(path) == "-":
        console.stdout.file.write(text)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(text)
    os.replace(temp, path)


def write_reports(report: Report, json_path: Path | None, junit_path: Path | None, markdown_path: Path | None) -> None:
    """Write the requested report files (atomically; '-' is stdout) and the GitHub job summary when set."""
    if json_path:
        _write(json_path, json.dumps(to_json(report), indent=2) + "\n")
    if junit_path:
        _write(junit_path, to_junit(report))
    markdown = to_markdown(report)
    if markdown_path:
        _write(markdown_path, markdown)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a") as stream:
            stream.write(markdown + "\n")
