"""Safe mode (`encrypt_type=aes`) of WeChat official-account messages.

The EncodingAESKey is 43 base64 characters for a 32-byte AES key; messages are AES-256-CBC with
the key's first 16 bytes as IV and PKCS#7 padding to 32-byte blocks. The plaintext is 16 random
bytes, the message's length (4 bytes, big-endian), the message and the account's app id, which
decryption checks. `msg_signature` signs the token, timestamp, nonce and ciphertext.
"""

import base64
import binascii
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .signature import sign, signature_matches

BLOCK_SIZE = 32


class WeChatCryptoError(ValueError):
    """A message that is not signed, encrypted or addressed as the account's key says."""


class WeChatMessageCrypto:
    def __init__(self, token: str, encoding_aes_key: str, app_id: str):
        try:
            key = base64.b64decode(encoding_aes_key + "=", validate=True)
        except binascii.Error as exc:
            raise WeChatCryptoError("EncodingAESKey is not base64") from exc
        if len(encoding_aes_key) != 43 or len(key) != 32:
            raise WeChatCryptoError("EncodingAESKey must be 43 characters")
        self.token = token
        self.app_id = app_id
        self._cipher = Cipher(algorithms.AES(key), modes.CBC(key[:16]))

    def signature_matches(self, msg_signature: str, timestamp: str, nonce: str, encrypted: str) -> bool:
        return signature_matches(msg_signature, self.token, timestamp, nonce, encrypted)

    def decrypt(self, encrypted: str) -> str:
        try:
            data = base64.b64decode(encrypted, validate=True)
        except binascii.Error as exc:
            raise WeChatCryptoError("message is not base64") from exc
        if not data or len(data) % 16:
            raise WeChatCryptoError("message is not whole AES blocks")
        decryptor = self._cipher.decryptor()
        plain = decryptor.update(data) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= BLOCK_SIZE or plain[-pad:] != bytes([pad]) * pad:
            raise WeChatCryptoError("message padding is invalid")
        plain = plain[:-pad]
        if len(plain) < 20:
            raise WeChatCryptoError("message is too short")
        (length,) = struct.unpack(">I", plain[16:20])
        message, app_id = plain[20 : 20 + length], plain[20 + length :]
        if len(message) != length or app_id.decode(errors="replace") != self.app_id:
            raise WeChatCryptoError("message is not for this app id")
        try:
            return message.decode()
        except UnicodeDecodeError as exc:
            raise WeChatCryptoError("message is not UTF-8") from exc

    def encrypt(self, message: str, random_prefix: bytes | None = None) -> str:
        body = message.encode()
        plain = (random_prefix or os.urandom(16)) + struct.pack(">I", len(body)) + body + self.app_id.encode()
        pad = BLOCK_SIZE - len(plain) % BLOCK_SIZE
        plain += bytes([pad]) * pad
        encryptor = self._cipher.encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()

    def msg_signature(self, timestamp: str, nonce: str, encrypted: str) -> str:
        return sign(self.token, timestamp, nonce, encrypted)
