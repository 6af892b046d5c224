"""Images leave the machine: a real registry (Debian's docker-registry on 127.0.0.1) and real archives."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import run_dualpy

pytestmark = pytest.mark.docker

USER, PASSWORD = "dualpy-ci", "s3cret-пароль"


@dataclass(frozen=True)
class Registry:
    address: str  # 127.0.0.1:PORT
    auth: bool


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_registry(directory: Path, auth: bool) -> tuple[subprocess.Popen[bytes], Registry]:
    binary = shutil.which("docker-registry")
    assert binary, "docker-registry is not installed: .ci/setup installs Debian's docker-registry package"
    port = _free_port()
    auth_block = ""
    if auth:
        htpasswd = subprocess.run(["htpasswd", "-Bbn", USER, PASSWORD], capture_output=True, text=True, check=True)
        (directory / "htpasswd").write_text(htpasswd.stdout)
        auth_block = f"auth:\n  htpasswd:\n    realm: dualpy-test\n    path: {directory / 'htpasswd'}\n"
    (directory / "config.yml").write_text(
        "version: 0.1\nlog:\n  level: warn\n"
        f"storage:\n  filesystem:\n    rootdirectory: {directory / 'data'}\n  delete:\n    enabled: true\n"
        f"http:\n  addr: 127.0.0.1:{port}\n{auth_block}"
    )
    with (directory / "registry.log").open("wb") as log:  # the registry keeps its own copy of the descriptor
        process = subprocess.Popen([binary, "serve", str(directory / "config.yml")], stdout=log, stderr=log)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=2)
            break
        except urllib.error.HTTPError:
            break  # 401: up, and asking for credentials
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        raise AssertionError(f"docker-registry did not answer: {(directory / 'registry.log').read_text()[-500:]}")
    return process, Registry(f"127.0.0.1:{port}", auth)


@pytest.fixture(params=[False, True], ids=["open", "htpasswd"])
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Registry]:
    process, found = _start_registry(tmp_path, auth=request.param)
    try:
        yield found
    finally:
        process.terminate()
        process.wait(timeout=10)


def _credentials(registry: Registry, password: str = PASSWORD) -> dict[str, str]:
    return {"input": password + "\n"} if registry.auth else {}


def _auth_args(registry: Registry) -> list[str]:
    return ["--username", USER] if registry.auth else []


def _docker(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def small_image(dual_image: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A small image with dualpy's labels on the local base: its own top layer proves what a pull downloads."""
    context = tmp_path_factory.mktemp("small-image")
    (context / "Dockerfile").write_text(
        "FROM dualpy/debian:bookworm\nRUN echo dualpy-publish-test > /hello\n"
        "LABEL io.dualpy.version=test io.dualpy.cpython.version=none\n")
    tag = "dualpy-test/publish:small"
    built = _docker("build", "-q", "-t", tag, str(context))
    assert built.returncode == 0, built.stderr
    yield tag
    _docker("image", "rm", "-f", tag)


def _local_names(image_id: str) -> list[str]:
    inspected = json.loads(_docker("image", "inspect", image_id).stdout or "[]")
    return [*inspected[0]["RepoTags"], *inspected[0]["RepoDigests"]] if inspected else []


