import pytest

from dualpy.errors import UsageError
from dualpy.tags import (
    ALL_VARIANTS,
    PythonMinor,
    PythonTarget,
    Variant,
    machine_arch,
    parse_identifier,
    parse_variants,
    python_named_by,
    target_for_abi_tag,
    targets_for,
)

FT = Variant.FREETHREADED


@pytest.mark.parametrize("text", ["3.13", "313", "cp313", "3.13.15", "3.13.0rc2"])
def test_minor_parses_every_spelling(text):
    assert PythonMinor.parse(text) == PythonMinor(3, 13)


@pytest.mark.parametrize("text", ["", "3", "python", "2.7", "3.x", "13"])
def test_minor_refuses_non_versions(text):
    with pytest.raises(UsageError):
        PythonMinor.parse(text)


@pytest.mark.parametrize(
    ("minor", "variant", "abi", "install", "exe", "identifier", "suffix"),
    [
        ((3, 13), Variant.GIL, "cp313", "cp313-cp313", "python3.13", "cp313-manylinux_x86_64",
         ".cpython-313-x86_64-linux-gnu.so"),
        ((3, 13), FT, "cp313t", "cp313-cp313t", "python3.13t", "cp313t-manylinux_x86_64",
         ".cpython-313t-x86_64-linux-gnu.so"),
        ((3, 15), FT, "cp315t", "cp315-cp315t", "python3.15t", "cp315t-manylinux_x86_64",
         ".cpython-315t-x86_64-linux-gnu.so"),
    ],
)
def test_target_names(minor, variant, abi, install, exe, identifier, suffix):
    target = PythonTarget(PythonMinor(*minor), variant)
    assert target.abi_tag == abi
    assert target.install_tag == install
    assert target.prefix == f"/opt/python/{install}"
    assert target.executable_name == exe
    assert target.identifier("x86_64") == identifier
    assert target.ext_suffix("x86_64") == suffix


def test_aarch64_suffix_and_identifier():
    target = PythonTarget(PythonMinor(3, 14), FT)
    assert target.identifier("aarch64") == "cp314t-manylinux_aarch64"
    assert target.ext_suffix("aarch64") == ".cpython-314t-aarch64-linux-gnu.so"


def test_variants_parse_in_canonical_order_and_aliases():
    assert parse_variants("freethreaded,gil") == ALL_VARIANTS
    assert parse_variants("t") == (FT,)
    assert parse_variants(" gil ") == (Variant.GIL,)


@pytest.mark.parametrize("text", ["", "gil,fast", "both"])
def test_unknown_variants_are_refused(text):
    with pytest.raises(UsageError):
        parse_variants(text)


def test_no_freethreaded_before_313():
    with pytest.raises(UsageError, match="no free-threaded build"):
        targets_for(PythonMinor(3, 12), ALL_VARIANTS)
    assert len(targets_for(PythonMinor(3, 12), (Variant.GIL,))) == 1


def test_identifier_round_trip():
    target, arch = parse_identifier("cp313t-manylinux_x86_64")
    assert (target, arch) == (PythonTarget(PythonMinor(3, 13), FT), "x86_64")
    with pytest.raises(UsageError):
        parse_identifier("pp310-manylinux_x86_64")


def test_abi_tag_lookup():
    assert target_for_abi_tag("cp313t") == PythonTarget(PythonMinor(3, 13), FT)
    assert target_for_abi_tag("cp313") == PythonTarget(PythonMinor(3, 13), Variant.GIL)
    assert target_for_abi_tag("abi3") is None
    assert target_for_abi_tag("none") is None


# What follows pins each rule on its own (issue 16: every mutant of tags.py is killed or listed as equivalent).


@pytest.mark.parametrize(
    ("text", "expected"),
    [("3.9", (3, 9)), ("310", (3, 10)), ("cp310", (3, 10)), ("3.99", (3, 99)), (" 3.14 ", (3, 14)),
     ("3.14.0a1", (3, 14)), ("3.14.0b3", (3, 14)), ("3.15.2rc1", (3, 15)), ("3.13.100", (3, 13))],
)
def test_minor_parse_boundaries(text, expected):
    assert PythonMinor.parse(text) == PythonMinor(*expected)


@pytest.mark.parametrize("text", ["39", "cp39", "3.100", "3100", "4.13", "3.13.", "3.13.0rc", "3.13.0c1",
                                  "3.13.5.1", "cp3", "py313", "3.13t"])
def test_minor_parse_refuses_near_misses_with_the_fix(text):
    with pytest.raises(UsageError, match=r"is not a CPython version: write it like 3\.13 or 3\.13\.15"):
        PythonMinor.parse(text)


@pytest.mark.parametrize(("minor", "expected"), [((3, 12), False), ((3, 13), True), ((3, 14), True), ((4, 0), True)])
def test_freethreading_starts_at_313(minor, expected):
    assert PythonMinor(*minor).supports_freethreading is expected


def test_minor_spellings():
    assert str(PythonMinor(3, 13)) == "3.13"
    assert PythonMinor(3, 9).nodot == "39"
    assert PythonMinor(3, 9) < PythonMinor(3, 13)


