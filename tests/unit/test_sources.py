import hashlib
import json
import lzma
from pathlib import Path

import pytest

from dualpy.cli import main
from dualpy.errors import ChecksumMismatch, SourceNotProven, SourceUnavailable, UsageError
from dualpy.sources import fetch, signed
from dualpy.sources.debian import OrigTarball, ReleaseFile, SignatureCheck
from dualpy.sources.fetch import fetch_release
from dualpy.sources.recipes import Release, UpstreamSource


@pytest.fixture
def tarball(tmp_path):
    path = tmp_path / "upstream" / "Python-3.13.99.tar.xz"
    path.parent.mkdir()
    path.write_bytes(b"pretend tarball" * 1000)
    return path


def release_for(tarball, *sources, sha256=None):
    digest = sha256 or hashlib.sha256(tarball.read_bytes()).hexdigest()
    return Release("3.13.99", digest, tuple(sources))


def test_next_source_serves_when_the_first_fails(tmp_path, tarball):
    release = release_for(tarball, UpstreamSource(f"file://{tmp_path}/missing.tar.xz"),
                          UpstreamSource(f"file://{tarball}"))
    fetched = fetch_release(release, destination_dir=tmp_path / "cache")
    assert fetched.served_by == f"file://{tarball}"
    assert fetched.path.read_bytes() == tarball.read_bytes()
    again = fetch_release(release, destination_dir=tmp_path / "cache")
    assert again.cached and again.served_by == "cache"


def test_wrong_checksum_is_refused_with_both_digests_and_nothing_cached(tmp_path, tarball):
    expected = "0" * 64
    release = release_for(tarball, UpstreamSource(f"file://{tarball}"), sha256=expected)
    with pytest.raises(SourceUnavailable, match="checksum mismatch"):
        fetch_release(release, destination_dir=tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == []


def test_local_source_file_with_wrong_checksum_prints_both_digests(tmp_path, tarball):
    release = release_for(tarball, UpstreamSource("file:///nowhere"), sha256="1" * 64)
    actual = hashlib.sha256(tarball.read_bytes()).hexdigest()
    with pytest.raises(ChecksumMismatch) as caught:
        fetch_release(release, local_file=tarball, destination_dir=tmp_path / "cache")
    assert actual in str(caught.value) and "1" * 64 in str(caught.value)
    assert list((tmp_path / "cache").iterdir()) == []


def test_corrupt_cache_entry_is_replaced(tmp_path, tarball):
    release = release_for(tarball, UpstreamSource(f"file://{tarball}"))
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / release.filename).write_bytes(b"truncated")
    fetched = fetch_release(release, destination_dir=cache)
    assert not fetched.cached
    assert fetched.path.read_bytes() == tarball.read_bytes()


def test_no_source_answers(tmp_path, tarball):
    release = release_for(tarball, UpstreamSource(f"file://{tmp_path}/a"), UpstreamSource(f"file://{tmp_path}/b"))
    with pytest.raises(SourceUnavailable, match="--source FILE"):
        fetch_release(release, destination_dir=tmp_path / "cache")


# ---- the second source: the signed Debian index (I/O replaced at its edges; gpgv itself runs in
#      tests/integration/test_sources_signed.py) ----

DATA = Path(__file__).parent / "data" / "debian"
SHA_3135 = "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"
TARBALL_3135 = OrigTarball("python3.13", "3.13.5-2+deb13u5", "pool/main/p/python3.13",
                           "python3.13_3.13.5.orig.tar.xz", SHA_3135, 22856016)


def index_of(suite, *tarballs, date="Tue, 24 Nov 2026 02:12:15 UTC"):
    release = ReleaseFile(suite, suite, date, "", {})
    return signed.SignedIndex(suite, release, ("B8E5F13176D2A7A75220028078DBA3BC47EF2265",), "0" * 64, tarballs)


def test_configured_suites_explicit_then_environment_then_default(monkeypatch):
    monkeypatch.delenv(signed.SUITES_ENV, raising=False)
    assert signed.configured_suites() == ("unstable", "testing", "experimental", "stable", "stable-backports")
    monkeypatch.setenv(signed.SUITES_ENV, "trixie, sid")
    assert signed.configured_suites() == ("trixie", "sid")
    assert signed.configured_suites("bookworm-backports,experimental") == ("bookworm-backports", "experimental")
    assert signed.configured_suites(" ") == signed.DEFAULT_SUITES
    for bad in ("../etc", "-", "a b/c"):
        with pytest.raises(UsageError, match="not a Debian suite"):
            signed.configured_suites(bad)


