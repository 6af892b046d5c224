"""Where the library's messages go: the CLI swaps the sink, the library never prints.

Every message is printed as literal text, never parsed as rich markup: messages quote `[tool.dualpy]`, paths
and file names, and a name such as `[red]x.whl` or `a[/]b` must show as written (and must not crash rich).
Untrusted text (names and contents of wheels, files, container output) goes through `printable` first, so an
ESC sequence or a carriage return from a file cannot drive the terminal.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.text import Text

stderr = Console(stderr=True, highlight=False, soft_wrap=True)
stdout = Console(highlight=False, soft_wrap=True)


@dataclass
class _Settings:
    """What the CLI chose for this run's messages."""

    quiet: bool = False


_settings = _Settings()


# Characters a terminal, a Markdown renderer or an XML parser may act on rather than show: C0 and C1 controls
# (ESC, CSI, CR, BS, NUL), DEL, lone surrogates (undecodable bytes), the XML-illegal noncharacters, and the
# bidirectional overrides that reorder what a reader sees (CVE-2021-42574, "Trojan Source").
_BIDI = (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)
_HIDDEN = {*range(0x00, 0x20), *range(0x7F, 0xA0), *_BIDI, 0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF}


def _escape_char(code: int) -> str:
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


_TABLE: dict[int, str] = {code: _escape_char(code) for code in _HIDDEN}
_TABLE_KEEP_LINES: dict[int, str] = {code: text for code, text in _TABLE.items() if code not in (0x0A, 0x09)}


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """Untrusted text safe to show: control and bidi characters as \\xNN or \\uNNNN, everything else unchanged.

    With keep_newlines, newlines and tabs stay (for multi-line messages); carriage returns never do, since a CR
    lets the rest of a line overwrite what came before it.
    """
    escaped = text.translate(_TABLE_KEEP_LINES if keep_newlines else _TABLE)
    if escaped.isascii():
        return escaped
    # Lone surrogates (from surrogateescape-decoded names) cannot be encoded for a terminal or a file.
    return "".join(_escape_char(ord(c)) if unicodedata.category(c) == "Cs" else c for c in escaped)


def plain(text: str) -> Text:
    """Untrusted text as a rich Text: shown literally in tables and lines (no markup, no emoji codes)."""
    return Text(printable(text))


def _line(label: str, style: str, message: str) -> Text:
    line = Text()
    if label:
        line.append(label, style=style)
        line.append(" ")
    line.append(printable(message, keep_newlines=True))
    return line


def set_quiet(quiet: bool) -> None:
    """Silence progress messages (errors still print); used with --json."""
    _settings.quiet = quiet


def info(message: str) -> None:
    """A progress line on stderr."""
    if not _settings.quiet:
        stderr.print(_line("", "", message))


def step(message: str) -> None:
    """A headline for a stage of long work."""
    if not _settings.quiet:
        stderr.print(_line("==>", "bold cyan", message))


def warn(message: str) -> None:
    """A warning on stderr."""
    stderr.print(_line("warning:", "yellow", message))


def error(message: str) -> None:
    """The one-line error the CLI prints before exiting."""
    stderr.print(_line("error:", "bold red", message))


def emit_json(document: Any) -> None:
    """Write a JSON document to stdout and nothing else."""
    sys.stdout.write(json.dumps(document, indent=2, sort_keys=False) + "\n")
    sys.stdout.flush()
