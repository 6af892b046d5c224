from dualpy.debian import archive_url, archive_urls

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