def test_archive_keyrings_skip_the_removed_keys(tmp_path):
    for name in ("debian-archive-keyring.gpg", "debian-archive-removed-keys.gpg", "debian-archive-trixie-stable.gpg",
                 "nodesource.gpg"):
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in signed.archive_keyrings(tmp_path)] == ["debian-archive-keyring.gpg",
                                                                    "debian-archive-trixie-stable.gpg"]
    with pytest.raises(SourceUnavailable, match="apt-get install -y debian-archive-keyring gpgv"):
        signed.archive_keyrings(tmp_path / "empty")


def test_judge_signed_agrees():
    release = Release("3.13.5", SHA_3135, ())
    lookup = signed.SignedLookup("3.13.5", TARBALL_3135, index_of("stable"), ("unstable", "stable"))
    verdict = signed.judge_signed(release, "recipes/3.13.toml", lookup)
    assert verdict.status == "agrees" and verdict.signed_sha256 == SHA_3135
    assert "signed stable index (InRelease dated Tue, 24 Nov 2026 02:12:15 UTC)" in verdict.message


def test_judge_signed_disagreement_is_one_line_naming_both_digests():
    release = Release("3.13.5", "f" * 64, ())
    lookup = signed.SignedLookup("3.13.5", TARBALL_3135, index_of("stable"), ("stable",))
    with pytest.raises(ChecksumMismatch) as caught:
        signed.judge_signed(release, "recipes/3.13.toml", lookup)
    message = str(caught.value)
    assert "f" * 64 in message and SHA_3135 in message and "recipes/3.13.toml" in message
    assert "python3.13_3.13.5.orig.tar.xz" in message and "\n" not in message


def test_judge_signed_not_listed_names_what_is_listed():
    release = Release("3.14.7", "a" * 64, ())
    lookup = signed.SignedLookup("3.14.7", searched=("unstable", "testing"),
                                  others={"unstable": ("3.14.9", "3.14.10"), "testing": ()})
    verdict = signed.judge_signed(release, "r", lookup)
    assert verdict.status == "not-listed" and verdict.signed_sha256 is None
    assert verdict.message == (
        "the Debian archive's signed indexes (unstable, testing) do not list python3.14_3.14.7.orig.tar.xz "
        "(they list python3.14 unstable: 3.14.9, 3.14.10; testing: none): only the recipe vouches for the sha256"
    )


def test_judge_signed_unavailable_when_no_index_was_read():
    verdict = signed.judge_signed(Release("3.14.7", "a" * 64, ()), "r",
                                   signed.SignedLookup("3.14.7", failures=("unstable: timed out", "sid: 404")))
    assert verdict == signed.SignedVerdict(
        "unavailable", "no signed Debian index could be read (unstable: timed out; sid: 404): "
        "only the recipe vouches for the sha256")
    # a tarball without the index that listed it is not evidence
    orphan = signed.SignedLookup("3.13.5", found=TARBALL_3135)
    verdict = signed.judge_signed(Release("3.13.5", SHA_3135, ()), "r", orphan)
    assert verdict.status == "unavailable" and "(no suite given)" in verdict.message


def test_lookup_signed_stops_at_the_first_suite_listing_it_and_skips_unreachable_ones(monkeypatch, tmp_path):
    asked = []

    def fake_index(suite, mirror, keyrings, directory):
        asked.append(suite)
        if suite == "down":
            raise SourceUnavailable("down: timed out")
        other = OrigTarball("python3.13", "3.13.15-1", "pool/main/p/python3.13", "python3.13_3.13.15.orig.tar.xz",
                            "1" * 64, 1)
        return index_of(suite, other) if suite == "first" else index_of(suite, TARBALL_3135, other)

    monkeypatch.setattr(signed, "archive_keyrings", lambda: [tmp_path / "k.gpg"])
    monkeypatch.setattr(signed, "signed_index", fake_index)
    lookup = signed.lookup_signed("3.13.5", ["down", "first", "second", "third"], "file:///archive")
    assert asked == ["down", "first", "second"]
    assert lookup.version == "3.13.5" and lookup.found == TARBALL_3135
    assert lookup.index is not None and lookup.index.suite == "second"
    assert lookup.searched == ("first", "second") and lookup.failures == ("down: down: timed out",)
    assert lookup.others == {"first": ("3.13.15",)}


