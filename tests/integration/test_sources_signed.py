"""The second source for real: gpgv against keys, and the Debian archive's signed index against the recipes."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from dualpy.errors import SourceNotProven
from dualpy.sources import fetch, signed
from dualpy.sources.recipes import find_release

needs_gpg = pytest.mark.skipif(shutil.which("gpg") is None or shutil.which("gpgv") is None,
                               reason="gpg and gpgv make the signing key for these tests")

RELEASE_TEXT = "Suite: stable\nCodename: trixie\nSHA256:\n " + "a" * 64 + " 10 main/source/Sources.xz\n"


@pytest.fixture(scope="module")
def signer(tmp_path_factory):
    """A throwaway signing key: (sign(text) -> clear-signed bytes, keyring path, a second key's keyring)."""
    home = tmp_path_factory.mktemp("gnupg")
    home.chmod(0o700)

    def gpg(*args: str, data: bytes | None = None) -> bytes:
        return subprocess.run(["gpg", "--homedir", str(home), "--batch", "--pinentry-mode", "loopback",
                               "--passphrase", "", *args], input=data, capture_output=True, check=True).stdout

    gpg("--quick-gen-key", "dualpy test archive <archive@example.invalid>", "ed25519", "sign", "never")
    gpg("--quick-gen-key", "someone else <other@example.invalid>", "ed25519", "sign", "never")
    keyring, other = home / "archive.gpg", home / "other.gpg"
    keyring.write_bytes(gpg("--export", "archive@example.invalid"))
    other.write_bytes(gpg("--export", "other@example.invalid"))

    def sign(text: str) -> bytes:
        return gpg("--local-user", "archive@example.invalid", "--clearsign", data=text.encode())

    yield sign, keyring, other
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False, capture_output=True)


@needs_gpg
def test_gpgv_accepts_a_good_signature_and_returns_only_the_signed_text(signer):
    sign, keyring, _other = signer
    clear_signed = sign(RELEASE_TEXT)
    text, check = signed.verify_signature(clear_signed, [keyring], "InRelease")
    assert text == RELEASE_TEXT and check.trusted and len(check.good_keys) == 1
    # lines outside the signature are never read
    padded = b"SHA256:\n " + b"b" * 64 + b" 10 main/source/Sources.xz\n" + clear_signed + b"Suite: evil\n"
    assert signed.verify_signature(padded, [keyring], "InRelease")[0] == RELEASE_TEXT


@needs_gpg
def test_gpgv_refuses_a_tampered_file(signer):
    sign, keyring, _other = signer
    tampered = sign(RELEASE_TEXT).replace(b"a" * 64, b"a" * 63 + b"b")
    with pytest.raises(SourceNotProven, match="InRelease: signature refused by gpgv \\(BADSIG"):
        signed.verify_signature(tampered, [keyring], "InRelease")


@needs_gpg
def test_gpgv_refuses_a_key_outside_the_keyring_and_an_unsigned_file(signer):
    sign, _keyring, other = signer
    with pytest.raises(SourceNotProven, match="NO_PUBKEY"):
        signed.verify_signature(sign(RELEASE_TEXT), [other], "InRelease")
    with pytest.raises(SourceNotProven, match="signature refused"):
        signed.verify_signature(RELEASE_TEXT.encode(), [other], "InRelease")


# ---- the real archive, with the real debian-archive-keyring ----


@pytest.mark.network
def test_the_real_stable_index_verifies_and_vouches_for_3_13_5(tmp_path):
    index = signed.signed_index("stable", directory=tmp_path)
    assert index.signed_by and index.release.suite == "stable" and not index.from_cache
    recipe, release = find_release("3.13.5")
    lookup = signed.SignedLookup("3.13.5", next(t for t in index.tarballs if t.version == "3.13.5"), index,
                                  ("stable",))
    verdict = signed.judge_signed(release, str(recipe.path), lookup)
    assert verdict.status == "agrees" and verdict.signed_sha256 == release.sha256


@pytest.mark.network
def test_a_tampered_real_inrelease_is_refused():
    raw = signed._get_bytes(f"{fetch.archive_url()}/dists/stable/InRelease", 16 << 20)
    listed = signed.verify_signature(raw, signed.archive_keyrings(), "InRelease")[0]
    digest = next(line.split()[0] for line in listed.splitlines() if line.endswith(" main/source/Sources.xz")
                  and len(line.split()[0]) == 64)
    forged = raw.replace(digest.encode(), ("0" if digest[0] != "0" else "1").encode() + digest[1:].encode())
    assert forged != raw
    with pytest.raises(SourceNotProven, match="BADSIG"):
        signed.verify_signature(forged, signed.archive_keyrings(), "InRelease")


@pytest.mark.network
def test_recipes_new_releases_are_reported_not_listed_rather_than_passed(tmp_path):
    for version in ("3.14.7", "3.15.0rc2"):
        recipe, release = find_release(version)
        lookup = signed.lookup_signed(version, signed.DEFAULT_SUITES, directory=tmp_path)
        verdict = signed.judge_signed(release, str(recipe.path), lookup)
        # the archive dropped them from every index (their pool files stay); if one returns, it must agree
        assert verdict.status in ("not-listed", "agrees"), verdict.message
        assert not lookup.failures, lookup.failures

