import copy
import tomllib
from pathlib import Path

import pytest

from dualpy.errors import ConfigurationError, UsageError
from dualpy.sources import recipes as recipes_module
from dualpy.sources.recipes import (
    DebianArchiveSource,
    Release,
    UpstreamSource,
    draft_release,
    find_release,
    insert_release,
    known_versions,
    load_recipes,
    newest_stable,
    parse_recipe,
    prerelease_notice,
    python_org_url,
    release_sort_key,
)
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


# ---- releases, pre-releases and the newest-first order ----

def recipe_with(minor, *versions, path="recipes/x.toml"):
    document = copy.deepcopy(MINIMAL)
    document["minor"] = minor
    document["releases"] = [{"version": v, "sha256": f"{i:x}" * 64 if i < 16 else "a" * 64, "url": f"https://x/{v}"}
                            for i, v in enumerate(versions)]
    return parse_recipe(document, Path(path))


def recipes_of(*recipes):
    return {recipe.minor: recipe for recipe in recipes}


@pytest.mark.parametrize(
    ("older", "newer"),
    [("3.15.0a1", "3.15.0a2"), ("3.15.0a9", "3.15.0b1"), ("3.15.0b3", "3.15.0rc1"), ("3.15.0rc2", "3.15.0"),
     ("3.15.0", "3.15.1a1"), ("3.14.9", "3.14.10"), ("3.15.0rc9", "3.15.0rc10"), ("3.9.20", "3.10.0"),
     ("3.14.10", "3.15.0a1")],
)
def test_release_order(older, newer):
    assert release_sort_key(older) < release_sort_key(newer)


def test_release_sort_key_values():
    assert release_sort_key("3.15.0rc2") == (15, 0, 2, 2)
    assert release_sort_key("3.15.0b3") == (15, 0, 1, 3)
    assert release_sort_key("3.15.0a1") == (15, 0, 0, 1)
    assert release_sort_key("3.14.7") == (14, 7, 3, 0)
    with pytest.raises(UsageError, match="3.14"):
        release_sort_key("3.14")


@pytest.mark.parametrize(("version", "pre"), [("3.15.0rc2", True), ("3.15.0b3", True), ("3.15.0a1", True),
                                              ("3.15.0", False), ("3.14.7", False)])
def test_is_prerelease(version, pre):
    assert Release(version, "a" * 64, ()).is_prerelease is pre


def test_latest_prefers_a_final_over_a_newer_prerelease():
    recipe = recipe_with("3.15", "3.15.1rc1", "3.15.0", "3.15.0rc2")
    assert recipe.latest.version == "3.15.0"
    assert recipe.newest.version == "3.15.1rc1"


def test_latest_is_the_newest_prerelease_when_no_final_exists():
    recipe = recipe_with("3.15", "3.15.0b3", "3.15.0rc2", "3.15.0rc1")
    assert recipe.latest.version == "3.15.0rc2" == recipe.newest.version


def test_latest_is_the_newest_final_not_the_first_listed():
    recipe = recipe_with("3.14", "3.14.6", "3.14.10", "3.14.7")
    assert recipe.latest.version == "3.14.10"


def test_find_release_uses_the_recipes_it_is_given():
    given = recipes_of(recipe_with("3.13", "3.13.2", "3.13.1"))
    recipe, release = find_release("3.13", given)
    assert release.version == "3.13.2" and recipe is given[PythonMinor(3, 13)]
    assert find_release("3.13.1", given)[1].version == "3.13.1"
    with pytest.raises(UsageError) as caught:
        find_release("3.13.15", given)  # shipped, but not in the recipes given
    assert str(caught.value) == ("no recipe for Python '3.13.15': known versions are 3.13.2, 3.13.1 "
                                 "(add one under recipes/)")
    with pytest.raises(UsageError):
        find_release("3.14", given)


def test_find_release_with_empty_recipes_lists_none():
    with pytest.raises(UsageError, match="known versions are  "):
        find_release("3.13", {})


