"""The real dual image: built once per session from verified source, inspected, searched for secrets."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tarfile
from pathlib import Path

import pytest

from tests.conftest import DUAL_IMAGE_PYTHON, run_dualpy

pytestmark = pytest.mark.docker

HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


@pytest.fixture(scope="module")
def inspected(dual_image):
    return json.loads(run_dualpy("images", "inspect", dual_image, "--json").stdout)


def interpreter(inspected, install_tag):
    (row,) = [r for r in inspected["interpreters"] if f"/opt/python/{install_tag}/" in r["path"]]
    return row


def test_freethreaded_interpreter_has_the_gil_off(inspected):
    row = interpreter(inspected, "cp313-cp313t")
    assert row["version"] == DUAL_IMAGE_PYTHON
    assert row["Py_GIL_DISABLED"] == 1
    assert row["gil_enabled"] is False
    assert row["abiflags"] == "t"
    assert row["EXT_SUFFIX"] == ".cpython-313t-x86_64-linux-gnu.so"
    assert "cp313-cp313t-manylinux_2_36_x86_64" in row["tags"]


def test_gil_interpreter_has_the_gil_on(inspected):
    row = interpreter(inspected, "cp313-cp313")
    assert row["Py_GIL_DISABLED"] == 0
    assert row["gil_enabled"] is True
    assert row["abiflags"] == ""
    assert row["EXT_SUFFIX"] == ".cpython-313-x86_64-linux-gnu.so"
    assert "cp313-cp313-manylinux_2_36_x86_64" in row["tags"]


def test_labels_describe_the_build(inspected):
    labels = inspected["labels"]
    assert labels["io.dualpy.cpython.version"] == DUAL_IMAGE_PYTHON
    assert re.fullmatch(r"[0-9a-f]{64}", labels["io.dualpy.cpython.sha256"])
    assert labels["io.dualpy.variants"] == "gil,freethreaded"
    assert labels["io.dualpy.compiler"] == "gcc"
    assert "--disable-gil" in labels["io.dualpy.configure.freethreaded"]
    assert labels["io.dualpy.base"].startswith("dualpy/debian:bookworm@sha256:")


def test_image_serves_as_a_cibuildwheel_manylinux_image(dual_image):
    script = r"""
set -e
for tag in cp313-cp313 cp313-cp313t; do
    test "$(PATH=/opt/python/$tag/bin:$PATH which python)" = /opt/python/$tag/bin/python
    test "$(PATH=/opt/python/$tag/bin:$PATH which pip)" = /opt/python/$tag/bin/pip
    /opt/python/$tag/bin/python -c 'import build, packaging'
done
/opt/python/cp39-cp39/bin/python -c 'import sys; assert sys.version_info >= (3, 11)'
uv --version
auditwheel --version
patchelf --version
python3.13 -c 'import sys; assert not sys.abiflags'
python3.13t -c 'import sys; assert sys.abiflags == "t"'
echo OK
"""
    from dualpy import engine

    result = engine.run(dual_image, ["/bin/bash", "-c", script])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("OK")
    patchelf = engine.run(dual_image, ["patchelf", "--version"]).stdout.split()[-1]
    assert tuple(int(p) for p in patchelf.split(".")[:3]) >= (0, 14, 5)


def test_no_build_leftovers_and_identical_files_stored_once(dual_image):
    script = r"""
