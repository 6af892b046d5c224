"""verify's runtime side without an engine: the host's pip settings as the container sees them, and a probe that
fails inside the container is a failure (exit 1), not bad input (exit 2)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from dualpy import engine
from dualpy.cli import main
from dualpy.errors import ContainerFailed
from dualpy.pipconfig import HOST_MOUNT, PipSettings, container_environment, container_mounts
from dualpy.verify import runtime
from dualpy.verify.static import check_wheelhouse
from tests.conftest import make_wheel

HOST = PipSettings(index_url="http://proxy.example/simple", extra_index_urls=("/srv/mirror",),
                   find_links=("file:///srv/links",), cert="/etc/ssl/host-ca.pem", trusted_hosts=("proxy.example",))
PRESENT = {"/srv/mirror", "/srv/links", "/etc/ssl/host-ca.pem"}


def test_one_mapping_serves_the_build_container_and_the_verify_container():
    built = container_environment(HOST, exists=PRESENT.__contains__)
    verified = container_environment(HOST, exists=PRESENT.__contains__, root=runtime.HOST_ROOT)
    # Same keys, same URLs; only where the host's files appear differs.
    assert set(built) == set(verified)
    assert built["PIP_INDEX_URL"] == verified["PIP_INDEX_URL"] == "http://proxy.example/simple"
    assert built["PIP_EXTRA_INDEX_URL"] == f"{HOST_MOUNT}/srv/mirror"
    assert verified["PIP_EXTRA_INDEX_URL"] == f"{runtime.HOST_ROOT}/srv/mirror"
    assert verified["PIP_FIND_LINKS"] == f"file://{runtime.HOST_ROOT}/srv/links"
    cert_inside = verified["PIP_CERT"]
    assert verified["SSL_CERT_FILE"] == cert_inside and cert_inside.startswith(runtime.HOST_ROOT + "/")


def test_the_verify_container_gets_a_read_only_mount_for_every_host_path_it_is_told_about():
    mounts = container_mounts(HOST, runtime.HOST_ROOT, exists=PRESENT.__contains__)
    env = container_environment(HOST, exists=PRESENT.__contains__, root=runtime.HOST_ROOT)
    inside = set(mounts.values())
    assert {env["PIP_EXTRA_INDEX_URL"], env["PIP_FIND_LINKS"].removeprefix("file://"), env["PIP_CERT"]} <= inside
    assert container_mounts(PipSettings(index_url="https://pypi.org/simple"), runtime.HOST_ROOT) == {}


def test_pip_access_is_empty_without_deps_and_mounts_read_only_with_them(monkeypatch):
    assert runtime.pip_access(False) == ({}, {})
    monkeypatch.setattr(runtime, "host_pip_settings", lambda: PipSettings(index_url="https://idx.example/simple"))
    volumes, env = runtime.pip_access(True)
    assert env["PIP_INDEX_URL"] == "https://idx.example/simple"
    assert all(volume["mode"] == "ro" for volume in volumes.values())


@pytest.fixture
def failing_probe(monkeypatch, tmp_path):
    """A wheelhouse of one good wheel, and an image whose verify probe dies (stdout empty, a traceback on stderr)."""
    make_wheel(tmp_path)
    monkeypatch.setattr(engine, "image_facts", lambda tag: SimpleNamespace(id="sha256:0", labels={}))
    monkeypatch.setattr(runtime, "image_interpreters", lambda tag: ["cp313-cp313"])
    monkeypatch.setattr(engine, "run", lambda *a, **k: engine.RunResult(
        1, "", "Traceback (most recent call last):\n  ...\nModuleNotFoundError: No module named 'packaging'\n"))
    return tmp_path


def test_a_probe_failing_in_the_container_is_a_container_failure(failing_probe):
    _results, facts = check_wheelhouse(sorted(failing_probe.glob("*.whl")))
    with pytest.raises(ContainerFailed, match="No module named 'packaging'") as caught:
        runtime.check_wheels_in_image("img", str(failing_probe), facts)
    assert caught.value.return_code == 1
    assert "\n" not in str(caught.value)


def test_verify_wheels_exits_1_when_the_container_fails(failing_probe, capsys):
    assert main(["verify", "wheels", str(failing_probe), "--image", "img"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: the verify probe under ") and " failed (exit 1): " in err
    assert len(err.splitlines()) == 1


def test_a_probe_that_prints_no_report_is_a_container_failure(failing_probe, monkeypatch):
    monkeypatch.setattr(engine, "run", lambda *a, **k: engine.RunResult(0, "", ""))
    _results, facts = check_wheelhouse(sorted(failing_probe.glob("*.whl")))
    with pytest.raises(ContainerFailed, match="printed no report"):
        runtime.check_wheels_in_image("img", str(failing_probe), facts)


def test_launcher_cases_cover_every_minor_and_take_rules_2_and_3_from_the_pin():
    cases = runtime.launcher_cases(["3.13", "3.14", "3.15"], "3.14", "gil")
    by_name = {case.name: case for case in cases}
    assert len(by_name) == len(cases)  # every case is named once
    default = by_name["rule5 default 3.14 gil"]
    assert (default.freethreaded, default.minor, default.env, default.pin) == (False, "3.14", {}, "")
    assert (by_name["rule2 -X gil=0"].freethreaded, by_name["rule2 -X gil=0"].minor) == (True, "3.14")
    pinned = by_name["rule2 -X gil=0 with .python-version 3.13"]
    assert (pinned.args, pinned.pin, pinned.freethreaded, pinned.minor) == ("-X gil=0", "3.13", True, "3.13")
    assert by_name["rule3 PYTHON_GIL=0 with .python-version 3.15"].env == {"PYTHON_GIL": "0"}
    assert "rule2 -X gil=0 with .python-version 3.14" not in by_name  # the default minor needs no pin
    for minor in ("3.13", "3.14", "3.15"):
        assert by_name[f"rule1 DUALPY_PYTHON={minor}t"].freethreaded
        assert not by_name[f"rule4 .python-version {minor}"].freethreaded
        assert by_name[f"rule4 .python-version {minor}t"].pin == f"{minor}t"
    assert len(cases) == 7 + 3 * 6 + 2 * 2
    single = runtime.launcher_cases(["3.13"], "3.13", "freethreaded")
    assert len(single) == 13 and next(c for c in single if c.name.startswith("rule5")).freethreaded
