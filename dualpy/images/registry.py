"""Image references and the registry's HTTP API (OCI distribution spec): what a tag points at, before a push."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from dualpy.errors import PublishFailed, UsageError

DEFAULT_REGISTRY = "docker.io"
_DOCKER_HUB_API = "registry-1.docker.io"
_MANIFEST_TYPES = ", ".join((
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
))
_INDEX_TYPES = ("application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json")
# The distribution spec's grammar (reference.go), without the parts dualpy never needs.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REPOSITORY_RE = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
_TAG_RE = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
_HOST_RE = re.compile(r"^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:]+\])(?::\d{1,5})?$")
_CHALLENGE_PARAM_RE = re.compile(r'(\w+)="([^"]*)"')
MAX_MANIFEST_BYTES = 4 << 20
TIMEOUT = 30


@dataclass(frozen=True)
class ImageReference:
    """registry/repository[:tag][@digest], parsed once (docker's rules for where the registry part ends)."""

    registry: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    @classmethod
    def parse(cls, text: str) -> ImageReference:
        """Parse a reference such as 127.0.0.1:5000/dualpy/cpython:3.14.7 or name@sha256:…; UsageError if malformed."""
        original = text
        if not text or len(text) > 4096 or any(c.isspace() or ord(c) < 32 for c in text):
            raise UsageError(f"{original!r} is not an image reference: write it as registry/name:tag")
        digest = None
        if "@" in text:
            text, digest = text.split("@", 1)
            if not _DIGEST_RE.match(digest):
                raise UsageError(f"{original!r}: the digest must be sha256: and 64 hex digits")
        first, slash, rest = text.partition("/")
        if slash and ("." in first or ":" in first or first == "localhost" or first.startswith("[")):
            registry, path = first, rest
            if not _HOST_RE.match(registry):
                raise UsageError(f"{original!r}: {registry!r} is not a registry host[:port]")
        else:
            registry, path = DEFAULT_REGISTRY, text
        tag = None
        name, colon, maybe_tag = path.rpartition(":")
        if colon and "/" not in maybe_tag:
            path, tag = name, maybe_tag
            if not _TAG_RE.match(tag):
                raise UsageError(f"{original!r}: tag {tag!r} is not valid (letters, digits, _ . -; at most 128)")
        if registry == DEFAULT_REGISTRY and "/" not in path:
            path = f"library/{path}"
        if not _REPOSITORY_RE.match(path):
            raise UsageError(f"{original!r}: repository {path!r} is not valid (lowercase letters, digits, . _ - /)")
        return cls(registry, path, tag, digest)

    @property
    def name(self) -> str:
        """registry/repository, as the engine names it."""
        return self.repository if self.registry == DEFAULT_REGISTRY else f"{self.registry}/{self.repository}"

    def pinned_to(self, digest: str) -> ImageReference:
        """This reference with its digest set; UsageError unless digest is sha256: and 64 hex digits."""
        if not _DIGEST_RE.match(digest):
            raise UsageError(f"{digest!r}: the digest must be sha256: and 64 hex digits")
        return ImageReference(self.registry, self.repository, self.tag, digest)

    def __str__(self) -> str:
        return self.name + (f":{self.tag}" if self.tag else "") + (f"@{self.digest}" if self.digest else "")

    @property
    def api_host(self) -> str:
        return _DOCKER_HUB_API if self.registry == DEFAULT_REGISTRY else self.registry

    @property
    def is_loopback(self) -> bool:
        """True for localhost and 127.0.0.0/8 or ::1, which the engine also reaches over plain HTTP."""
        host = self.registry.rsplit(":", 1)[0] if not self.registry.endswith("]") else self.registry
        host = host.strip("[]")
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False


@dataclass(frozen=True)
class Credentials:
    """A registry user and password; never written anywhere, never printed."""

    username: str
    password: str

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, password=<hidden>)"


@dataclass(frozen=True)
class RemoteManifest:
    """What a registry holds at a reference: the manifest's digest, its media type, and the image config digest."""

    digest: str
    media_type: str
    config_digest: str | None  # None for an index (multi-arch) manifest


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """Split a WWW-Authenticate header into its scheme and parameters: ('bearer', {'realm': …, 'service': …})."""
    scheme, _, rest = header.strip().partition(" ")
    return scheme.lower(), dict(_CHALLENGE_PARAM_RE.findall(rest))


