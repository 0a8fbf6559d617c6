"""WeChat official-account message XML: parsing what WeChat pushes (hardened parser) and building
passive replies, plain or safe-mode (encrypted and signed)."""

import secrets
import time
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from .message_crypto import WeChatMessageCrypto

# WeChat refuses a text message whose content is longer than this many UTF-8 bytes.
MAX_TEXT_BYTES = 2048


class WeChatMessageError(ValueError):
    """A body that is not a WeChat message XML document."""


def parse_message(xml: bytes | str) -> dict[str, str]:
    """The top-level fields of a message (`ToUserName`, `MsgType`, `Content`, ...) as text.

    defusedxml refuses entity declarations, external references and DTDs: no entity expansion
    bombs, no file reads through XXE."""
    try:
        root = fromstring(xml)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise WeChatMessageError(f"not a WeChat message: {exc}") from None
    if root.tag != "xml":
        raise WeChatMessageError("not a WeChat message: the root element is not <xml>")
    return {child.tag: (child.text or "").strip() for child in root}


def _cdata(text: str) -> str:
    # "]]>" would end the section early: split it across two sections.
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply_xml(to_user: str, from_user: str, content: str, create_time: int | None = None) -> str:
    """A passive text reply; `to_user` is the sender's openid, `from_user` the account's id."""
    return (
        "<xml>"
        f"<ToUserName>{_cdata(to_user)}</ToUserName>"
        f"<FromUserName>{_cdata(from_user)}</FromUserName>"
        f"<CreateTime>{int(create_time if create_time is not None else time.time())}</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{_cdata(content)}</Content>"
        "</xml>"
    )


def encrypted_reply_xml(crypto: WeChatMessageCrypto, reply_xml: str, timestamp: str | None = None, nonce: str | None = None) -> str:
    """The safe-mode envelope of a reply: the reply encrypted, with its `MsgSignature`."""
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or str(secrets.randbelow(10**10))
    encrypted = crypto.encrypt(reply_xml)
    return (
        "<xml>"
        f"<Encrypt>{_cdata(encrypted)}</Encrypt>"
        f"<MsgSignature>{_cdata(crypto.msg_signature(timestamp, nonce, encrypted))}</MsgSignature>"
        f"<TimeStamp>{timestamp}</TimeStamp>"
        f"<Nonce>{_cdata(nonce)}</Nonce>"
        "</xml>"
    )


def split_text(text: str, max_bytes: int = MAX_TEXT_BYTES) -> tuple[str, str]:
    """The longest head of `text` within `max_bytes` UTF-8 bytes (never cutting a character),
    and the rest."""
    encoded = text.encode()
    if len(encoded) <= max_bytes:
        return text, ""
    head = encoded[:max_bytes].decode(errors="ignore")
    return head, text[len(head) :]


def text_pieces(text: str, max_bytes: int = MAX_TEXT_BYTES) -> list[str]:
    """`text` cut into pieces of at most `max_bytes` UTF-8 bytes each."""
    pieces = []
    while text:
        head, text = split_text(text, max_bytes)
        pieces.append(head)
    return pieces
