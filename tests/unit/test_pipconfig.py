"""The host's pip settings, and what the build container gets from them."""

from __future__ import annotations

from dualpy.pipconfig import PipSettings, container_environment, parse_pip_config_list, settings_from

CA = "/etc/ssl/certs/ca-certificates.crt"
TEST_CA = "/dualpy-test-ca/bundle.pem"  # not on disk, so resolving it cannot follow a symlink


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
                           find_links=("/opt/wheels", "/gone", "https://links.example/"), cert=TEST_CA,
                           trusted_hosts=("idx.example",))
    present = {"/srv/w", "/opt/wheels", TEST_CA}
    env = container_environment(settings, exists=lambda path: path in present)
    assert env["PIP_INDEX_URL"] == env["UV_DEFAULT_INDEX"] == "https://idx.example/simple"
    assert env["PIP_EXTRA_INDEX_URL"] == env["UV_INDEX"] == "file:///host/srv/w https://more.example/simple"
    assert env["UV_INDEX_STRATEGY"] == "unsafe-best-match"  # pip's merging, not uv's first-index
    assert env["PIP_FIND_LINKS"] == "/host/opt/wheels https://links.example/"
    assert env["UV_FIND_LINKS"] == "/host/opt/wheels,https://links.example/"
    assert env["PIP_TRUSTED_HOST"] == env["UV_INSECURE_HOST"] == "idx.example"
    inside = "/host" + TEST_CA
    assert env["PIP_CERT"] == env["SSL_CERT_FILE"] == env["REQUESTS_CA_BUNDLE"] == inside


def test_nothing_to_pass_gives_an_empty_environment():
    assert container_environment(PipSettings(cert="/missing.pem"), exists=lambda path: False) == {}
    assert container_environment(PipSettings(index_url="file:///gone"), exists=lambda path: False) == {}
