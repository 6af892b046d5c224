""".ci/setup refuses what it cannot work with in one line, before it installs anything.

It runs with a PATH that holds only a stand-in python3 and `dirname`: should a check let the script go on, the
next command is missing and the script stops, so nothing is ever installed by this test, even as root. The
whole setup runs in fresh Debian containers in tests/integration/test_setup.py.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent.parent


def _setup(tmp_path: Path, *args: str, version: tuple[int, int, int]) -> subprocess.CompletedProcess[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    claims = ("import sys; sys.version_info = {!r}; sys.version = '{} (stand-in)'; "
              "exec(compile(sys.stdin.read(), '<stdin>', 'exec'))").format(version, ".".join(map(str, version)))
    python3 = bin_dir / "python3"  # a real interpreter that reports another version
    python3.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -c {shlex.quote(claims)}\n")
    python3.chmod(0o755)
    dirname = shutil.which("dirname")
    assert dirname
    (bin_dir / "dirname").symlink_to(dirname)
    return subprocess.run(["/bin/bash", str(ROOT / ".ci" / "setup"), *args], capture_output=True, text=True,
                          env={"PATH": str(bin_dir), "HOME": str(tmp_path)}, timeout=60)


def test_a_python3_older_than_311_stops_setup_in_one_line(tmp_path: Path) -> None:
    result = _setup(tmp_path, "--no-engine", version=(3, 9, 2))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip() == (f"setup: dualpy needs Python >= 3.11, and python3 ({sys.executable}) is "
                                     "3.9.2: install python3.11 or newer as python3 and run setup again")


def test_python_311_passes_the_check(tmp_path: Path) -> None:
    result = _setup(tmp_path, "--no-engine", version=(3, 11, 2))
    assert "dualpy needs Python" not in result.stderr
    assert result.returncode != 0  # and then stops at the first missing command, by design of this test


def test_an_unknown_option_is_a_usage_error(tmp_path: Path) -> None:
    result = _setup(tmp_path, "--no-engin", version=(3, 12, 0))
    assert result.returncode == 2
    assert result.stderr.strip() == "setup: unknown option --no-engin; usage: bash .ci/setup [--no-engine]"
