"""Verify reports: terminal table, JSON (versioned schema), JUnit XML, Markdown.

Subjects and messages carry untrusted text (wheel names, member paths, container output). JSON escapes it by
itself; everywhere else it is shown, never interpreted: the terminal gets it as literal rich Text with control
characters as \\xNN, JUnit gets only XML-legal characters, Markdown gets every character that could start markup
backslash-escaped (so `[red]x.whl`, a `|` or a backtick in a name show as written).
"""

from __future__ import annotations

import json
import os
import re
import stat
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text

from dualpy import __version__, console
from dualpy.errors import UsageError
from dualpy.files import atomic_write_text
from dualpy.verify.model import CheckResult, Report, Status

SCHEMA_VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("schema.json")
_COLOUR = {Status.PASS: "green", Status.WARN: "yellow", Status.FAIL: "red", Status.SKIP: "dim", Status.NOTE: "cyan"}
_ICON = {Status.PASS: "✅", Status.WARN: "⚠️", Status.FAIL: "❌", Status.SKIP: "⏭️", Status.NOTE: "ℹ️"}


# GitHub-flavoured Markdown acts on these even inside a table cell: emphasis, code, links, HTML, tables, strikethrough,
# math ($), mentions (@), issue references (#) and emoji shortcodes (:).
_MARKDOWN = re.compile(r"([\\`*_\[\]<>|~&!#$@:])")
_CHECK_ID = re.compile(r"[a-z0-9.-]+")  # what a code span can hold as written


def markdown_text(text: str) -> str:
    """Untrusted text as one line of literal Markdown."""
    return _MARKDOWN.sub(r"\\\1", console.printable(text))


def shorten(text: str, limit: int) -> str:
    """text cut to at most limit characters, an ellipsis where it was cut (the JSON report keeps it whole)."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def to_json(report: Report) -> dict[str, Any]:
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
    by_subject: dict[str, list[CheckResult]] = defaultdict(list)
    for result in report.results:
        by_subject[result.subject].append(result)
    total = failures = skipped = 0
    for subject, results in by_subject.items():
        suite = ET.SubElement(suites, "testsuite", name=console.printable(subject), tests=str(len(results)))
        suite_failures = suite_skipped = 0
        for result in results:
            name = console.printable(result.check + (f" [{result.interpreter}]" if result.interpreter else ""))
            message = console.printable(result.message, keep_newlines=True)
            short = console.printable(shorten(result.message, 500))
            case = ET.SubElement(suite, "testcase", classname=f"dualpy.{report.kind}", name=name, time="0")
            failing = result.status is Status.FAIL or (report.strict and result.status is Status.WARN)
            if failing:
                suite_failures += 1
                failure = ET.SubElement(case, "failure", message=short or result.check, type=result.check)
                failure.text = message
            elif result.status is Status.SKIP:
                suite_skipped += 1
                ET.SubElement(case, "skipped", message=short)
            elif result.message:
                label = {Status.WARN: "warning: ", Status.NOTE: "note: "}.get(result.status, "")
                ET.SubElement(case, "system-out").text = label + message
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
        markdown_text(report.target) + (f" in {markdown_text(report.image)}" if report.image and report.kind == "wheels"
                                    else "")
        + f" — {counts['pass']} passed, {counts['warn']} warnings, {counts['fail']} failed"
        + f" ({report.seconds:.1f}s)",
        "",
        "| subject | check | interpreter | status | detail |",
        "|---|---|---|---|---|",
    ]
    for r in report.results:
        status = f"{_ICON[r.status]} {r.status.value}"
        check = f"`{r.check}`" if _CHECK_ID.fullmatch(r.check) else markdown_text(r.check)
        detail = markdown_text(shorten(r.message.replace("\n", " "), 200))
        lines.append(f"| {markdown_text(r.subject)} | {check} | {markdown_text(r.interpreter)} | {status} | {detail} |")
    return "\n".join(lines) + "\n"


def print_table(report: Report) -> None:
    """One row per subject × check on the terminal, coloured by status."""
    table = Table("subject", "check", "interpreter", "status", "detail", title=f"dualpy verify {report.kind}")
    for r in report.results:
        colour = _COLOUR[r.status]
        table.add_row(console.plain(r.subject), console.plain(r.check), console.plain(r.interpreter),
                      Text(r.status.value, style=colour), console.plain(shorten(r.message, 160)))
    console.stdout.print(table)
    counts = report.counts()
    colour = "red" if report.failed else "green"
    console.stdout.print(Text.assemble((report.verdict.upper(), f"bold {colour}"),
                                       f": {counts['pass']} passed, {counts['warn']} warnings, {counts['fail']} "
                                       f"failed in {report.seconds:.1f}s"))


def check_writable(path: Path) -> None:
    """Refuse a report path that names a directory or, through any symlink, a device, FIFO or socket.

    A symlink to a regular file (or a dangling one) is replaced by the new report, never written through; writing
    through a device such as /dev/stdout would be `-`'s job, and replacing one would break the system.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise UsageError(f"cannot write the report to {path}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        raise UsageError(f"{path} is a directory; give the report a file name, such as {path / 'report'}")
    if not stat.S_ISREG(mode):
        raise UsageError(f"{path} is not a regular file (a device, FIFO or socket); write the report to a file, "
                         "or to stdout with '-'")


def write_text_report(path: Path, text: str) -> None:
    """Write a report file atomically (its directory made), or to stdout for '-'; a bad path is a UsageError."""
    if str(path) == "-":
        console.stdout.file.write(text)
        return
    check_writable(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, text)
    except OSError as exc:
        raise UsageError(f"cannot write the report to {path}: {exc.strerror or exc}") from None


def write_reports(report: Report, json_path: Path | None, junit_path: Path | None, markdown_path: Path | None) -> None:
    """Write the requested report files (atomically; '-' is stdout) and the GitHub job summary when set."""
    if json_path:
        write_text_report(json_path, json.dumps(to_json(report), indent=2) + "\n")
    if junit_path:
        write_text_report(junit_path, to_junit(report))
    markdown = to_markdown(report)
    if markdown_path:
        write_text_report(markdown_path, markdown)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        try:
            with Path(summary).open("a", encoding="utf-8") as stream:
                stream.write(markdown + "\n")
        except OSError as exc:
            console.warn(f"cannot append to $GITHUB_STEP_SUMMARY ({summary}): {exc.strerror or exc}")
