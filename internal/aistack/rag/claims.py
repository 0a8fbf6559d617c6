"""Content cut into the claims a verification checks: its sentences (Chinese and Western
punctuation, line breaks), each kept once."""

import re

# After 。！？；… or !?; (and . followed by whitespace, so 3.14 and example.com stay whole), or a line break.
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;…])|(?<=\.)(?=\s)|\n+")
_MIN_CLAIM_CHARS = 2


def split_claims(content: str, limit: int) -> list[str]:
    """At most `limit` distinct sentences of `content`, in order."""
    claims: list[str] = []
    for piece in _SENTENCE_END.split(content):
        claim = piece.strip()
        if len(claim) >= _MIN_CLAIM_CHARS and claim not in claims:
            claims.append(claim)
            if len(claims) == limit:
                break
    return claims