def test_a_minor_picks_a_prerelease_only_without_a_final_and_says_so(capsys):
    given = recipes_of(recipe_with("3.15", "3.15.0rc1", "3.15.0rc2", path="recipes/3.15.toml"),
                       recipe_with("3.14", "3.14.7", "3.14.8rc1"))
    recipes_module._said.clear()
    assert find_release("3.15", given)[1].version == "3.15.0rc2"
    err = capsys.readouterr().err
    assert "pre-release 3.15.0rc2" in err and "3.15.toml" in err and "--python 3.15.0rc2" in err
    assert find_release("3.15", given)[1].version == "3.15.0rc2"
    assert capsys.readouterr().err == ""  # said once per version
    assert find_release("3.14", given)[1].version == "3.14.7"
    assert find_release("3.15.0rc1", given)[1].version == "3.15.0rc1"
    assert capsys.readouterr().err == ""  # a final, or a version named exactly: nothing to say


def test_prerelease_notice():
    recipe = recipe_with("3.15", "3.15.0rc2", "3.15.0", path="recipes/3.15.toml")
    assert prerelease_notice(recipe, recipe.releases[1]) is None
    notice = prerelease_notice(recipe, recipe.releases[0])
    assert notice == ("Python 3.15 has no final release in 3.15.toml: using the pre-release 3.15.0rc2 "
                      "(name a version to silence this, e.g. --python 3.15.0rc2)")


def test_no_request_picks_the_newest_final_release_across_recipes():
    given = recipes_of(recipe_with("3.13", "3.13.15"), recipe_with("3.14", "3.14.7", "3.14.6"),
                       recipe_with("3.15", "3.15.0rc2"))
    recipe, release = find_release(None, given)
    assert release.version == "3.14.7" and recipe.minor == PythonMinor(3, 14)
    assert newest_stable(given) == (recipe, release)
    only_13 = recipes_of(recipe_with("3.13", "3.13.5", "3.13.15"))
    assert find_release(None, only_13)[1].version == "3.13.15"


def test_no_request_and_no_final_release_is_a_usage_error():
    with pytest.raises(UsageError) as caught:
        find_release(None, recipes_of(recipe_with("3.15", "3.15.0rc2", "3.15.0rc1")))
    assert str(caught.value) == ("no final release in any recipe (known: 3.15.0rc2, 3.15.0rc1): "
                                 "name one with --python VERSION")
    with pytest.raises(UsageError, match="known: none"):
        newest_stable({})


def test_known_versions_newest_first_across_minors_and_prereleases():
    given = recipes_of(recipe_with("3.13", "3.13.5", "3.13.15"), recipe_with("3.15", "3.15.0rc1", "3.15.0rc2"),
                       recipe_with("3.14", "3.14.6", "3.14.7"))
    assert known_versions(given) == ["3.15.0rc2", "3.15.0rc1", "3.14.7", "3.14.6", "3.13.15", "3.13.5"]


def test_shipped_recipes_defaults():
    recipes_module._said.clear()
    assert find_release("3.14")[1].version == "3.14.7"
    assert find_release("3.15")[1].version == "3.15.0rc2"
    assert find_release(None)[1].version == "3.14.7"
    versions = {r.version for recipe in load_recipes().values() for r in recipe.releases}
    assert "3.15.0b3" not in versions  # neither python.org nor the Debian archive serves it here


def test_shipped_debian_paths_use_debian_version_spelling():
    from dualpy.sources.debian import orig_tarball_name, source_package

    for recipe in load_recipes().values():
        for release in recipe.releases:
            debian = [s.path for s in release.sources if isinstance(s, DebianArchiveSource)]
            package = source_package(release.version)
            assert debian == [f"pool/main/p/{package}/{orig_tarball_name(release.version)}"]


# ---- each half of parse_recipe's checks on its own ----


@pytest.mark.parametrize(
    "variants",
    [
        # --disable-gil in both: only the first half of the check is broken
        {"gil": {"configure": ["--disable-gil"]}, "freethreaded": {"configure": ["--disable-gil"]}},
        # --disable-gil in neither: only the second half is broken
        {"gil": {"configure": []}, "freethreaded": {"configure": ["--a"]}},
    ],
)
def test_disable_gil_check_each_half_alone(variants):
    with pytest.raises(ConfigurationError, match="--disable-gil belongs in variants.freethreaded.configure"):
        parse_recipe({**MINIMAL, "variants": variants}, Path("recipes/3.13.toml"))


