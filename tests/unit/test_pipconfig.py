"""The host's pip settings, and what the build container gets from them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from dualpy.pipconfig import (
    DEFAULT_CA_BUNDLES,
    PipSettings,
    container_environment,
    container_location,
    container_mounts,
    host_pip_settings,
    parse_pip_config_list,
    settings_from,
)

CA = "/etc/ssl/certs/ca-certificates.crt"
TEST_CA = "/dualpy-test-ca/bundle.pem"  # not on disk, so resolving it cannot follow a symlink
WHEELS = "/dualpy-test/wheels"  # not on disk either: only the injected `exists` says it is there


def test_env_scope_beats_config_files_and_values_are_unquoted():
    merged = parse_pip_config_list(
        "global.index-url='https://a.example/simple'\n"
        ":env:.index-url='https://b.example/simple'\n"
        "user.index-url='https://c.example/simple'\n"
        f"global.cert='{CA}'\n"
        "user.extra-index-url='file:///srv/wheels'\n"
        'global.trusted-host="it\'s.example"\n'
        "not a setting line\n"
    )
    assert merged == {"index-url": "https://b.example/simple", "cert": CA,
                      "extra-index-url": "file:///srv/wheels", "trusted-host": "it's.example"}


def test_pip_variables_beat_the_config_and_the_ca_falls_back_to_the_system_bundle():
    config = {"index-url": "https://cfg.example/simple", "extra-index-url": "https://x.example/simple"}
    settings = settings_from(config, {"PIP_INDEX_URL": "https://env.example/simple", "PIP_FIND_LINKS": "/opt/w"},
                             is_file=lambda path: path == CA)
    assert settings == PipSettings(index_url="https://env.example/simple",
                                   extra_index_urls=("https://x.example/simple",), find_links=("/opt/w",), cert=CA)
    assert settings_from({}, {"SSL_CERT_FILE": "/my/ca.pem"}, is_file=lambda p: False).cert == "/my/ca.pem"
    assert settings_from({}, {}, is_file=lambda p: False).cert is None


def test_container_reads_the_host_ca_and_local_indexes_through_the_host_mount():
    settings = PipSettings(index_url="https://idx.example/simple",
                           extra_index_urls=("file:///srv/w", "file:///gone", "https://more.example/simple"),
                           find_links=(WHEELS, "/gone", "https://links.example/"), cert=TEST_CA,
                           trusted_hosts=("idx.example",))
    present = {"/srv/w", WHEELS, TEST_CA}
    env = container_environment(settings, exists=lambda path: path in present)
    assert env["PIP_INDEX_URL"] == env["UV_DEFAULT_INDEX"] == "https://idx.example/simple"
    assert env["PIP_EXTRA_INDEX_URL"] == env["UV_INDEX"] == "file:///host/srv/w https://more.example/simple"
    assert env["UV_INDEX_STRATEGY"] == "unsafe-best-match"  # pip's merging, not uv's first-index
    assert env["PIP_FIND_LINKS"] == "/host/dualpy-test/wheels https://links.example/"
    assert env["UV_FIND_LINKS"] == "/host/dualpy-test/wheels,https://links.example/"
    assert env["PIP_TRUSTED_HOST"] == env["UV_INSECURE_HOST"] == "idx.example"
    inside = "/host" + TEST_CA
    assert env["PIP_CERT"] == env["SSL_CERT_FILE"] == env["REQUESTS_CA_BUNDLE"] == inside


def test_nothing_to_pass_gives_an_empty_environment():
    assert container_environment(PipSettings(cert="/missing.pem"), exists=lambda path: False) == {}
    assert container_environment(PipSettings(index_url="file:///gone"), exists=lambda path: False) == {}


# What follows pins each rule on its own (issue 16: every mutant of pipconfig.py is killed or listed as equivalent).

SCOPES_LOW_TO_HIGH = ["global", "user", "site", "install", ":env:"]


@pytest.mark.parametrize(("low", "high"), list(zip(SCOPES_LOW_TO_HIGH, SCOPES_LOW_TO_HIGH[1:], strict=False)))
@pytest.mark.parametrize("high_first", [False, True])
def test_each_scope_beats_the_one_below_in_either_order(low, high, high_first):
    lines = [f"{low}.index-url='https://low.example/'", f"{high}.index-url='https://high.example/'"]
    text = "\n".join(reversed(lines) if high_first else lines)
    assert parse_pip_config_list(text) == {"index-url": "https://high.example/"}


@pytest.mark.parametrize(("first", "second"), [("install", "download"), ("download", "wheel"), ("wheel", "install"),
                                               ("global", "global"), ("user", "elsewhere"), ("elsewhere", "user")])
def test_equal_scopes_let_the_later_line_win(first, second):
    text = f"{first}.find-links='/first'\n{second}.find-links='/second'\n"
    assert parse_pip_config_list(text) == {"find-links": "/second"}


@pytest.mark.parametrize("known_first", [False, True])
def test_an_unknown_scope_ranks_with_user_files(known_first):
    for known, winner in (("global", "unknown"), ("site", "known")):
        lines = [f"{known}.cert='known'", "elsewhere.cert='unknown'"]
        text = "\n".join(lines if known_first else reversed(lines))
        assert parse_pip_config_list(text) == {"cert": winner}


def test_unreadable_lines_are_skipped_not_the_rest():
    text = ("not a setting line\n"
            "global.index-url=unquoted\n"
            "global.timeout='60\n"
            "  global.cert='/ca.pem'  \n"
            "global.retries=3\n"
            ":env:.no-cache-dir='1'\n")
    assert parse_pip_config_list(text) == {"cert": "/ca.pem", "retries": "3", "no-cache-dir": "1"}


def test_config_values_fill_every_setting():
    config = {"index-url": "https://i.example/simple", "extra-index-url": "https://a.example/ file:///srv/b",
              "find-links": "/w1 /w2", "cert": "/cfg/ca.pem", "trusted-host": "a.example b.example"}
    assert settings_from(config, {}, is_file=lambda path: True) == PipSettings(
        index_url="https://i.example/simple", extra_index_urls=("https://a.example/", "file:///srv/b"),
        find_links=("/w1", "/w2"), cert="/cfg/ca.pem", trusted_hosts=("a.example", "b.example"))


def test_every_pip_variable_beats_the_config_and_empty_ones_do_not():
    config = {"index-url": "cfg-i", "extra-index-url": "cfg-e", "find-links": "cfg-f", "cert": "cfg-c",
              "trusted-host": "cfg-t"}
    environ = {"PIP_INDEX_URL": "env-i", "PIP_EXTRA_INDEX_URL": "env-e1 env-e2", "PIP_FIND_LINKS": "env-f",
               "PIP_CERT": "env-c", "PIP_TRUSTED_HOST": "env-t", "SSL_CERT_FILE": "ssl", "REQUESTS_CA_BUNDLE": "req"}
    assert settings_from(config, environ, is_file=lambda path: True) == PipSettings(
        index_url="env-i", extra_index_urls=("env-e1", "env-e2"), find_links=("env-f",), cert="env-c",
        trusted_hosts=("env-t",))
    emptied = {name: "" for name in environ if name.startswith("PIP_")}
    assert settings_from(config, emptied, is_file=lambda path: True) == PipSettings(
        index_url="cfg-i", extra_index_urls=("cfg-e",), find_links=("cfg-f",), cert="cfg-c", trusted_hosts=("cfg-t",))


def test_nothing_configured_gives_empty_settings():
    assert settings_from({}, {}, is_file=lambda path: False) == PipSettings()
    assert settings_from({"index-url": ""}, {}, is_file=lambda path: False) == PipSettings()


@pytest.mark.parametrize(
    ("config", "environ", "cert"),
    [({"cert": "/cfg.pem"}, {"SSL_CERT_FILE": "/ssl.pem", "REQUESTS_CA_BUNDLE": "/req.pem"}, "/cfg.pem"),
     ({}, {"SSL_CERT_FILE": "/ssl.pem", "REQUESTS_CA_BUNDLE": "/req.pem"}, "/ssl.pem"),
     ({}, {"REQUESTS_CA_BUNDLE": "/req.pem"}, "/req.pem"),
     ({}, {"SSL_CERT_FILE": "", "REQUESTS_CA_BUNDLE": "/req.pem"}, "/req.pem")],
)
def test_ca_order_pip_then_ssl_cert_file_then_requests(config, environ, cert):
    assert settings_from(config, environ, is_file=lambda path: True).cert == cert


@pytest.mark.parametrize("present", [set(DEFAULT_CA_BUNDLES), {DEFAULT_CA_BUNDLES[1]}])
def test_system_bundles_are_tried_in_order(present):
    expected = next(path for path in DEFAULT_CA_BUNDLES if path in present)
    assert settings_from({}, {}, is_file=lambda path: path in present).cert == expected


@pytest.fixture()
def host_environ(monkeypatch):
    """The test's own environment: no PIP_* or CA variable of the machine that runs it leaks in."""
    for name in list(os.environ):
        if name.startswith("PIP_") or name in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SSL_CERT_FILE", TEST_CA)  # so the system bundles on this machine are never looked at


