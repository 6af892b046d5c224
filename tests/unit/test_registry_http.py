"""fetch_manifest against a small registry on 127.0.0.1 (http.server): every answer a registry may give.

The integration tier runs Debian's real docker-registry; this one covers the answers that one never gives
(bearer tokens, 403, 500, oversize or broken manifests) and stays in the fast tier (loopback only).
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from dualpy.errors import PublishFailed
from dualpy.images import registry
from dualpy.images.registry import Credentials, ImageReference, fetch_manifest

MANIFEST = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": {"digest": "sha256:" + "c" * 64}}).encode()
TOKEN = "t0ken"


class Registry:
    """What the fake registry answers; each test sets the fields it needs and reads what came in."""

    def __init__(self) -> None:
        self.auth = "none"  # none | bearer | basic
        self.status = 200
        self.body = MANIFEST
        self.digest_header: str | None = "sha256:" + "d" * 64
        self.token_status = 200
        self.token_body = json.dumps({"token": TOKEN}).encode()
        self.realm = ""
        self.service: str | None = "fake"
        self.requests: list[tuple[str, dict[str, str]]] = []


def _handler(state: Registry) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            state.requests.append((self.path, dict(self.headers)))
            if self.path.startswith("/token"):
                self._send(state.token_status, state.token_body)
                return
            authorization = self.headers.get("Authorization", "")
            if state.auth == "bearer" and authorization != f"Bearer {TOKEN}":
                service = f',service="{state.service}"' if state.service is not None else ""
                realm = f'realm="{state.realm}"' if state.realm else 'error="no realm"'
                challenge = f'Bearer {realm}{service},scope="repository:x:pull"'
                self._send(401, b"{}", {"WWW-Authenticate": challenge})
                return
            if state.auth == "basic" and authorization != "Basic " + base64.b64encode(b"user:secret").decode():
                self._send(401, b"{}", {"WWW-Authenticate": 'Basic realm="fake"'})
                return
            headers = {"Docker-Content-Digest": state.digest_header} if state.digest_header else {}
            self._send(state.status, state.body, headers)

    return Handler


@pytest.fixture
def fake() -> Iterator[tuple[Registry, str]]:
    state = Registry()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    host = f"127.0.0.1:{server.server_address[1]}"
    state.realm = f"http://{host}/token"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield state, host
    server.shutdown()
    server.server_close()


def test_a_manifest_by_tag_gives_the_registrys_digest_and_the_config(fake: tuple[Registry, str]) -> None:
    state, host = fake
    found = fetch_manifest(ImageReference.parse(f"{host}/dualpy/cpython:3.14.7"))
    assert found == registry.RemoteManifest("sha256:" + "d" * 64, "application/vnd.oci.image.manifest.v1+json",
                                            "sha256:" + "c" * 64)
    path, headers = state.requests[0]
    assert path == "/v2/dualpy/cpython/manifests/3.14.7"
    assert "application/vnd.oci.image.index.v1+json" in headers["Accept"]


def test_without_a_digest_header_the_digest_is_the_bodys_sha256_and_a_digest_reference_is_asked_for(
        fake: tuple[Registry, str]) -> None:
    state, host = fake
    state.digest_header = None
    wanted = "sha256:" + "e" * 64
    found = fetch_manifest(ImageReference.parse(f"{host}/dualpy/cpython@{wanted}"))
    assert found is not None and found.digest == "sha256:" + hashlib.sha256(MANIFEST).hexdigest()
    assert state.requests[0][0] == f"/v2/dualpy/cpython/manifests/{wanted}"
    fetch_manifest(ImageReference.parse(f"{host}/dualpy/cpython"))
    assert state.requests[1][0] == "/v2/dualpy/cpython/manifests/latest"


def test_nothing_at_the_reference_is_none(fake: tuple[Registry, str]) -> None:
    state, host = fake
    state.status = 404
    assert fetch_manifest(ImageReference.parse(f"{host}/dualpy/cpython:absent")) is None


def test_a_bearer_challenge_is_answered_with_a_token_for_pull_of_that_repository(fake: tuple[Registry, str]) -> None:
    state, host = fake
    state.auth = "bearer"
    found = fetch_manifest(ImageReference.parse(f"{host}/team/py:1"), Credentials("user", "secret"))
    assert found is not None and found.digest == "sha256:" + "d" * 64
    token_path, token_headers = state.requests[1]
    assert token_path == "/token?service=fake&scope=repository%3Ateam%2Fpy%3Apull"
    assert token_headers["Authorization"] == "Basic " + base64.b64encode(b"user:secret").decode()
    assert state.requests[2][1]["Authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize(("status", "body", "message"), [
    (401, b"{}", "refused the credentials \\(HTTP 401\\)"),
    (200, b"not json", "gave no usable token"),
    (200, b"{}", "gave no usable token"),
])
def test_a_token_the_registry_will_not_give_is_one_line(fake: tuple[Registry, str], status: int, body: bytes,
                                                        message: str) -> None:
    state, host = fake
    state.auth, state.token_status, state.token_body = "bearer", status, body
    with pytest.raises(PublishFailed, match=message):
        fetch_manifest(ImageReference.parse(f"{host}/team/py:1"))


def test_a_realm_that_is_not_a_url_is_refused_before_any_request(fake: tuple[Registry, str]) -> None:
    state, host = fake
    state.auth, state.realm = "bearer", "file:///etc/passwd"
    with pytest.raises(PublishFailed, match="which is not a URL"):
        fetch_manifest(ImageReference.parse(f"{host}/team/py:1"))
    assert len(state.requests) == 1


def test_basic_auth_uses_the_credentials_and_without_them_says_how_to_give_them(fake: tuple[Registry, str]) -> None:
    state, host = fake
    state.auth = "basic"
    reference = ImageReference.parse(f"{host}/team/py:1")
    assert fetch_manifest(reference, Credentials("user", "secret")) is not None
    with pytest.raises(PublishFailed, match="needs credentials: pass --username"):
        fetch_manifest(reference)
    with pytest.raises(PublishFailed, match="refused the credentials"):
        fetch_manifest(reference, Credentials("user", "wrong"))


@pytest.mark.parametrize(("status", "message"), [
    (403, "refused the credentials \\(HTTP 403\\)"),
    (500, "answered HTTP 500 for 127.0.0.1"),
])
def test_other_answers_are_one_line_naming_the_status(fake: tuple[Registry, str], status: int, message: str) -> None:
    state, host = fake
    state.status = status
    with pytest.raises(PublishFailed, match=message):
        fetch_manifest(ImageReference.parse(f"{host}/team/py:1"))


def test_an_oversize_manifest_is_refused(fake: tuple[Registry, str], monkeypatch: pytest.MonkeyPatch) -> None:
    state, host = fake
    monkeypatch.setattr(registry, "MAX_MANIFEST_BYTES", 1 << 20)
    state.body = b"{" + b" " * (1 << 20) + b"}"
    with pytest.raises(PublishFailed, match="a manifest over 1 MiB"):
        fetch_manifest(ImageReference.parse(f"{host}/team/py:1"))


def _closed_port() -> int:
    """A loopback port nobody listens on: bind one, note it, close it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_registry_names_the_address_to_check() -> None:
    port = _closed_port()
    with pytest.raises(PublishFailed, match=f"cannot reach the registry 127.0.0.1:{port} .*check the address"):
        fetch_manifest(ImageReference.parse(f"127.0.0.1:{port}/team/py:1"))


