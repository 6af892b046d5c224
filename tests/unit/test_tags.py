import pytest

from dualpy.errors import UsageError
from dualpy.tags import (
    ALL_VARIANTS, PythonMinor, PythonTarget, Variant, parse_identifier, parse_variants, target_for_abi_tag, targets_for,
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
