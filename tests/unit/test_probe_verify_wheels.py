"""The verify probe's tag set: an abi3.abi3t wheel (PEP 803) is tried in a free-threaded 3.15 whatever the image's
packaging knows, and nothing changes where packaging already knows abi3t or abi3t does not apply."""

from __future__ import annotations

from packaging.tags import Tag, cpython_tags
from packaging.utils import parse_wheel_filename

from dualpy.probes.verify_wheels import supported_tags

PLATFORMS = ["manylinux_2_39_x86_64", "linux_x86_64"]
ABI3T_WHEEL = "dualpy_abi3t-1.0.0-cp315-abi3.abi3t-manylinux_2_39_x86_64.whl"


def _tags_before_packaging_26_1(minor: int, freethreaded: bool) -> set[Tag]:
    """What packaging < 26.1 offered: the version-specific ABI, abi3 on GIL builds only, none; no abi3t."""
    abi = f"cp3{minor}{'t' if freethreaded else ''}"
    tags = {Tag(f"cp3{minor}", abi, p) for p in PLATFORMS} | {Tag(f"cp3{minor}", "none", p) for p in PLATFORMS}
    if not freethreaded:
        tags |= {Tag(f"cp3{m}", "abi3", p) for m in range(2, minor + 1) for p in PLATFORMS}
    return tags


def _matches(filename: str, supported: set[Tag]) -> bool:
    return bool(parse_wheel_filename(filename)[3] & supported)


def test_an_old_packaging_gets_the_abi3t_tags_of_a_free_threaded_315() -> None:
    old = _tags_before_packaging_26_1(15, freethreaded=True)
    assert not _matches(ABI3T_WHEEL, old)
    supported = supported_tags(old, (3, 15), freethreaded=True)
    assert _matches(ABI3T_WHEEL, supported)
    assert _matches("a-1-cp315-abi3t-manylinux_2_39_x86_64.whl", supported)
    assert not _matches("a-1-cp316-abi3t-manylinux_2_39_x86_64.whl", supported)  # a newer minimum: not here
    assert not _matches("a-1-cp315-abi3-manylinux_2_39_x86_64.whl", supported)  # abi3 never loads in a t build
    assert {t.platform for t in supported - old} == set(PLATFORMS)


def test_the_tags_agree_with_packaging_that_knows_abi3t() -> None:
    old = _tags_before_packaging_26_1(15, freethreaded=True)
    added = supported_tags(old, (3, 15), freethreaded=True) - old
    known = set(cpython_tags((3, 15), ["cp315t"], PLATFORMS))
    if any(t.abi == "abi3t" for t in known):  # the host's packaging is 26.1 or later
        assert added == {t for t in known if t.abi == "abi3t"}


def test_nothing_is_added_where_abi3t_does_not_apply_or_is_known() -> None:
    gil = _tags_before_packaging_26_1(15, freethreaded=False)
    assert supported_tags(gil, (3, 15), freethreaded=False) == gil
    assert _matches(ABI3T_WHEEL, gil)  # the GIL build takes abi3.abi3t through its abi3 half
    t314 = _tags_before_packaging_26_1(14, freethreaded=True)
    assert supported_tags(t314, (3, 14), freethreaded=True) == t314  # no abi3t before 3.15 (PEP 803)
    known = _tags_before_packaging_26_1(15, freethreaded=True) | {Tag("cp315", "abi3t", PLATFORMS[0])}
    assert supported_tags(known, (3, 15), freethreaded=True) == known
