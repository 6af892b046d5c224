"""The host's pip index and CA settings, and how they reach a build container (without baking them in)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

HOST_MOUNT = "/host"  # cibuildwheel mounts the host's / here in its build container
DEFAULT_CA_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt")
_LINE_RE = re.compile(r"^(?P<scope>[^.]*)\.(?P<key>[\w-]+)='(?P<value>.*)'$")
_SCOPE_RANK = {"global": 0, "user": 1, "site": 2, "install": 3, "download": 3, ":env:": 4}


@dataclass(frozen=True)
class PipSettings:
    """The pip settings that decide where packages come from and which CA is trusted."""

    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    cert: str | None = None
    trusted_hosts: tuple[str, ...] = field(default_factory=tuple)


def parse_pip_config_list(text: str) -> dict[str, str]:
    """Merge `pip config list` output into key -> value, later/narrower scopes winning (env over files)."""
    ranked: dict[str, tuple[int, str]] = {}
    for line in text.splitlines():
        match = _LINE_RE.match(line.strip())
        if not match:
            continue
        rank = _SCOPE_RANK.get(match["scope"], 1)
        key = match["key"]
        if key not in ranked or rank >= ranked[key][0]:
            ranked[key] = (rank, match["value"])
    return {key: value for key, (_rank, value) in ranked.items()}


def settings_from(config: Mapping[str, str], environ: Mapping[str, str]) -> PipSettings:
    """Resolve pip settings from merged config values and the environment (PIP_* variables win)."""
    def pick(name: str) -> str | None:
        return environ.get(f"PIP_{name.upper().replace('-', '_')}") or config.get(name) or None

    cert = pick("cert") or environ.get("SSL_CERT_FILE") or environ.get("REQUESTS_CA_BUNDLE")
    if not cert:
        cert = next((path for path in DEFAULT_CA_BUNDLES if os.path.isfile(path)), None)
    return PipSettings(
        index_url=pick("index-url"),
        extra_index_urls=tuple((pick("extra-index-url") or "").split()),
        cert=cert,
        trusted_hosts=tuple((pick("trusted-host") or "").split()),
    )


def host_pip_settings() -> PipSettings:
    """The pip settings in force on this host (config files and PIP_* environment)."""
    result = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True)
    return settings_from(parse_pip_config_list(result.stdout if result.returncode == 0 else ""), os.environ)


def _container_url(url: str, exists=os.path.exists) -> str | None:
    """An index URL as the container sees it: http(s) unchanged, host file:// paths under /host, else None."""
    if url.startswith(("http://", "https://")):
        return url
    if url.startswith("file://"):
        path = url[len("file://"):]
        return f"file://{HOST_MOUNT}{path}" if exists(path) else None
    return None


def container_environment(settings: PipSettings, exists=os.path.exists) -> dict[str, str]:
    """Environment for build and test steps in the container: pip and uv see the host's index and CA."""
    env: dict[str, str] = {}
    # uv gives up on a flat file:// index that lacks a project, so it only gets the http(s) ones.
    if settings.index_url and (url := _container_url(settings.index_url, exists)):
        env["PIP_INDEX_URL"] = url
        if url.startswith("http"):
            env["UV_DEFAULT_INDEX"] = url
    extras = [u for u in (_container_url(x, exists) for x in settings.extra_index_urls) if u]
    if extras:
        env["PIP_EXTRA_INDEX_URL"] = " ".join(extras)
    if web_extras := [u for u in extras if u.startswith("http")]:
        env["UV_INDEX"] = " ".join(web_extras)
    if settings.trusted_hosts:
        env["PIP_TRUSTED_HOST"] = " ".join(settings.trusted_hosts)
        env["UV_INSECURE_HOST"] = " ".join(settings.trusted_hosts)
    if settings.cert and exists(settings.cert):
        inside = f"{HOST_MOUNT}{Path(settings.cert).resolve()}"
        env.update({"PIP_CERT": inside, "SSL_CERT_FILE": inside, "REQUESTS_CA_BUNDLE": inside})
    return env