def test_configure_flags_are_variant_then_profile_in_order():
    recipe = parse_recipe(MINIMAL, Path("x.toml"))
    assert recipe.configure_flags(Variant.GIL) == ("--a",)
    assert recipe.configure_flags(Variant.FREETHREADED, "release") == ("--a", "--disable-gil",
                                                                      "--enable-optimizations")
    with pytest.raises(UsageError, match="use one of fast, release"):
        recipe.configure_flags(Variant.GIL, "turbo")


@pytest.mark.parametrize(
    ("drop", "message"),
    [("minor", 'recipes/3.13.toml: needs minor = "3.X"'),
     ("variants", "recipes/3.13.toml: needs [variants.gil] with configure = [...]"),
     ("profiles", "recipes/3.13.toml: needs [profiles.fast]"),
     ("releases", "recipes/3.13.toml: has no [[releases]]")],
)
def test_a_missing_table_is_named_exactly(drop, message):
    document = {key: value for key, value in MINIMAL.items() if key != drop}
    with pytest.raises(ConfigurationError) as caught:
        parse_recipe(document, Path("recipes/3.13.toml"))
    assert str(caught.value) == message


def test_disable_gil_message_exactly():
    variants = {"gil": {"configure": []}, "freethreaded": {"configure": []}}
    with pytest.raises(ConfigurationError) as caught:
        parse_recipe({**MINIMAL, "variants": variants}, Path("r.toml"))
    assert str(caught.value) == "r.toml: --disable-gil belongs in variants.freethreaded.configure and only there"


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"minor": "banana"}, 'needs minor = "3.X"'),
        ({"minor": None}, 'needs minor = "3.X"'),
        ({"variants": {"gil": {"configure": []}}}, "needs [variants.freethreaded]"),
        ({"variants": {"freethreaded": {"configure": ["--disable-gil"]}}}, "needs [variants.gil]"),
        ({"variants": {"gil": {"configure": "--a"}, "freethreaded": {"configure": ["--disable-gil"]}}},
         "variants.gil.configure must be a list of strings"),
        ({"variants": {"gil": {"configure": [1]}, "freethreaded": {"configure": ["--disable-gil"]}}},
         "variants.gil.configure must be a list of strings"),
        ({"profiles": {"release": {"configure": []}}}, "needs [profiles.fast]"),
        ({"profiles": {"fast": {"configure": [2]}, "release": {"configure": []}}}, "profiles.fast.configure"),
        ({"releases": []}, "has no [[releases]]"),
        ({"releases": [{"version": "3.13", "sha256": "a" * 64, "url": "u"}]}, "is not a 3.13 version"),
        ({"releases": [{"version": "3.13.1c1", "sha256": "a" * 64, "url": "u"}]}, "is not a 3.13 version"),
        ({"releases": [{"sha256": "a" * 64, "url": "u"}]}, "release '' is not"),
        ({"releases": [{"version": "3.13.1", "sha256": "a" * 63, "url": "u"}]}, "64 hex digits"),
        ({"releases": [{"version": "3.13.1", "sha256": "a" * 65, "url": "u"}]}, "64 hex digits"),
        ({"releases": [{"version": "3.13.1", "sha256": "g" * 64, "url": "u"}]}, "64 hex digits"),
        ({"releases": [{"version": "3.13.1", "sha256": "a" * 64, "url": "u", "alternatives": [{"x": 1}]}]},
         "an alternative needs url = ... or debian = ..."),
        ({"releases": [{"version": "3.13.1", "sha256": "a" * 64, "url": ""}]}, "has no source"),
    ],
)
def test_each_recipe_check_names_its_problem(patch, message):
    with pytest.raises(ConfigurationError) as caught:
        parse_recipe({**MINIMAL, **patch}, Path("recipes/3.13.toml"))
    assert str(caught.value).startswith("recipes/3.13.toml: ")
    assert message in str(caught.value)


def test_unknown_keys_are_named_with_the_known_ones():
    with pytest.raises(ConfigurationError) as caught:
        parse_recipe({**MINIMAL, "zeta": 1, "alpha": 2}, Path("r.toml"))
    assert "unknown key(s) alpha, zeta; known: compilers, minor, profiles, releases, variants" in str(caught.value)


