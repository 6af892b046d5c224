from pathlib import Path

import pytest

from dualpy.errors import ConfigurationError, UsageError
from dualpy.recipes import DebianArchiveSource, UpstreamSource, find_release, load_recipes, parse_recipe
from dualpy.tags import PythonMinor, Variant

MINIMAL = {
    "minor": "3.13",
    "variants": {"gil": {"configure": ["--a"]}, "freethreaded": {"configure": ["--a", "--disable-gil"]}},
    "profiles": {"fast": {"configure": []}, "release": {"configure": ["--enable-optimizations"]}},
    "releases": [{"version": "3.13.1", "sha256": "a" * 64, "url": "https://example.invalid/x.tar.xz",
                  "alternatives": [{"debian": "/pool/main/p/x.orig.tar.xz"}]}],
}


def test_shipped_recipes_cover_the_required_releases():
    recipes = load_recipes()
    versions = {r.version for recipe in recipes.values() for r in recipe.releases}
    assert {"3.13.5", "3.13.15"} <= versions
    assert any(v.startswith("3.14.") for v in versions)
    assert any(v.startswith("3.15.") for v in versions)
    for recipe in recipes.values():
        assert "--disable-gil" in recipe.configure_flags(Variant.FREETHREADED)
        assert "--disable-gil" not in recipe.configure_flags(Variant.GIL)
        assert recipe.target(Variant.FREETHREADED).install_tag.endswith("t")
        for release in recipe.releases:
            assert isinstance(release.sources[0], UpstreamSource)
            assert release.sources[0].url.endswith(f"Python-{release.version}.tar.xz")
            assert "python.org" in release.sources[0].url


def test_debian_sources_are_archive_paths_without_a_host():
    for recipe in load_recipes().values():
        for release in recipe.releases:
            for source in release.sources[1:]:
                if isinstance(source, DebianArchiveSource):
                    assert source.path.startswith("pool/main/p/python3.")
                    assert "://" not in source.path


def test_find_release_exact_and_latest():
    assert find_release("3.13.5")[1].version == "3.13.5"
    assert find_release("3.13")[1].version == "3.13.15"


@pytest.mark.parametrize("request_text", ["3.12", "3.13.99", "banana", "4.0"])
def test_unknown_version_lists_known_ones(request_text):
    with pytest.raises(UsageError) as caught:
        find_release(request_text)
    assert "3.13.15" in str(caught.value) and "3.13.5" in str(caught.value)


def test_release_profile_adds_pgo_and_lto():
    recipe = load_recipes()[PythonMinor(3, 13)]
    flags = recipe.configure_flags(Variant.FREETHREADED, "release")
    assert "--enable-optimizations" in flags and "--with-lto" in flags and "--disable-gil" in flags
    with pytest.raises(UsageError):
        recipe.configure_flags(Variant.GIL, "turbo")


def test_parse_minimal_recipe_orders_sources():
    recipe = parse_recipe(MINIMAL, Path("x.toml"))
    (release,) = recipe.releases
    assert release.sources == (UpstreamSource("https://example.invalid/x.tar.xz"),
                               DebianArchiveSource("pool/main/p/x.orig.tar.xz"))


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"extra": 1}, "unknown key"),
        ({"releases": [{"version": "3.13.1", "sha256": "xyz", "url": "u"}]}, "sha256"),
        ({"releases": [{"version": "3.14.1", "sha256": "a" * 64, "url": "u"}]}, "not a 3.13 version"),
        ({"releases": [{"version": "3.13.1", "sha256": "a" * 64}]}, "no source"),
        ({"variants": {"gil": {"configure": ["--disable-gil"]}, "freethreaded": {"configure": []}}}, "--disable-gil"),
        ({"profiles": {"fast": {"configure": []}}}, "profiles.release"),
    ],
)
def test_bad_recipes_name_the_file_and_the_problem(patch, message):
    with pytest.raises(ConfigurationError) as caught:
        parse_recipe({**MINIMAL, **patch}, Path("recipes/3.13.toml"))
    assert "recipes/3.13.toml" in str(caught.value)
    assert message in str(caught.value)
