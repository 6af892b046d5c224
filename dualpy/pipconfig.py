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


def container_location(location: str, exists: Callable[[str], bool] = os.path.exists) -> str | None:
    """An index URL or find-links entry as the container sees it: http(s) as is, host paths under /host.

    None when it names a host path that does not exist (the container could not use it either).
    """
    if location.startswith(("http://", "https://")):
        return location
    path = location[len("file://"):] if location.startswith("file://") else location
    if not path.startswith("/") or not exists(path):
        return None
    inside = f"{HOST_MOUNT}{path}"
    return f"file://{inside}" if location.startswith("file://") else inside


def container_environment(settings: PipSettings, exists: Callable[[str], bool] = os.path.exists) -> dict[str, str]:
    """Environment for the build and test steps in the container: pip and uv see the host's indexes and CA."""
    env: dict[str, str] = {}
    if settings.index_url and (url := container_location(settings.index_url, exists)):
        env["PIP_INDEX_URL"] = url
        if url.startswith("http"):
            env["UV_DEFAULT_INDEX"] = url
    extras = [u for u in (container_location(x, exists) for x in settings.extra_index_urls) if u]
    if extras:
        env["PIP_EXTRA_INDEX_URL"] = env["UV_INDEX"] = " ".join(extras)
        # pip picks the best candidate across all its indexes; uv's default takes a project from the first
        # index that has it, which would pin a project to a partial local mirror.
        env["UV_INDEX_STRATEGY"] = "unsafe-best-match"
    links = [link for link in (container_location(x, exists) for x in settings.find_links) if link]
    if links:
        env["PIP_FIND_LINKS"] = " ".join(links)
        env["UV_FIND_LINKS"] = ",".join(links)  # uv splits this one on commas
    if settings.trusted_hosts:
        env["PIP_TRUSTED_HOST"] = " ".join(settings.trusted_hosts)
        env["UV_INSECURE_HOST"] = " ".join(settings.trusted_hosts)
    if settings.cert and exists(settings.cert):
        # The bundle is read through the /host mount: nothing is copied into the container or the image.
        inside = f"{HOST_MOUNT}{Path(settings.cert).resolve()}"
        env.update({"PIP_CERT": inside, "SSL_CERT_FILE": inside, "REQUESTS_CA_BUNDLE": inside})
    return env