def test_lookup_signed_not_listed_anywhere_passes_everything_through(monkeypatch, tmp_path):
    calls = []

    def fake_index(suite, mirror, keyrings, directory):
        calls.append((suite, mirror, keyrings, directory))
        if suite == "down":
            raise SourceUnavailable("timed out")
        return index_of(suite, TARBALL_3135)

    monkeypatch.setattr(signed, "archive_keyrings", lambda: [tmp_path / "k.gpg"])
    monkeypatch.setattr(signed, "signed_index", fake_index)
    monkeypatch.setattr(signed, "archive_url", lambda mirror: f"resolved:{mirror}")
    lookup = signed.lookup_signed("3.13.99", ["a", "down", "b"], "file:///m", tmp_path / "cache")
    assert lookup == signed.SignedLookup("3.13.99", None, None, ("a", "b"), {"a": ("3.13.5",), "b": ("3.13.5",)},
                                          ("down: timed out",))
    assert calls == [(suite, "resolved:file:///m", [tmp_path / "k.gpg"], tmp_path / "cache")
                     for suite in ("a", "down", "b")]


def test_lookup_signed_lets_a_refused_signature_stop_everything(monkeypatch, tmp_path):
    def refused(suite, mirror, keyrings, directory):
        raise SourceNotProven("signature refused")

    monkeypatch.setattr(signed, "archive_keyrings", lambda: [tmp_path / "k.gpg"])
    monkeypatch.setattr(signed, "signed_index", refused)
    with pytest.raises(SourceNotProven):
        signed.lookup_signed("3.13.5", ["unstable"], "file:///archive")


def test_lookup_signed_without_keyring_is_unavailable_not_an_error(monkeypatch):
    def no_keyring():
        raise SourceUnavailable("no Debian archive keyring")

    monkeypatch.setattr(signed, "archive_keyrings", no_keyring)
    lookup = signed.lookup_signed("3.13.5", ["unstable"], "file:///archive")
    assert lookup == signed.SignedLookup("3.13.5", failures=("no Debian archive keyring",))


@pytest.fixture
def archive(tmp_path, monkeypatch):
    """A file:// archive with one suite whose Sources.xz is the fixture; gpgv replaced by 'accept the text'."""
    root = tmp_path / "archive"
    suite_dir = root / "dists" / "trixie"
    (suite_dir / "main" / "source").mkdir(parents=True)
    sources_xz = lzma.compress((DATA / "Sources-python.txt").read_bytes())
    (suite_dir / "main" / "source" / "Sources.xz").write_bytes(sources_xz)
    digest = hashlib.sha256(sources_xz).hexdigest()
    (suite_dir / "InRelease").write_text(
        f"Suite: stable\nCodename: trixie\nDate: today\nSHA256:\n {digest} {len(sources_xz)} main/source/Sources.xz\n"
    )
    signed_by = SignatureCheck(("B8E5F13176D2A7A75220028078DBA3BC47EF2265",), (), ())

    def accept(raw, keyrings, what):
        assert keyrings == [] and what.endswith("/dists/trixie/InRelease")
        return raw.decode(), signed_by

    monkeypatch.setattr(signed, "verify_signature", accept)
    return root


def test_signed_index_downloads_checks_and_caches_the_extract(archive, tmp_path):
    cache = tmp_path / "cache"
    index = signed.signed_index("trixie", f"file://{archive}", [], cache)
    assert index.suite == "trixie" and index.release.codename == "trixie" and not index.from_cache
    assert index.signed_by == ("B8E5F13176D2A7A75220028078DBA3BC47EF2265",)
    assert [t.version for t in index.tarballs] == ["3.13.5", "3.15.0rc1"]
    extract = json.loads((cache / "trixie" / "python-orig-tarballs.json").read_text())
    assert extract == {"suite": "trixie", "sources_sha256": index.sources_sha256,
                       "tarballs": [t.__dict__ for t in index.tarballs]}
    assert (cache / "trixie" / "InRelease").read_text().startswith("Suite: stable\n")
    # the next run reuses the extract: Sources.xz is not fetched again (it is gone)
    (archive / "dists" / "trixie" / "main" / "source" / "Sources.xz").unlink()
    assert signed.signed_index("trixie", f"file://{archive}", [], cache).tarballs == index.tarballs
    # the archive unreachable: the cached InRelease is verified again and used, and says so
    offline = signed.signed_index("trixie", f"file://{tmp_path}/nowhere", [], cache)
    assert offline.from_cache and offline.tarballs == index.tarballs


def test_signed_index_refuses_a_sources_file_the_signature_does_not_cover(archive, tmp_path):
    path = archive / "dists" / "trixie" / "main" / "source" / "Sources.xz"
    path.write_bytes(path.read_bytes()[:-1] + b"\0")
    with pytest.raises(ChecksumMismatch, match="but the signed InRelease lists"):
        signed.signed_index("trixie", f"file://{archive}", [], tmp_path / "cache")
    assert not (tmp_path / "cache" / "trixie" / "python-orig-tarballs.json").exists()
    assert [p.name for p in (tmp_path / "cache" / "trixie").iterdir()] == []  # no temp file left