@pytest.mark.parametrize(
    ("variant", "suffix", "interpreter", "request_", "text"),
    [(Variant.GIL, "", "cp314", "3.14", "3.14"), (FT, "t", "cp314", "3.14t", "3.14t")],
)
def test_every_target_property(variant, suffix, interpreter, request_, text):
    target = PythonTarget(PythonMinor(3, 14), variant)
    assert variant.abi_suffix == suffix
    assert target.interpreter_tag == interpreter
    assert target.request == request_
    assert str(target) == text
    assert target.identifier("aarch64", libc="musllinux") == f"cp314{suffix}-musllinux_aarch64"


@pytest.mark.parametrize(
    ("machine", "arch"),
    [("x86_64", "x86_64"), ("AMD64", "x86_64"), ("amd64", "x86_64"), ("arm64", "aarch64"), ("ARM64", "aarch64"),
     ("aarch64", "aarch64"), ("ppc64le", "ppc64le"), ("S390X", "s390x")],
)
def test_machine_arch_uses_wheel_spelling(monkeypatch, machine, arch):
    monkeypatch.setattr("dualpy.tags.platform.machine", lambda: machine)
    assert machine_arch() == arch
    target = PythonTarget(PythonMinor(3, 13), FT)
    assert target.identifier() == f"cp313t-manylinux_{arch}"
    assert target.ext_suffix() == f".cpython-313t-{arch}-linux-gnu.so"


def test_variants_reject_empty_lists_with_the_fix():
    for text in ("", " ", ",", " , "):
        with pytest.raises(UsageError, match="^no variant given: use --variants gil,freethreaded$"):
            parse_variants(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("gil", (Variant.GIL,)), ("GIL", (Variant.GIL,)), ("default", (Variant.GIL,)), ("freethreaded", (FT,)),
     ("Free-Threaded", (FT,)), ("ft", (FT,)), ("nogil", (FT,)), ("t,gil", ALL_VARIANTS), ("gil,,ft", ALL_VARIANTS),
     ("ft,nogil", (FT,))],
)
def test_every_variant_alias(text, expected):
    assert parse_variants(text) == expected


def test_unknown_variant_message_names_it_and_the_fix():
    with pytest.raises(UsageError, match=r"unknown variant 'turbo': use gil, freethreaded or both "
                                         r"\(--variants gil,freethreaded\)"):
        parse_variants("gil,turbo")


def test_targets_for_keeps_the_order_and_checks_each_half():
    minor = PythonMinor(3, 13)
    assert targets_for(minor, ALL_VARIANTS) == (PythonTarget(minor, Variant.GIL), PythonTarget(minor, FT))
    assert targets_for(minor, (FT,)) == (PythonTarget(minor, FT),)  # free-threaded asked, and it exists
    old = PythonMinor(3, 12)
    assert targets_for(old, (Variant.GIL,)) == (PythonTarget(old, Variant.GIL),)  # no free-threaded asked
    with pytest.raises(UsageError, match=r"^Python 3\.12 has no free-threaded build: use --variants gil$"):
        targets_for(old, (FT,))


@pytest.mark.parametrize(
    ("identifier", "minor", "variant", "arch"),
    [("cp313-manylinux_x86_64", (3, 13), Variant.GIL, "x86_64"),
     ("cp313t-manylinux_x86_64", (3, 13), FT, "x86_64"),
     ("cp314t-musllinux_aarch64", (3, 14), FT, "aarch64"),
     ("cp39-musllinux_i686", (3, 9), Variant.GIL, "i686"),
     ("cp310-manylinux_ppc64le", (3, 10), Variant.GIL, "ppc64le")],
)
def test_parse_identifier_every_kind(identifier, minor, variant, arch):
    assert parse_identifier(identifier) == (PythonTarget(PythonMinor(*minor), variant), arch)


@pytest.mark.parametrize("identifier", ["", "cp313", "cp313-manylinux", "cp313-manylinux_", "cp313x-manylinux_x86_64",
                                        "cp313tt-manylinux_x86_64", "cp313-macosx_x86_64", "cp313-win_amd64",
                                        " cp313-manylinux_x86_64", "cp313-manylinux_x86_64 ", "cpt-manylinux_x86_64",
                                        "cp313-manylinux_x86-64", "xcp313-manylinux_x86_64"])
def test_parse_identifier_refuses_with_an_example(identifier):
    with pytest.raises(UsageError, match=r"is not a CPython build identifier like cp313t-manylinux_x86_64$"):
        parse_identifier(identifier)


@pytest.mark.parametrize("abi", ["cp313x", "cp313tt", "cp3", "xcp313", "cp313 ", "abi3", "cp"])
def test_abi_tag_lookup_refuses_other_tags(abi):
    assert target_for_abi_tag(abi) is None


def test_abi_tag_lookup_reads_both_digits():
    assert target_for_abi_tag("cp39") == PythonTarget(PythonMinor(3, 9), Variant.GIL)
    assert target_for_abi_tag("cp314t") == PythonTarget(PythonMinor(3, 14), FT)


@pytest.mark.parametrize(("image_tag", "python"), [
    ("dualpy/cpython:3.13.15", "3.13.15"),
    ("dualpy/cpython:3.15.0rc2", "3.15.0rc2"),
    ("dualpy/cpython:3.14", "3.14"),
    ("127.0.0.1:5000/dualpy/cpython:3.13", "3.13"),
    ("ci/builder:latest", "3.14"),
    ("ci/builder", "3.14"),
    ("dualpy/cpython:3.13.15-3.14.7", "3.14"),
    ("dualpy/cpython:4.1", "3.14"),
])
def test_python_named_by_an_image_tag(image_tag, python):
    assert python_named_by(image_tag) == python
