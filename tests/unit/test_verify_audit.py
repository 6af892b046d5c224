"""Manylinux truth and abi3audit findings: the pure judges, on auditwheel's and abi3audit's real output shapes."""

from __future__ import annotations

import pytest
from packaging.tags import Tag
from packaging.utils import parse_wheel_filename

from dualpy.errors import UsageError
from dualpy.verify.audit import (
    abi3_wheels,
    judge_abi3audit,
    judge_manylinux,
    needed_glibc,
    parse_policy,
    promised_glibc,
)
from dualpy.verify.model import Status


def tags(filename: str) -> frozenset[Tag]:
    return frozenset(parse_wheel_filename(filename)[3])


NEW = {"libc.so.6": {"GLIBC_2.2.5": ["free"], "GLIBC_2.36": ["arc4random"]}}
OLD = {"libc.so.6": {"GLIBC_2.2.5": ["free"], "GLIBC_2.14": ["memcpy"]}}


def test_parse_policy() -> None:
    assert parse_policy("2_28") == (2, 28)
    assert parse_policy(" manylinux_2_34 ") == (2, 34)
    assert parse_policy("manylinux2014") == (2, 17)
    assert parse_policy("manylinux1") == (2, 5)
    for bad in ("2.28", "228", "musllinux_1_2", ""):
        with pytest.raises(UsageError):
            parse_policy(bad)


def test_promised_glibc_is_the_oldest_tag() -> None:
    assert promised_glibc(["manylinux_2_17_x86_64", "manylinux2014_x86_64"]) == (2, 17)
    assert promised_glibc(["manylinux1_x86_64", "manylinux_2_5_x86_64"]) == (2, 5)
    assert promised_glibc(["manylinux_2_28_x86_64", "manylinux_2_34_x86_64"]) == (2, 28)
    assert promised_glibc(["manylinux2010_i686"]) == (2, 12)
    assert promised_glibc(["linux_x86_64"]) is None
    assert promised_glibc(["musllinux_1_2_x86_64"]) is None


def test_needed_glibc_names_the_newest_symbol() -> None:
    assert needed_glibc(NEW) == ((2, 36), "arc4random", "GLIBC_2.36")
    assert needed_glibc(OLD) == ((2, 14), "memcpy", "GLIBC_2.14")
    assert needed_glibc({"libm.so.6": {"GLIBC_2.29": ["exp"]}, "libc.so.6": {"GLIBC_2.3": ["x"]}})[0] == (2, 29)
    assert needed_glibc({"libc.so.6": {"GLIBC_PRIVATE": ["x"]}}) is None
    assert needed_glibc({}) is None


def test_a_tag_older_than_the_symbols_fails_naming_the_symbol() -> None:
    wheel = "x-1-cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    result = judge_manylinux(wheel, tags(wheel), {"symbols": NEW, "auditwheel": {"sym_tag": "manylinux_2_36_x86_64"}},
                             None)
    assert result.status is Status.FAIL and result.check == "wheel.manylinux"
    assert "arc4random needs GLIBC_2.36" in result.message and "glibc 2.17" in result.message


def test_a_truthful_tag_passes_and_a_policy_can_still_refuse_it() -> None:
    wheel = "x-1-cp313-cp313-manylinux_2_36_x86_64.whl"
    passed = judge_manylinux(wheel, tags(wheel), {"symbols": NEW}, None)
    assert passed.status is Status.PASS and "GLIBC_2.36 (arc4random)" in passed.message
    refused = judge_manylinux(wheel, tags(wheel), {"symbols": NEW}, (2, 28))
    assert refused.status is Status.FAIL
    assert "manylinux_2_28" in refused.message and "arc4random needs GLIBC_2.36" in refused.message
    assert judge_manylinux(wheel, tags(wheel), {"symbols": NEW}, (2, 36)).status is Status.PASS
    # The tag alone can break the policy, even when the symbols would not.
    old_symbols = judge_manylinux(wheel, tags(wheel), {"symbols": OLD}, (2, 28))
    assert old_symbols.status is Status.FAIL and "newer than the policy" in old_symbols.message
    assert judge_manylinux(wheel, tags(wheel), {"symbols": OLD}, (2, 36)).status is Status.PASS