def describe_manifest(body: bytes, header_digest: str | None) -> RemoteManifest:
    """The RemoteManifest of a manifest body (pure); the digest is the body's sha256 when the header gives none."""
    try:
        document = json.loads(body)
    except ValueError:
        raise PublishFailed("the registry answered with a manifest that is not JSON") from None
    if not isinstance(document, dict):
        raise PublishFailed("the registry answered with a manifest that is not a JSON object")
    media_type = str(document.get("mediaType") or "")
    config = document.get("config")
    config_digest = str(config["digest"]) if isinstance(config, dict) and "digest" in config else None
    digest = header_digest or "sha256:" + hashlib.sha256(body).hexdigest()
    if media_type in _INDEX_TYPES:
        config_digest = None
    return RemoteManifest(digest, media_type, config_digest)


def _open(request: urllib.request.Request) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.status, dict(response.headers), response.read(MAX_MANIFEST_BYTES + 1)
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read(65536)


def _bearer_token(challenge: dict[str, str], credentials: Credentials | None, reference: ImageReference) -> str:
    realm = challenge.get("realm", "")
    if not realm.startswith(("https://", "http://")):
        raise PublishFailed(f"{reference.registry} asked for a token from {realm!r}, which is not a URL")
    query = {"service": challenge.get("service", ""), "scope": f"repository:{reference.repository}:pull"}
    request = urllib.request.Request(f"{realm}?{urllib.parse.urlencode(query)}")
    if credentials:
        request.add_header("Authorization", _basic(credentials))
    status, _headers, body = _open(request)
    if status != 200:
        raise _auth_failed(reference, status)
    try:
        document = json.loads(body)
        return str(document.get("token") or document["access_token"])
    except (ValueError, KeyError, AttributeError):
        raise PublishFailed(f"{reference.registry} gave no usable token") from None


def _basic(credentials: Credentials) -> str:
    return "Basic " + base64.b64encode(f"{credentials.username}:{credentials.password}".encode()).decode()


def _auth_failed(reference: ImageReference, status: int) -> PublishFailed:
    return PublishFailed(f"{reference.registry} refused the credentials (HTTP {status}): check the user name and "
                         f"password (--username, password on stdin) or `docker login {reference.registry}`")


def fetch_manifest(reference: ImageReference, credentials: Credentials | None = None) -> RemoteManifest | None:
    """What the registry holds at reference (by tag or digest), or None when it holds nothing there."""
    scheme = "http" if reference.is_loopback else "https"
    selector = reference.digest or reference.tag or "latest"
    url = f"{scheme}://{reference.api_host}/v2/{reference.repository}/manifests/{selector}"
    headers = {"Accept": _MANIFEST_TYPES}
    try:
        status, response_headers, body = _open(urllib.request.Request(url, headers=headers))
        if status == 401:
            scheme_name, challenge = parse_challenge(response_headers.get("WWW-Authenticate", ""))
            if scheme_name == "bearer":
                headers["Authorization"] = f"Bearer {_bearer_token(challenge, credentials, reference)}"
            elif credentials:
                headers["Authorization"] = _basic(credentials)
            else:
                raise PublishFailed(f"{reference.registry} needs credentials: pass --username and the password on "
                                    f"stdin, or `docker login {reference.registry}`")
            status, response_headers, body = _open(urllib.request.Request(url, headers=headers))
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise PublishFailed(f"cannot reach the registry {reference.registry} ({reason}): check the address") from None
    if status in (401, 403):
        raise _auth_failed(reference, status)
    if status == 404:
        return None
    if status != 200:
        raise PublishFailed(f"{reference.registry} answered HTTP {status} for {reference}")
    if len(body) > MAX_MANIFEST_BYTES:
        raise PublishFailed(f"{reference.registry} sent a manifest over {MAX_MANIFEST_BYTES >> 20} MiB for {reference}")
    header_digest = {k.lower(): v for k, v in response_headers.items()}.get("docker-content-digest")
    return describe_manifest(body, header_digest)