def test_release_parsing_keeps_every_field_and_source_order():
    document = {**MINIMAL, "releases": [
        {"version": "3.13.2", "sha256": "AB" * 32, "alternatives": [{"debian": "//XXpool/a"}, {"url": "https://m/b"}]},
        {"version": "3.13.1rc1", "sha256": "c" * 64, "url": "https://p/c"},
    ]}
    recipe = parse_recipe(document, Path("x.toml"))
    first, second = recipe.releases
    assert first == Release("3.13.2", "ab" * 32, (DebianArchiveSource("XXpool/a"), UpstreamSource("https://m/b")))
    assert second == Release("3.13.1rc1", "c" * 64, (UpstreamSource("https://p/c"),))
    assert first.filename == "Python-3.13.2.tar.xz" and first.minor == PythonMinor(3, 13)
    assert recipe.path == Path("x.toml") and recipe.minor == PythonMinor(3, 13)
    assert recipe.profiles == {"fast": (), "release": ("--enable-optimizations",)}
    assert recipe.target(Variant.FREETHREADED).abi_tag == "cp313t"
    assert [s.describe() for s in first.sources] == ["debian:XXpool/a", "https://m/b"]


def test_load_recipes_keys_by_minor_and_names_a_broken_file(tmp_path):
    (tmp_path / "a.toml").write_text('minor = "3.13"\n[variants.gil]\nconfigure = []\n[variants.freethreaded]\n'
                                     'configure = ["--disable-gil"]\n[profiles.fast]\nconfigure = []\n'
                                     '[profiles.release]\nconfigure = []\n[[releases]]\nversion = "3.13.1"\n'
                                     f'sha256 = "{"a" * 64}"\nurl = "u"\n')
    (tmp_path / "notes.txt").write_text("not a recipe")
    loaded = load_recipes(tmp_path)
    assert list(loaded) == [PythonMinor(3, 13)] and loaded[PythonMinor(3, 13)].path == tmp_path / "a.toml"
    (tmp_path / "b.toml").write_text("minor = ")
    with pytest.raises(ConfigurationError, match=r"b\.toml: is not valid TOML"):
        load_recipes(tmp_path)


# ---- drafting an entry (recipes add) ----


def test_python_org_url_puts_prereleases_in_the_final_folder():
    assert python_org_url("3.15.0rc2") == "https://www.python.org/ftp/python/3.15.0/Python-3.15.0rc2.tar.xz"
    assert python_org_url("3.14.10") == "https://www.python.org/ftp/python/3.14.10/Python-3.14.10.tar.xz"
    with pytest.raises(UsageError, match="'3.14' is not a CPython release version"):
        python_org_url("3.14")


def test_draft_release_parses_and_says_what_is_unconfirmed():
    entry = draft_release("3.13.2", "b" * 64, "pool/main/p/python3.13/python3.13_3.13.2.orig.tar.xz",
                          "the signed unstable index", ["a second source", "the pool serving it"])
    assert entry.startswith("# sha256 of 3.13.2: the signed unstable index.\n")
    assert "# NOT CONFIRMED: a second source.\n# NOT CONFIRMED: the pool serving it.\n[[releases]]\n" in entry
    document = {**MINIMAL, **tomllib.loads(entry)}
    (release,) = parse_recipe(document, Path("x.toml")).releases
    assert release == Release("3.13.2", "b" * 64, (
        UpstreamSource("https://www.python.org/ftp/python/3.13.2/Python-3.13.2.tar.xz"),
        DebianArchiveSource("pool/main/p/python3.13/python3.13_3.13.2.orig.tar.xz")))
    with pytest.raises(UsageError, match="'xyz' is not a sha256"):
        draft_release("3.13.2", "xyz", "p", "s", [])


def test_draft_release_wraps_comments_at_110_columns():
    # "# sha256 of 3.13.2: " is 20 columns; 88 x's and " y." make 111: one column too many
    entry = draft_release("3.13.2", "b" * 64, "p", "x" * 88 + " y", ["z" * 91 + " w"])
    assert entry.splitlines()[:4] == ["# sha256 of 3.13.2: " + "x" * 88, "#   y.", "# NOT CONFIRMED: " + "z" * 91,
                                      "#   w."]


RECIPE_TEXT = """minor = "3.13"

[variants.gil]
configure = []

[variants.freethreaded]
configure = ["--disable-gil"]

[profiles.fast]
configure = []

[profiles.release]
configure = []

# about 3.13.5
[[releases]]
version = "3.13.5"
url = "u5"
sha256 = "{a}"

# about 3.13.1
# (two lines)
[[releases]]
version = "3.13.1"
url = "u1"
sha256 = "{a}"
""".format(a="a" * 64)


