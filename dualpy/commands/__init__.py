"""Typer sub-apps, one per command group; each parses, calls the library, prints."""
