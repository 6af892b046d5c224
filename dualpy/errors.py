"""Errors the CLI turns into one line and an exit code."""

from __future__ import annotations


class DualpyError(Exception):
    """A failure the user can act on; the message names the problem and the fix."""

    return_code = 1


class UsageError(DualpyError):
    """Bad input: an unknown version, a missing path, a malformed option."""

    return_code = 2


class ConfigurationError(UsageError):
    """A configuration file or value that cannot be used as written."""


class EngineUnavailable(DualpyError):
    """No Docker engine answers."""

    return_code = 2


class ImageNotFound(UsageError):
    """An image the command needs is not in the local engine."""


class ChecksumMismatch(DualpyError):
    """A downloaded file does not match the recipe's sha256."""


class SourceUnavailable(DualpyError):
    """No source of a recipe could be downloaded."""


class BuildFailed(DualpyError):
    """An image or wheel build failed; the message points at the log."""


class CheckFailed(DualpyError):
    """A verification found a problem."""
