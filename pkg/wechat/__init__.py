"""WeChat official-account protocol pieces with no platform knowledge: signatures and safe-mode crypto."""

from .message_crypto import WeChatCryptoError, WeChatMessageCrypto
from .signature import sign, signature_matches

__all__ = ["WeChatCryptoError", "WeChatMessageCrypto", "sign", "signature_matches"]
