"""WeChat official-account protocol pieces with no platform knowledge: signatures, safe-mode crypto,
message XML and the server API calls the platform makes."""

from .api import AccessToken, WeChatApi, WeChatApiError
from .message import (
    MAX_TEXT_BYTES,
    WeChatMessageError,
    encrypted_reply_xml,
    parse_message,
    split_text,
    text_pieces,
    text_reply_xml,
)
from .message_crypto import WeChatCryptoError, WeChatMessageCrypto
from .signature import sign, signature_matches

__all__ = [
    "MAX_TEXT_BYTES",
    "AccessToken",
    "WeChatApi",
    "WeChatApiError",
    "WeChatCryptoError",
    "WeChatMessageCrypto",
    "WeChatMessageError",
    "encrypted_reply_xml",
    "parse_message",
    "sign",
    "signature_matches",
    "split_text",
    "text_pieces",
    "text_reply_xml",
]
