"""The image's package-manager wrappers (images/scripts/apt-get, no-rpm) run with a fake apt-get: no root or engine."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "images" / "scripts"
FAKE_APT_GET = """#!/bin/sh
echo "$*" >> "$CALLS"
[ "${FAIL_UPDATE:-}" = 1 ] && [ "$1" = update ] && exit 100
[ "$1" = update ] || [ "$3" = update ] && touch "$LISTS/deb.example_dists_bookworm_main_binary-amd64_Packages"
exit 0
"""


@pytest.fixture
def apt(tmp_path: Path) -> dict[str, Path]:
    """A fake real apt-get that records its arguments, and an empty package-list directory."""
    fake = tmp_path / "real-apt-get"
    fake.write_text(FAKE_APT_GET)
    fake.chmod(0o755)
    lists = tmp_path / "lists"
    lists.mkdir()
    (lists / "partial").mkdir()  # what a Debian image keeps after `rm -rf /var/lib/apt/lists/*` and one update
    (lists / "lock").touch()
    return {"fake": fake, "lists": lists, "calls": tmp_path / "calls"}


def _run_apt_get(apt: dict[str, Path], *args: str, fail_update: bool = False) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DUALPY_REAL_APT_GET": str(apt["fake"]), "DUALPY_APT_LISTS": str(apt["lists"]),
           "CALLS": str(apt["calls"]), "LISTS": str(apt["lists"]), "FAIL_UPDATE": "1" if fail_update else ""}
    return subprocess.run(["sh", str(SCRIPTS / "apt-get"), *args], env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)


def _calls(apt: dict[str, Path]) -> list[str]:
    return apt["calls"].read_text().splitlines() if apt["calls"].exists() else []


def test_install_without_lists_updates_once_then_installs(apt: dict[str, Path]) -> None:
    first = _run_apt_get(apt, "install", "libffi-dev")
    second = _run_apt_get(apt, "install", "-y", "zlib1g-dev")
    assert first.returncode == second.returncode == 0
    assert _calls(apt) == [
        "update -qq",
        "-o APT::Get::Assume-Yes=true install libffi-dev",
        "-o APT::Get::Assume-Yes=true install -y zlib1g-dev",  # the lists are there now: no second update
    ]
    assert "no apt package lists in this image; running 'apt-get update'" in first.stderr
    assert second.stderr == ""


@pytest.mark.parametrize("args", [
    ["-y", "--no-install-recommends", "install", "file"],
    ["-o", "Debug::NoLocking=1", "-q", "install", "file"],
    ["-t", "bookworm-backports", "build-dep", "python3"],
])
def test_the_command_is_found_after_options_and_their_values(apt: dict[str, Path], args: list[str]) -> None:
    assert _run_apt_get(apt, *args).returncode == 0
    assert _calls(apt)[0] == "update -qq"


@pytest.mark.parametrize("args", [["update"], ["clean"], ["-o", "install=1", "autoclean"], ["--version"]])
def test_commands_that_need_no_lists_pass_straight_through(apt: dict[str, Path], args: list[str]) -> None:
    assert _run_apt_get(apt, *args).returncode == 0
    assert _calls(apt) == [f"-o APT::Get::Assume-Yes=true {' '.join(args)}"]


def test_present_lists_are_used_as_they_are(apt: dict[str, Path]) -> None:
    (apt["lists"] / "deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4").touch()
    assert _run_apt_get(apt, "install", "file").returncode == 0
    assert _calls(apt) == ["-o APT::Get::Assume-Yes=true install file"]


def test_a_failed_update_still_runs_the_install_so_apt_reports_the_cause(apt: dict[str, Path]) -> None:
    result = _run_apt_get(apt, "install", "file", fail_update=True)
    assert result.returncode == 0  # the fake install succeeds; the real one would name the missing package
    assert _calls(apt) == ["update -qq", "-o APT::Get::Assume-Yes=true install file"]
    assert "'apt-get update' failed; trying 'apt-get install' anyway" in result.stderr


def test_the_exit_status_is_the_real_apt_gets(apt: dict[str, Path]) -> None:
    apt["fake"].write_text("#!/bin/sh\nexit 100\n")
    (apt["lists"] / "x_Packages").touch()
    assert _run_apt_get(apt, "install", "no-such-package").returncode == 100


@pytest.mark.parametrize("name", ["yum", "dnf", "microdnf"])
def test_rpm_package_managers_fail_with_one_line_naming_the_way_out(tmp_path: Path, name: str) -> None:
    link = tmp_path / name
    link.symlink_to(SCRIPTS / "no-rpm")
    result = subprocess.run(["sh", "-c", f"{name} install -y libffi-devel || echo fell-through"],
                            env={**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"},
                            capture_output=True, text=True)
    assert result.stdout == "fell-through\n"  # a `yum ... || apt-get ...` script reaches its alternative
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert f"'{name}' is not in this Debian-based build image" in lines[0]
    assert "dualpy wheels build --manylinux-image" in lines[0]
    assert f"change the script's {name} line to apt-get" in lines[0]
    direct = subprocess.run([str(link), "install", "x"], capture_output=True, text=True)
    assert direct.returncode == 127


def test_scripts_are_executable_posix_sh() -> None:
    for name in ("apt-get", "no-rpm"):
        script = SCRIPTS / name
        assert os.access(script, os.X_OK)
        assert script.read_text().startswith("#!/bin/sh\n")
        assert subprocess.run(["sh", "-n", str(script)]).returncode == 0
