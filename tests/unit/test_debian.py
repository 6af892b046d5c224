from pathlib import Path

import pytest

from dualpy.errors import UsageError
from dualpy.sources.debian import (
    IndexedFile,
    OrigTarball,
    archive_url,
    archive_urls,
    debian_upstream_version,
    find_orig_tarball,
    iter_stanzas,
    orig_tarball_name,
    parse_gpgv_status,
    parse_release_file,
    python_orig_tarballs,
    source_package,
    upstream_version,
)

DEB822 = """Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
"""


def test_deb822_main_archive_first_security_skipped():
    assert archive_urls([("debian.sources", DEB822)]) == ["http://mirror.example/debian"]


def test_one_line_format_with_options():
    text = "# comment\ndeb [arch=amd64 signed-by=/k.gpg] http://other.example/debian/ bookworm main\n" \
           "deb-src http://src.example/debian bookworm main\n"
    assert archive_urls([("sources.list", text)]) == ["http://other.example/debian"]


def test_explicit_mirror_wins_and_loses_trailing_slash():
    assert archive_url("http://given.example/debian/") == "http://given.example/debian"


# ---- the signed index, parsed ----

DATA = Path(__file__).parent / "data" / "debian"


@pytest.mark.parametrize(
    ("python_org", "debian"),
    [("3.15.0rc2", "3.15.0~rc2"), ("3.15.0b3", "3.15.0~b3"), ("3.16.0a1", "3.16.0~a1"), ("3.14.7", "3.14.7"),
     ("3.13.15", "3.13.15"), ("3.14.10", "3.14.10")],
)
def test_version_spellings_map_both_ways(python_org, debian):
    assert debian_upstream_version(python_org) == debian
    assert upstream_version(f"{debian}-1") == python_org
    assert upstream_version(f"1:{debian}-2+b1") == python_org


@pytest.mark.parametrize(
    ("debian_version", "upstream"),
    [("3.13.5-2+deb13u5", "3.13.5"), ("3.15.0~rc1-1", "3.15.0rc1"), ("3.14.7", "3.14.7"),
     ("2:3.14.7-1~bpo13+1", "3.14.7"), ("3.15.0~rc2-1~exp1", "3.15.0rc2")],
)
def test_upstream_version_drops_epoch_and_revision_only(debian_version, upstream):
    assert upstream_version(debian_version) == upstream


@pytest.mark.parametrize("bad", ["3.15", "3.15.0-rc2", "3.15.0~rc2", "python3.15", "3.15.0c1", ""])
def test_debian_spelling_refuses_what_is_not_a_release(bad):
    with pytest.raises(UsageError):
        debian_upstream_version(bad)


def test_archive_names_of_a_release():
    assert source_package("3.15.0rc2") == "python3.15"
    assert orig_tarball_name("3.15.0rc2") == "python3.15_3.15.0~rc2.orig.tar.xz"
    assert orig_tarball_name("3.14.7") == "python3.14_3.14.7.orig.tar.xz"
    assert source_package("3.13.15") == "python3.13"


def test_release_file_fields_and_sha256_section_only():
    release = parse_release_file((DATA / "Release-trixie-backports.txt").read_text())
    assert release.suite == "stable-backports"
    assert release.codename == "trixie-backports"
    assert release.date == "Tue, 24 Nov 2026 02:12:15 UTC"
    assert release.valid_until == "Tue, 01 Dec 2026 02:12:15 UTC"
    assert release.files == {
        "main/binary-amd64/Packages.xz": IndexedFile(
            "76b4be28e3ff8280841fc840f8031e61150f757cd7b264b9e4c1c1b1908b7c6b", 311828),
        "main/source/Sources": IndexedFile("d6c6a1b690747bcf6edbe55586fcf0d9d236729834c7a40ea66f01ae73d9e177", 6476764),
        "main/source/Sources.diff/Index": IndexedFile(
            "1149563439ff513cb9b53b7add1511c7da4daf4a8fb677ec02b2cd94d698a76b", 63339),
        "main/source/Sources.xz": IndexedFile(
            "39df7be0e79c7d70736aeeca0199d2967fc39e5b2c048a023758247c53d22093", 352612),
    }


