"""In a fresh container of the built image: `apt-get install` works without `apt-get update`; yum says why not."""

from __future__ import annotations

import pytest

from dualpy import engine

pytestmark = pytest.mark.docker


def test_apt_get_install_without_update_fetches_the_lists_on_demand(dual_image):
    result = engine.run(dual_image, ["apt-get install -y --no-install-recommends file && file --version"],
                        entrypoint=["sh", "-c"])
    assert result.exit_code == 0, result.stderr
    assert "no apt package lists in this image; running 'apt-get update' before 'apt-get install'" in result.stderr
    assert result.stdout.splitlines()[-2].startswith("file-")  # `file --version`: "file-5.44", then magic file


def test_the_image_ships_no_package_lists(dual_image):
    result = engine.run(dual_image, ["ls /var/lib/apt/lists | grep -c _Packages || true"], entrypoint=["sh", "-c"])
    assert result.stdout.strip() == "0"  # nothing stale baked in


@pytest.mark.parametrize("manager", ["yum", "dnf", "microdnf"])
def test_rpm_package_managers_print_one_line_and_fail_127(dual_image, manager):
    result = engine.run(dual_image, [f"{manager} install -y libffi-devel"], entrypoint=["sh", "-c"])
    assert result.exit_code == 127
    (line,) = result.stderr.splitlines()
    assert f"'{manager}' is not in this Debian-based build image" in line
    assert "dualpy wheels build --manylinux" in line


def test_a_yum_or_apt_get_script_falls_through_to_apt_get(dual_image):
    # multidict's before-all, as written for manylinux, musllinux and Debian images alike (no update, no -y)
    script = "yum install -y libffi-devel || apk add --upgrade libffi-dev || apt-get install libffi-dev"
    result = engine.run(dual_image, [f"{script} && test -f /usr/include/ffi.h"], entrypoint=["sh", "-c"])
    assert result.exit_code == 0, result.stderr