find /opt/python -name '__pycache__' | head -n 3
find /opt/python -name 'libpython*.a' | head -n 3
find /opt/python -type d -name test -path '*/lib/python3*/test' | head -n 3
echo ---
a=/opt/python/cp313-cp313/lib/python3.13/os.py
b=/opt/python/cp313-cp313t/lib/python3.13t/os.py
stat -c %i "$a" "$b"
cat /opt/python/.dualpy-dedupe.json
"""
    from dualpy import engine

    result = engine.run(dual_image, ["/bin/bash", "-c", script])
    leftovers, _, rest = result.stdout.partition("---\n")
    assert leftovers.strip() == ""
    inode_a, inode_b, dedupe = rest.strip().splitlines()
    assert inode_a == inode_b, "the stdlib's os.py should be one file in both installs"
    assert json.loads(dedupe)["bytes_saved"] > 10_000_000


def test_rebuild_with_nothing_changed_hits_the_layer_cache(dual_image):
    from dualpy import engine

    before = engine.image_facts(dual_image).id
    rebuilt = run_dualpy("images", "build", "--python", DUAL_IMAGE_PYTHON, "--tag", dual_image, "--json")
    report = json.loads(rebuilt.stdout)
    assert report["image_id"] == before
    assert report["cached_steps"] >= report["total_steps"] - 6  # FROM/stage lines are not cache hits


# pip vendors the public Mozilla bundle (certifi); it is the one certificate file an image may carry.
PEM_CERTIFICATE = re.compile(rb"-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]{200,}-----END CERTIFICATE-----")
ALLOWED_CERTIFICATE_FILES = re.compile(r".*/site-packages/pip/_vendor/certifi/cacert\.pem$")


@pytest.mark.skipif(not HOST_CA_BUNDLE.exists(), reason="no host CA bundle to compare with")
def test_no_host_ca_bundle_or_pip_credentials_in_any_layer(dual_image, tmp_path):
    from dualpy import engine

    history = json.dumps([layer.to_json() for layer in engine.image_history(dual_image)])
    for needle in ("PIP_CERT", "SSL_CERT_FILE", "ca-certificates.crt", "PIP_INDEX_URL", "pip.conf"):
        assert needle not in history
    host_bundle = HOST_CA_BUNDLE.read_bytes()
    archive = tmp_path / "image.tar"
    subprocess.run(["docker", "save", "--output", str(archive), dual_image], check=True)
    offending, certificate_files = [], []
    with tarfile.open(archive) as image_tar:
        for member in image_tar.getmembers():
            if not member.name.endswith("layer.tar"):
                continue
            with tarfile.open(fileobj=image_tar.extractfile(member)) as layer:
                for entry in layer:
                    name = entry.name
                    if name.endswith(("pip.conf", "/.netrc", "etc/ssl/certs/ca-certificates.crt")) or \
                            "usr/local/share/ca-certificates/" in name:
                        offending.append(name)
                    if not entry.isfile() or entry.size > 5_000_000:
                        continue
                    data = layer.extractfile(entry).read()
                    if data == host_bundle:
                        offending.append(name)
                    elif PEM_CERTIFICATE.search(data):
                        certificate_files.append(name)
    assert offending == []
    assert [n for n in certificate_files if not ALLOWED_CERTIFICATE_FILES.match("/" + n)] == []


def test_base_build_from_the_debian_archive():
    tag = "dualpy-test/debian:bookworm"
    run_dualpy("base", "build", "--suite", "bookworm", "--tag", tag)
    from dualpy import engine

    result = engine.run(tag, ["cat", "/etc/debian_version"])
    assert result.exit_code == 0 and result.stdout.strip().startswith("12.")
    assert engine.image_facts(tag).labels["io.dualpy.base.suite"] == "bookworm"
    subprocess.run(["docker", "rmi", "--force", tag], check=True, capture_output=True)


def test_wrong_checksum_source_is_refused(tmp_path):
    bogus = tmp_path / "Python-3.13.15.tar.xz"
    bogus.write_bytes(b"not the real tarball")
    result = run_dualpy("sources", "fetch", "3.13.15", "--source", str(bogus), check=False,
                        env={**os.environ, "DUALPY_CACHE_DIR": str(tmp_path / "cache")})
    assert result.returncode == 1
    assert "1e66a7945a48390ee4c2a4268a0e4185884059a13c4aab6d148aa208deea4a76" in result.stderr
    assert hashlib.sha256(b"not the real tarball").hexdigest() in result.stderr
    assert not (tmp_path / "cache" / "sources" / "Python-3.13.15.tar.xz").exists()