def test_signed_index_refetches_when_the_signed_sha256_changes(archive, tmp_path):
    cache = tmp_path / "cache"
    signed.signed_index("trixie", f"file://{archive}", [], cache)
    stale = cache / "trixie" / "python-orig-tarballs.json"
    document = json.loads(stale.read_text())
    document["sources_sha256"] = "0" * 64
    document["tarballs"] = []
    stale.write_text(json.dumps(document))
    assert len(signed.signed_index("trixie", f"file://{archive}", [], cache).tarballs) == 2


def test_signed_index_of_a_suite_without_sources(archive, tmp_path):
    (archive / "dists" / "trixie" / "InRelease").write_text("Suite: stable\nSHA256:\n")
    with pytest.raises(SourceUnavailable, match="lists no main/source/Sources.xz"):
        signed.signed_index("trixie", f"file://{archive}", [], tmp_path / "cache")


def test_signed_index_unreachable_and_nothing_cached(tmp_path):
    with pytest.raises(SourceUnavailable, match="nowhere/dists/trixie/InRelease"):
        signed.signed_index("trixie", f"file://{tmp_path}/nowhere", [], tmp_path / "cache")


def test_signed_index_unreachable_with_an_incomplete_cache(archive, tmp_path):
    cache = tmp_path / "cache"
    signed.signed_index("trixie", f"file://{archive}", [], cache)
    (cache / "trixie" / "python-orig-tarballs.json").unlink()
    with pytest.raises(SourceUnavailable, match="unreachable, and the cached index of trixie is incomplete"):
        signed.signed_index("trixie", f"file://{tmp_path}/nowhere", [], cache)


def test_signed_index_takes_the_archive_keyrings_by_default(archive, tmp_path, monkeypatch):
    monkeypatch.setattr(signed, "archive_keyrings", lambda: [])
    assert len(signed.signed_index("trixie", f"file://{archive}", directory=tmp_path / "c").tarballs) == 2


def test_index_cache_lives_under_the_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("DUALPY_CACHE_DIR", str(tmp_path))
    assert signed.index_cache_dir() == tmp_path / "debian"
    assert fetch.source_cache_dir() == tmp_path / "sources"


# ---- `dualpy sources fetch` reports both sources ----


