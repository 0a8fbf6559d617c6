"""WeChat's request signature: sha1 over the sorted, concatenated parts (token, timestamp, nonce[, message])."""

import hashlib
import hmac


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def signature_matches(signature: str, *parts: str) -> bool:
    """Constant-time comparison, so a caller cannot learn the signature a byte at a time."""
    return hmac.compare_digest(sign(*parts).encode(), signature.strip().lower().encode())