def entry_for(version):
    return draft_release(version, "c" * 64, f"pool/{version}", f"test {version}", [])


def versions_in(text):
    return [r.version for r in parse_recipe(tomllib.loads(text), Path("x.toml")).releases]


def test_insert_release_newest_first_with_comments_kept_together():
    newest = insert_release(RECIPE_TEXT, entry_for("3.13.9"), "3.13.9", Path("x.toml"))
    assert versions_in(newest) == ["3.13.9", "3.13.5", "3.13.1"]
    assert "\n\n# sha256 of 3.13.9: test 3.13.9.\n[[releases]]\n" in newest
    assert 'sha256 = "' + "c" * 64 + '"\n' + 'alternatives = [{ debian = "pool/3.13.9" }]\n\n# about 3.13.5\n' in newest
    assert "\n\n\n" not in newest
    middle = insert_release(RECIPE_TEXT, entry_for("3.13.2"), "3.13.2", Path("x.toml"))
    assert "\n\n\n" not in middle
    assert versions_in(middle) == ["3.13.5", "3.13.2", "3.13.1"]
    assert "]\n\n# about 3.13.1\n# (two lines)\n[[releases]]" in middle
    oldest = insert_release(RECIPE_TEXT, entry_for("3.13.0"), "3.13.0", Path("x.toml"))
    assert versions_in(oldest) == ["3.13.5", "3.13.1", "3.13.0"]
    assert oldest.endswith('alternatives = [{ debian = "pool/3.13.0" }]\n')
    assert oldest.startswith(RECIPE_TEXT)
    pre = insert_release(RECIPE_TEXT, entry_for("3.13.5rc1"), "3.13.5rc1", Path("x.toml"))
    assert versions_in(pre) == ["3.13.5", "3.13.5rc1", "3.13.1"]


def test_insert_release_refuses_a_duplicate_and_a_wrong_minor():
    with pytest.raises(UsageError, match="x.toml already has a release 3.13.5"):
        insert_release(RECIPE_TEXT, entry_for("3.13.5"), "3.13.5", Path("x.toml"))
    with pytest.raises(ConfigurationError, match="^x.toml: release '3.14.1' is not a 3.13 version"):
        insert_release(RECIPE_TEXT, entry_for("3.14.1"), "3.14.1", Path("x.toml"))
    with pytest.raises(ConfigurationError, match="^x.toml: would not be valid TOML"):
        insert_release(RECIPE_TEXT, "[[releases]\n", "3.13.9", Path("x.toml"))


def test_a_compiler_table_adds_its_flags_to_that_compiler_only():
    recipe = parse_recipe({**MINIMAL, "compilers": {"clang": {"configure": ["--with-tail-call-interp"]}}},
                          Path("x.toml"))
    assert recipe.configure_flags(Variant.GIL, "release", "clang")[-1] == "--with-tail-call-interp"
    assert "--with-tail-call-interp" not in recipe.configure_flags(Variant.GIL, "release", "gcc")
    with pytest.raises(UsageError, match="--compiler 'icc' is unknown: use one of gcc, clang"):
        recipe.configure_flags(Variant.GIL, "fast", "icc")


@pytest.mark.parametrize(("compilers", "needle"), [
    ({"icc": {"configure": []}}, "[compilers.icc] is unknown"),
    ({"clang": {"configure": "--x"}}, "compilers.clang.configure must be a list"),
    ({"clang": ["--x"]}, "must be tables"),
])
def test_a_bad_compiler_table_names_the_file(compilers, needle):
    with pytest.raises(ConfigurationError) as info:
        parse_recipe({**MINIMAL, "compilers": compilers}, Path("x.toml"))
    assert str(info.value).startswith("x.toml: ") and needle in str(info.value)


def test_shipped_recipes_give_clang_the_tail_calling_interpreter_from_314():
    recipes = load_recipes()
    assert recipes[PythonMinor(3, 13)].compilers == {}
    for minor in (PythonMinor(3, 14), PythonMinor(3, 15)):
        assert recipes[minor].compilers == {"clang": ("--with-tail-call-interp",)}
