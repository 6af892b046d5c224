"""abi3audit is installed from hash-pinned requirements into a venv named after them; a mismatch is one line."""

import re
from pathlib import Path

from dualpy.verify.auditors import (
    ABI3AUDIT_REQUIREMENTS,
    ABI3AUDIT_VERSION,
    abi3audit_venv_name,
    pip_install_failure,
)

# pip 23's own words when a pinned hash does not match (recorded with a wrong pin for idna 3.20).
MISMATCH = "\n".join([
    "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated the package "
    "versions, please update the hashes. Otherwise, examine the package contents carefully; someone may have "
    "tampered with them.",
    "    idna==3.20 from file:///opt/pypi/files/idna-3.20-py3-none-any.whl#sha256=ab7ae7122974553370f0bdb919e1a960b2"
    "cd1bc1ef0276416d896db81c14582c (from -r /tmp/bad.txt (line 1)):",
    "        Expected sha256 " + "a" * 64,
    "             Got        ab7ae7122974553370f0bdb919e1a960b2cd1bc1ef0276416d896db81c14582c",
])


def requirements():
    """(name, version, hashes) of each pin; continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", ABI3AUDIT_REQUIREMENTS.read_text())
    pins = []
    for line in text.splitlines():
        if line and not line.startswith("#"):
            spec, *hashes = line.split()
            name, version = spec.split("==")
            pins.append((name, version, [h.removeprefix("--hash=sha256:") for h in hashes]))
    return pins


def test_every_requirement_is_pinned_by_version_and_sha256():
    pins = requirements()
    assert ("abi3audit", ABI3AUDIT_VERSION) in [(n, v) for n, v, _ in pins]
    assert len(pins) >= 10  # abi3audit and what it needs: rich, requests, pyelftools, kaitaistruct, ...
    for name, version, hashes in pins:
        assert re.fullmatch(r"[0-9][0-9a-z.]*", version), name
        assert hashes and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes), name


def test_the_venv_is_named_after_the_pins():
    text = ABI3AUDIT_REQUIREMENTS.read_bytes()
    name = abi3audit_venv_name(text)
    assert name.startswith(f"abi3audit-{ABI3AUDIT_VERSION}-") and len(name.rsplit("-", 1)[1]) == 12
    assert abi3audit_venv_name(text + b"\n") != name  # a changed lock builds a new venv
    assert abi3audit_venv_name(text) == name


def test_a_hash_mismatch_names_the_package_its_file_and_the_fix():
    line = pip_install_failure(MISMATCH, Path("dualpy/verify/abi3audit-requirements.txt"))
    assert line.startswith("installing abi3audit failed: idna==3.20 (idna-3.20-py3-none-any.whl) does not match the "
                           "sha256 pinned in dualpy/verify/abi3audit-requirements.txt")
    assert "\n" not in line and "regenerate the pins" in line


def test_another_install_failure_gives_pips_last_line():
    line = pip_install_failure("WARNING: x\nERROR: No matching distribution found for rich==15.0.0\n", Path("r.txt"))
    assert line == ("installing abi3audit failed (ERROR: No matching distribution found for rich==15.0.0): check "
                    "the host's pip settings")