@pytest.mark.parametrize(("body", "message"), [
    (b"not json", "a manifest that is not JSON"),
    (b"[1, 2]", "a manifest that is not a JSON object"),
])
def test_a_manifest_that_is_not_a_json_object_is_one_line(fake: tuple[Registry, str], body: bytes,
                                                          message: str) -> None:
    state, host = fake
    state.body = body
    with pytest.raises(PublishFailed, match=f"^the registry answered with {message}$"):
        fetch_manifest(ImageReference.parse(f"{host}/team/py:1"))


@pytest.mark.parametrize("document", [
    {"mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []},
    {"mediaType": "application/vnd.docker.distribution.manifest.list.v2+json", "config": {"digest": "sha256:1"}},
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "config": {"size": 1}},
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "config": "sha256:1"},
])
def test_an_index_or_a_manifest_without_a_config_digest_has_none(fake: tuple[Registry, str],
                                                                  document: dict[str, object]) -> None:
    state, host = fake
    state.body = json.dumps(document).encode()
    found = fetch_manifest(ImageReference.parse(f"{host}/team/py:1"))
    assert found is not None and found.config_digest is None and found.media_type == document["mediaType"]


def test_a_manifest_without_a_media_type_says_so_with_an_empty_one(fake: tuple[Registry, str]) -> None:
    state, host = fake
    state.body = json.dumps({"schemaVersion": 2, "config": {"digest": "sha256:" + "c" * 64}}).encode()
    found = fetch_manifest(ImageReference.parse(f"{host}/team/py:1"))
    assert found is not None and found.media_type == "" and found.config_digest == "sha256:" + "c" * 64


def test_a_token_under_access_token_and_a_challenge_without_a_service_work(fake: tuple[Registry, str]) -> None:
    state, host = fake
    state.auth, state.token_body = "bearer", json.dumps({"access_token": TOKEN}).encode()
    state.service = None
    assert fetch_manifest(ImageReference.parse(f"{host}/team/py:1")) is not None
    assert state.requests[1][0] == "/token?service=&scope=repository%3Ateam%2Fpy%3Apull"


@pytest.mark.parametrize("realm", ["", "ftp://127.0.0.1/token"])
def test_a_challenge_without_a_usable_realm_is_refused(fake: tuple[Registry, str], realm: str) -> None:
    state, host = fake
    state.auth, state.realm = "bearer", realm
    with pytest.raises(PublishFailed, match=f"asked for a token from {realm!r}, which is not a URL"):
        fetch_manifest(ImageReference.parse(f"{host}/team/py:1"))


def test_an_https_realm_is_asked_for_a_token(fake: tuple[Registry, str]) -> None:
    state, host = fake
    state.auth, state.realm = "bearer", f"https://127.0.0.1:{_closed_port()}/token"
    with pytest.raises(PublishFailed, match="cannot reach the registry .*Connection refused"):
        fetch_manifest(ImageReference.parse(f"{host}/team/py:1"))


def test_a_manifest_of_exactly_the_limit_is_read(fake: tuple[Registry, str], monkeypatch: pytest.MonkeyPatch) -> None:
    state, host = fake
    monkeypatch.setattr(registry, "MAX_MANIFEST_BYTES", 1 << 16)
    state.body = b"{" + b" " * ((1 << 16) - 2) + b"}"
    assert fetch_manifest(ImageReference.parse(f"{host}/team/py:1")) is not None
