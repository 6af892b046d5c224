"""The host's pip index and CA settings, and how they reach a build container (without baking them in)."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

HOST_MOUNT = "/host"  # cibuildwheel mounts the host's / here in its build container
DEFAULT_CA_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt")
_LINE_RE = re.compile(r"^(?P<scope>[^.]*)\.(?P<key>[\w-]+)=(?P<value>.*)$")
# pip reads files global < user < site, then PIP_* (shown as ':env:'); a command section beats [global].
_SCOPE_RANK = {"global": 0, "user": 1, "site": 2, "install": 3, "download": 3, "wheel": 3, ":env:": 4}


@dataclass(frozen=True)
class PipSettings:
    """The pip settings that decide where packages come from and which CA is trusted."""

    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    cert: str | None = None
    trusted_hosts: tuple[str, ...] = ()


def parse_pip_config_list(text: str) -> dict[str, str]:
    """Merge `pip config list` output into key -> value, later/narrower scopes winning (env over files)."""
    ranked: dict[str, tuple[int, str]] = {}
    for line in text.splitlines():
        match = _LINE_RE.match(line.strip())
        if not match:
            continue
        try:
            value = ast.literal_eval(match["value"])  # pip prints repr(value): '...' or "..." when it holds a '
        except (ValueError, SyntaxError):
            continue
        rank = _SCOPE_RANK.get(match["scope"], 1)
        key = match["key"]
        if key not in ranked or rank >= ranked[key][0]:
            ranked[key] = (rank, str(value))
    return {key: value for key, (_rank, value) in ranked.items()}


def settings_from(
    config: Mapping[str, str], environ: Mapping[str, str], is_file: Callable[[str], bool] = os.path.isfile
) -> PipSettings:
    """Resolve pip settings from merged config values and the environment (PIP_* variables win)."""

    def pick(name: str) -> str | None:
        return environ.get(f"PIP_{name.upper().replace('-', '_')}") or config.get(name) or None

    cert = pick("cert") or environ.get("SSL_CERT_FILE") or environ.get("REQUESTS_CA_BUNDLE")
    if not cert:
        cert = next((path for path in DEFAULT_CA_BUNDLES if is_file(path)), None)
    return PipSettings(
        index_url=pick("index-url"),
        extra_index_urls=tuple((pick("extra-index-url") or "").split()),
        find_links=tuple((pick("find-links") or "").split()),
        cert=cert,
        trusted_hosts=tuple((pick("trusted-host") or "").split()),
    )


def host_pip_settings() -> PipSettings:
    """The pip settings in force on this host (config files and PIP_* environment)."""
    result = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True)
    return settings_from(parse_pip_config_list(result.stdout if result.returncode == 0 else ""), os.environ)


def container_location(
    location: str, exists: Callable[[str], bool] = os.path.exists, root: str = HOST_MOUNT
) -> str | None:
    """An index URL or find-links entry as the container sees it: http(s) as is, host paths under root.

    None when it names a host path that does not exist (the container could not use it either).
    """
    path = _host_path(location, exists)
    if path is None:
        return location if location.startswith(("http://", "https://")) else None
    inside = f"{root}{path}"
    return f"file://{inside}" if location.startswith("file://") else inside


def _host_path(location: str, exists: Callable[[str], bool]) -> str | None:
    """The existing absolute host path an index or find-links entry names; None for a URL or a missing path."""
    if location.startswith(("http://", "https://")):
        return None
    path = location[len("file://"):] if location.startswith("file://") else location
    return path if path.startswith("/") and exists(path) else None


def _cert_path(settings: PipSettings, exists: Callable[[str], bool]) -> str | None:
    """The CA bundle's real host path (a symlink's target is what a bind mount or /host shows), if it exists."""
    return str(Path(settings.cert).resolve()) if settings.cert and exists(settings.cert) else None


def container_environment(settings: PipSettings, exists: Callable[[str], bool] = os.path.exists,
                          root: str = HOST_MOUNT) -> dict[str, str]:
    """Environment for pip and uv in a container that sees the host's files under root: its indexes and CA.

    root is HOST_MOUNT for cibuildwheel's build container (the host's / is mounted there); a container without
    that mount gets the paths of container_mounts() bound under its own root instead.
    """
    env: dict[str, str] = {}
    if settings.index_url and (url := container_location(settings.index_url, exists, root)):
        env["PIP_INDEX_URL"] = url
        if url.startswith("http"):
            env["UV_DEFAULT_INDEX"] = url
    extras = [u for u in (container_location(x, exists, root) for x in settings.extra_index_urls) if u]
    if extras:
        env["PIP_EXTRA_INDEX_URL"] = env["UV_INDEX"] = " ".join(extras)
        # pip picks the best candidate across all its indexes; uv's default takes a project from the first
        # index that has it, which would pin a project to a partial local mirror.
        env["UV_INDEX_STRATEGY"] = "unsafe-best-match"
    links = [link for link in (container_location(x, exists, root) for x in settings.find_links) if link]
    if links:
        env["PIP_FIND_LINKS"] = " ".join(links)
        env["UV_FIND_LINKS"] = ",".join(links)  # uv splits this one on commas
    if settings.trusted_hosts:
        env["PIP_TRUSTED_HOST"] = " ".join(settings.trusted_hosts)
        env["UV_INSECURE_HOST"] = " ".join(settings.trusted_hosts)
    if cert := _cert_path(settings, exists):
        # The bundle is read through the host mount: nothing is copied into the container or the image.
        inside = f"{root}{cert}"
        env.update({"PIP_CERT": inside, "SSL_CERT_FILE": inside, "REQUESTS_CA_BUNDLE": inside})
    return env


def container_mounts(
    settings: PipSettings, root: str, exists: Callable[[str], bool] = os.path.exists
) -> dict[str, str]:
    """Host path -> container path of every host file container_environment(settings, root=root) names.

    For a container without cibuildwheel's /host mount: bind each read-only and the environment holds.
    """
    indexes = [_host_path(x, exists) for x in (settings.index_url or "", *settings.extra_index_urls)]
    # A local PEP 503 mirror's pages link to files beside its simple/ folder (../../files/...): bind its parent.
    paths = [str(Path(p).parent) if p and Path(p.rstrip("/")).name == "simple" else p for p in indexes]
    paths += [_host_path(x, exists) for x in settings.find_links]
    paths.append(_cert_path(settings, exists))
    return {path: f"{root}{path}" for path in dict.fromkeys(p for p in paths if p)}
