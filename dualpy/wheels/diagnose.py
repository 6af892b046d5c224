"""What a failed build's log says went wrong, in one line: an unreachable download, a missing C header, a failed
test-command (pure)."""

from __future__ import annotations

import re
from collections.abc import Sequence

# cibuildwheel announces each download ("+ Download URL to PATH") and each step ("Auditing wheel...", inside a CI
# fold marker when one is on); urllib, pip and curl word a network they cannot reach in these ways.
_DOWNLOAD = re.compile(r"^\+ Download (\S+) to ")
_URL = re.compile(r"https?://[^\s'\"<>)\]]+")
_STEP = re.compile(r"^(?:::group::|##\[group\])?([A-Z][^:]{2,80}\.\.\.)$")
_UNREACHABLE = re.compile(r"urlopen error|URLError|Name or service not known|Temporary failure in name resolution|"
                          r"Network is unreachable|Connection refused|No route to host|Could not resolve host|"
                          r"Max retries exceeded|Connection timed out")
# gcc: "yaml.h: No such file or directory"; clang and zig (the glibc floor's compiler): "'ffi.h' file not found".
_MISSING_HEADER = re.compile(r"([\w./+-]+\.h): No such file or directory|'([\w./+-]+\.h)' file not found")


_COMPILE_ERROR = re.compile(r"(?:^|\s)([\w./+-]+\.(?:c|cc|cpp|cxx|h|hpp|pyx)):(\d+):(?:\d+:)? (?:fatal )?error: (.+)$")
_FELL_BACK = re.compile(r"does not look like a platform wheel|falling back to (?:the )?pure[- ]Python", re.IGNORECASE)


_CIBW_ERROR = re.compile(r"cibuildwheel: error: (.+?)\s*$")
_TEST_STEP = "Testing wheel..."
# What a test run says last when it fails: pytest's "ERROR: …", "FAILED …" and "E   …" lines, unittest's "FAILED
# (failures=1)", and the last line of a Python traceback ("ModuleNotFoundError: …"); "make: *** … Error 2" is not.
_TEST_ERROR = re.compile(r"^(?:ERROR\b|FAILED\b|E {3}|error:|"
                         r"(?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception|Failure)\b)")
MESSAGE_LIMIT = 300
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _shortened(text: str) -> str:
    return text[:MESSAGE_LIMIT] + "…" if len(text) > MESSAGE_LIMIT else text


def cibuildwheel_error(lines: Sequence[str]) -> str | None:
    """cibuildwheel's own last "error:" line (which command of which step failed), cut to 300 characters."""
    found = None
    for line in lines:
        if match := _CIBW_ERROR.search(line):
            found = match[1]
    return None if found is None else _shortened(found)


def failed_test(lines: Sequence[str], prefix: str = "") -> str | None:
    """The last error line of the test step's output when that step is the one cibuildwheel says failed; None when
    another step failed or the output names no error. prefix picks one process's lines from a shared log."""
    own = [ANSI_ESCAPE.sub("", line.removeprefix(prefix)).strip() for line in lines if line.startswith(prefix)]
    failed_at = next((i for i in range(len(own) - 1, -1, -1) if _CIBW_ERROR.search(own[i])), None)
    if failed_at is None:
        return None
    last_error = None
    for line in reversed(own[:failed_at]):
        if step := _STEP.match(line):
            return _shortened(last_error) if step[1] == _TEST_STEP and last_error else None
        if last_error is None and _TEST_ERROR.match(line):
            last_error = line
    return None


def compile_error(lines: Sequence[str]) -> str | None:
    """The first C/C++ compiler error of the log, as "file.c:LINE: message", and whether the build then fell back to
    pure Python (which auditwheel refuses); None when the log has no compiler error."""
    for line in lines:
        if found := _COMPILE_ERROR.search(line.strip()):
            text = f"{found[1]}:{found[2]}: {found[3].strip()}"
            fell_back = any(_FELL_BACK.search(later) for later in lines)
            return text + ("; the build fell back to pure Python, and auditwheel refuses a pure wheel as a platform "
                           "wheel" if fell_back else "")
    return None


def unreachable_download(lines: Sequence[str]) -> str | None:
    """"STEP needs URL, which this machine cannot reach" when the log's last network error follows a download."""
    failed_at = next((i for i in range(len(lines) - 1, -1, -1) if _UNREACHABLE.search(lines[i])), None)
    if failed_at is None:
        return None
    url = step = None
    for line in reversed(lines[:failed_at + 1]):
        text = line.strip()
        if url is None and (found := _DOWNLOAD.match(text) or _URL.search(text)):
            url = found[1] if found.re is _DOWNLOAD else found[0]
        if step is None and (named := _STEP.match(text)):
            step = named[1]
        if url and step:
            break
    if url is None:
        return None
    where = f"cibuildwheel's step {step!r}" if step else "a build step"
    return f"{where} needs {url}, which this machine cannot reach"


def missing_header(lines: Sequence[str]) -> str | None:
    """The C header a compiler could not find ("yaml.h"), the last one the log names; None when none is."""
    found = None
    for line in lines:
        for match in _MISSING_HEADER.finditer(line):
            found = match[1] or match[2]
    return found