@pytest.fixture
def local_3135(tmp_path, monkeypatch):
    """3.13.5's recipe pointed at a local file with the recipe's name; the cache in tmp_path."""
    monkeypatch.setenv("DUALPY_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def fake_lookup(monkeypatch, lookup):
    monkeypatch.setattr("dualpy.commands.sources.lookup_signed", lambda version, suites, mirror: lookup)


def test_fetch_stops_on_a_disagreement_before_downloading(monkeypatch, local_3135, capsys):
    other = OrigTarball(*[*TARBALL_3135.__dict__.values()][:4], "e" * 64, 1)
    fake_lookup(monkeypatch, signed.SignedLookup("3.13.5", other, index_of("stable"), ("stable",)))
    monkeypatch.setattr("dualpy.commands.sources.fetch_release", lambda *a, **k: pytest.fail("downloaded"))
    assert main(["sources", "fetch", "3.13.5"]) == 1
    *_progress, err = capsys.readouterr().err.strip().splitlines()
    assert err.startswith("error:") and SHA_3135 in err and "e" * 64 in err


def test_fetch_not_listed_warns_by_default_and_fails_with_require_signed(monkeypatch, local_3135, capsys):
    fake_lookup(monkeypatch, signed.SignedLookup("3.13.5", searched=("unstable",), others={"unstable": ()}))
    fetched = fetch.FetchedSource(local_3135 / "Python-3.13.5.tar.xz", SHA_3135, "cache", True)
    monkeypatch.setattr("dualpy.commands.sources.fetch_release", lambda *a, **k: fetched)
    assert main(["sources", "fetch", "3.13.5", "--json"]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["recipe"]["sha256"] == SHA_3135
    assert report["signed_index"]["status"] == "not-listed" and report["signed_index"]["sha256"] is None
    assert "warning:" in captured.err and "only the recipe vouches" in captured.err
    assert main(["sources", "fetch", "3.13.5", "--require-signed"]) == 1
    *_progress, err = capsys.readouterr().err.strip().splitlines()
    assert err.startswith("error:") and "--require-signed" in err and "python3.13_3.13.5.orig.tar.xz" in err


def test_fetch_agreeing_reports_both_digests(monkeypatch, local_3135, capsys):
    fake_lookup(monkeypatch, signed.SignedLookup("3.13.5", TARBALL_3135, index_of("stable"), ("stable",)))
    fetched = fetch.FetchedSource(local_3135 / "Python-3.13.5.tar.xz", SHA_3135, "cache", True)
    monkeypatch.setattr("dualpy.commands.sources.fetch_release", lambda *a, **k: fetched)
    assert main(["sources", "fetch", "3.13.5", "--require-signed", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["signed_index"] == {
        "status": "agrees", "sha256": SHA_3135, "suite": "stable", "date": "Tue, 24 Nov 2026 02:12:15 UTC",
        "signed_by": ["B8E5F13176D2A7A75220028078DBA3BC47EF2265"],
        "path": "pool/main/p/python3.13/python3.13_3.13.5.orig.tar.xz", "searched": ["stable"],
        "message": report["signed_index"]["message"],
    }
    assert main(["sources", "fetch", "3.13.5"]) == 0
    out = capsys.readouterr().out
    assert f"recipe        {SHA_3135}  (3.13.toml)" in out and f"signed index  {SHA_3135}" in out


def test_recipes_add_prints_a_draft_and_says_what_is_unconfirmed(monkeypatch, capsys):
    tarball = OrigTarball("python3.13", "3.13.18-1", "pool/main/p/python3.13", "python3.13_3.13.18.orig.tar.xz",
                          "d" * 64, 5)
    monkeypatch.setattr("dualpy.commands.recipes.lookup_signed",
                        lambda version, suites, mirror: signed.SignedLookup("3.13.18", tarball, index_of("unstable"),
                                                                             ("unstable",)))
    monkeypatch.setattr("dualpy.commands.recipes.probe_url", lambda url: (False, "HTTP 404"))
    monkeypatch.setattr("dualpy.commands.recipes.archive_url", lambda mirror: "file:///archive")
    assert main(["recipes", "add", "3.13.18"]) == 0
    captured = capsys.readouterr()
    assert 'version = "3.13.18"' in captured.out and f'sha256 = "{"d" * 64}"' in captured.out
    assert "NOT CONFIRMED: a second, independent source" in captured.out
    assert "HTTP 404" in captured.err and "not confirmed:" in captured.err


def test_recipes_add_refuses_without_a_signed_listing(monkeypatch, capsys):
    monkeypatch.setattr("dualpy.commands.recipes.lookup_signed",
                        lambda version, suites, mirror: signed.SignedLookup(
                            "3.14.7", searched=("unstable",), others={"unstable": ("3.14.9",)}))
    assert main(["recipes", "add", "3.14.7"]) == 1
    err = capsys.readouterr().err.strip()
    assert "python3.14_3.14.7.orig.tar.xz" in err and "unstable: 3.14.9" in err and len(err.splitlines()) == 1
    assert main(["recipes", "add", "3.14"]) == 2


def test_recipes_add_write_inserts_atomically(monkeypatch, tmp_path, capsys):
    recipe_file = tmp_path / "3.13.toml"
    recipe_file.write_text((Path(__file__).parents[2] / "recipes" / "3.13.toml").read_text())
    recipe_file.chmod(0o640)
    tarball = OrigTarball("python3.13", "3.13.18-1", "pool/main/p/python3.13", "python3.13_3.13.18.orig.tar.xz",
                          "d" * 64, 5)
    monkeypatch.setattr("dualpy.commands.recipes.lookup_signed",
                        lambda version, suites, mirror: signed.SignedLookup("3.13.18", tarball, index_of("unstable"),
                                                                             ("unstable",)))
    monkeypatch.setattr("dualpy.commands.recipes.probe_url", lambda url: (True, "HTTP 200"))
    monkeypatch.setattr("dualpy.commands.recipes.archive_url", lambda mirror: "file:///archive")
    monkeypatch.setattr("dualpy.sources.recipes.data_dir", lambda name: tmp_path)
    assert main(["recipes", "add", "3.13.18", "--write"]) == 0
    assert capsys.readouterr().out == ""
    from dualpy.sources.recipes import load_recipes

    recipe = next(iter(load_recipes(tmp_path).values()))
    assert [r.version for r in recipe.releases][:2] == ["3.13.18", "3.13.15"]
    assert recipe_file.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["3.13.toml"]
    assert main(["recipes", "add", "3.13.18", "--write"]) == 2  # already there