def fake_pip(monkeypatch, returncode: int, stdout: str) -> list:
    calls: list = []

    def run(args, **kwargs):
        calls.append((args, kwargs))
        return subprocess.CompletedProcess(args, returncode, stdout=stdout, stderr="")

    monkeypatch.setattr("dualpy.pipconfig.subprocess.run", run)
    return calls


def test_host_settings_come_from_pip_config_list_and_the_environment(monkeypatch, host_environ):
    calls = fake_pip(monkeypatch, 0, "global.index-url='https://cfg.example/simple'\nglobal.find-links='/w'\n")
    monkeypatch.setenv("PIP_FIND_LINKS", "/env-w")
    assert host_pip_settings() == PipSettings(index_url="https://cfg.example/simple", find_links=("/env-w",),
                                              cert=TEST_CA)
    assert calls == [([sys.executable, "-m", "pip", "config", "list"], {"capture_output": True, "text": True})]


def test_host_settings_ignore_the_output_of_a_failed_pip(monkeypatch, host_environ):
    fake_pip(monkeypatch, 1, "global.index-url='https://half.example/simple'\n")
    assert host_pip_settings() == PipSettings(cert=TEST_CA)


@pytest.mark.parametrize(
    ("location", "inside"),
    [("https://idx.example/simple", "https://idx.example/simple"), ("http://idx.example/simple",
                                                                     "http://idx.example/simple"),
     (f"file://{WHEELS}", f"file:///host{WHEELS}"), (WHEELS, f"/host{WHEELS}"), ("/missing", None),
     ("file:///missing", None), ("relative/dir", None), ("file://relative", None), ("ftp://x.example/", None)],
)
def test_container_location(location, inside):
    assert container_location(location, exists=lambda path: path == WHEELS) == inside


