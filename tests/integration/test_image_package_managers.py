"""In a fresh container of the built image: `apt-get install` works without `apt-get update`; yum says why not.

And `images build --base` refuses a base that has no apt-get.
"""

from __future__ import annotations

import os
import re
import subprocess
import tarfile

import pytest

from dualpy import engine
from tests.conftest import DUAL_IMAGE_PYTHON, run_dualpy

pytestmark = pytest.mark.docker


def test_apt_get_install_without_update_fetches_the_lists_on_demand(dual_image):
    result = engine.run(dual_image, ["apt-get install -y --no-install-recommends file && file --version"],
                        entrypoint=["sh", "-c"])
    assert result.exit_code == 0, result.stderr
    assert "no apt package lists in this image; running 'apt-get update' before 'apt-get install'" in result.stderr
    assert any(line.startswith("file-") for line in result.stdout.splitlines())  # `file --version`: "file-5.44"


def test_the_image_ships_no_package_lists(dual_image):
    result = engine.run(dual_image, ["ls /var/lib/apt/lists | grep -c _Packages || true"], entrypoint=["sh", "-c"])
    assert result.stdout.strip() == "0"  # nothing stale baked in


@pytest.mark.parametrize("manager", ["yum", "dnf", "microdnf"])
def test_rpm_package_managers_print_one_line_and_fail_127(dual_image, manager):
    result = engine.run(dual_image, [f"{manager} install -y libffi-devel"], entrypoint=["sh", "-c"])
    assert result.exit_code == 127
    (line,) = result.stderr.splitlines()
    assert f"'{manager}' is not in this Debian-based build image" in line
    assert "dualpy wheels build --manylinux-image" in line


def test_a_yum_or_apt_get_script_falls_through_to_apt_get(dual_image):
    # multidict's before-all, written for manylinux, musllinux and Debian images alike (no update, no -y)
    script = "yum install -y libffi-devel || apk add --upgrade libffi-dev || apt-get install libffi-dev"
    result = engine.run(dual_image, [f"{script} && dpkg-query -W libffi-dev"],
                        entrypoint=["sh", "-c"])
    assert result.exit_code == 0, result.stderr


@pytest.fixture
def base_without_apt(tmp_path):
    """A local image with a shell and nothing else (no apt-get), as a RHEL-family base would look to the check."""
    libraries = subprocess.run(["ldd", "/bin/sh"], capture_output=True, text=True, check=True).stdout
    files = ["/bin/sh", *re.findall(r"(/\S+) \(0x", libraries)]
    tarball = tmp_path / "rootfs.tar"
    with tarfile.open(tarball, "w") as archive:
        for path in files:
            archive.add(os.path.realpath(path), arcname=path.lstrip("/"))
    tag = "dualpy-real-projects/no-apt:test"
    engine.import_rootfs(tarball, tag)
    yield tag
    engine.remove_image(tag)


def test_images_build_refuses_a_base_without_apt_get(base_without_apt):
    result = run_dualpy("images", "build", "--python", DUAL_IMAGE_PYTHON, "--base", base_without_apt,
                        "--tag", "dualpy-real-projects/never-built:test", check=False)
    assert result.returncode == 2
    assert f"--base {base_without_apt} has no apt-get" in result.stderr
    assert "dualpy wheels build --manylinux-image" in result.stderr
    assert not engine.image_exists("dualpy-real-projects/never-built:test")