def test_release_file_ignores_hash_lines_outside_sha256_and_malformed_ones():
    text = (
        "Suite: unstable\nMD5Sum:\n " + "a" * 64 + " 10 main/source/Sources.xz\n"
        "SHA256:\n " + "b" * 64 + " 20 main/source/Sources.xz\n " + "c" * 63 + " 30 short\n "
        + "d" * 64 + " big not-a-size\n " + "e" * 64 + " 40\nSHA512:\n " + "f" * 64 + " 50 other\n"
    )
    release = parse_release_file(text)
    assert release.files == {"main/source/Sources.xz": IndexedFile("b" * 64, 20)}
    assert (release.suite, release.codename, release.date, release.valid_until) == ("unstable", "", "", "")


def test_stanzas_join_continuation_lines_and_split_on_blank_lines():
    stanzas = list(iter_stanzas((DATA / "Sources-python.txt").read_text().splitlines(keepends=True)))
    assert [s["Package"] for s in stanzas] == ["python3-defaults", "python3.13", "python3.15", "pypy3"]
    assert stanzas[1]["Binary"].endswith("python3.13-nopie,\nlibpython3.13-minimal, libpython3.13")
    assert stanzas[1]["Checksums-Sha256"].count("\n") == 4
    assert list(iter_stanzas(["\n", "A: 1\n", " \n", "B: 2"])) == [{"A": "1"}, {"B": "2"}]


def test_python_orig_tarballs_skips_other_packages_and_signatures():
    stanzas = iter_stanzas((DATA / "Sources-python.txt").read_text().splitlines())
    assert list(python_orig_tarballs(stanzas)) == [
        OrigTarball("python3.13", "3.13.5-2+deb13u5", "pool/main/p/python3.13", "python3.13_3.13.5.orig.tar.xz",
                    "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640", 22856016),
        OrigTarball("python3.15", "3.15.0~rc1-1", "pool/main/p/python3.15", "python3.15_3.15.0~rc1.orig.tar.xz",
                    "f84dad680ab2147417d2739355c2678f0f9acffe4ae8ef77895de1454b384b07", 35516700),
    ]


def test_find_orig_tarball_by_exact_name():
    tarballs = list(python_orig_tarballs(iter_stanzas((DATA / "Sources-python.txt").read_text().splitlines())))
    found = find_orig_tarball(tarballs, "3.15.0rc1")
    assert found is not None and found.version == "3.15.0rc1"
    assert found.path == "pool/main/p/python3.15/python3.15_3.15.0~rc1.orig.tar.xz"
    assert find_orig_tarball(tarballs, "3.13.5") is tarballs[0]
    for absent in ("3.15.0rc2", "3.15.0", "3.13.15", "3.13.50"):
        assert find_orig_tarball(tarballs, absent) is None
    # a tarball of the right name under another package is not the release
    stray = OrigTarball("python3.14", "3.13.5-1", "pool/main/p/python3.14", "python3.13_3.13.5.orig.tar.xz",
                        "0" * 64, 1)
    assert find_orig_tarball([stray], "3.13.5") is None


def test_gpgv_status_good_two_signatures():
    check = parse_gpgv_status((DATA / "gpgv-good.status").read_text())
    assert check.good_keys == ("4CB50190207B4758A3F73A796ED0E7B82643E131", "B8E5F13176D2A7A75220028078DBA3BC47EF2265")
    assert check.bad == () and check.missing_keys == ()
    assert check.trusted


def test_gpgv_status_tampered_is_not_trusted():
    check = parse_gpgv_status((DATA / "gpgv-tampered.status").read_text())
    assert check.bad == ("BADSIG 6ED0E7B82643E131",)
    assert not check.trusted


def test_gpgv_status_unknown_key_is_not_trusted():
    check = parse_gpgv_status((DATA / "gpgv-unknown-key.status").read_text())
    assert check.good_keys == () and check.missing_keys == ("6ED0E7B82643E131", "78DBA3BC47EF2265")
    assert not check.trusted


def test_gpgv_status_one_good_signature_of_two_is_enough():
    check = parse_gpgv_status((DATA / "gpgv-one-of-two.status").read_text())
    assert check.good_keys == ("B8E5F13176D2A7A75220028078DBA3BC47EF2265",)
    assert check.missing_keys == ("6ED0E7B82643E131",)
    assert check.trusted


@pytest.mark.parametrize("keyword", ["BADSIG", "EXPKEYSIG", "REVKEYSIG", "EXPSIG"])
def test_gpgv_status_any_bad_signature_spoils_a_good_one(keyword):
    good = (DATA / "gpgv-good.status").read_text()
    check = parse_gpgv_status(good + f"[GNUPG:] {keyword} 0123456789ABCDEF Someone\n")
    assert check.bad == (f"{keyword} 0123456789ABCDEF",)
    assert not check.trusted


