"""A readiness report as a terminal table and as Markdown for job summaries (untrusted text escaped in both)."""

from __future__ import annotations

from rich.table import Table

from dualpy import console
from dualpy.readiness.judge import NOT_READY, READY
from dualpy.readiness.run import ReadinessReport
from dualpy.verify.report import markdown_text

_READY_CELL = {True: "yes", False: "no", None: "unknown"}
_READY_ICON = {True: "✅ yes", False: "❌ no", None: "❔ unknown"}
_COLOUR = {True: "green", False: "red", None: "yellow"}


def summary_line(report: ReadinessReport) -> str:
    """'verdict: NOT-READY (12 ready, 2 not, 1 unknown of 15) on Python 3.14.2t in IMAGE'."""
    counts = [sum(1 for r in report.rows if r.ready is value) for value in (True, False, None)]
    return (f"verdict: {report.verdict.upper()} ({counts[0]} ready, {counts[1]} not, {counts[2]} unknown of "
            f"{len(report.rows)}) on free-threaded Python {report.python} in {report.image}, {report.seconds:.0f} s")


def table(report: ReadinessReport) -> Table:
    """The rows as a rich table: package, version, source, ready, reason (untrusted text shown literally)."""
    rendered = Table("package", "version", "source", "ready", "reason")
    for row in report.rows:
        rendered.add_row(console.plain(row.name), console.plain(row.version), console.plain(row.source),
                         f"[{_COLOUR[row.ready]}]{_READY_CELL[row.ready]}[/]", console.plain(row.reason))
    return rendered


def to_markdown(report: ReadinessReport) -> str:
    """The report as a GitHub-flavoured Markdown section: verdict line, table, notes."""
    icon = {READY: "✅", NOT_READY: "❌"}.get(report.verdict, "❔")
    lines = [f"### {icon} Free-threading readiness: {report.verdict}", "",
             markdown_text(summary_line(report)), "",
             "| package | version | source | ready | reason |", "|---|---|---|---|---|"]
    for row in report.rows:
        cells = [markdown_text(row.name), markdown_text(row.version), markdown_text(row.source),
                 _READY_ICON[row.ready], markdown_text(row.reason)]
        lines.append("| " + " | ".join(cells) + " |")
    if report.notes:
        lines += ["", *(f"- {markdown_text(note)}" for note in report.notes)]
    return "\n".join(lines) + "\n"
