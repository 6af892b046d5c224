"""Errors the CLI turns into one line and an exit code.

Exit codes: 0 pass, 1 a failed verdict (or a check that could not run in its container), 2 bad usage or input,
3 a build error (an image, sdist or wheel build that stopped before a verdict).
"""

from __future__ import annotations


class DualpyError(Exception):
    """A failure the user can act on; the message names the problem and the fix."""

    return_code = 1
    stage = ""  # where a multi-stage command (pipeline: image, sdist, wheels, verify) stopped, once known


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


class SourceNotProven(DualpyError):
    """A source's second proof failed: a signature gpgv refused, or a signed index that does not vouch for it."""


class SourceUnavailable(DualpyError):
    """No source of a recipe could be downloaded."""


class BuildFailed(DualpyError):
    """An image or wheel build failed; the message points at the log. Exit 3: no verdict, unlike a failed check."""

    return_code = 3


class PublishFailed(DualpyError):
    """A push, pull, save or load did not complete; the message names the registry or file and the fix."""


class ContainerFailed(DualpyError):
    """A command inside a container failed (verify's probe, bench's kernels): a failure, not bad input (exit 1)."""


def image_absent(tag: str, python: str) -> ImageNotFound:
    """The one "image absent" error: names the tag and a build command that runs as written."""
    return ImageNotFound(
        f"image {tag} is not in the local engine: build it with `dualpy images build --python {python} --tag {tag}`"
    )
