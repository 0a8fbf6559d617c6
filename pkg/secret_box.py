"""Secrets kept encrypted at rest (API keys, WeChat app secrets): AES-256-GCM with a random
nonce per value, HKDF to derive purpose-bound keys from one master secret, and a keyed digest
to find a secret by its value without storing it.

    box = SecretBox(derive_key(master_secret, "llmops/secret-box"))
    stored = box.encrypt("plain")      # "v1.<base64url(nonce + ciphertext + tag)>"
    box.decrypt(stored) == "plain"     # SecretBoxError when tampered with or another key's

The output is ASCII and safe in any text column; equal plaintexts encrypt differently.
"""

import base64
import binascii
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_SIZE = 32
_NONCE_SIZE = 12
_VERSION = "v1."


class SecretBoxError(ValueError):
    """A stored value that this box cannot open: altered, truncated or sealed with another key."""


def derive_key(master_secret: str | bytes, label: str, size: int = KEY_SIZE) -> bytes:
    """A key for one purpose (`label`) from a master secret: keys for different labels are
    independent, so one leaked derived key reveals neither the master nor its siblings."""
    if isinstance(master_secret, str):
        master_secret = master_secret.encode()
    if not master_secret:
        raise ValueError("master secret must not be empty")
    return HKDF(algorithm=hashes.SHA256(), length=size, salt=None, info=label.encode()).derive(master_secret)


def keyed_digest(key: bytes, value: str) -> str:
    """HMAC-SHA256 of `value` as hex: an index for secrets looked up by value (API keys) that
    cannot be computed, or reversed by brute force, without `key`."""
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


class SecretBox:
    """Encrypts and decrypts short text secrets with one 32-byte key."""

    def __init__(self, key: bytes):
        if len(key) != KEY_SIZE:
            raise ValueError(f"SecretBox needs a {KEY_SIZE}-byte key")
        self._aead = AESGCM(key)

    def encrypt(self, plaintext: str) -> str:
        nonce = os.urandom(_NONCE_SIZE)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), _VERSION.encode())
        return _VERSION + base64.urlsafe_b64encode(nonce + sealed).decode()

    def decrypt(self, token: str) -> str:
        if not token.startswith(_VERSION):
            raise SecretBoxError("unknown secret format")
        try:
            raw = base64.urlsafe_b64decode(token[len(_VERSION) :].encode())
        except (binascii.Error, ValueError):
            raise SecretBoxError("secret is not valid base64") from None
        nonce, sealed = raw[:_NONCE_SIZE], raw[_NONCE_SIZE:]
        try:
            return self._aead.decrypt(nonce, sealed, _VERSION.encode()).decode()
        except (InvalidTag, ValueError):
            raise SecretBoxError("secret cannot be decrypted with this key") from None

    def __repr__(self) -> str:  # never show key material in logs or tracebacks
        return "SecretBox(<key hidden>)"
