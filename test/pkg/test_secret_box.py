"""pkg.secret_box: authenticated encryption of stored secrets, derived keys, keyed digests."""

import pytest

from pkg.secret_box import SecretBox, SecretBoxError, derive_key, keyed_digest

KEY = derive_key("a master secret of at least thirty-two characters", "test/box")


def test_round_trip_is_ascii_and_randomised():
    box = SecretBox(KEY)
    first, second = box.encrypt("llmops-v1/秘钥"), box.encrypt("llmops-v1/秘钥")
    assert first != second and first.isascii() and first.startswith("v1.")
    assert "llmops" not in first
    assert box.decrypt(first) == box.decrypt(second) == "llmops-v1/秘钥"
    assert box.decrypt(box.encrypt("")) == ""


def test_another_key_or_a_changed_value_cannot_be_opened():
    stored = SecretBox(KEY).encrypt("secret")
    with pytest.raises(SecretBoxError):
        SecretBox(derive_key("a master secret of at least thirty-two characters", "other/label")).decrypt(stored)
    tampered = stored[:-2] + ("A" if stored[-2] != "A" else "B") + stored[-1]
    for bad in (tampered, stored[:20], "v1.", "v1.!!!", "v2." + stored[3:], "plain", "v1.é"):
        with pytest.raises(SecretBoxError):
            SecretBox(KEY).decrypt(bad)


def test_derived_keys_depend_on_secret_and_label():
    assert len(KEY) == 32
    assert derive_key("m" * 32, "a") == derive_key("m" * 32, "a")
    assert derive_key("m" * 32, "a") != derive_key("m" * 32, "b") != derive_key("n" * 32, "b")
    with pytest.raises(ValueError):
        derive_key("", "a")
    with pytest.raises(ValueError):
        SecretBox(b"short")


def test_keyed_digest_is_hmac_sha256():
    # RFC 4231 test case 2.
    assert keyed_digest(b"Jefe", "what do ya want for nothing?") == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )
    assert keyed_digest(b"k1", "v") != keyed_digest(b"k2", "v")


def test_repr_hides_the_key():
    assert KEY.hex() not in repr(SecretBox(KEY))