def test_unrepaired_pure_and_musllinux_wheels() -> None:
    linux = "x-1-cp313-cp313-linux_x86_64.whl"
    assert judge_manylinux(linux, tags(linux), {"symbols": OLD}, None).status is Status.WARN
    assert judge_manylinux(linux, tags(linux), {"symbols": OLD}, (2, 28)).status is Status.FAIL
    pure = "x-1-py3-none-any.whl"
    assert judge_manylinux(pure, tags(pure), {}, (2, 28)).status is Status.SKIP
    musl = "x-1-cp313-cp313-musllinux_1_2_x86_64.whl"
    assert judge_manylinux(musl, tags(musl), {"symbols": {}, "needed": ["libc.musl-x86_64.so.1"]},
                           None).status is Status.PASS
    lying = judge_manylinux(musl, tags(musl), {"symbols": NEW, "needed": ["libc.so.6"]}, None)
    assert lying.status is Status.FAIL and "links glibc (arc4random@GLIBC_2.36)" in lying.message
    needs_libc = judge_manylinux(musl, tags(musl), {"symbols": {}, "needed": ["libc.so.6"]}, None)
    assert needs_libc.status is Status.FAIL and "libc.so.6" in needs_libc.message


def test_auditwheel_error_without_symbols_fails() -> None:
    wheel = "x-1-cp313-cp313-manylinux_2_17_x86_64.whl"
    result = judge_manylinux(wheel, tags(wheel), {"auditwheel_error": "boom"}, None)
    assert result.status is Status.FAIL and "boom" in result.message


def test_abi3_wheels_selects_gil_abi3_only() -> None:
    names = ["a-1-cp310-abi3-manylinux_2_17_x86_64.whl", "b-1-cp313-cp313t-manylinux_2_17_x86_64.whl",
             "c-1-cp313t-abi3-manylinux_2_17_x86_64.whl", "d-1-cp315-abi3t-manylinux_2_17_x86_64.whl",
             "e-1-py3-none-any.whl"]
    assert abi3_wheels({n: tags(n) for n in names}) == ["a-1-cp310-abi3-manylinux_2_17_x86_64.whl"]


def test_judge_abi3audit_findings() -> None:
    def report(result: dict) -> dict:
        return {"specs": {"/w/x.whl": {"kind": "wheel", "wheel": [{"name": "m.abi3.so", "result": result}]}}}

    clean = {"is_abi3": True, "is_abi3_baseline_compatible": True, "baseline": "3.10", "computed": "3.10",
             "non_abi3_symbols": [], "future_abi3_objects": {}}
    assert judge_abi3audit("x.whl", report(clean)).status is Status.PASS
    bad = judge_abi3audit("x.whl", report({**clean, "is_abi3": False, "non_abi3_symbols": ["PyCode_Addr2Line"]}))
    assert bad.status is Status.FAIL and "PyCode_Addr2Line" in bad.message and bad.check == "wheel.abi3audit"
    newer = judge_abi3audit("x.whl", report({**clean, "is_abi3_baseline_compatible": False, "computed": "3.12",
                                             "future_abi3_objects": {"PyType_GetName": "3.11"}}))
    assert newer.status is Status.FAIL
    assert "3.12 but is tagged 3.10" in newer.message and "PyType_GetName (3.11)" in newer.message
    assert judge_abi3audit("x.whl", {}).status is Status.PASS
    assert judge_abi3audit("x.whl", {"specs": {"a": {"wheel": [{"name": "m", "result": "junk"}]}}}).status \
        is Status.PASS


MANY = "x-1-cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"