@pytest.mark.parametrize(
    ("settings", "env"),
    [(PipSettings(index_url="http://plain.example/simple"),
      {"PIP_INDEX_URL": "http://plain.example/simple", "UV_DEFAULT_INDEX": "http://plain.example/simple"}),
     (PipSettings(index_url=f"file://{WHEELS}"), {"PIP_INDEX_URL": f"file:///host{WHEELS}"}),
     (PipSettings(extra_index_urls=(f"file://{WHEELS}",)),
      {"PIP_EXTRA_INDEX_URL": f"file:///host{WHEELS}", "UV_INDEX": f"file:///host{WHEELS}",
       "UV_INDEX_STRATEGY": "unsafe-best-match"}),
     (PipSettings(find_links=(WHEELS,)), {"PIP_FIND_LINKS": f"/host{WHEELS}", "UV_FIND_LINKS": f"/host{WHEELS}"}),
     (PipSettings(trusted_hosts=("a.example", "b.example")),
      {"PIP_TRUSTED_HOST": "a.example b.example", "UV_INSECURE_HOST": "a.example b.example"}),
     (PipSettings(cert=TEST_CA), {"PIP_CERT": f"/host{TEST_CA}", "SSL_CERT_FILE": f"/host{TEST_CA}",
                                  "REQUESTS_CA_BUNDLE": f"/host{TEST_CA}"})],
)
def test_each_setting_alone_gives_exactly_its_variables(settings, env):
    assert container_environment(settings, exists=lambda path: path in (WHEELS, TEST_CA)) == env


def test_settings_left_unset_are_never_looked_up():
    def exists(path):
        assert path is not None, "an unset setting was looked up"
        return True

    assert container_environment(PipSettings(), exists=exists) == {}


def test_container_mounts_bind_a_local_mirror_with_the_files_beside_its_simple_folder():
    settings = PipSettings(index_url="file:///srv/mirror/simple/", extra_index_urls=("file:///srv/other/index",),
                           find_links=("/srv/wheels",), cert="/dualpy-test-ca/ca.pem")
    mounts = container_mounts(settings, "/r", exists=lambda path: True)
    assert mounts == {"/srv/mirror": "/r/srv/mirror", "/srv/other/index": "/r/srv/other/index",
                      "/srv/wheels": "/r/srv/wheels", "/dualpy-test-ca/ca.pem": "/r/dualpy-test-ca/ca.pem"}
    env = container_environment(settings, exists=lambda path: True, root="/r")
    assert env["PIP_INDEX_URL"] == "file:///r/srv/mirror/simple/"  # under the bound parent, as the host sees it
