"""The console prints every message literally: no rich markup, no emoji codes, no live control characters."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from dualpy import console


@pytest.fixture
def captured(monkeypatch):
    """What console.* prints to stderr, as plain text."""
    buffer = io.StringIO()
    monkeypatch.setattr(console, "stderr", Console(file=buffer, width=300, highlight=False, soft_wrap=True))
    monkeypatch.setattr(console._settings, "quiet", False)
    return buffer


@pytest.mark.parametrize(("call", "prefix"), [(console.info, ""), (console.step, "==> "),
                                              (console.warn, "warning: "), (console.error, "error: ")])
def test_messages_show_markup_as_written(captured, call, prefix):
    call("set [tool.dualpy] and [[releases]] in [variants.gil]; path a[/]b [red]x[/red] :smile:")
    assert captured.getvalue() == (
        f"{prefix}set [tool.dualpy] and [[releases]] in [variants.gil]; path a[/]b [red]x[/red] :smile:\n")


@pytest.mark.parametrize("call", [console.info, console.step, console.warn, console.error])
def test_messages_never_carry_live_control_characters(captured, call):
    call("name\x1b[2J\rspoof\x07\u202eevil\nsecond line")
    out = captured.getvalue()
    assert "\x1b" not in out and "\r" not in out and "\x07" not in out and "\u202e" not in out
    assert out.endswith("name\\x1b[2J\\x0dspoof\\x07\\u202eevil\nsecond line\n")


def test_quiet_silences_progress_but_not_problems(captured, monkeypatch):
    monkeypatch.setattr(console._settings, "quiet", True)
    console.info("progress")
    console.step("stage")
    console.warn("careful")
    console.error("broken")
    assert captured.getvalue() == "warning: careful\nerror: broken\n"


def test_set_quiet_sets_and_clears(monkeypatch):
    monkeypatch.setattr(console._settings, "quiet", False)
    console.set_quiet(True)
    assert console._settings.quiet is True
    console.set_quiet(False)
    assert console._settings.quiet is False


def test_labels_are_styled_on_a_terminal(monkeypatch):
    buffer = io.StringIO()
    monkeypatch.setattr(console, "stderr", Console(file=buffer, force_terminal=True, color_system="standard",
                                                   width=200))
    console.error("[x]")
    assert buffer.getvalue() == "\x1b[1;31merror:\x1b[0m [x]\n"


@pytest.mark.parametrize(("text", "shown"), [
    ("plain [text] é ü 中文", "plain [text] é ü 中文"),
    ("\x00\x1f\x7f", "\\x00\\x1f\\x7f"),
    ("\x1b[31mred", "\\x1b[31mred"),
    ("\x9b31m", "\\x9b31m"),
    ("a\nb\tc\rd", "a\\x0ab\\x09c\\x0dd"),
    ("\u202eabc\u2066\u200f\u061c", "\\u202eabc\\u2066\\u200f\\u061c"),
    ("\u2028\u2029\ufeff\ufffe\uffff", "\\u2028\\u2029\\ufeff\\ufffe\\uffff"),
    ("bad\udcffbyte", "bad\\udcffbyte"),
    ("\xa0nbsp", "\xa0nbsp"),
])
def test_printable_escapes_what_a_reader_cannot_see(text, shown):
    assert console.printable(text) == shown


def test_printable_can_keep_lines():
    assert console.printable("a\nb\tc\rd\x1b", keep_newlines=True) == "a\nb\tc\\x0dd\\x1b"


def test_plain_is_text_rich_does_not_parse():
    rendered = io.StringIO()
    Console(file=rendered, width=100).print(console.plain("[bold]x[/] :smile: \x1b"))
    assert rendered.getvalue() == "[bold]x[/] :smile: \\x1b\n"


def test_emit_json_writes_only_the_document(capsys):
    console.emit_json({"a": [1, "\x1b"]})
    assert capsys.readouterr().out == '{\n  "a": [\n    1,\n    "\\u001b"\n  ]\n}\n'


def test_line_sink_is_gone():
    assert not hasattr(console, "LineSink")
