"""Typer sub-apps, one per command group; each parses, calls the library, prints."""

from __future__ import annotations

import typer


def command_group(help_text: str) -> typer.Typer:
    """A command group: help shown as written (no rich markup, so [tool.dualpy] and [[releases]] stay literal)."""
    return typer.Typer(help=help_text, no_args_is_help=True, rich_markup_mode=None)
