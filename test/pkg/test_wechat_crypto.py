"""WeChat signatures and safe-mode crypto against the examples of WeChat's own message-crypto samples."""

import base64

import pytest

from pkg.wechat import WeChatCryptoError, WeChatMessageCrypto, sign, signature_matches

# The decryption example of WeChat's official-account message crypto sample.
TOKEN = "spamtest"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx2c2769f8efd9abc2"
TIMESTAMP, NONCE = "1409735669", "1320562132"
MSG_SIGNATURE = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
ENCRYPTED = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAF"
    "mOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8d"
    "KOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJ"
    "SVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM6"
    "69WuMyVWQLCzpu9GhglF2PE="
)
# The encryption example of the same samples (fixed 16-byte random prefix).
ENCRYPT_APP_ID = "wxb11529c136998cb6"
ENCRYPT_PLAIN = "我是中文abcd123"
ENCRYPT_RANDOM = b"aaaabbbbccccdddd"
ENCRYPT_EXPECTED = "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="


def test_url_signature_is_sha1_of_sorted_parts():
    import hashlib

    expected = hashlib.sha1("".join(sorted(["tok", "1700000000", "nonce"])).encode()).hexdigest()
    assert sign("tok", "1700000000", "nonce") == expected
    assert signature_matches(expected, "nonce", "tok", "1700000000")
    assert signature_matches(expected.upper(), "tok", "1700000000", "nonce")
    assert not signature_matches(expected[:-1] + "0", "tok", "1700000000", "nonce")
    assert not signature_matches("", "tok", "1700000000", "nonce")


def test_documented_message_decrypts_and_its_signature_matches():
    crypto = WeChatMessageCrypto(TOKEN, AES_KEY, APP_ID)
    assert crypto.signature_matches(MSG_SIGNATURE, TIMESTAMP, NONCE, ENCRYPTED)
    assert crypto.msg_signature(TIMESTAMP, NONCE, ENCRYPTED) == MSG_SIGNATURE
    plain = crypto.decrypt(ENCRYPTED)
    assert plain.startswith("<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>")
    assert "<Content><![CDATA[abcdteT]]></Content>" in plain
    assert "<MsgId>6054768590064713728</MsgId>" in plain


def test_documented_encryption_is_reproduced():
    crypto = WeChatMessageCrypto(TOKEN, AES_KEY, ENCRYPT_APP_ID)
    assert crypto.encrypt(ENCRYPT_PLAIN, random_prefix=ENCRYPT_RANDOM) == ENCRYPT_EXPECTED
    assert crypto.decrypt(ENCRYPT_EXPECTED) == ENCRYPT_PLAIN


def test_round_trip_with_random_prefix():
    crypto = WeChatMessageCrypto(TOKEN, AES_KEY, APP_ID)
    first, second = crypto.encrypt("<xml>hi</xml>"), crypto.encrypt("<xml>hi</xml>")
    assert first != second
    assert crypto.decrypt(first) == crypto.decrypt(second) == "<xml>hi</xml>"


def test_tampered_signature_does_not_match():
    crypto = WeChatMessageCrypto(TOKEN, AES_KEY, APP_ID)
    assert not crypto.signature_matches(MSG_SIGNATURE, TIMESTAMP, "1320562133", ENCRYPTED)
    assert not WeChatMessageCrypto("other", AES_KEY, APP_ID).signature_matches(
        MSG_SIGNATURE, TIMESTAMP, NONCE, ENCRYPTED
    )


def test_message_for_another_app_id_is_refused():
    with pytest.raises(WeChatCryptoError, match="app id"):
        WeChatMessageCrypto(TOKEN, AES_KEY, "wx0000000000000000").decrypt(ENCRYPTED)


@pytest.mark.parametrize(
    "encrypted",
    ["not base64!", "", base64.b64encode(b"short").decode(), base64.b64encode(b"\x00" * 32).decode()],
)
def test_malformed_ciphertext_is_refused(encrypted):
    with pytest.raises(WeChatCryptoError):
        WeChatMessageCrypto(TOKEN, AES_KEY, APP_ID).decrypt(encrypted)


@pytest.mark.parametrize("key", ["short", AES_KEY + "A", "!" * 43])
def test_malformed_encoding_aes_key_is_refused(key):
    with pytest.raises(WeChatCryptoError):
        WeChatMessageCrypto(TOKEN, key, APP_ID)
