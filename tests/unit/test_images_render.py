"""The Dockerfile is a pure function of the image spec; the rendered text is pinned to saved files."""

import os
from pathlib import Path

import pytest

from dualpy import images
from dualpy.recipes import find_release
from dualpy.tags import ALL_VARIANTS, Variant

DATA = Path(__file__).parent / "data"


def spec(variants=ALL_VARIANTS, profile="fast", version="3.13.15"):
    recipe, release = find_release(version)
    return images.ImageSpec(recipe, release, variants, profile, "dualpy/debian:bookworm")


@pytest.mark.parametrize(
    ("name", "image_spec"),
    [("Dockerfile.3.13.15-dual", spec()), ("Dockerfile.3.13.15-gil-release", spec((Variant.GIL,), "release"))],
)
def test_rendered_dockerfile_matches_saved(name, image_spec, monkeypatch):
    monkeypatch.setattr(images, "__version__", "0.0.test")
    rendered = images.render_dockerfile(image_spec)
    expected_path = DATA / name
    if os.environ.get("DUALPY_REGENERATE"):
        expected_path.write_text(rendered)
    assert rendered == expected_path.read_text(), "re-render with DUALPY_REGENERATE=1 and review the diff"


def test_one_builder_stage_per_variant_and_one_opt_python_copy():
    text = images.render_dockerfile(spec())
    assert text.count("FROM toolchain AS build-") == 2
    assert "build-cp313-cp313t" in text and "--disable-gil" in text
    assert text.count("COPY --from=assemble /opt/python /opt/python") == 1
    single = images.render_dockerfile(spec((Variant.FREETHREADED,)))
    assert single.count("FROM toolchain AS build-") == 1 and "build-cp313-cp313 " not in single


def test_labels_record_version_checksum_variants_and_flags():
    labels = spec().labels()
    assert labels["io.dualpy.cpython.version"] == "3.13.15"
    assert labels["io.dualpy.cpython.sha256"].startswith("1e66a794")
    assert labels["io.dualpy.variants"] == "gil,freethreaded"
    assert "--disable-gil" in labels["io.dualpy.configure.freethreaded"]
    assert "--disable-gil" not in labels["io.dualpy.configure.gil"]
    assert labels["io.dualpy.base"] == "dualpy/debian:bookworm"


def test_release_profile_reaches_configure():
    text = images.render_dockerfile(spec(profile="release"))
    runs = [line for line in text.splitlines() if line.startswith("RUN /dualpy/build/build-cpython.sh")]
    assert len(runs) == 2 and all(line.endswith("--enable-optimizations --with-lto") for line in runs)


def test_no_certificate_or_pip_config_enters_the_context_template():
    text = images.render_dockerfile(spec())
    for needle in ("ca-certificates", ".crt", "PIP_CERT", "pip.conf", "SSL_CERT_FILE"):
        assert needle not in text


def test_manylinux_platforms_cover_older_glibc_tags():
    platforms = images.manylinux_platforms("x86_64", 36)
    assert platforms[0] == "manylinux_2_36_x86_64"
    assert "manylinux_2_5_x86_64" in platforms and "manylinux2014_x86_64" in platforms