def test_gpgv_status_ignores_lines_that_are_not_status():
    check = parse_gpgv_status("VALIDSIG AAAA\n[GNUPG:] VALIDSIG\ngpgv: Good signature\n[GNUPG:] GOODSIG X y\n")
    assert check.good_keys == () and not check.trusted


def test_upstream_version_keeps_hyphens_before_the_revision():
    assert upstream_version("3.14.7-1-2") == "3.14.7-1"
    assert upstream_version("1:3.14.7:x-1") == "3.14.7:x"  # only the epoch ends at the first colon
    assert upstream_version("3.14.7") == "3.14.7"


def test_debian_spelling_error_names_the_version():
    with pytest.raises(UsageError, match="'3.15' is not a CPython release version like 3.14.7 or 3.15.0rc2"):
        debian_upstream_version("3.15")


def test_release_file_tab_indented_lines_lines_without_colon_and_missing_fields():
    sha = "a" * 64
    release = parse_release_file(f"Origin: Debian\nSHA256:\n\t{sha} 7 main/source/Sources.xz\nnonsense\n"
                                 f" {sha} 8 after-nonsense\nCodename: sid\n")
    assert release.files == {"main/source/Sources.xz": IndexedFile(sha, 7)}
    assert release.codename == "sid"
    empty = parse_release_file("")
    assert (empty.suite, empty.codename, empty.date, empty.valid_until, empty.files) == ("", "", "", "", {})


def test_stanzas_colons_in_values_tabs_and_stray_continuations():
    text = (" stray continuation before any field\nHomepage: https://www.python.org/\nBinary: a,\n\tb\n\n"
            " stray after a blank line\nPackage: x\nXS-Go-Import-Path: y\n")
    assert list(iter_stanzas(text.splitlines())) == [
        {"Homepage": "https://www.python.org/", "Binary": "a,\nb"}, {"Package": "x", "XS-Go-Import-Path": "y"}]


def test_python_orig_tarballs_with_missing_fields_and_a_bad_size():
    sha = "b" * 64
    stanzas = [
        {"Version": "3.13.1-1", "Checksums-Sha256": f" {sha} 1 python3.13_3.13.1.orig.tar.xz"},  # no Package
        {"Package": "python3.13"},  # no checksums
        {"Package": "python3.13", "Checksums-Sha256": f"{sha} ten python3.13_3.13.2.orig.tar.xz"},
    ]
    assert list(python_orig_tarballs(stanzas)) == [
        OrigTarball("python3.13", "", "", "python3.13_3.13.2.orig.tar.xz", sha, -1)]


# ---- which archive: each rule of the apt-source reading on its own ----


def stanza(**fields):
    return "\n".join(f"{key.replace('_', '-').title()}: {value}" for key, value in fields.items()) + "\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (stanza(types="deb deb-src", uris="http://a/debian", suites="sid"), ["http://a/debian"]),
        (stanza(types="deb-src", uris="http://a/debian", suites="sid"), []),
        (stanza(uris="http://a/debian", suites="sid"), []),  # no Types: not a source apt uses
        (stanza(types="deb", uris="http://a/debian", suites="sid", enabled="no"), []),
        (stanza(types="deb", uris="http://a/debian", suites="sid", enabled="No"), []),
        (stanza(types="deb", uris="http://a/debian", suites="sid", enabled="yes"), ["http://a/debian"]),
        (stanza(types="deb", uris="http://a/debian", suites="trixie-security"), []),
        (stanza(types="deb", uris="http://a/debian", suites="trixie trixie-security"), ["http://a/debian"]),
        (stanza(types="deb", uris="http://a/debian"), ["http://a/debian"]),  # no Suites: not a security one
        (stanza(types="deb", uris="http://a/debian http://b/debian", suites="sid"),
         ["http://a/debian", "http://b/debian"]),
        ("# Types: deb\n" + stanza(types="deb", uris="http://a/debian", suites="sid"), ["http://a/debian"]),
        ("#URIs: http://commented/debian\n" + stanza(types="deb", uris="http://a/debian", suites="sid"),
         ["http://a/debian"]),
        (stanza(types="deb", uris="http://a/debian", suites="sid") + "\n"
         + stanza(types="deb", uris="http://b/debian", suites="sid", enabled="no") + "\n"
         + stanza(types="deb", uris="http://c/debian/", suites="sid"), ["http://a/debian", "http://c/debian"]),
    ],
)
def test_deb822_rules(text, expected):
    assert archive_urls([("x.sources", text)]) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("deb http://a/debian sid main\n", ["http://a/debian"]),
        ("deb http://a/debian sid\n", ["http://a/debian"]),  # three words are enough
        ("deb http://a/debian\n", []),
        ("deb http://a/debian bookworm-security main\n", []),
        ("deb http://security/ bookworm main\n", []),
        ("deb-src http://a/debian sid main\n", []),
        ("#deb http://a/debian sid main\n", []),
        ("deb http://a/debian sid main # a comment # with hashes\n", ["http://a/debian"]),
        ("deb [arch=amd64] http://a/debian sid main\ndeb http://a/debian sid contrib\n", ["http://a/debian"]),
        ("deb [ arch=amd64 signed-by=/k.gpg ] http://b/debian/ sid main\n", ["http://b/debian"]),
    ],
)
def test_one_line_rules(text, expected):
    assert archive_urls([("sources.list", text)]) == expected