@pytest.mark.parametrize(("wheel", "audit", "policy", "status", "message"), [
    ("x-1-py3-none-any.whl", {}, None, Status.SKIP, "pure wheel: no platform tag to audit"),
    (MANY, {"symbols": NEW, "auditwheel": {"sym_tag": "manylinux_2_36_x86_64"}}, None, Status.FAIL,
     "tagged for glibc 2.17 but arc4random needs GLIBC_2.36 (auditwheel: manylinux_2_36_x86_64); build in an older "
     "manylinux image or drop the symbol"),
    (MANY, {"symbols": NEW}, None, Status.FAIL,
     "tagged for glibc 2.17 but arc4random needs GLIBC_2.36; build in an older manylinux image or drop the symbol"),
    (MANY.replace("2_17", "2_36").replace(".manylinux2014_x86_64", ""), {"symbols": NEW}, (2, 28), Status.FAIL,
     "the policy is manylinux_2_28 but arc4random needs GLIBC_2.36; build in an older manylinux image (--manylinux) "
     "or drop the symbol"),
    (MANY.replace("2_17", "2_34").replace(".manylinux2014_x86_64", ""), {"symbols": OLD}, (2, 28), Status.FAIL,
     "tagged for glibc 2.34, newer than the policy manylinux_2_28"),
    (MANY, {"symbols": OLD, "auditwheel": {"sym_tag": "manylinux_2_17_x86_64"}}, None, Status.PASS,
     "tags promise glibc 2.17; symbols need GLIBC_2.14 (memcpy)"),
    (MANY, {}, (2, 28), Status.PASS, "tags promise glibc 2.17; symbols need no versioned glibc symbol"),
    (MANY, {"auditwheel_error": "boom"}, None, Status.FAIL, "auditwheel could not read it: boom"),
    ("x-1-cp313-cp313-linux_x86_64.whl", {}, None, Status.WARN,
     "platform linux_x86_64 is no manylinux tag: PyPI refuses it; repair it with auditwheel (cibuildwheel's default "
     "repair step)"),
    ("x-1-cp313-cp313-musllinux_1_2_x86_64.whl", {"symbols": NEW}, None, Status.FAIL,
     "tagged musllinux but links glibc (arc4random@GLIBC_2.36): build it in a musllinux image"),
    ("x-1-cp313-cp313-musllinux_1_2_x86_64.whl", {"needed": ["libm.so.6"]}, None, Status.FAIL,
     "tagged musllinux but links glibc (libm.so.6): build it in a musllinux image"),
    ("x-1-cp313-cp313-musllinux_1_2_x86_64.whl", {}, None, Status.PASS, "musllinux tag, no glibc symbol needed"),
])
def test_each_manylinux_verdict_is_one_line_naming_wheel_check_and_reason(wheel: str, audit: dict[str, object],
                                                                         policy: tuple[int, int] | None,
                                                                         status: Status, message: str) -> None:
    result = judge_manylinux(wheel, tags(wheel), audit, policy)
    assert (result.subject, result.check, result.status, result.message) == (wheel, "wheel.manylinux", status, message)


def test_each_abi3audit_verdict_names_the_extension_and_at_most_five_symbols_counting_the_rest() -> None:
    symbols = [f"S{i}" for i in range(7)]
    extensions = [{"name": f"m{i}.abi3.so", "result": {"non_abi3_symbols": symbols}} for i in range(8)]
    document = {"specs": {"w": {"wheel": [{"result": {"non_abi3_symbols": ["X"]}}, *extensions]}}}
    result = judge_abi3audit("x.whl", document)
    assert (result.subject, result.check, result.status) == ("x.whl", "wheel.abi3audit", Status.FAIL)
    findings = result.message.split("; ")
    assert findings[0] == "? uses X, outside the limited API" and len(findings) == 6
    assert findings[1] == "m0.abi3.so uses S0, S1, S2, S3, S4 (+2 more), outside the limited API"
    assert findings[5] == "m4.abi3.so uses S0, S1, S2, S3, S4 (+2 more), outside the limited API (+3 more)"
    five = judge_abi3audit("x.whl", {"specs": {"w": {"wheel": [{"name": "f.so", "result": {
        "non_abi3_symbols": symbols[:5]}}] * 6}}})
    assert five.message == "; ".join(["f.so uses S0, S1, S2, S3, S4, outside the limited API"] * 6)
    newer = judge_abi3audit("y.whl", {"specs": {"w": {"wheel": [{"name": "n.so", "result": {
        "is_abi3_baseline_compatible": False, "computed": "3.12", "baseline": "3.10",
        "future_abi3_objects": {"A": "3.11", "B": "3.12"}}}]}}})
    assert newer.message == "n.so needs the limited API of 3.12 but is tagged 3.10: A (3.11), B (3.12)"
    bare = judge_abi3audit("y.whl", {"specs": {"w": {"wheel": [{"name": "n.so", "result": {
        "is_abi3_baseline_compatible": False, "computed": "3.12", "baseline": "3.10"}}]}}})
    assert bare.message == "n.so needs the limited API of 3.12 but is tagged 3.10"
    clean = judge_abi3audit("z.whl", {"specs": {"w": "junk", "v": {"wheel": ["junk"]}}})
    assert (clean.subject, clean.check, clean.status, clean.message) == (
        "z.whl", "wheel.abi3audit", Status.PASS, "abi3audit: only limited-API symbols of the tagged version")
