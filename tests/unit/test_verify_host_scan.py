"""`verify wheels --manylinux X` without an image: the symbols are scanned on the host, never a silent pass."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from dualpy import console
from dualpy.cli import main
from tests.unit.wheelcraft import make_wheel

pytestmark = pytest.mark.skipif(shutil.which("cc") is None, reason="needs the host's C compiler")

THREADED = "#include <pthread.h>\nstatic void *f(void *a) { return a; }\n" \
           "int start(void) { pthread_t t; return pthread_create(&t, 0, f, 0); }\n"
PLAIN = "#include <stdlib.h>\nvoid *grab(void) { return malloc(8); }\n"


def _extension(tmp_path: Path, source: str) -> bytes:
    (tmp_path / "m.c").write_text(source)
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(tmp_path / "m.so"), str(tmp_path / "m.c")], check=True)
    return (tmp_path / "m.so").read_bytes()


@pytest.fixture(autouse=True)
def _loud_again():
    yield
    console.set_quiet(False)  # `--json -` silences progress for the rest of the process


def _verify(wheelhouse: Path, capsys, *args: str) -> tuple[int, list[dict]]:
    code = main(["verify", "wheels", str(wheelhouse), "--json", *args])
    report = json.loads(capsys.readouterr().out)
    return code, [r for r in report["results"] if r["check"] == "wheel.manylinux"]


def _host_glibc() -> tuple[int, int]:
    text = subprocess.run(["ldd", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    major, minor = text.rsplit(" ", 1)[1].split(".")[:2]
    return int(major), int(minor)


@pytest.mark.skipif(_host_glibc() < (2, 34), reason="pthread_create is GLIBC_2.34 only from glibc 2.34 on")
def test_a_symbol_above_the_policy_fails_without_an_image(tmp_path, capsys):
    wheelhouse = tmp_path / "wh"
    wheelhouse.mkdir()
    so = _extension(tmp_path, THREADED)
    make_wheel(wheelhouse, "demo-1.0-cp314-cp314-manylinux_2_17_x86_64.whl",
               {"demo/m.cpython-314-x86_64-linux-gnu.so": so})
    code, results = _verify(wheelhouse, capsys, "--manylinux", "2_28")
    assert code == 1
    (result,) = results
    assert result["status"] == "fail"
    assert "tagged for glibc 2.17 but pthread_create needs GLIBC_2.34" in result["message"]


def test_symbols_within_the_policy_pass_and_no_policy_means_no_scan(tmp_path, capsys):
    wheelhouse = tmp_path / "wh"
    wheelhouse.mkdir()
    make_wheel(wheelhouse, "demo-1.0-cp314-cp314-manylinux_2_17_x86_64.whl",
               {"demo/m.cpython-314-x86_64-linux-gnu.so": _extension(tmp_path, PLAIN)})
    make_wheel(wheelhouse, "pure-1.0-py3-none-any.whl", {"pure/__init__.py": b""})
    code, results = _verify(wheelhouse, capsys, "--manylinux", "2_28")
    by_wheel = {r["subject"]: r for r in results}
    assert by_wheel["demo-1.0-cp314-cp314-manylinux_2_17_x86_64.whl"]["status"] == "pass"
    assert "tags promise glibc 2.17; symbols need GLIBC_2.2.5" in by_wheel[
        "demo-1.0-cp314-cp314-manylinux_2_17_x86_64.whl"]["message"]
    assert by_wheel["pure-1.0-py3-none-any.whl"]["status"] == "skip"
    assert _verify(wheelhouse, capsys)[1] == []  # without a policy or an image: static checks only, as before