def test_files_keep_their_order_and_duplicates_go():
    texts = [("a.list", "deb http://x/debian sid main\n"),
             ("b.sources", stanza(types="deb", uris="http://y/debian http://x/debian/", suites="sid"))]
    assert archive_urls(texts) == ["http://x/debian", "http://y/debian"]


def test_archive_url_takes_the_first_of_the_host(monkeypatch):
    monkeypatch.delenv("DUALPY_DEBIAN_MIRROR", raising=False)
    monkeypatch.setattr("dualpy.sources.debian.read_apt_sources",
                        lambda: [("a.list", "deb http://x/debian sid main\ndeb http://y/debian sid main\n")])
    assert archive_url() == "http://x/debian"
    assert archive_url("") == "http://x/debian"
    monkeypatch.setattr("dualpy.sources.debian.read_apt_sources", lambda: [])
    with pytest.raises(UsageError) as caught:
        archive_url()
    assert str(caught.value) == ("no Debian archive found in /etc/apt/sources.list{,.d}: "
                                 "pass --debian-mirror URL or set DUALPY_DEBIAN_MIRROR")


def test_archive_url_explicit_then_environment_then_host(monkeypatch):
    monkeypatch.setattr("dualpy.sources.debian.read_apt_sources",
                        lambda: [("a.list", "deb http://host/debian sid main\n")])
    monkeypatch.setenv("DUALPY_DEBIAN_MIRROR", "http://env/debian/")
    assert archive_url() == "http://env/debian"
    assert archive_url("http://flag/debian") == "http://flag/debian"
    monkeypatch.setenv("DUALPY_DEBIAN_MIRROR", "")
    assert archive_url() == "http://host/debian"


def test_read_apt_sources_reads_list_and_sources_files_only(tmp_path, monkeypatch):
    (tmp_path / "sources.list").write_text("deb http://x/debian sid main\n")
    folder = tmp_path / "sources.list.d"
    folder.mkdir()
    (folder / "b.sources").write_text("Types: deb\n")
    (folder / "a.list").write_text("deb http://a sid\n")
    (folder / "c.list.disabled").write_text("deb http://c sid\n")
    (folder / "d.list").mkdir()
    monkeypatch.setattr("dualpy.sources.debian.APT_SOURCE_FILES",
                        (tmp_path / "sources.list", folder, tmp_path / "none"))
    from dualpy.sources.debian import read_apt_sources

    assert read_apt_sources() == [("sources.list", "deb http://x/debian sid main\n"), ("a.list", "deb http://a sid\n"),
                                  ("b.sources", "Types: deb\n")]


def test_a_skipped_stanza_does_not_end_the_file():
    text = "\n".join([stanza(types="deb-src", uris="http://src/debian", suites="sid"),
                      stanza(types="deb", uris="http://sec/debian", suites="sid-security"),
                      stanza(types="deb", suites="sid"),  # no URIs
                      stanza(types="deb", uris="http://a/debian", suites="sid")])
    assert archive_urls([("x.sources", text)]) == ["http://a/debian"]


def test_read_apt_sources_survives_bytes_that_are_not_utf8(tmp_path, monkeypatch):
    (tmp_path / "x.list").write_bytes(b"# caf\xe9\ndeb http://x/debian sid main\n")
    monkeypatch.setattr("dualpy.sources.debian.APT_SOURCE_FILES", (tmp_path,))
    from dualpy.sources.debian import read_apt_sources

    assert archive_urls(read_apt_sources()) == ["http://x/debian"]
