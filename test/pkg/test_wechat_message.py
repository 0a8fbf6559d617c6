"""WeChat message XML: the hardened parser, passive replies (plain and safe mode) and the 2048-byte rule."""

import pytest

from pkg.wechat import (
    MAX_TEXT_BYTES,
    WeChatMessageCrypto,
    WeChatMessageError,
    encrypted_reply_xml,
    parse_message,
    split_text,
    text_pieces,
    text_reply_xml,
)

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"

# The text message example of WeChat's "receiving ordinary messages" documentation.
DOCUMENTED_TEXT = b"""<xml>
  <ToUserName><![CDATA[toUser]]></ToUserName>
  <FromUserName><![CDATA[fromUser]]></FromUserName>
  <CreateTime>1348831860</CreateTime>
  <MsgType><![CDATA[text]]></MsgType>
  <Content><![CDATA[this is a test]]></Content>
  <MsgId>1234567890123456</MsgId>
</xml>"""


def test_documented_text_message_parses():
    assert parse_message(DOCUMENTED_TEXT) == {
        "ToUserName": "toUser",
        "FromUserName": "fromUser",
        "CreateTime": "1348831860",
        "MsgType": "text",
        "Content": "this is a test",
        "MsgId": "1234567890123456",
    }


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not xml",
        b"<html><body/></html>",
        # entity expansion ("billion laughs") and external entities are refused, not expanded
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><xml><Content>&b;</Content></xml>',
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Content>&e;</Content></xml>',
    ],
)
def test_what_is_not_a_plain_message_is_refused(body):
    with pytest.raises(WeChatMessageError):
        parse_message(body)


def test_text_reply_round_trips_even_with_cdata_terminators():
    content = "答案 ]]> <b>& 完"
    xml = text_reply_xml("openid-1", "gh_account", content, create_time=1700000000)
    assert parse_message(xml) == {
        "ToUserName": "openid-1",
        "FromUserName": "gh_account",
        "CreateTime": "1700000000",
        "MsgType": "text",
        "Content": content,
    }


def test_safe_mode_reply_is_encrypted_and_signed():
    crypto = WeChatMessageCrypto("tok", AES_KEY, "wx1234567890abcdef")
    inner = text_reply_xml("openid-1", "gh_account", "你好")
    outer = parse_message(encrypted_reply_xml(crypto, inner, timestamp="1700000000", nonce="42"))
    assert set(outer) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
    assert crypto.signature_matches(outer["MsgSignature"], outer["TimeStamp"], outer["Nonce"], outer["Encrypt"])
    assert crypto.decrypt(outer["Encrypt"]) == inner


def test_long_text_is_cut_on_character_boundaries_within_the_byte_limit():
    text = "中" * 1000 + "abc"  # 3003 UTF-8 bytes
    head, rest = split_text(text)
    assert len(head.encode()) <= MAX_TEXT_BYTES and head + rest == text
    assert head == "中" * 682
    pieces = text_pieces(text)
    assert "".join(pieces) == text and all(len(p.encode()) <= MAX_TEXT_BYTES for p in pieces)
    assert split_text("short") == ("short", "")