def test_push_remove_pull_by_digest_run(small_image: str, registry: Registry) -> None:
    destination = f"{registry.address}/dualpy/cpython:ci-{registry.auth}"
    pushed = json.loads(run_dualpy("images", "push", small_image, destination, "--json", *_auth_args(registry),
                                   **_credentials(registry)).stdout)
    assert pushed["digest"].startswith("sha256:") and len(pushed["digest"]) == 71
    assert pushed["reference"] == f"{registry.address}/dualpy/cpython@{pushed['digest']}"
    assert pushed["replaced"] is None

    # Remove every local name, so the image and its own layer are gone, then pull back by digest and run it.
    assert _local_names(pushed["image_id"])
    assert _docker("image", "rm", "-f", pushed["image_id"]).returncode == 0
    assert _docker("image", "inspect", pushed["image_id"]).returncode != 0
    pulled = json.loads(run_dualpy("images", "pull", destination, "--digest", pushed["digest"], "--json",
                                   *_auth_args(registry), **_credentials(registry)).stdout)
    assert pushed["reference"] in pulled["repo_digests"]
    assert pulled["image_id"] == pushed["image_id"]
    ran = _docker("run", "--rm", pushed["reference"], "cat", "/hello")
    assert ran.returncode == 0 and ran.stdout == "dualpy-publish-test\n", ran.stderr
    assert _docker("tag", pushed["image_id"], small_image).returncode == 0

    # The same content again: allowed. Other content under the same tag: refused unless --force.
    again = run_dualpy("images", "push", small_image, destination, "--json", *_auth_args(registry),
                       **_credentials(registry))
    assert json.loads(again.stdout)["digest"] == pushed["digest"]
    base = "dualpy/debian:bookworm"
    refused = run_dualpy("images", "push", base, destination, *_auth_args(registry), check=False,
                         **_credentials(registry))
    assert refused.returncode == 2
    assert "already holds other content" in refused.stderr and "--force" in refused.stderr
    forced = json.loads(run_dualpy("images", "push", base, destination, "--force", "--json", *_auth_args(registry),
                                   **_credentials(registry)).stdout)
    assert forced["replaced"] == pushed["digest"] and forced["digest"] != pushed["digest"]
    # The base image is no dualpy image: pull refuses it, and a digest that is not served is refused too.
    not_ours = run_dualpy("images", "pull", destination, *_auth_args(registry), check=False, **_credentials(registry))
    assert not_ours.returncode == 1 and "not a dualpy image" in not_ours.stderr
    wrong = run_dualpy("images", "pull", destination, "--digest", pushed["digest"], *_auth_args(registry),
                       check=False, **_credentials(registry))
    assert wrong.returncode == 1 and "not " + pushed["digest"] in wrong.stderr
    _docker("image", "rm", destination)  # the registry goes with the test: so does the name that points at it


def test_wrong_password_is_one_clear_line(dual_image: str, tmp_path: Path) -> None:
    process, registry = _start_registry(tmp_path, auth=True)
    try:
        result = run_dualpy("images", "push", dual_image, f"{registry.address}/dualpy/cpython:x", "--username", USER,
                            check=False, input="wrong\n")
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "refused the credentials" in lines[0], result.stderr
    assert "wrong" not in result.stderr and "Traceback" not in result.stderr


def test_save_load_round_trip_and_corrupt_archive(dual_image: str, tmp_path: Path) -> None:
    archive = tmp_path / "image.tar"
    saved = json.loads(run_dualpy("images", "save", dual_image, "-o", str(archive), "--json").stdout)
    assert archive.is_file() and saved["size_bytes"] == archive.stat().st_size
    sidecar = (tmp_path / "image.tar.sha256").read_text().split()
    assert sidecar == [saved["sha256"], "image.tar"]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]

    loaded = json.loads(run_dualpy("images", "load", str(archive), "--json").stdout)
    assert loaded["sha256"] == saved["sha256"] and dual_image in loaded["images"]

    # Corrupt copies: a flipped byte (caught by FILE.sha256), and a truncated one with no sidecar.
    flipped = tmp_path / "flipped.tar"
    shutil.copyfile(archive, flipped)
    shutil.copyfile(tmp_path / "image.tar.sha256", tmp_path / "flipped.tar.sha256")
    with flipped.open("r+b") as stream:
        stream.seek(archive.stat().st_size // 2)
        byte = stream.read(1)
        stream.seek(-1, 1)
        stream.write(bytes([byte[0] ^ 0xFF]))
    result = run_dualpy("images", "load", str(flipped), check=False)
    assert result.returncode == 2 and "is corrupt" in result.stderr and "Traceback" not in result.stderr

    truncated = tmp_path / "truncated.tar"
    with archive.open("rb") as source, truncated.open("wb") as target:
        target.write(source.read(archive.stat().st_size // 3))
    result = run_dualpy("images", "load", str(truncated), check=False)
    assert result.returncode == 2 and "truncated.tar" in result.stderr and "Traceback" not in result.stderr
